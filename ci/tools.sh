#!/usr/bin/env bash
# Installs what the template's own tooling needs, when it is missing: cargo-generate and just
# (built from crates.io with the machine's Rust), and Node.js with npm for the generated apps'
# CSS and JavaScript. Called by ./tenshu before every recipe; quiet when all is there.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# cargo-generate 0.24 and later need Rust 1.96 to build from source; 0.23.14 builds on 1.95 and
# has everything the template uses. Newer versions, when already installed, work too.
CARGO_GENERATE_VERSION=0.23.14
JUST_VERSION=1.59.0

version_at_least() { # version_at_least HAVE WANT
    [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -1)" = "$2" ]
}

installed=$(cargo generate --version 2>/dev/null | awk '{print $NF}' || true)
if [ -z "$installed" ] || ! version_at_least "$installed" "$CARGO_GENERATE_VERSION"; then
    say "installing cargo-generate $CARGO_GENERATE_VERSION (a few minutes, once)"
    cargo install --locked "cargo-generate@$CARGO_GENERATE_VERSION"
fi

if ! command -v just >/dev/null; then
    say "installing just $JUST_VERSION (a minute, once)"
    cargo install --locked "just@$JUST_VERSION"
fi

# The system's Node.js is installed only when it is recent enough (Debian 12 ships 18).
node_hint="the generated apps build their CSS with npm: install Node.js 20 or later (https://nodejs.org)"
if ! command -v npm >/dev/null; then
    if can_apt_install; then
        as_root apt-get update -qq
        candidate=$(apt-cache policy nodejs | sed -n 's/ *Candidate: \([0-9]*\).*/\1/p')
        [ "${candidate:-0}" -ge 20 ] || die "$node_hint (the system packages offer ${candidate:-none})"
        say "installing Node.js and npm from the system packages"
        as_root apt-get install -y -qq nodejs npm >/dev/null
    else
        die "$node_hint"
    fi
fi
node_major=$(node --version | sed 's/^v\([0-9]*\).*/\1/')
[ "$node_major" -ge 20 ] || die "Node.js $(node --version) is too old: the generated apps need 20 or later"
