#!/usr/bin/env bash
# `just bench [pages|release|tasks|edit]`: generate the default app and run its own `just bench`
# (a release build; wrk for the pages, a local Postgres server for the second half of the tasks).
# `edit` is ci/edit-loop.sh.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

what=${1:-pages}
# The edit loop is the template's own measurement: the app's `just dev`, not a bench of the app.
[ "$what" != edit ] || exec "$(dirname "$0")/edit-loop.sh"
if [ "$what" = pages ] && ! command -v wrk >/dev/null; then
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
just bench "$what"
