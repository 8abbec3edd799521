#!/usr/bin/env bash
# Makes sure headless Chromium and its WebDriver (chromedriver) are installed, for the generated
# apps' browser tests (`just test-browser`). Exits 0 when they are, 1 when they cannot be had.
#
# With TENSHU_INSTALL_SERVICES=1 (.ci/run sets it) it installs Debian's chromium and
# chromium-driver packages when they are missing.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

present() { command -v chromedriver >/dev/null && { command -v chromium >/dev/null || command -v google-chrome >/dev/null; }; }

if ! present; then
    install_for_tests "Chromium and chromedriver" chromium chromium-driver || exit 1
    present || exit 1
fi
exit 0
