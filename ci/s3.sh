#!/usr/bin/env bash
# Makes sure an S3-compatible server answers at $S3_ENDPOINT and holds the bucket $S3_BUCKET, for
# the uploads' S3 tests (tests/app/uploads_s3.rs in a generated app). Exits 0 when it does, 1 when
# none can be had.
#
# The server is moto's (an implementation of the S3 API in Python), from PyPI, in a virtual
# environment of its own ($S3_VENV), started in the background and left running, like the
# Postgres and Redis servers. It keeps objects in memory.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

MOTO_VERSION=5.2.5

answers() {
    curl -fsS -o /dev/null --max-time 2 "$S3_ENDPOINT/" 2>/dev/null
}

install() {
    [ -x "$S3_VENV/bin/moto_server" ] && return 0
    python3 -m venv --help >/dev/null 2>&1 || return 1
    say "installing moto's S3 server $MOTO_VERSION (PyPI, once)"
    rm -rf "$S3_VENV"
    python3 -m venv "$S3_VENV" &&
        "$S3_VENV/bin/pip" install --quiet --disable-pip-version-check \
            "moto[s3]==$MOTO_VERSION" "flask==3.1.3" "flask-cors==6.0.5"
}

start() {
    local host_port=${S3_ENDPOINT#http://}
    say "starting moto's S3 server on $host_port"
    mkdir -p "$WORK"
    nohup "$S3_VENV/bin/moto_server" -H "${host_port%:*}" -p "${host_port#*:}" \
        >"$WORK/s3.log" 2>&1 &
    for _ in $(seq 1 40); do answers && return 0; sleep 0.5; done
    warn "moto's S3 server did not answer; its log: $WORK/s3.log"
    return 1
}

answers || { install && start; } || exit 1
# Creating a bucket that exists is fine.
curl -fsS -o /dev/null -X PUT "$S3_ENDPOINT/$S3_BUCKET"
