#!/usr/bin/env bash
# Boots a generated app as a user would: its CLI commands, then `serve` with the development
# configuration: wait for /ready, fetch the pages, SIGTERM, and expect a clean exit.
# Usage: ci/boot.sh APP_DIR (after `cargo test` built target/debug/$APP_NAME).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

app=$1
binary=$CARGO_TARGET_DIR/debug/$APP_NAME
cd "$app"
[ -x "$binary" ] || die "$binary is missing: run cargo test (or build) first"
failures=0
check() { # check DESCRIPTION COMMAND…
    local description=$1; shift
    if "$@"; then echo "  ok: $description"; else warn "  FAIL: $description"; failures=$((failures + 1)); fi
}
has() { [[ $2 == *"$1"* ]]; }
quietly() { "$@" >/dev/null 2>&1; }
# stop_and_check WHAT PID LOG MESSAGE: SIGTERM, then expect exit code 0 and MESSAGE in the log
# (which is printed when any check failed so far).
stop_and_check() {
    local what=$1 pid=$2 log=$3 message=$4 exit_code=0
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" || exit_code=$?
    check "SIGTERM ends the $what with exit code 0 (got $exit_code)" test $exit_code = 0
    check "the $what logged \"$message\" on the way out" grep -q "$message" "$log"
    if [ $failures -gt 0 ]; then
        warn "$what log:"; cat "$log" >&2
    fi
    rm -f "$log"
}

# Start from a blank development database: a new SQLite file, or a Postgres database emptied of an
# earlier run's tables (and its accounts).
rm -rf data
check "migrate fresh empties the development database" quietly "$binary" migrate fresh
routes=$("$binary" routes)
check "routes lists the about page" has "routes::pages::about" "$routes"
secret=$("$binary" secret)
check "secret prints 64 random bytes in hex" test "${#secret}" -eq 128
status=$("$binary" migrate up >/dev/null && "$binary" migrate status)
check "migrate status lists applied migrations" has "applied m20260101_000001_create_sessions" "$status"
# A new version started before `migrate up`: /health answers, /ready says 503, and the log names
# the command to run.
port=18080
while (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; do port=$((port + 1)); done
quietly "$binary" migrate down -n 1000
log=$(mktemp)
APP_DATABASE__MIGRATE_ON_START=false APP_SERVER__PORT=$port "$binary" serve >"$log" 2>&1 &
pid=$!
trap 'kill -KILL $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.5
done
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/ready")
check "/ready answers 503 before migrate up (got $code)" test "$code" = 503
check "serve logs that migrate up is needed" grep -q 'run `migrate up`' "$log"
stop_and_check "server started before migrate up" $pid "$log" "services stopped"
check "migrate up applies them" quietly "$binary" migrate up
refused=$(APP_ENVIRONMENT=production "$binary" migrate fresh 2>&1 || true)
check "migrate fresh is refused in production" has "refused in production" "$refused"
refused=$(APP_ENVIRONMENT=production "$binary" serve 2>&1 || true)
check "production refuses the development secret key" has "secret_key is the development default" "$refused"
check "doctor passes the development configuration" quietly "$binary" doctor
diagnosis=$(APP_ENVIRONMENT=production "$binary" doctor 2>&1 || true)
check "doctor finds the development secret key in production, with its fix" \
    has "PROBLEM  secret_key is the development default" "$diagnosis"
sent=$("$binary" mail test ops@example.com 2>&1 || true)
check "mail test writes to the development outbox" has "sent a test email to ops@example.com into the outbox" "$sent"
# The auth option: its routes and its command, when the app has accounts.
accounts=0
has "/login" "$routes" && accounts=1
if [ $accounts = 1 ]; then
    created=$("$binary" user create admin@example.com --admin 2>&1 || true)
    check "user create --admin prints the password once" has "password: " "$created"
    again=$("$binary" user create admin@example.com 2>&1 || true)
    check "user create refuses a taken email" has "exists already" "$again"
fi

base=http://127.0.0.1:$port
log=$(mktemp)
APP_SERVER__PORT=$port "$binary" serve >"$log" 2>&1 &
pid=$!
# Whatever happens below, do not leave the server running.
trap 'kill -KILL $pid 2>/dev/null || true' EXIT
ready=0
for _ in $(seq 1 120); do
    if curl -fsS "$base/ready" >/dev/null 2>&1; then ready=1; break; fi
    kill -0 $pid 2>/dev/null || break
    sleep 0.5
done
check "the server answers /ready" test $ready = 1
if [ $ready = 1 ]; then
    home=$(curl -fsS "$base/" || true)
    check "the home page renders" has "<h1" "$home"
    again=$(curl -fsS -D - -o /dev/null "$base/" || true)
    check "the home page comes from the page cache the second time" has "x-cache: hit" "$again"
    check "the about page renders" curl -fsS -o /dev/null "$base/about"
    check "the contact page renders" curl -fsS -o /dev/null "$base/contact"
    check "/health answers" curl -fsS -o /dev/null "$base/health"
    outbox=$(curl -fsS "$base/dev/mail" || true)
    check "/dev/mail shows the test email" has "Test email from" "$outbox"
    if [ $accounts = 1 ]; then
        check "the sign-in page renders" curl -fsS -o /dev/null "$base/login"
        check "the registration page renders" curl -fsS -o /dev/null "$base/register"
        code=$(curl -s -o /dev/null -w '%{http_code}' "$base/account")
        check "the account page sends visitors to sign in (303, got $code)" test "$code" = 303
    fi
    # With accounts, the admin signs in as a browser without JavaScript would, into the cookie jar.
    jar=$(mktemp)
    if [ $accounts = 1 ]; then
        password=$(sed -n 's/.*password: \([^ ]*\).*/\1/p' <<<"$created")
        token=$(curl -fsS -c "$jar" "$base/login" | grep -o 'name="csrf_token" value="[^"]*"' |
            head -1 | sed 's/.*value="//; s/"$//')
        curl -fsS -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf_token=$token" \
            --data-urlencode "email=admin@example.com" --data-urlencode "password=$password" \
            "$base/login" || true
    fi
    # The uploads option: as a browser without JavaScript, the admin (signed in above) uploads a PNG
    # through the form (its CSRF token in the action) and downloads it back.
    if has "/files" "$routes"; then
        code=$(curl -s -o /dev/null -w '%{http_code}' "$base/files")
        check "the files page sends visitors to sign in (303, got $code)" test "$code" = 303
        png=$(mktemp) back=$(mktemp)
        printf '\x89PNG\r\n\x1a\n\0\0\0\rIHDR' >"$png"
        action=$(curl -fsS -b "$jar" "$base/files" | grep -o 'action="/files?csrf_token=[^"]*"' |
            sed 's/action="//; s/"$//')
        code=$(curl -s -b "$jar" -o /dev/null -w '%{http_code}' \
            -F "file=@$png;filename=photo.png;type=application/octet-stream" "$base$action")
        check "a signed-in user uploads a PNG (303, got $code)" test "$code" = 303
        download=$(curl -fsS -b "$jar" "$base/files" | grep -o 'href="/files/[^"]*"' | head -1 |
            sed 's/href="//; s/"$//')
        curl -fsS -b "$jar" -o "$back" "$base$download" || true
        check "the uploaded file downloads as it was sent" cmp -s "$png" "$back"
        rm -f "$png" "$back"
    fi
    # What `just g` wrote (ci/generators.sh): each page, and each scaffold's list and form. Pages
    # whose rows have owners send visitors to sign in, and render for the signed-in admin.
    for path in $(generated_pages "$app") $(generated_scaffolds "$app" | sed 'p; s|$|/new|'); do
        code=$(curl -s -o /dev/null -w '%{http_code}' "$base$path")
        if [ "$code" = 303 ] && [ $accounts = 1 ]; then
            code=$(curl -s -b "$jar" -o /dev/null -w '%{http_code}' "$base$path")
        fi
        check "$path, written by just g, renders (200, got $code)" test "$code" = 200
    done
    rm -f "$jar"
    stylesheet=$(sed -n 's/.*<link rel="stylesheet" href="\([^"]*\)".*/\1/p' <<<"$home")
    check "the hashed stylesheet is served" curl -fsS -o /dev/null "$base$stylesheet"
    code=$(curl -s -o /dev/null -w '%{http_code}' "$base/no/such/page")
    check "an unknown page answers 404" test "$code" = 404
    code=$(curl -s -o /dev/null -w '%{http_code}' -H 'x-forwarded-for: 203.0.113.9' "$base/dev/mail")
    check "/dev/mail answers no request relayed by a proxy (404, got $code)" test "$code" = 404
fi
stop_and_check server $pid "$log" "services stopped"

# The tasks option: the worker also runs alone, and stops cleanly on SIGTERM.
if "$binary" --help | grep -q "^  worker"; then
    log=$(mktemp)
    "$binary" worker >"$log" 2>&1 &
    worker=$!
    trap 'kill -KILL $pid $worker 2>/dev/null || true' EXIT
    started=0
    for _ in $(seq 1 60); do
        if grep -q "task worker started" "$log"; then started=1; break; fi
        kill -0 $worker 2>/dev/null || break
        sleep 0.5
    done
    check "the worker command starts the task worker" test $started = 1
    stop_and_check worker $worker "$log" "task worker stopped"
fi
rm -rf data
[ $failures = 0 ]
