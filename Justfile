# Tenshu: a cargo-generate template for full-stack Rust web apps. On a machine without `just`,
# run these through ./tenshu, which installs it. `just` alone lists the recipes.

set shell := ["bash", "-euo", "pipefail", "-c"]

# List the recipes
default:
    @just --list --unsorted

# Generate the default app (SQLite) as DIR/NAME (default: next to this repository), set it up and start it
new NAME DIR="":
    ci/new.sh "{{NAME}}" "{{ if DIR == "" { parent_directory(justfile_directory()) } else { absolute_path(join(invocation_directory(), DIR)) } }}"

# The whole test suite: every combination renders, the named ones build, pass their tests and boot
test: render combos

# Tier 1: render every combination of options, look for leftover Liquid, check the refusals
render:
    ci/render.sh

# Tier 2: lint, test and boot the combinations named in ci/combos (all, or those given)
combos *NAMES:
    ci/combos.sh {{NAMES}}

# The generated app's benchmarks: `pages` (requests/s through the whole stack against bare axum),
# `release` (the release binary's size, time to /ready and memory), `tasks` (the task queue's
# tasks/s on SQLite and Postgres) or `edit` (from saving a view to the new page under `just dev`)
bench WHAT="pages":
    ci/bench.sh {{WHAT}}
