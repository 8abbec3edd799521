#!/usr/bin/env bash
# Makes sure a Redis server answers on 127.0.0.1:6379, for the apps generated with
# `cache=redis`. Exits 0 when one does, 1 when none can be had.
#
# It starts an installed but stopped server (without persistence: the tests need none). With
# TENSHU_INSTALL_SERVICES=1 (.ci/run sets it) it also installs one from the system packages
# (Debian, Ubuntu) when none is installed.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

answers() {
    local reply
    exec 3<>/dev/tcp/127.0.0.1/6379 2>/dev/null || return 1
    printf 'PING\r\n' >&3
    read -r -t 2 reply <&3 || true
    exec 3>&-
    [[ $reply == +PONG* ]]
}

start_installed() {
    command -v redis-server >/dev/null || return 1
    say "starting the installed Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no >/dev/null
    for _ in $(seq 1 30); do answers && return 0; sleep 0.5; done
    return 1
}

answers || start_installed || { install_for_tests Redis redis-server && start_installed; }
