#!/usr/bin/env bash
# `just bench edit`: the edit loop of a default app under `just dev` (bacon restarting
# `cargo run --features livereload`): how long from saving a change to a view until the server
# serves the changed page. Builds once first, so each round is an incremental rebuild, as on a
# developer's machine; prints each round and the median.
#
# Usage: ci/edit-loop.sh [ROUNDS]
set -euo pipefail
source "$(dirname "$0")/lib.sh"

rounds=${1:-5}
port=8765
destination=$WORK/edit-loop
generate "$destination" --name "$APP_NAME" >/dev/null
app=$destination/$APP_NAME
cd "$app"
command -v bacon >/dev/null || { say "installing bacon"; cargo install --locked --quiet bacon; }
npm ci --no-audit --no-fund --loglevel=error
just assets >/dev/null
say "the first build"
cargo build --quiet --features livereload
cargo run --quiet -- migrate up >/dev/null

export APP_SERVER__PORT=$port APP_SERVER__PUBLIC_URL=http://localhost:$port
log=$destination/bacon.log
bacon --headless dev >"$log" 2>&1 &
bacon_pid=$!
trap 'kill $bacon_pid 2>/dev/null; pkill -f "target/debug/$APP_NAME" 2>/dev/null || true' EXIT

# Waits until the home page holds $1; prints the seconds it took since $2 (epoch ns).
serves() {
    local marker=$1 since=$2
    for _ in $(seq 1 1200); do
        if curl -sf "http://127.0.0.1:$port/" 2>/dev/null | grep -q "$marker"; then
            awk -v now="$(date +%s%N)" -v since="$since" 'BEGIN { printf "%.2f\n", (now - since) / 1e9 }'
            return 0
        fi
        sleep 0.05
    done
    tail -20 "$log" >&2
    die "the page never showed $marker"
}
serves "What is already here" "$(date +%s%N)" >/dev/null

view=src/views/pages/home.rs
times=()
for round in $(seq 1 "$rounds"); do
    marker="Already here, round $round"
    start=$(date +%s%N)
    # The heading of the home page's list of features.
    sed -i -E "s/(id=\"features-title\"[^>]*>)\"[^\"]*\"/\1\"$marker\"/" "$view"
    took=$(serves "$marker" "$start")
    printf 'round %d: %ss from saving to the new page\n' "$round" "$took"
    times+=("$took")
    sleep 1
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
say "edit to new page under just dev: median ${median}s of $rounds rounds (min $(printf '%s\n' "${times[@]}" | sort -n | head -1)s, max $(printf '%s\n' "${times[@]}" | sort -n | tail -1)s)"
