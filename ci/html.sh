#!/usr/bin/env bash
# Checks every page and email of a generated app as its visitors get them: boots the app in
# development (mail into the outbox), makes an administrator and a user, then runs
# ci/html/check.mjs: the Nu Html Checker (Java) and axe in headless Chromium, at desktop and
# phone widths. Fails on any Nu error or serious axe violation.
# Usage: ci/html.sh APP_DIR (after `cargo test` built target/debug/$APP_NAME).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

app=$1
binary=$CARGO_TARGET_DIR/debug/$APP_NAME
[ -x "$binary" ] || die "$binary is missing: run cargo test (or build) first"

# The checkers, from npm with their lockfile, outside the repository (cargo-generate copies it).
tools=$WORK/html
mkdir -p "$tools"
cp "$ROOT/ci/html/package.json" "$ROOT/ci/html/package-lock.json" "$ROOT/ci/html/.npmrc" \
    "$ROOT/ci/html/check.mjs" "$tools/"
(cd "$tools" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
command -v java >/dev/null || die "the Nu Html Checker needs Java: apt install default-jre-headless"
"$ROOT/ci/chromium.sh" || die "the page checks need Chromium: apt install chromium"
chromium=$(command -v chromium || command -v google-chrome)

serve_for_checks "$app" "$binary"
# Mail of the kind no form sends: the test message.
"$binary" mail test ops@example.com >/dev/null

# What `just g` wrote (ci/generators.sh): pages, and the resources of scaffolds.
generated=$(generated_pages "$app" | tr '\n' ' ')
scaffolds=$(generated_scaffolds "$app" | tr '\n' ' ')

out=$WORK/html-report
rm -rf "$out"
status=0
ROUTES=$ROUTES GENERATED_PAGES=$generated GENERATED_SCAFFOLDS=$scaffolds OUTBOX_DIR=$app/data/mail VNU_JAR=$tools/node_modules/vnu-jar/build/dist/vnu.jar \
    CHROMIUM=$chromium node "$tools/check.mjs" "$SERVED_URL" "$out" || status=$?
stop_served
exit $status
