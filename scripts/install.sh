#!/usr/bin/env bash
# Create .venv if missing and install the given requirement files into it, once per content.
#
#   scripts/install.sh requirements.txt              # what `make run` needs
#   scripts/install.sh requirements-dev.txt --for-tests   # what `make test` needs
#
# A stamp file inside .venv holds a hash of the requirement files (and the files they
# include with -r) plus the Python version; when it matches, nothing is installed, so a
# second `make run` starts in seconds. Deleting .venv resets everything.
# --for-tests: also make sure /usr/bin/chromium and /usr/bin/bwrap exist (Debian packages,
# installed with apt-get when we are root; Playwright's own browser download is never used),
# fetch the test tools into .test-tools/ (axe-core, the Prism mock server), and install the
# local LLM server the real-model tests talk to (scripts/local_llm.sh: llama.cpp is compiled
# the first time, ~10 minutes on 2 cores, then pip's cache makes it seconds). It is installed
# here, before any test runs, so that compile never competes with the browser tests for CPU.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv
PYTHON=${PYTHON:-python3}
for_tests=0
files=()
for arg in "$@"; do
    case "$arg" in
        --for-tests) for_tests=1 ;;
        *) files+=("$arg") ;;
    esac
done
[ ${#files[@]} -gt 0 ] || { echo "usage: $0 REQUIREMENTS_FILE... [--for-tests]" >&2; exit 2; }

if [ ! -x "$VENV/bin/python" ]; then
    if ! command -v "$PYTHON" >/dev/null 2>&1; then
        echo "error: $PYTHON not found; install Python 3.11 or newer (or set PYTHON=...)" >&2
        exit 1
    fi
    if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
        echo "error: Python 3.11 or newer is needed; $PYTHON is $("$PYTHON" -V 2>&1)" >&2
        exit 1
    fi
    echo "Creating $VENV with $("$PYTHON" -V 2>&1)"
    if ! "$PYTHON" -m venv "$VENV"; then
        rm -rf "$VENV"
        echo "error: '$PYTHON -m venv' failed; on Debian/Ubuntu install the python3-venv package" >&2
        exit 1
    fi
fi

# Every file that shapes the install: the ones named, and the ones they pull in with -r.
all_files=()
collect() {
    local file=$1 dir included
    all_files+=("$file")
    dir=$(dirname "$file")
    while read -r included; do
        collect "$dir/$included"
    done < <(sed -n 's/^[[:space:]]*-r[[:space:]]*\([^[:space:]#]*\).*/\1/p' "$file")
}
for file in "${files[@]}"; do
    [ -f "$file" ] || { echo "error: $file not found" >&2; exit 1; }
    collect "$file"
done

hash=$({ "$VENV/bin/python" -V 2>&1; cat "${all_files[@]}"; } | sha256sum | cut -d' ' -f1)
stamp="$VENV/.install-stamp-$(basename "${files[0]}" .txt)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$hash" ]; then
    echo "Installing ${files[*]} into $VENV (first time, or the requirements changed)"
    "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off \
        --upgrade pip >/dev/null
    args=()
    for file in "${files[@]}"; do args+=(-r "$file"); done
    "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off "${args[@]}"
    echo "$hash" > "$stamp"
fi

# The code editor's files, served from the app's own assets (no CDN); fetched once.
scripts/fetch_npm_files.sh monaco-editor "${MONACO_VERSION:-0.55.1}" min/vs assets/monaco/vs
# The browser tests check every page they visit with axe-core, loaded from this checkout.
if [ "$for_tests" = 1 ]; then
    scripts/fetch_npm_files.sh axe-core "${AXE_VERSION:-4.14.1}" axe.min.js .test-tools/axe.min.js
fi
# The channel tests send real Twilio (later Slack, GitHub) requests to Prism, a mock server
# that validates each request against the vendor's OpenAPI description (../shared/specs).
PRISM_DIR=.test-tools/prism
if [ "$for_tests" = 1 ] && [ ! -x "$PRISM_DIR/node_modules/.bin/prism" ]; then
    NPM="$PWD/$VENV/bin/npm"
    command -v "$NPM" >/dev/null 2>&1 || NPM=$(command -v npm || true)
    [ -n "$NPM" ] || { echo "error: npm not found (install requirements into .venv first)" >&2; exit 1; }
    echo "Installing @stoplight/prism-cli@${PRISM_VERSION:-5.16.0} into $PRISM_DIR (once)"
    mkdir -p "$PRISM_DIR"
    PATH="$(dirname "$NPM"):$PATH" "$NPM" install --prefix "$PRISM_DIR" --no-audit --no-fund \
        --loglevel=error "@stoplight/prism-cli@${PRISM_VERSION:-5.16.0}"
fi

# ensure_package BINARY PACKAGE WHY REQUIRED: install Debian's PACKAGE when BINARY is missing
# and we are root with apt-get; otherwise stop (REQUIRED=1) or warn, in one line.
apt_updated=0
ensure_package() {
    local binary=$1 package=$2 why=$3 required=$4
    [ -x "$binary" ] && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "Installing Debian's $package ($why)"
        if [ "$apt_updated" = 0 ]; then apt-get update -qq && apt_updated=1; fi
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
    fi
    [ -x "$binary" ] && return 0
    if [ "$required" = 1 ]; then
        echo "error: $why needs $binary: install the Debian package '$package' (apt-get install $package)" >&2
        exit 1
    fi
    echo "warning: $binary missing ($why); install the Debian package '$package' for it" >&2
}

# bubblewrap gives the sandbox its strongest tier; without it objects run in the
# Landlock+seccomp tier, so only the tests (which check every tier) insist on it.
ensure_package /usr/bin/bwrap bubblewrap "the sandbox's namespace tier" "$for_tests"
if [ "$for_tests" = 1 ]; then
    ensure_package /usr/bin/chromium chromium "the browser tests" 1
fi
if [ "$for_tests" = 1 ]; then
    PYTHON="$PYTHON" scripts/local_llm.sh install
fi
