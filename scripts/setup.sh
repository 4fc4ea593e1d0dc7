#!/usr/bin/env bash
# Installs what Wren needs on a fresh Debian machine; safe and fast to run again.
#   - npm packages (npm ci when package-lock.json changed since the last install; build tools via
#     apt as root when a native module has to be compiled)
#   - a Chromium when none is found (Debian's `chromium` via apt as root, else Playwright's download)
#   - ffmpeg for run recordings (apt, as root)
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*" >&2; }

have_browser() {
  [ -n "${WREN_BROWSER_PATH:-}" ] && [ -x "${WREN_BROWSER_PATH}" ] && return 0
  for b in chromium chromium-browser google-chrome google-chrome-stable; do
    command -v "$b" >/dev/null 2>&1 && return 0
  done
  return 1
}

apt_install() {
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    log "installing $* with apt-get"
    if [ ! -f /var/lib/apt/periodic/wren-updated ] || [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v lock || true)" ]; then
      apt-get update -qq
      mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/wren-updated
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    return 0
  fi
  return 1
}

if ! have_browser; then
  apt_install chromium || true
fi

if ! command -v ffmpeg >/dev/null 2>&1; then
  apt_install ffmpeg || log "ffmpeg not found and cannot apt-get it: recordings will be skipped"
fi

lock_hash=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.wren-lock-hash
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
  log "installing npm packages (npm ci)"
  if ! npm ci --no-audit --no-fund --loglevel=error; then
    # better-sqlite3 compiles from source when its prebuilt binary cannot be downloaded, which a
    # fresh Debian cannot do without a compiler.
    log "npm ci failed; installing build tools for native modules and retrying"
    apt_install build-essential python3 || { log "cannot apt-get build-essential (not root)"; exit 1; }
    npm ci --no-audit --no-fund --loglevel=error
  fi
  echo "$lock_hash" > "$stamp"
fi

if ! have_browser; then
  log "no system Chromium; downloading Playwright's"
  npx --yes playwright-core install chromium
fi

# The web UI that `wren server` serves at / (rebuilt only when ui/ or the lockfile changed).
bash scripts/build-ui.sh
