# Shared by the scripts of ci/: paths, logging, and reading cargo-generate.toml.
# shellcheck shell=bash

if [ "${BASH_VERSINFO[0]}" -lt 4 ]; then
    echo "error: these scripts need bash 4 or later (on macOS: brew install bash)" >&2
    exit 1
fi
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Everything CI generates lives outside the repository: cargo-generate --path copies the working
# tree, and a Cargo project inside it would be picked up by the next generation.
WORK=${TENSHU_WORK:-${TMPDIR:-/tmp}/tenshu-ci}
# One target folder for every generated app, which keeps the same crate name: dependencies are
# compiled once for all combinations.
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$WORK/target}
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
# The crate name of every generated app, so builds share artifacts.
APP_NAME=demo-app
# hadolint and check-jsonschema, installed by ci/linters.sh, lint the generated Docker and GitHub
# files (ci/combos.sh).
LINT_VENV=$WORK/lint
# moto's S3 server (ci/s3.sh), for the uploads' S3 tests: where it is installed, where it listens,
# and the bucket it holds.
S3_VENV=$WORK/s3
S3_ENDPOINT=http://127.0.0.1:9310
S3_BUCKET=uploads-test

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
warn() { printf '\033[1;33m%s\033[0m\n' "$*" >&2; }
die() { printf '\033[1;31merror: %s\033[0m\n' "$*" >&2; exit 1; }

# step LABEL COMMAND…: runs the command, prints how long it took, records the outcome in TIMINGS.
TIMINGS=()
step() {
    local label=$1; shift
    local start=$SECONDS status=0
    say "$label"
    "$@" || status=$?
    local took=$((SECONDS - start))
    TIMINGS+=("$(printf '%-44s %4ds %s' "$label" "$took" "$([ $status -eq 0 ] && echo ok || echo FAILED)")")
    return $status
}

print_timings() {
    printf '\n%s\n' "${TIMINGS[@]}"
}

# The options of the template, one line each: the name, then every value CI renders.
# cargo-generate.toml keeps one placeholder per line for this reason. Call it as
# `options=$(template_options) || exit 1`: a placeholder CI cannot render is an error.
template_options() {
    local line name
    while IFS= read -r line; do
        name=${line%% *}
        if [[ $line =~ type\ =\ \"bool\" ]]; then
            echo "$name true false"
        elif [[ $line =~ choices\ =\ \[([^]]*)\] ]]; then
            echo "$name $(tr -d '",' <<<"${BASH_REMATCH[1]}")"
        else
            echo "error: placeholder $name: CI renders bool and choice placeholders only" >&2
            return 1
        fi
    done < <(awk '/^\[placeholders\]/ { inside = 1; next } /^\[/ { inside = 0 }
                  inside && /^[a-z_]+ = \{/' "$ROOT/cargo-generate.toml")
}

# Every combination of option values, one per line: "database=sqlite auth=true …".
all_combinations() {
    local combos=("") next name values combo value options
    options=$(template_options) || return 1
    while read -r name values; do
        next=()
        for combo in "${combos[@]}"; do
            for value in $values; do
                next+=("${combo:+$combo }$name=$value")
            done
        done
        combos=("${next[@]}")
    done <<<"$options"
    printf '%s\n' "${combos[@]}"
}

# The files that go through Liquid (the `include` list of cargo-generate.toml).
liquid_files() {
    awk '/^include = \[/ { inside = 1; next } inside && /^\]/ { inside = 0 } inside' \
        "$ROOT/cargo-generate.toml" | tr -d ' ",'
}

# Lines of a data file of ci/, without comments and blank lines.
data_lines() {
    grep -v '^[[:space:]]*\(#\|$\)' "$ROOT/ci/$1"
}

# generate DESTINATION [cargo-generate arguments…]: renders the template as DESTINATION/$APP_NAME
# unless the arguments name the project otherwise.
generate() {
    local destination=$1; shift
    rm -rf "$destination"
    mkdir -p "$destination"
    cargo generate --path "$ROOT" --silent --vcs none --destination "$destination" "$@"
}

# as_root COMMAND…: runs the command as root, directly or through passwordless sudo. Fails, without
# running anything, when neither is possible. Used to install system packages.
as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    else
        return 1
    fi
}

# Whether system packages can be installed here (apt-get, as root or through passwordless sudo).
can_apt_install() {
    command -v apt-get >/dev/null && as_root true
}

# install_for_tests WHAT PACKAGE…: installs what the tests need from the system packages, only
# when TENSHU_INSTALL_SERVICES=1 (.ci/run sets it) and apt-get can be used. Fails otherwise.
install_for_tests() {
    local what=$1; shift
    [ "${TENSHU_INSTALL_SERVICES:-0}" = 1 ] && can_apt_install || return 1
    say "installing $what from the system packages"
    as_root apt-get update -qq && as_root apt-get install -y -qq "$@" >/dev/null
}

# "database=postgres auth=false" → "-d database=postgres -d auth=false"
defines() {
    local option
    for option in $1; do
        printf -- '-d %s ' "$option"
    done
}

# generated_pages APP_DIR: the URLs of the pages `just g page` wrote (ci/generators.sh), from
# the paths of src/paths/ (where the template has none of its own), one a line.
generated_pages() {
    grep -L '/{id}/edit")' "$1"/src/paths/*.rs 2>/dev/null |
        xargs -r sed -n 's|^#\[typed_path("\(/[^"{]*\)")\]$|\1|p' || true
}

# generated_scaffolds APP_DIR: the lists of the resources `just g scaffold` wrote, one a line
# (their forms are LIST/new, their rows LIST/ID).
generated_scaffolds() {
    grep -l '/{id}/edit")' "$1"/src/paths/*.rs 2>/dev/null |
        xargs -r sed -n 's|^#\[typed_path("\(/[^"{/]*\)")\]$|\1|p' | grep -v '/new$' || true
}

# serve_for_checks APP_DIR BINARY: in APP_DIR, starts the app on a blank development database
# (mail into the outbox) with an administrator and a user when it has accounts, and waits until it
# is ready. Sets SERVED_URL, SERVED_PID, SERVED_LOG and ROUTES (its `routes`), and exports
# ADMIN_EMAIL, ADMIN_PASSWORD, USER_EMAIL, USER_PASSWORD (and, with the oauth option, the
# settings of a provider "test" served by tests/oidc/provider.mjs). Stop it with stop_served.
serve_for_checks() {
    local app=$1 binary=$2 port=18180
    cd "$app"
    rm -rf data
    "$binary" migrate fresh >/dev/null
    ROUTES=$("$binary" routes)
    export ADMIN_EMAIL=admin@example.com USER_EMAIL=user@example.com ADMIN_PASSWORD="" USER_PASSWORD=""
    if grep -q "/login" <<<"$ROUTES"; then
        ADMIN_PASSWORD=$("$binary" user create "$ADMIN_EMAIL" --admin | sed -n 's/^password: //p')
        USER_PASSWORD=$("$binary" user create "$USER_EMAIL" | sed -n 's/^password: //p')
    fi
    while (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; do port=$((port + 1)); done
    # By name, as visitors reach a site: passkeys are off on an IP address.
    SERVED_URL=http://localhost:$port
    SERVED_LOG=$(mktemp)
    # With the oauth option, a real OpenID provider (the app's own test provider) as provider
    # "test": it runs until this shell ends, which closes its standard input.
    if [ -f tests/oidc/provider.mjs ] && [ -z "${APP_OAUTH__PROVIDERS__TEST__ISSUER:-}" ]; then
        coproc OIDC_PROVIDER { exec node tests/oidc/provider.mjs "$SERVED_URL/login/oauth/test/callback" 2>/dev/null; }
        read -r -t 30 APP_OAUTH__PROVIDERS__TEST__ISSUER <&"${OIDC_PROVIDER[0]}" ||
            die "the test OpenID provider did not start (npm ci --prefix tests/oidc?)"
        export APP_OAUTH__PROVIDERS__TEST__ISSUER APP_OAUTH__PROVIDERS__TEST__LABEL="Test ID" \
            APP_OAUTH__PROVIDERS__TEST__CLIENT_ID=tenshu-test \
            APP_OAUTH__PROVIDERS__TEST__CLIENT_SECRET=tenshu-test-secret
    fi
    APP_SERVER__PORT=$port APP_SERVER__PUBLIC_URL=$SERVED_URL "$binary" serve >"$SERVED_LOG" 2>&1 &
    SERVED_PID=$!
    trap 'kill -KILL $SERVED_PID 2>/dev/null || true' EXIT
    for _ in $(seq 1 120); do
        curl -fsS "$SERVED_URL/ready" >/dev/null 2>&1 && return 0
        kill -0 $SERVED_PID 2>/dev/null || break
        sleep 0.5
    done
    cat "$SERVED_LOG" >&2
    die "the app did not start"
}

# stop_served: SIGTERM to the app serve_for_checks started, and its data and log removed.
stop_served() {
    kill -TERM "$SERVED_PID" 2>/dev/null || true
    wait "$SERVED_PID" || true
    rm -rf data "$SERVED_LOG"
}
