#!/usr/bin/env bash
# Tier 2: for each combination of ci/combos (or those named as arguments), generate the app, run
# its generators in three of them (ci/generators.sh), and run what its own CI would: `just audit`
# (CSS build, cargo fmt --check, cargo clippy -D warnings, cargo test against the real database),
# then boot it (ci/boot.sh), send it hostile requests
# (ci/hostile.sh) and, for sqlite, check every page and email (ci/html.sh: Nu, axe).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

declare -A options
order=()
while read -r name settings; do
    options[$name]=$settings
    order+=("$name")
done < <(data_lines combos)
selected=("$@")
[ ${#selected[@]} -gt 0 ] || selected=("${order[@]}")

# name version pairs of a Cargo.lock
lock_pairs() {
    awk '/^name = / { name = $3 } /^version = / { print name, $3 }' "$1" | tr -d '"' | sort -u
}

# What `just setup` installs from npm: the app's packages, and those of the servers its tests
# start (tests/*/package.json, such as the OpenID provider of the oauth option).
install_npm_packages() {
    npm ci --no-audit --no-fund --loglevel=error || return 1
    local dir
    for dir in tests/*/; do
        [ ! -f "$dir/package.json" ] || npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error || return 1
    done
}

# Fails when cargo had to resolve a dependency the template's Cargo.lock does not pin.
lockfile_is_complete() {
    local fresh
    fresh=$(comm -13 <(lock_pairs "$ROOT/template/Cargo.lock") <(lock_pairs Cargo.lock) |
        grep -v "^$APP_NAME " || true)
    if [ -n "$fresh" ]; then
        warn "template/Cargo.lock does not pin these (update it from a generated app):"
        warn "$fresh"
        return 1
    fi
}

# The `livereload` feature (`just dev`) compiles clippy-clean and its test passes.
live_reload_works() {
    cargo clippy --quiet --all-targets --features livereload -- -D warnings &&
        cargo test --quiet --features livereload --test app under_just_dev
}

# The combinations whose apps also get generated code (ci/generators.sh) before their audit: one
# per database, and one without accounts.
WITH_GENERATORS=" sqlite postgres no-auth "

# With the task queue: the kill test again, showing what it prints (how many of 1,000 tasks ran
# twice after the worker was SIGKILLed), which `just audit` keeps quiet.
durability_report() {
    grep -q "^mod tasks_worker;" tests/app/main.rs || return 0
    local report
    report=$(cargo test --quiet --test app every_task_survives -- --nocapture 2>&1) || {
        echo "$report"
        return 1
    }
    grep "killed with" <<<"$report"
}

# The files of the `docker` and `ci` options, when generated: the Dockerfile by hadolint, the
# compose file and the workflow against their published schemas. (No Docker engine runs here.)
deployment_files_lint() {
    local linted=0
    if [ -f Dockerfile ]; then
        "$LINT_VENV/bin/hadolint" Dockerfile || return 1
        "$LINT_VENV/bin/check-jsonschema" --builtin-schema vendor.compose-spec compose.yaml || return 1
        linted=1
    fi
    if [ -f .github/workflows/ci.yml ]; then
        "$LINT_VENV/bin/check-jsonschema" --builtin-schema vendor.github-workflows \
            .github/workflows/ci.yml || return 1
        linted=1
    fi
    [ $linted = 1 ] || echo "no Docker or CI files in this combination"
}

# The end-to-end tests in headless Chromium, or a loud skip when it cannot be had.
browser_tests() {
    if ! "$ROOT/ci/chromium.sh"; then
        warn "################################################################################"
        warn "SKIP the browser tests of $1: no Chromium and chromedriver (run .ci/run, or"
        warn "apt install chromium chromium-driver)"
        warn "################################################################################"
        skipped+=("$1 (browser tests)")
        return 0
    fi
    just test-browser
}

# Every page and email through the Nu checker and axe (ci/html.sh), or a loud skip when Java or
# Chromium cannot be had.
html_checks() {
    local missing
    if ! command -v java >/dev/null &&
        ! install_for_tests "a Java runtime (for the Nu Html Checker)" default-jre-headless; then
        missing="Java (apt install default-jre-headless)"
    elif ! "$ROOT/ci/chromium.sh"; then
        missing="Chromium (apt install chromium chromium-driver)"
    else
        "$ROOT/ci/html.sh" "$2"
        return
    fi
    warn "################################################################################"
    warn "SKIP the Nu and axe checks of $1: no $missing"
    warn "################################################################################"
    skipped+=("$1 (Nu and axe)")
}

# The uploads' tests against an S3 bucket (moto's S3 server, ci/s3.sh), or a loud skip when no
# server can be had.
s3_tests() {
    [ -f tests/app/uploads_s3.rs ] || { echo "no uploads in this combination"; return 0; }
    if ! "$ROOT/ci/s3.sh"; then
        warn "################################################################################"
        warn "SKIP the S3 upload tests of $1: no S3 server (ci/s3.sh installs moto from PyPI)"
        warn "################################################################################"
        skipped+=("$1 (S3 uploads)")
        return 0
    fi
    TEST_S3_ENDPOINT=$S3_ENDPOINT TEST_S3_BUCKET=$S3_BUCKET \
        cargo test --quiet --test app uploads_s3 -- --ignored
}

# service_or_skip NAME SCRIPT WHAT: runs ci/SCRIPT, which starts (or, under .ci/run, installs)
# a server; when it cannot, records combination NAME as skipped, loudly, and fails.
service_or_skip() {
    "$ROOT/ci/$2" && return 0
    warn "################################################################################"
    warn "SKIP $1: no $3 (run .ci/run, or start one)"
    warn "################################################################################"
    skipped+=("$1")
    return 1
}

"$ROOT/ci/linters.sh"
passed=() failed=() skipped=()
for name in "${selected[@]}"; do
    settings=${options[$name]:-}
    [ -n "$settings" ] || die "no combination named $name in ci/combos"
    say "combination $name: $settings"
    # The servers the combination's tests talk to, or a loud SKIP.
    if [[ " $settings " == *" database=postgres "* ]] &&
        ! service_or_skip "$name" postgres.sh "Postgres server on 127.0.0.1:5432"; then
        continue
    fi
    if [[ " $settings " == *" cache=redis "* ]] &&
        ! service_or_skip "$name" redis.sh "Redis server on 127.0.0.1:6379"; then
        continue
    fi
    destination=$WORK/combos/$name
    app=$destination/$APP_NAME
    # shellcheck disable=SC2046 # one word per option
    if step "$name: generate" generate "$destination" --name "$APP_NAME" $(defines "$settings") >/dev/null &&
        cd "$app" &&
        step "$name: npm ci (the app's, and its test servers')" install_npm_packages &&
        { [[ $WITH_GENERATORS != *" $name "* ]] || step "$name: just g (models, migrations, refusals)" "$ROOT/ci/generators.sh"; } &&
        step "$name: dependencies point one way (engines, module cycles)" python3 "$ROOT/ci/structure.py" "$app" &&
        step "$name: just audit (fmt, clippy, test)" just audit &&
        step "$name: Cargo.lock pins every dependency" lockfile_is_complete &&
        step "$name: lint the Docker and CI files" deployment_files_lint &&
        step "$name: boot and stop" "$ROOT/ci/boot.sh" "$app" &&
        step "$name: hostile requests to the booted app" "$ROOT/ci/hostile.sh" "$app" &&
        step "$name: browser tests (headless Chromium)" browser_tests "$name" &&
        step "$name: tasks survive a killed worker" durability_report &&
        { [ "$name" != sqlite ] || step "$name: every page and email: Nu checker and axe" html_checks "$name" "$app"; } &&
        { [ "$name" != sqlite ] || step "$name: uploads to an S3 bucket" s3_tests "$name"; } &&
        { [ "$name" != sqlite ] || step "$name: the livereload feature of just dev" live_reload_works; }
    then
        passed+=("$name")
    else
        failed+=("$name")
    fi
    cd "$ROOT"
done

print_timings
echo
[ ${#passed[@]} -eq 0 ] || say "passed: ${passed[*]}"
[ ${#skipped[@]} -eq 0 ] || warn "SKIPPED (not tested!): ${skipped[*]}"
[ ${#failed[@]} -eq 0 ] || die "failed: ${failed[*]}"
