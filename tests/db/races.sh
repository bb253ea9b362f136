#!/usr/bin/env bash
# tests/db/races.sh DB APP_PASSWORD — concurrency checks that pgTAP (one
# connection) cannot make: two connections run a statement "at once".
# Called by tests/db/run.sh for each context implementation, with PGHOST,
# PGUSER (superuser), PGPASSWORD exported and BIN set to PostgreSQL's bindir.
#
# How one race is staged, deterministically:
#   A: BEGIN; <stmt A>; then wait (up to 10 s) until connection B is blocked
#      on a lock (pg_stat_activity.wait_event_type = 'Lock'); COMMIT.
#   B: started once A has run its statement; <stmt B> must block on A's
#      lock and finish after A commits.
# So B always sees A's committed change after waiting for it — the case
# that breaks code that checks first and writes later. If B never blocks,
# A gives up after 10 s and the race fails (the lock that should serialize
# them is missing).
# Prints TAP-ish "ok - …" / "not ok - …" lines; exit 1 if any failed.
set -euo pipefail
db="$1"
app_pw="$2"
impl="${3:-}"
BIN="${BIN:-$(pg_config --bindir)}"
failed=0

sql_su() { "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -tA -d "$db" "$@"; }

# race NAME ROLE STMT_A STMT_B EXPECT_A EXPECT_B
# ROLE: app (logged in as gatehouse_app, as the server) or su.
# EXPECT_B is matched as an extended regex against B's stdout+stderr.
race() {
    local name="$1" role="$2" stmt_a="$3" stmt_b="$4" expect_a="$5" expect_b="$6"
    local tmp outa outb pida pidb i state
    tmp="$(mktemp -d /tmp/gh-race.XXXXXX)"
    outa="$tmp/a" outb="$tmp/b"
    local -a conn=(-d "$db")
    local pw="$PGPASSWORD"
    if [ "$role" = app ]; then conn+=(-U gatehouse_app); pw="$app_pw"; fi

    PGPASSWORD="$pw" PGAPPNAME=gh_race_a "$BIN/psql" -X -q -tA -v ON_ERROR_STOP=1 "${conn[@]}" \
        -c "BEGIN" -c "$stmt_a" \
        -c "DO \$w\$ BEGIN
              FOR i IN 1..200 LOOP
                PERFORM pg_stat_clear_snapshot();
                IF EXISTS (SELECT 1 FROM pg_stat_activity
                            WHERE application_name = 'gh_race_b' AND wait_event_type = 'Lock') THEN
                  RETURN;
                END IF;
                PERFORM pg_sleep(0.05);
              END LOOP;
              RAISE EXCEPTION 'race: connection B never blocked on a lock';
            END \$w\$" \
        -c "COMMIT" >"$outa" 2>&1 &
    pida=$!
    # Start B only once A has run its statement (A is then in the DO loop,
    # or already failed).
    for i in $(seq 1 200); do
        state="$(sql_su -c "SELECT count(*) FROM pg_stat_activity
                             WHERE application_name = 'gh_race_a' AND query LIKE 'DO %'")"
        [ "$state" = 1 ] && break
        kill -0 "$pida" 2>/dev/null || break
        sleep 0.05
    done
    PGPASSWORD="$pw" PGAPPNAME=gh_race_b "$BIN/psql" -X -q -tA "${conn[@]}" -c "$stmt_b" >"$outb" 2>&1 &
    pidb=$!
    wait "$pida" || true
    wait "$pidb" || true
    local got_a got_b
    got_a="$(cat "$outa")"
    got_b="$(cat "$outb")"
    if [ "$got_a" = "$expect_a" ] && grep -Eq -- "$expect_b" <<<"$got_b" \
       && { [ -n "$got_b" ] || [ "$expect_b" = '^$' ]; }; then
        echo "ok - race: $name ($impl)"
    else
        echo "not ok - race: $name ($impl)"
        echo "#   A said: $(tr '\n' ' ' <<<"$got_a")  (expected: $expect_a)"
        echo "#   B said: $(tr '\n' ' ' <<<"$got_b")  (expected /$expect_b/)"
        failed=1
    fi
    rm -rf -- "$tmp"
}

sql_su <<'SQL'
INSERT INTO gh.orgs (id, name) VALUES ('org_race', 'Race');
INSERT INTO gh.users (id, org_id, email, password_hash, role, status) VALUES
    ('usr_race_a1', 'org_race', 'a1@race.example', '$argon2id$r', 'admin', 'active'),
    ('usr_race_a2', 'org_race', 'a2@race.example', '$argon2id$r', 'admin', 'active'),
    ('usr_race_i',  'org_race', 'i@race.example', NULL, 'member', 'invited');
INSERT INTO gh.sessions (id, org_id, user_id, access_hash, refresh_hash, access_expires_at,
                         expires_at, user_epoch, org_epoch) VALUES
    ('ses_race', 'org_race', 'usr_race_a1', sha256('race-a0'), sha256('race-r0'),
     now() + interval '15 min', now() + interval '1 day', 0, 0);
INSERT INTO gh.invitations (id, org_id, user_id, token_hash, expires_at) VALUES
    ('inv_race', 'org_race', 'usr_race_i', sha256('inv-race'), now() + interval '1 day');
SQL

# Two tabs (or nodes) refresh with the same token: the second waits for
# the first's row lock, then finds the token rotated and gets 'grace'.
refresh="SELECT outcome FROM gh.session_refresh(sha256('race-r0'), sha256('race-r1'), sha256('race-a1'), 900, 10)"
race "concurrent refresh with one token: rotated, then grace" app "$refresh" "$refresh" \
    rotated '^grace$'

# Two admins demoted at once, the only two: the second waits for the org
# row lock held by the first's guard, then sees it demoted: last_admin.
race "concurrent demotion of the last two admins: one passes, one gets last_admin" su \
    "UPDATE gh.users SET role = 'member' WHERE id = 'usr_race_a1' RETURNING id" \
    "UPDATE gh.users SET role = 'member' WHERE id = 'usr_race_a2' RETURNING id" \
    usr_race_a1 'ERROR: +last_admin'

# The same invitation accepted twice at once: exactly one user id.
accept="SELECT user_id FROM gh.invitation_accept(sha256('inv-race'), '\$argon2id\$race')"
race "concurrent accepts of one invitation: single use" app "$accept" "$accept" usr_race_i '^$'

got="$(sql_su -c "SELECT string_agg(id || '=' || role, ',' ORDER BY id) FROM gh.users
                   WHERE org_id = 'org_race' AND role = 'admin'")"
if [ "$got" = "usr_race_a2=admin" ]; then
    echo "ok - race: the org kept exactly one admin ($impl)"
else
    echo "not ok - race: admins left: '$got' ($impl)"
    failed=1
fi
exit "$failed"
