#!/usr/bin/env bash
# `just bench`: generate the default app and run its own `just bench` (release build, wrk).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

if ! command -v wrk >/dev/null; then
    if can_apt_install; then
        say "installing wrk from the system packages"
        as_root apt-get update -qq && as_root apt-get install -y -qq wrk >/dev/null
    else
        die "the bench needs wrk: apt-get install wrk, or brew install wrk"
    fi
fi
destination=$WORK/bench
generate "$destination" --name "$APP_NAME" >/dev/null
cd "$destination/$APP_NAME"
npm ci --no-audit --no-fund --loglevel=error
just bench
