#!/usr/bin/env bash
# `just new NAME [DIR]`: generate the default app as DIR/NAME, set it up, start it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

name=$1
mkdir -p "$2"
parent=$(cd "$2" && pwd)
case "$parent/" in
    "$ROOT"/*) die "generate outside this repository (cargo generate copies the whole folder): pick another DIR" ;;
esac
[ ! -e "$parent/$name" ] || die "$parent/$name already exists"
# --force keeps the name as typed (the pre hook checks it), so the folder is where we look.
# The app records the template's commit when this checkout has no uncommitted template change,
# so `./tenshu update` starts from exactly what was generated.
commit=""
if git -C "$ROOT" rev-parse --verify -q HEAD >/dev/null &&
    [ -z "$(git -C "$ROOT" status --porcelain -- template hooks cargo-generate.toml)" ]; then
    commit=$(git -C "$ROOT" rev-parse HEAD)
fi
cargo generate --path "$ROOT" --name "$name" --force --destination "$parent" --silent \
    -d "tenshu_commit=$commit"
cd "$parent/$name"
say "setting up $parent/$name"
just setup
say "starting $name on http://localhost:8000 (Ctrl-C stops it); the code is in $parent/$name"
exec just dev
