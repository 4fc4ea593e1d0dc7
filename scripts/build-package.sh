#!/usr/bin/env bash
# npm pack's prepack: compiles src/ into a fresh dist/ (no stale files from deleted sources) and
# builds the web UI into ui/dist, the two things the published package runs.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -rf dist
npx tsc -p tsconfig.build.json
bash scripts/build-ui.sh
