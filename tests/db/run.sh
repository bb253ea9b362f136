#!/usr/bin/env bash
# tests/db/run.sh — pgTAP suites (sql/tests/*.sql) against BOTH org-context
# implementations (the C extension and the sealed PL/pgSQL one).
#
# Creates a throwaway cluster with scripts/pg.sh (GATEHOUSE_PG_FAST=1) in a
# temporary directory, or in $GATEHOUSE_PG_DIR if set; for each
# implementation creates a database, installs the schema, loads
# tests/db/fixtures.sql and runs the suites with pg_prove.
#
# Installation uses `build/gatehouse migrate` when that binary exists and
# answers `migrate --help`; otherwise it applies the SQL files with psql in
# the same order the runner does (see sql/README.md).
#
# Environment:
#   GATEHOUSE_PG_DIR        cluster directory (default: a new temp dir,
#                           removed at exit)
#   GATEHOUSE_TEST_IMPLS    implementations to test (default "extension sealed")
#   GATEHOUSE_TEST_KEEP=1   keep the temp cluster running (prints its URL)
#   GATEHOUSE_TEST_NO_BINARY=1  force the psql install path
# After the suites, tests/db/races.sh stages concurrent transactions on two
# connections (refresh race, last-admin guard, single-use invitation).
# Exit status: 0 only if every suite passed for every implementation.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PG="$ROOT/scripts/pg.sh"
IMPLS="${GATEHOUSE_TEST_IMPLS:-extension sealed}"

if command -v pg_config >/dev/null 2>&1; then
    BIN="$(pg_config --bindir)"
    SHAREDIR="$(pg_config --sharedir)"
else
    BIN=/usr/lib/postgresql/15/bin
    SHAREDIR=/usr/share/postgresql/15
fi
command -v pg_prove >/dev/null || { echo "run.sh: pg_prove not found (libtap-parser-sourcehandler-pgtap-perl)" >&2; exit 1; }
[ -f "$SHAREDIR/extension/pgtap.control" ] || { echo "run.sh: pgTAP not installed (postgresql-15-pgtap)" >&2; exit 1; }

# Build/install the C extension when it is wanted and missing or stale.
if [[ " $IMPLS " == *" extension "* ]]; then
    if [ ! -f "$SHAREDIR/extension/gatehouse_ctx.control" ] \
       || [ "$ROOT/pgext/gatehouse_ctx.c" -nt "$SHAREDIR/extension/gatehouse_ctx.control" ] \
       || ! cmp -s "$ROOT/pgext/gatehouse_ctx--1.0.sql" "$SHAREDIR/extension/gatehouse_ctx--1.0.sql"; then
        echo "# building and installing pgext (gatehouse_ctx)"
        make -s -C "$ROOT/pgext" >/dev/null
        make -s -C "$ROOT/pgext" install >/dev/null
    fi
fi

CLEANUP_DIR=""
if [ -z "${GATEHOUSE_PG_DIR:-}" ]; then
    CLEANUP_DIR="$(mktemp -d /tmp/gh-dbtest.XXXXXX)"
    export GATEHOUSE_PG_DIR="$CLEANUP_DIR/pg"
fi
export GATEHOUSE_PG_FAST=1
STATE_DIR="$(mktemp -d /tmp/gh-dbtest-state.XXXXXX)"

cleanup() {
    local rc=$?
    if [ -n "$CLEANUP_DIR" ] && [ "${GATEHOUSE_TEST_KEEP:-}" != 1 ]; then
        "$PG" stop || true
        rm -rf -- "$CLEANUP_DIR"
    fi
    rm -rf -- "$STATE_DIR"
    exit $rc
}
trap cleanup EXIT

"$PG" start
if [ "${GATEHOUSE_TEST_KEEP:-}" = 1 ]; then
    echo "# cluster kept after the run: GATEHOUSE_PG_DIR=$GATEHOUSE_PG_DIR"
fi
SOCK="$(cat "$GATEHOUSE_PG_DIR/socket_dir")"
export PGHOST="$SOCK" PGUSER=postgres
PGPASSWORD="$(cat "$GATEHOUSE_PG_DIR/superuser.password")"
export PGPASSWORD

psql_db() { "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -d "$@"; }

use_binary() {
    [ "${GATEHOUSE_TEST_NO_BINARY:-}" != 1 ] && [ -x "$ROOT/build/gatehouse" ] \
        && "$ROOT/build/gatehouse" migrate --help >/dev/null 2>&1
}

# install_psql DB IMPL — what `gatehouse migrate` does, with psql.
install_psql() {
    local db="$1" impl="$2" f name version pw
    psql_db "$db" -f "$ROOT/sql/roles.sql"
    pw="$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    psql_db "$db" -c "ALTER ROLE gatehouse_app PASSWORD '$pw'"
    psql_db "$db" -1 -f "$ROOT/sql/context/$impl.sql"
    psql_db "$db" -c "INSERT INTO gh_meta.settings (key, value) VALUES ('rls_context', '$impl')
                      ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value"
    for f in "$ROOT"/sql/migrations/[0-9]*.sql; do
        name="$(basename "$f" .sql)"
        version="$((10#${name%%_*}))"
        {
            echo "BEGIN;"
            echo "SET LOCAL ROLE gatehouse_owner;"
            cat "$f"
            echo ";"
            echo "INSERT INTO gh_meta.schema_migrations (version, name) VALUES ($version, '${name#*_}');"
            echo "COMMIT;"
        } | psql_db "$db" -f -
    done
}

install_binary() {
    local db="$1" impl="$2"
    DATABASE_URL="postgresql://postgres:$PGPASSWORD@/$db?host=$SOCK" \
    GATEHOUSE_RLS_CONTEXT="$impl" GATEHOUSE_STATE_DIR="$STATE_DIR" \
        "$ROOT/build/gatehouse" migrate
}

failed=0
for impl in $IMPLS; do
    db="gh_test_$impl"
    echo "# ===== implementation: $impl (database $db) ====="
    psql_db postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
    if use_binary; then
        echo "# installing with build/gatehouse migrate"
        install_binary "$db" "$impl"
    else
        echo "# installing with psql (no usable build/gatehouse, or GATEHOUSE_TEST_NO_BINARY=1)"
        install_psql "$db" "$impl"
    fi
    got="$(psql_db "$db" -tAc "SELECT value FROM gh_meta.settings WHERE key = 'rls_context'")"
    if [ "$got" != "$impl" ]; then
        echo "not ok - rls_context is '$got', expected '$impl'"
        failed=1
        continue
    fi
    psql_db "$db" -c "CREATE EXTENSION IF NOT EXISTS pgtap"
    psql_db "$db" -f "$ROOT/tests/db/fixtures.sql"
    # Suites in sql/tests/ run as the superuser (they SET ROLE gatehouse_app
    # where RLS is exercised); those in sql/tests/as_app/ log in as
    # gatehouse_app, because SET ROLE / SET SESSION AUTHORIZATION attempts
    # are judged by the session user. The app password is replaced by a
    # known one (throwaway cluster).
    app_pw="$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    psql_db "$db" -c "ALTER ROLE gatehouse_app PASSWORD '$app_pw'"
    if ! pg_prove --dbname "$db" --host "$SOCK" --username postgres \
            --set "impl=$impl" "$ROOT"/sql/tests/*.sql; then
        failed=1
    fi
    if ! PGPASSWORD="$app_pw" pg_prove --dbname "$db" --host "$SOCK" --username gatehouse_app \
            --set "impl=$impl" "$ROOT"/sql/tests/as_app/*.sql; then
        failed=1
    fi
    # The invalidation NOTIFY, as a listening node sees it (pgTAP cannot
    # observe notifications): channel gh_invalidate, payload
    # <kind>:<id>:<seq>, delivered at commit, never a hash.
    notes="$(PGPASSWORD="$app_pw" "$BIN/psql" -X -q -h "$SOCK" -U gatehouse_app -d "$db" -tA \
        -c "LISTEN gh_invalidate" \
        -c "BEGIN" -c "SELECT 'seq=' || gh.invalidate('key', 'key_a_live')" -c "SELECT 'before-commit'" \
        -c "COMMIT" -c "SELECT 'after-commit'" 2>&1)"
    seq="$(sed -n 's/^seq=\([0-9][0-9]*\)$/\1/p' <<<"$notes")"
    expect="Asynchronous notification \"gh_invalidate\" with payload \"key:key_a_live:$seq\""
    if [ -n "$seq" ] && grep -qF "$expect" <<<"$notes" \
       && [ "$(grep -c 'Asynchronous notification' <<<"$notes")" = 1 ] \
       && awk '/before-commit/{b=NR} /Asynchronous/{a=NR} END{exit !(b && a > b)}' <<<"$notes"; then
        echo "ok - invalidate notifies gh_invalidate with key:key_a_live:$seq at commit ($impl)"
    else
        echo "not ok - invalidate's NOTIFY ($impl); psql said:"
        sed 's/^/#   /' <<<"$notes"
        failed=1
    fi
    # Concurrency (two connections): refresh race, last-admin guard,
    # single-use invitation. See tests/db/races.sh.
    if ! BIN="$BIN" "$ROOT/tests/db/races.sh" "$db" "$app_pw" "$impl"; then
        failed=1
    fi
done

# On success the output ends with the last pg_prove summary.
if [ "$failed" != 0 ]; then
    echo "run.sh: FAILED for at least one implementation" >&2
    exit 1
fi
