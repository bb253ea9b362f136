#!/usr/bin/env bash
# scripts/pg.sh — the embedded (throwaway) PostgreSQL cluster used by
# `make run` and the tests when no DATABASE_URL is given.
#
# Usage: scripts/pg.sh start|stop|status|url|psql [psql args...]
#
# The cluster lives in ${GATEHOUSE_PG_DIR:-./var/pg}:
#   data/               the PGDATA directory
#   superuser.password  generated password of the `postgres` superuser (0600)
#   socket_dir          the Unix socket directory actually used
#   run/                the socket directory (unless the path is too long)
#   log                 server log
# The server listens on a Unix socket only (listen_addresses = '').
#
# PostgreSQL refuses to run as root. When invoked as root, initdb, pg_ctl and
# postgres run as the `postgres` system user (created if missing), which then
# owns only data/ and the socket directory.
set -euo pipefail

die() { echo "pg.sh: $*" >&2; exit 1; }

DIR="${GATEHOUSE_PG_DIR:-./var/pg}"
case "$DIR" in
    /*) ;;
    *) DIR="$PWD/$DIR" ;;
esac
# Normalise (no trailing slash, no "./" parts) without requiring it to exist.
DIR="$(realpath -m -- "$DIR")"
DATA="$DIR/data"
PWFILE="$DIR/superuser.password"
LOG="$DIR/log"
DB=gatehouse

if command -v pg_config >/dev/null 2>&1 && [ -x "$(pg_config --bindir)/pg_ctl" ]; then
    BIN="$(pg_config --bindir)"
else
    BIN=/usr/lib/postgresql/15/bin
fi
[ -x "$BIN/pg_ctl" ] || die "PostgreSQL server binaries not found in $BIN"

IS_ROOT=0
[ "$(id -u)" = 0 ] && IS_ROOT=1

# as_pg CMD... — run a server-side command as the cluster's OS user.
as_pg() {
    if [ "$IS_ROOT" = 1 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# Socket directory: $DIR/run unless ".../.s.PGSQL.5432" would exceed the
# 107-byte limit of sun_path; then a short per-cluster path under /tmp.
choose_socket_dir() {
    local s="$DIR/run"
    local full="$s/.s.PGSQL.5432"
    if [ "${#full}" -gt 107 ]; then
        s="/tmp/gh-pg-$(printf '%s' "$DIR" | sha1sum | cut -c1-12)"
    fi
    printf '%s\n' "$s"
}

socket_dir() {
    if [ -f "$DIR/socket_dir" ]; then
        cat "$DIR/socket_dir"
    else
        choose_socket_dir
    fi
}

password() {
    [ -f "$PWFILE" ] || die "no cluster at $DIR (run: scripts/pg.sh start)"
    cat "$PWFILE"
}

# Make sure the postgres user can reach $DIR: add o+x (search only, never
# read) to each ancestor that lacks it, and say so.
ensure_traversable() {
    if runuser -u postgres -- test -x "$DIR"; then
        return 0
    fi
    local p="$DIR"
    local -a parents=()
    while [ "$p" != "/" ]; do
        parents=("$p" "${parents[@]}")
        p="$(dirname -- "$p")"
    done
    for p in "${parents[@]}"; do
        if ! runuser -u postgres -- test -x "$p"; then
            chmod o+x -- "$p"
            echo "pg.sh: added o+x to $p so the postgres user can reach the cluster" >&2
        fi
    done
    runuser -u postgres -- test -x "$DIR" || die "postgres user cannot reach $DIR"
}

is_running() {
    [ -f "$DATA/PG_VERSION" ] || return 1
    as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

psql_super() {
    local pw sock
    pw="$(password)"
    sock="$(socket_dir)"
    PGPASSWORD="$pw" "$BIN/psql" -X -h "$sock" -U postgres "$@"
}

create_cluster() {
    mkdir -p -- "$DIR"
    local sock
    sock="$(choose_socket_dir)"
    printf '%s\n' "$sock" >"$DIR/socket_dir"

    if [ "$IS_ROOT" = 1 ]; then
        if ! id -u postgres >/dev/null 2>&1; then
            useradd --system --home-dir /var/lib/postgresql --shell /usr/sbin/nologin postgres
        fi
        ensure_traversable
    fi

    # 32 hex characters from the kernel CSPRNG.
    (umask 077; head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$PWFILE")
    chmod 600 "$PWFILE"

    make_socket_dir "$sock"
    mkdir -p -- "$DATA"
    chmod 700 "$DATA"
    local pwcopy="$DIR/.initdb.pw"
    if [ "$IS_ROOT" = 1 ]; then
        chown postgres: "$DATA"
        # initdb (running as postgres) must read the password once.
        install -m 600 -o postgres -g postgres "$PWFILE" "$pwcopy"
    else
        install -m 600 "$PWFILE" "$pwcopy"
    fi
    local locale=C.UTF-8
    locale -a 2>/dev/null | grep -qix 'c.utf-\?8' || locale=C
    if ! as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth=scram-sha-256 \
            --pwfile="$pwcopy" -E UTF8 --locale="$locale" >"$DIR/initdb.log" 2>&1; then
        rm -f -- "$pwcopy"
        cat "$DIR/initdb.log" >&2
        die "initdb failed"
    fi
    rm -f -- "$pwcopy"

    {
        echo
        echo "# Gatehouse embedded cluster (scripts/pg.sh)"
        echo "listen_addresses = ''"
        echo "unix_socket_directories = '$sock'"
        echo "max_connections = 200"
        echo "shared_buffers = 128MB"
        if [ "${GATEHOUSE_PG_FAST:-}" = 1 ]; then
            echo "# GATEHOUSE_PG_FAST=1: throwaway test cluster, durability off"
            echo "fsync = off"
            echo "synchronous_commit = off"
            echo "full_page_writes = off"
        fi
    } | as_pg tee -a "$DATA/postgresql.conf" >/dev/null
}

# make_socket_dir DIR — create (or check) the socket directory, owned by the
# server's OS user. A pre-existing directory owned by someone else (e.g. a
# squatter on the predictable /tmp fallback name) is refused.
make_socket_dir() {
    local sock="$1" owner
    owner="$(id -un)"
    [ "$IS_ROOT" = 1 ] && owner=postgres
    if [ -e "$sock" ]; then
        [ -d "$sock" ] && [ ! -L "$sock" ] || die "$sock exists and is not a directory"
        [ "$(stat -c %U -- "$sock")" = "$owner" ] || die "$sock is not owned by $owner"
    else
        mkdir -p -- "$sock"
        [ "$IS_ROOT" = 1 ] && chown postgres: "$sock"
    fi
    # Others may traverse but not list or write; the socket itself is 0777
    # and every login needs a SCRAM password.
    chmod 755 "$sock"
}

cmd_start() {
    if [ ! -f "$DATA/PG_VERSION" ]; then
        create_cluster
    fi
    local sock
    sock="$(socket_dir)"
    if [ "$IS_ROOT" = 1 ]; then
        ensure_traversable
    fi
    # The socket dir may live under /tmp and vanish on reboot.
    make_socket_dir "$sock"
    if [ "$IS_ROOT" = 1 ]; then
        touch "$LOG"
        chown postgres: "$LOG"
    fi
    if ! is_running; then
        as_pg "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start >/dev/null \
            || { tail -n 20 "$LOG" >&2; die "could not start PostgreSQL"; }
    fi
    if [ "$(psql_super -q -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" != 1 ]; then
        psql_super -q -d postgres -c "CREATE DATABASE $DB" >/dev/null
    fi
}

cmd_stop() {
    if is_running; then
        as_pg "$BIN/pg_ctl" -D "$DATA" -w -m fast stop >/dev/null
    fi
}

cmd_url() {
    local pw sock
    pw="$(password)"
    sock="$(socket_dir)"
    printf 'postgresql://postgres:%s@/%s?host=%s\n' "$pw" "$DB" "$sock"
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
    start)  cmd_start ;;
    stop)   cmd_stop ;;
    status) is_running ;;
    url)    cmd_url ;;
    psql)   psql_super -d "$DB" "$@" ;;
    *)      echo "usage: $0 start|stop|status|url|psql [args]" >&2; exit 2 ;;
esac
