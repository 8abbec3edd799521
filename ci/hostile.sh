#!/usr/bin/env bash
# Sends a generated app, booted as in development, what a hostile visitor would (ci/hostile.py):
# malformed and oversized requests, every method on every route, cross-site posts, hostile text
# in every form, traversal, forged cookies. Fails on any 5xx, internal text in a body, markup
# echoed back, or a panic in the log.
# Usage: ci/hostile.sh APP_DIR (after `cargo test` built target/debug/$APP_NAME).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

app=$1
binary=$CARGO_TARGET_DIR/debug/$APP_NAME
[ -x "$binary" ] || die "$binary is missing: run cargo test (or build) first"

serve_for_checks "$app" "$binary"
routes=$(mktemp)
echo "$ROUTES" >"$routes"
status=0
python3 "$ROOT/ci/hostile.py" "$SERVED_URL" "$SERVED_LOG" "$routes" || status=$?
rm -f "$routes"
stop_served
exit $status
