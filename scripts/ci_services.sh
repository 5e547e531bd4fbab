#!/usr/bin/env bash
# Make sure the services the tests talk to answer on 127.0.0.1: PostgreSQL (5432), Redis (6379)
# and RabbitMQ (5672). One that is down is started when we are root (whichever start command
# this machine has), then waited for; PostgreSQL gets a `test` database if it has none.
# CI_SERVICES_WAIT: seconds to wait for each (90); CI_SERVICES_DATABASE: the database (test).
# Exits non-zero, saying which, when a service cannot be brought up.
set -uo pipefail

HOST=127.0.0.1
WAIT_SECONDS=${CI_SERVICES_WAIT:-90}
DATABASE=${CI_SERVICES_DATABASE:-test}
failed=0

port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

wait_port() {  # name port
    local deadline=$((SECONDS + WAIT_SECONDS))
    while ((SECONDS < deadline)); do
        port_open "$2" && return 0
        sleep 0.5
    done
    return 1
}

start_postgresql() {
    if command -v service >/dev/null && [ -x /etc/init.d/postgresql ]; then
        service postgresql start && return 0
    fi
    command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ] || return 1
    local version
    for version in /etc/postgresql/*; do
        pg_ctlcluster --skip-systemctl-redirect "$(basename "$version")" main start || return 1
    done
}

start_redis() {
    if command -v service >/dev/null && [ -x /etc/init.d/redis-server ]; then
        service redis-server start && port_open 6379 && return 0
    fi
    command -v redis-server >/dev/null || return 1
    mkdir -p /var/lib/redis /var/log/redis
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
        --dir /var/lib/redis --logfile /var/log/redis/ci.log
}

start_rabbitmq() {
    if command -v service >/dev/null && [ -x /etc/init.d/rabbitmq-server ]; then
        service rabbitmq-server start && return 0
    fi
    command -v rabbitmq-server >/dev/null || return 1
    rabbitmq-server -detached
}

ensure() {  # name port start-function
    local name=$1 port=$2 start=$3
    if port_open "$port"; then
        echo "ci_services: $name is up on $HOST:$port"
        return 0
    fi
    if [ "$(id -u)" != 0 ]; then
        echo "ci_services: $name is down on $HOST:$port and only root may start it" >&2
        return 1
    fi
    echo "ci_services: starting $name"
    if ! "$start" >/dev/null 2>&1; then
        echo "ci_services: no way to start $name on this machine (is it installed?)" >&2
        return 1
    fi
    if ! wait_port "$name" "$port"; then
        echo "ci_services: $name did not answer on $HOST:$port within ${WAIT_SECONDS}s" >&2
        return 1
    fi
    echo "ci_services: $name is up on $HOST:$port"
}

ensure_test_database() {
    local psql=(psql -h "$HOST" -U postgres -d postgres -v ON_ERROR_STOP=1 -tAq)
    local deadline=$((SECONDS + WAIT_SECONDS))
    # the port opens a moment before connections are accepted
    until "${psql[@]}" -c "SELECT 1" >/dev/null 2>&1; do
        if ((SECONDS >= deadline)); then
            echo "ci_services: PostgreSQL does not accept connections as postgres" >&2
            return 1
        fi
        sleep 0.5
    done
    if [ "$("${psql[@]}" -c "SELECT 1 FROM pg_database WHERE datname = '$DATABASE'")" != 1 ]; then
        "${psql[@]}" -c "CREATE DATABASE \"$DATABASE\"" && echo "ci_services: created database $DATABASE"
    fi
}

ensure PostgreSQL 5432 start_postgresql && ensure_test_database || failed=1
ensure Redis 6379 start_redis || failed=1
ensure RabbitMQ 5672 start_rabbitmq || failed=1
exit "$failed"
