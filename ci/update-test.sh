#!/usr/bin/env bash
# Tier 3: `./tenshu update` (ci/update.py). First the merge rules on small folders
# (ci/test_update.py); then the whole command on an app generated at the template's first version
# (the oldest in the history of hooks/version.rhai), after its user changed it as users do: a new
# page, an edited layout line, a changed setting, a deleted file, and a line the template also
# changed. The update to this checkout must keep every one of those, bring every template change
# the user did not touch, report the overlapping one as a conflict with markers, and leave an app
# that passes `just audit`. Also: a dry run and a dirty tree write nothing, a second update is a
# no-op, `--set uploads=true` adds the option and its tests pass, and an app without tenshu.toml
# is adopted with --from.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# The no-uploads combination of ci/combos, so the build reuses its dependencies. Its cache is
# Redis, which the app's tests talk to.
SETTINGS="uploads=false cache=redis docker=false ci=none"
"$ROOT/ci/redis.sh" || die "the update's test needs Redis on 127.0.0.1:6379 (ci/redis.sh)"

# The update renders the template as it was: it needs the repository's history.
if [ "$(git -C "$ROOT" rev-parse --is-shallow-repository)" = true ] &&
    ! git -C "$ROOT" fetch -q --unshallow; then
    warn "################################################################################"
    warn "SKIP the update's test: this clone is shallow and its history cannot be fetched"
    warn "(git fetch --unshallow failed); clone the repository whole to run it"
    warn "################################################################################"
    exit 0
fi

here=$WORK/update
rm -rf "$here"
mkdir -p "$here"
first_commit=$(git -C "$ROOT" log --reverse --format=%H -- hooks/version.rhai | awk 'NR == 1')
[ -n "$first_commit" ] || die "no version in the history of hooks/version.rhai"
version_at() {
    git -C "$ROOT" show "$1:hooks/version.rhai" | sed -n 's/.*VERSION = "\(.*\)".*/\1/p'
}
first_version=$(version_at "$first_commit")
head_version=$(version_at HEAD)

# render COMMIT FOLDER "OPTION=VALUE…" [ARGUMENT…]: the app the template at COMMIT generates, as
# FOLDER/demo-app.
render() {
    local commit=$1 folder=$2 settings=$3
    shift 3
    mkdir -p "$folder/template"
    git -C "$ROOT" archive --format=tar "$commit" | tar -x -C "$folder/template"
    # shellcheck disable=SC2046 # one word per option
    cargo generate --path "$folder/template" --name "$APP_NAME" --force --silent --vcs none \
        --destination "$folder" $(defines "$settings") "$@" >/dev/null
    rm -rf "$folder/template"
}
commit_all() {
    git add -A
    git -c user.name=CI -c user.email=ci@example.com commit -q -m "$1"
}
check() { # check DESCRIPTION COMMAND…
    local what=$1
    shift
    if "$@"; then echo "ok: $what"; else die "update: $what"; fi
}
# shellcheck disable=SC2317 # called through check
has() { grep -qF -- "$2" "$1"; }
# shellcheck disable=SC2317
lacks() { ! grep -qF -- "$2" "$1"; }
# shellcheck disable=SC2317
same() { cmp -s "$1" "$2"; }

step "update: the merge rules (ci/test_update.py)" python3 "$ROOT/ci/test_update.py"
say "update: an app generated at $first_version (${first_commit:0:12}), updated to" \
    "$head_version (HEAD)"
render "$first_commit" "$here/base" "$SETTINGS"
head_commit=$(git -C "$ROOT" rev-parse HEAD)
# As ./tenshu new and the update generate: recording the commit.
render HEAD "$here/head" "$SETTINGS" -d "tenshu_commit=$head_commit"
base=$here/base/$APP_NAME
head=$here/head/$APP_NAME
# The files both renders have, with different contents: what the template changed.
changed_files() {
    (cd "$base" && find . -type f | sed 's|^\./||' | sort) | while read -r path; do
        if [ -f "$head/$path" ] && ! cmp -s "$base/$path" "$head/$path"; then echo "$path"; fi
    done
}
# The first line of a file that the template rewrote (not only added to), or nothing.
first_rewritten_line() {
    { diff "$base/$1" "$head/$1" || true; } |
        sed -n 's/^\([0-9]*\)\(,[0-9]*\)\{0,1\}c[0-9,]*$/\1/p' | awk 'NR == 1'
}
cp -r "$base" "$here/app"
app=$here/app
cd "$app"
git init -q
commit_all "Generated from Tenshu $first_version"

# The user's changes, as a user of the app makes them by hand or with just g.
step "update: the user adds a page (just g page)" just g page pricing
sed -i 's|<footer|<footer data-owner="ours"|' src/views/layout.rs
check "the user's layout edit took" has src/views/layout.rs 'data-owner="ours"'
sed -i 's|^description = .*|description = "Pricing, plainly."|' config/default.toml
check "the user's setting took" has config/default.toml 'description = "Pricing, plainly."'
git rm -q .env.example
# A line the template changed between the two versions, changed differently by the user: the
# first line the template rewrote in a text file the user had not touched.
conflicted=""
while read -r path; do
    [[ $path == Cargo.lock || $path == tenshu.toml || $path == migration/* ]] && continue
    grep -qI . "$base/$path" || continue
    line=$(first_rewritten_line "$path")
    if [ -n "$line" ] && cmp -s "$base/$path" "$app/$path"; then
        conflicted=$path
        sed -i "${line}s|^.*\$|the user's own line, where the template changed one|" "$path"
        break
    fi
done < <(changed_files)
[ -n "$conflicted" ] ||
    die "update: the template rewrote no line between $first_version and HEAD to conflict with"
commit_all "The user's changes"
# The files the template changed and the user did not: after the update, the new template's.
untouched=()
while read -r path; do
    if cmp -s "$base/$path" "$app/$path"; then untouched+=("$path"); fi
done < <(changed_files)

"$ROOT/tenshu" update "$app" --dry-run >"$here/dry-run.txt"
check "a dry run writes nothing" test -z "$(git status --porcelain)"
check "a dry run shows the conflict to come" has "$here/dry-run.txt" "  $conflicted"

echo "# scratch" >>README.md
if "$ROOT/tenshu" update "$app" >"$here/dirty.txt" 2>&1; then
    die "update: a dirty tree was not refused"
fi
check "a dirty tree is refused, saying why" has "$here/dirty.txt" "uncommitted changes"
check "a refused update writes nothing" test "$(git status --porcelain)" = " M README.md"
git checkout -q README.md

status=0
"$ROOT/tenshu" update "$app" >"$here/update.txt" 2>&1 || status=$?
cat "$here/update.txt"
check "an update with a conflict exits 2" test $status = 2
check "the base was found among the commits of $first_version" \
    has "$here/update.txt" "from Tenshu $first_version (${first_commit:0:12})"
check "the conflict is listed" has "$here/update.txt" "  $conflicted"
check "the conflict is left with markers" has "$conflicted" "<<<<<<< your app"
if [ "$head_version" != "$first_version" ]; then
    check "the changelog's entries since $first_version are printed" \
        has "$here/update.txt" "## $head_version"
fi
check "the user's new page survived" test -f src/views/pages/pricing.rs
check "the user's new page is still routed" has src/routes.rs "pricing"
check "the user's layout edit survived" has src/views/layout.rs 'data-owner="ours"'
check "the user's setting survived" has config/default.toml 'description = "Pricing, plainly."'
check "the user's deleted file stays deleted" test ! -e .env.example
for path in "${untouched[@]}"; do
    check "the template's change arrived: $path" same "$path" "$head/$path"
done
while read -r path; do
    check "the template's new file arrived: $path" same "$path" "$head/$path"
done < <(cd "$head" && find . -type f | sed 's|^\./||' | sort | while read -r path; do
    [ -e "$base/$path" ] || echo "$path"; done)
check "tenshu.toml records $head_version" has tenshu.toml "version = \"$head_version\""
check "tenshu.toml records the commit" has tenshu.toml "commit = \"$head_commit\""
# The user takes the template's side of the conflict; the file is then the template's, which
# shows the file's other changes were merged around the conflict.
awk '/^<<<<<<< / { ours = 1; next } ours && /^=======$/ { ours = 0; next } /^>>>>>>> / { next }
     !ours' "$conflicted" >"$here/resolved"
mv "$here/resolved" "$conflicted"
check "the conflicted file got the template's other changes" same "$conflicted" "$head/$conflicted"
npm ci --no-audit --no-fund --loglevel=error
step "update: the updated app passes just audit" just audit
commit_all "Update to Tenshu $head_version"

"$ROOT/tenshu" update "$app" >"$here/again.txt"
check "a second update says there is nothing to do" has "$here/again.txt" "Nothing to do"
check "a second update starts from the recorded commit" lacks "$here/again.txt" "does not record"
check "a second update writes nothing" test -z "$(git status --porcelain)"

"$ROOT/tenshu" update "$app" --set uploads=true >"$here/set.txt"
cat "$here/set.txt"
check "--set records the option" has tenshu.toml "uploads = true"
check "--set adds the option's files" test -f src/routes/files.rs
check "--set keeps the user's layout edit" has src/views/layout.rs 'data-owner="ours"'
check "--set asks for the new migrations" has "$here/set.txt" "just migrate up"
step "update: the app with uploads turned on passes its tests" cargo test --quiet
commit_all "Uploads on"

# An app generated before tenshu.toml existed: the first version's render without it.
cp -r "$base" "$here/adopted"
cd "$here/adopted"
rm tenshu.toml
git init -q
commit_all "Generated"
adopt=(--from "$first_version")
for setting in $SETTINGS; do adopt+=(-d "$setting"); done
"$ROOT/tenshu" update "$here/adopted" "${adopt[@]}" >"$here/adopt.txt"
check "an adopted app records its version and options" has tenshu.toml 'cache = "redis"'
check "an adopted app its user never changed becomes the new template's, file for file" \
    diff -r --exclude=.git "$here/adopted" "$head"
say "update: every check passed"
