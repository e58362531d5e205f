#!/usr/bin/env bash
# Regenerates the screenshots of docs/CONSOLE.md (docs/console/*.png): the console's
# browser test (tests/console/console_test.js) run with SCREENSHOT_DIR, which saves each
# screen as it walks through them. Needs what `make test` installs (chromium,
# puppeteer-core) and a build.
#
#   scripts/console_screenshots.sh [BUILD_DIR]
set -euo pipefail
readonly REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="$(cd "${1:-${REPO_ROOT}/build}" && pwd)"
mkdir -p "${REPO_ROOT}/docs/console"
SCREENSHOT_DIR="${REPO_ROOT}/docs/console" node "${REPO_ROOT}/tests/console/console_test.js" "${BUILD_DIR}"
ls -l "${REPO_ROOT}/docs/console"
