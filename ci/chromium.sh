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
    [ "${TENSHU_INSTALL_SERVICES:-0}" = 1 ] && can_apt_install || exit 1
    say "installing Chromium and chromedriver from the system packages"
    as_root apt-get update -qq && as_root apt-get install -y -qq chromium chromium-driver >/dev/null
    present || exit 1
fi
exit 0
