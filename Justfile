# Tenshu: a cargo-generate template for full-stack Rust web apps. On a machine without `just`,
# run these through ./tenshu, which installs it. `just` alone lists the recipes.

set shell := ["bash", "-euo", "pipefail", "-c"]
# Where this repository is, for recipes that run where they were called from ([no-cd]).
export TENSHU_ROOT := justfile_directory()

# List the recipes
default:
    @just --list --unsorted

# Generate the default app (SQLite) as DIR/NAME (default: next to this repository), set it up and start it
new NAME DIR="":
    ci/new.sh "{{NAME}}" "{{ if DIR == "" { parent_directory(justfile_directory()) } else { absolute_path(join(invocation_directory(), DIR)) } }}"

# Bring the template's changes since the app at PATH was generated into it, keeping the app's own
# changes (a three-way merge per file). Options: --dry-run, --to VERSION, --set OPTION=VALUE, and
# --from VERSION -d OPTION=VALUE… for an app without tenshu.toml (`just update x --help`)
[no-cd]
[positional-arguments]
update PATH *ARGS:
    @"$TENSHU_ROOT/ci/update.py" "$@"

# The whole test suite: every combination renders, the named ones build, pass their tests and boot
test: render combos update-test

# Tier 1: render every combination of options, look for leftover Liquid, check the refusals
render:
    ci/render.sh

# Tier 2: lint, test and boot the combinations named in ci/combos (all, or those given)
combos *NAMES:
    ci/combos.sh {{NAMES}}

# Tier 3: `just update` brings a later template into an app generated at the first version, with
# its user's changes (ci/update-test.sh)
update-test:
    ci/update-test.sh

# The generated app's benchmarks: `pages` (requests/s through the whole stack against bare axum),
# `release` (the release binary's size, time to /ready and memory), `tasks` (the task queue's
# tasks/s on SQLite and Postgres) or `edit` (from saving a view to the new page under `just dev`)
bench WHAT="pages":
    ci/bench.sh {{WHAT}}
