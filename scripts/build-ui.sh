#!/usr/bin/env bash
# Builds the web UI into ui/dist when it is missing or older than its sources (ui/ and the
# lockfile). Safe and fast to run again: an up-to-date build is left alone.
set -euo pipefail
cd "$(dirname "$0")/.."

sources_hash() {
  { find ui -path ui/dist -prune -o -path ui/node_modules -prune -o -type f -print | LC_ALL=C sort | xargs sha256sum
    sha256sum package-lock.json; } | sha256sum | cut -d' ' -f1
}

hash=$(sources_hash)
stamp=ui/dist/.build-hash
if [ -f ui/dist/index.html ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
  exit 0
fi
printf '[setup] building the web UI (ui/dist)\n' >&2
# NODE_ENV=production: a build started from a test runner (NODE_ENV=test) must not bundle React's dev build.
NODE_ENV=production npm run --silent build:ui
echo "$hash" > "$stamp"
