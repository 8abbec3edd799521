#!/usr/bin/env bash
# The generators of a generated app (`just g`), as a user runs them: models and scaffolds that
# together use every field type, optional and unique fields, references between generated tables
# (and to users, with accounts), --owned, migrations of each kind; then the refusals, each of which must write nothing, and a
# template broken on purpose, which must leave the tree as it was. What they wrote is then checked
# by the app's own `just audit` (fmt, clippy, the generated tests on the real database, every
# migration down and up again), which ci/combos.sh runs next.
# Usage (in the app's folder): ci/generators.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"

failures=0
fail() { warn "  FAIL: $*"; failures=$((failures + 1)); }

# A repository of its own, so `git status` tells what a command wrote.
git init -q . && git add -A && git -c user.name=ci -c user.email=ci@example.com commit -qm generated
clean() { [ -z "$(git status --porcelain)" ]; }

# generates COMMAND…: the generator succeeds and writes something.
generates() {
    local output
    if output=$(just g "$@" 2>&1) && ! clean; then
        echo "  ok: just g $*"
        git add -A && git -c user.name=ci -c user.email=ci@example.com commit -qm "just g $*"
    else
        fail "just g $*:"; echo "$output" >&2
    fi
}

# refuses REASON COMMAND…: the generator fails, says REASON, and writes nothing.
refuses() {
    local reason=$1 output status=0; shift
    output=$(just g "$@" 2>&1) || status=$?
    if [ $status = 0 ]; then
        fail "just g $* was accepted"
    elif [[ $output != *"$reason"* ]]; then
        fail "just g $* did not say \"$reason\":"; echo "$output" >&2
    elif ! clean; then
        fail "just g $* was refused but wrote:"; git status --short >&2
    else
        echo "  ok: refused: just g $* ($reason)"
    fi
    git checkout -q . && git clean -qfd
}

just g >/dev/null || fail "just g alone (the list of kinds) failed"
if [ -f src/models/user.rs ]; then
    owner=(owner:references:users)
    editor=(editor:references:users?)
else
    owner=() editor=()
fi
generates model author name:string:unique bio:text? born_on:date? rating:float? "${editor[@]}"
generates model book title:string isbn:string:unique summary:text? pages:int views:bigint \
    price:decimal in_print:bool published_at:datetime? token:uuid:unique extra:json? \
    status:enum:draft,in_review,published author:references:authors "${owner[@]}"
generates model chapter book:references:books title:string position:int parent:references:chapters?
generates migration add_subtitle_to_books subtitle:string edition:int?:unique
# As the command says, the new columns go into the model by hand (and out again below).
sed -i 's/^    pub created_at: OffsetDateTime,/    pub subtitle: String,\n    pub edition: Option<i32>,\n&/' \
    src/models/book.rs
commit() { git -c user.name=ci -c user.email=ci@example.com commit -qam "$1"; }
commit "the new columns in the model"
refuses "has a column" migration add_subtitle_again_to_books subtitle:string
refuses "has no column" migration remove_colour_from_books colour:string
generates migration remove_subtitle_from_books subtitle:string
sed -i '/^    pub subtitle: String,$/d' src/models/book.rs
commit "the removed column out of the model"
generates migration backfill_book_slugs
# Scaffolds that together use every field type, optional and unique fields, references to a
# scaffolded table, to a model's table, to users and to their own table; one with --owned and
# --nav (with accounts). ci/html.sh fills in their forms in the browser, in this order.
generates scaffold publisher name:string:unique website:string? founded_on:date? about:text? \
    "${editor[@]}"
generates scaffold review title:string body:text rating:int score:float? price:decimal? \
    recommended:bool reviewed_at:datetime? code:uuid:unique extra:json? mood:enum:glad,sad? \
    publisher:references:publishers book:references:books? --nav
if [ -f src/models/user.rs ]; then
    generates scaffold reading_note body:text pinned:bool? views:bigint:unique \
        follows:references:reading_notes? --owned --nav
    refuses "owner's column" scaffold shelf user:references:users --owned
else
    refuses "needs accounts" scaffold reading_note body:text --owned
    generates scaffold reading_note body:text pinned:bool? views:bigint:unique \
        follows:references:reading_notes? --nav
fi
refuses "exists already" scaffold review title:string
refuses "exists already" scaffold book title:string
refuses "at least one field" scaffold shelf
refuses "clash" scaffold page title:string
refuses "clash" scaffold input title:string
refuses "no plural" scaffold news title:string
refuses "unexpected argument" scaffold shelf name:string --public
refuses "does not exist" scaffold shelf book:references:nothings
output=$(just g scaffold shelf name:string --dry-run) && [[ $output == *"would create"* ]] && clean ||
    fail "scaffold --dry-run wrote something, or printed no plan"
if [ -f src/tasks.rs ]; then
    generates task resize_cover
    refuses "exists already" task send_email
    refuses "exists already" task delete_expired_sessions
else
    refuses "no task queue" task resize_cover
fi
generates email book_published
generates page reading_list
refuses "a page of the app already" page about
refuses "a page of the app already" page reading_list
refuses "the app's own" page dev
refuses "exists already" page pages
refuses "exists already" email book_published
refuses "shared layout" email layout

output=$(just g model shelf name:string --dry-run) && [[ $output == *"would create"* ]] && clean ||
    fail "--dry-run wrote something, or printed no plan"
refuses "not snake_case" model Book title:string
refuses "Rust keyword" model type title:string
refuses "reads as a plural" model shelves name:string
refuses "unknown type" model shelf title:varchar
refuses "unexpected argument" model shelf name:string --owned-by-nobody
refuses "exists already" model book title:string
refuses "exists already" model session data:text
refuses "does not exist" model shelf_item book:references:nothings
refuses "exists already" migration create_books title:string
refuses "no table" migration add_colour_to_nothings colour:string
refuses "make it optional" migration add_released_on_to_books released_on:date
refuses "given twice" model shelf name:string name:text
refuses "reads the same" model shelf a1:int a_1:int
refuses "called \`table\`" model shelf table:string
refuses "clash" model shelf date:enum:a,b
refuses "clash" page page
refuses "uses already" page session
refuses "exists already" migration create_seaql_migrations
refuses "same value" migration add_code_to_books code:string:unique
# A template that renders code rustfmt cannot parse: every file of the plan is written first, so
# this checks that they are all taken back.
echo 'fn (' >>generate/templates/model/test.rs.jinja
git add generate/templates && git -c user.name=ci -c user.email=ci@example.com commit -qm broken
refuses "does not parse" model shelf name:string
git reset -q --hard HEAD~1

[ $failures = 0 ] || die "$failures generator checks failed"
