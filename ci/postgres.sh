#!/usr/bin/env bash
# Makes sure a Postgres server answers on 127.0.0.1:5432 with the role the generated apps'
# configuration uses (postgres/postgres). Exits 0 when one does, 1 when none can be had.
#
# It starts an installed but stopped server. With TENSHU_INSTALL_SERVICES=1 (.ci/run sets it) it
# also installs one from the system packages (Debian, Ubuntu) when none is installed.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

answers() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }

as_postgres() { # runs a command as the postgres system user
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -n -u postgres "$@"; fi
}

start_installed() {
    command -v pg_ctlcluster >/dev/null || return 1
    local version
    for version in $(ls /etc/postgresql 2>/dev/null); do
        say "starting the installed Postgres $version"
        pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null ||
            as_postgres pg_ctlcluster "$version" main start || true
    done
    for _ in $(seq 1 30); do answers && return 0; sleep 1; done
    return 1
}

if ! answers; then
    start_installed || { install_for_tests Postgres postgresql && start_installed; } || exit 1
fi

# The generated apps connect as postgres/postgres (config/test.toml). On a server that checks
# passwords, give the role that password; a server that trusts local connections ignores it.
if command -v psql >/dev/null && ! PGPASSWORD=postgres psql -h 127.0.0.1 -U postgres -Atc 'SELECT 1' >/dev/null 2>&1; then
    say "setting the password of the postgres role for local tests"
    as_postgres psql -qc "ALTER ROLE postgres PASSWORD 'postgres'" >/dev/null 2>&1 ||
        { warn "Postgres answers, but the role postgres/postgres cannot log in"; exit 1; }
fi
exit 0
