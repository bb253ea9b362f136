-- 80_session_lifecycle.sql — the session functions of 0004: session_auth,
-- session_touch, session_refresh (every outcome), session_logout,
-- session_password_hash, session_reauthenticate, session_change_password.
-- Called as gatehouse_app (as the server does); the rows are set up and
-- inspected as the superuser. Its own org (org_l) and sessions, so the
-- shared fixtures stay as the other suites expect. Hashes are sha256 of
-- labels: access 'l-<name>', refresh 'l-<name>-r' (generation 0).
-- Concurrent refresh (one 'rotated', one 'grace') is checked by
-- tests/db/run.sh with two connections.
SELECT no_plan();

INSERT INTO gh.orgs (id, name) VALUES ('org_l', 'Lifecycle'), ('org_l2', 'Lifecycle 2');
INSERT INTO gh.users (id, org_id, email, password_hash, role, status) VALUES
    ('usr_l_admin', 'org_l', 'admin@l.example', '$argon2id$l-admin', 'admin', 'active'),
    ('usr_l_other', 'org_l', 'other@l.example', '$argon2id$l-other', 'member', 'active'),
    ('usr_l2', 'org_l2', 'x@l2.example', '$argon2id$l2', 'admin', 'active');

-- A session of org_l; offsets are from now().
CREATE FUNCTION pg_temp.mk(p_id text, p_user text, p_last_active interval = '0',
                           p_expires interval = '1 day', p_access interval = '15 min',
                           p_revoked boolean = false, p_user_epoch bigint = 0)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO gh.sessions (id, org_id, user_id, access_hash, refresh_hash,
                             access_expires_at, last_active_at, expires_at,
                             reauthenticated_at, revoked_at, user_epoch, org_epoch)
    SELECT p_id, u.org_id, p_user, sha256(convert_to('l-' || p_id, 'UTF8')),
           sha256(convert_to('l-' || p_id || '-r', 'UTF8')),
           now() + p_access, now() - p_last_active, now() + p_expires,
           now() - interval '1 hour', CASE WHEN p_revoked THEN now() END, p_user_epoch, 0
      FROM gh.users u WHERE u.id = p_user
$$;
CREATE FUNCTION pg_temp.h(p text) RETURNS bytea LANGUAGE sql AS $$
    SELECT sha256(convert_to(p, 'UTF8'))
$$;
GRANT EXECUTE ON FUNCTION pg_temp.h(text) TO gatehouse_app;

SELECT pg_temp.mk('live', 'usr_l_admin', '5 min');
SELECT pg_temp.mk('accexp', 'usr_l_admin', p_access => '-1 s');
SELECT pg_temp.mk('idle', 'usr_l_admin', '2 hours');
SELECT pg_temp.mk('absolute', 'usr_l_admin', p_expires => '-1 s');
SELECT pg_temp.mk('revoked', 'usr_l_admin', p_revoked => true);
SELECT pg_temp.mk('revidle', 'usr_l_admin', '2 hours', p_revoked => true);
SELECT pg_temp.mk('epoch', 'usr_l_admin', p_user_epoch => -1);
SELECT pg_temp.mk('l2', 'usr_l2');

SET ROLE gatehouse_app;

-- ---------------------------------------------------------------- session_auth
SELECT results_eq(
    $$SELECT session_id, user_id, org_id, role, state, idle_timeout_seconds, user_epoch, org_epoch,
             last_active_at > now() - interval '6 min' AND last_active_at < now() - interval '4 min',
             access_expires_at > now(), expires_at > now(), reauthenticated_at < now(), created_at <= now()
        FROM gh.session_auth(pg_temp.h('l-live'))$$,
    $$VALUES ('live'::text, 'usr_l_admin'::text, 'org_l'::text, 'admin'::text, 'live'::text, 3600,
              0::bigint, 0::bigint, true, true, true, true, true)$$,
    'session_auth: a live session with its ids, role, deadlines, idle timeout and epochs');
SELECT is((SELECT state FROM gh.session_auth(pg_temp.h('l-accexp'))), 'expired',
          'session_auth: access token expired -> expired');
SELECT is((SELECT state FROM gh.session_auth(pg_temp.h('l-idle'))), 'expired',
          'session_auth: idle deadline passed -> expired');
SELECT is((SELECT state FROM gh.session_auth(pg_temp.h('l-absolute'))), 'expired',
          'session_auth: absolute deadline passed -> expired');
SELECT is((SELECT state FROM gh.session_auth(pg_temp.h('l-revoked'))), 'revoked',
          'session_auth: revoked -> revoked');
SELECT is((SELECT state FROM gh.session_auth(pg_temp.h('l-revidle'))), 'revoked',
          'session_auth: revoked AND idle -> revoked (revocation first)');
SELECT is((SELECT state FROM gh.session_auth(pg_temp.h('l-epoch'))), 'revoked',
          'session_auth: old user epoch -> revoked');
SELECT is_empty($$SELECT * FROM gh.session_auth(pg_temp.h('nope'))$$,
                'session_auth: unknown hash -> no row');
SELECT is_empty($$SELECT * FROM gh.session_auth(pg_temp.h('l-live-r'))$$,
                'session_auth: a refresh-token hash is not an access token');

-- ---------------------------------------------------------------- session_touch
RESET ROLE;
SELECT pg_temp.mk('t1', 'usr_l_admin', '10 min');
SELECT pg_temp.mk('t2', 'usr_l_admin', '10 min');
SELECT pg_temp.mk('tidle', 'usr_l_admin', '2 hours');
SELECT pg_temp.mk('tlag', 'usr_l_admin', '3601 s');
SELECT pg_temp.mk('trev', 'usr_l_admin', '10 min', p_revoked => true);
SELECT pg_temp.mk('tabs', 'usr_l_admin', '10 min', p_expires => '-1 s');
CREATE TEMP TABLE before_touch AS SELECT id, last_active_at FROM gh.sessions WHERE org_id = 'org_l';
GRANT SELECT ON before_touch TO gatehouse_app;
SET ROLE gatehouse_app;

BEGIN;  -- one transaction: now() is fixed
SELECT lives_ok(
    $$SELECT gh.session_touch(
        ARRAY['t1', 't2', 't2', 'tidle', 'tlag', 'trev', 'tabs', 'ses_nope', NULL, 't1'],
        ARRAY[now() + interval '1 hour', now() - interval '2 min', now() - interval '1 min',
              now(), now() - interval '2 s', now(), now(), now(), now(), NULL]::timestamptz[])$$,
    'session_touch takes a batch (duplicates, unknown ids and NULLs included)');
RESET ROLE;
SELECT is((SELECT last_active_at FROM gh.sessions WHERE id = 't1'), now(),
          'touch: last_active_at moves forward, never beyond now()');
SELECT is((SELECT last_active_at FROM gh.sessions WHERE id = 't2'), now() - interval '1 min',
          'touch: the latest activity of a duplicated id wins');
SELECT is((SELECT last_active_at FROM gh.sessions WHERE id = 'tidle'),
          (SELECT last_active_at FROM before_touch WHERE id = 'tidle'),
          'touch: an idle-expired session is not revived by activity at now()');
SELECT is((SELECT last_active_at FROM gh.sessions WHERE id = 'tlag'), now() - interval '2 s',
          'touch: activity that happened before the idle deadline is recorded even if flushed after it');
SELECT is((SELECT last_active_at FROM gh.sessions WHERE id = 'trev'),
          (SELECT last_active_at FROM before_touch WHERE id = 'trev'),
          'touch: a revoked session is not touched');
SELECT is((SELECT last_active_at FROM gh.sessions WHERE id = 'tabs'),
          (SELECT last_active_at FROM before_touch WHERE id = 'tabs'),
          'touch: a session past its absolute deadline is not touched');
COMMIT;
SELECT is((SELECT state FROM gh.session_auth(pg_temp.h('l-tidle'))), 'expired',
          'touch: the idle session is still expired afterwards');
SET ROLE gatehouse_app;
SELECT lives_ok($$SELECT gh.session_touch(ARRAY['t1'], ARRAY[now() - interval '1 hour'])$$,
                'touch with an older time');
SELECT lives_ok($$SELECT gh.session_touch('{}', '{}')$$, 'touch: an empty batch is fine');
RESET ROLE;
SELECT cmp_ok((SELECT last_active_at FROM gh.sessions WHERE id = 't1'), '>', now() - interval '1 min',
              'touch: last_active_at never moves back');

-- ---------------------------------------------------------------- session_refresh
SELECT pg_temp.mk('r1', 'usr_l_admin', '5 min', p_access => '-1 min');   -- access token expired
CREATE TEMP TABLE r1_before AS SELECT last_active_at, expires_at FROM gh.sessions WHERE id = 'r1';
GRANT SELECT ON r1_before TO gatehouse_app;
SET ROLE gatehouse_app;

-- rotated (an expired access token is exactly what refresh is for)
SELECT results_eq(
    $$SELECT outcome, session_id, user_id, org_id, idle_timeout_seconds,
             access_expires_at = now() + interval '900 s',
             last_active_at = (SELECT last_active_at FROM r1_before),
             expires_at = (SELECT expires_at FROM r1_before),
             reauthenticated_at IS NOT NULL, created_at IS NOT NULL
        FROM gh.session_refresh(pg_temp.h('l-r1-r'), pg_temp.h('r1-r1'), pg_temp.h('r1-a1'), 900, 10)$$,
    $$VALUES ('rotated'::text, 'r1'::text, 'usr_l_admin'::text, 'org_l'::text, 3600,
              true, true, true, true, true)$$,
    'refresh: the current token rotates (one row, the session''s columns)');
RESET ROLE;
SELECT results_eq(
    $$SELECT refresh_hash = pg_temp.h('r1-r1'), prev_refresh_hash = pg_temp.h('l-r1-r'),
             access_hash = pg_temp.h('r1-a1'), refreshed_at > now() - interval '1 min',
             last_active_at = (SELECT last_active_at FROM r1_before)
        FROM gh.sessions WHERE id = 'r1'$$,
    $$VALUES (true, true, true, true, true)$$,
    'refresh: both hashes replaced, the old refresh hash kept as prev, refreshed_at set, last_active_at untouched (refresh is not activity)');
SELECT is((SELECT state FROM gh.session_auth(pg_temp.h('r1-a1'))), 'live', 'refresh: the new access token is live');
SELECT is_empty($$SELECT * FROM gh.session_auth(pg_temp.h('l-r1'))$$, 'refresh: the old access token is gone');
SET ROLE gatehouse_app;

-- grace: the same old token again, same derived next tokens
SELECT results_eq(
    $$SELECT outcome, session_id, user_id, org_id, last_active_at = (SELECT last_active_at FROM r1_before)
        FROM gh.session_refresh(pg_temp.h('l-r1-r'), pg_temp.h('r1-r1'), pg_temp.h('r1-a1'), 900, 10)$$,
    $$VALUES ('grace'::text, 'r1'::text, 'usr_l_admin'::text, 'org_l'::text, true)$$,
    'refresh: the previous token within the grace period -> grace (same session)');
-- superseded: within grace, but the session's current rotation is another one
SELECT results_eq(
    $$SELECT outcome, session_id
        FROM gh.session_refresh(pg_temp.h('l-r1-r'), pg_temp.h('r1-other'), pg_temp.h('r1-other-a'), 900, 10)$$,
    $$VALUES ('superseded'::text, 'r1'::text)$$,
    'refresh: the previous token within grace, but rotated to something else -> superseded');
RESET ROLE;
SELECT results_eq(
    $$SELECT refresh_hash = pg_temp.h('r1-r1'), access_hash = pg_temp.h('r1-a1'), revoked_at IS NULL
        FROM gh.sessions WHERE id = 'r1'$$,
    $$VALUES (true, true, true)$$, 'refresh: grace and superseded changed nothing');

-- reused: the previous token after the grace period revokes the session
UPDATE gh.sessions SET refreshed_at = now() - interval '9 s' WHERE id = 'r1';
SET ROLE gatehouse_app;
SELECT is((SELECT outcome FROM gh.session_refresh(pg_temp.h('l-r1-r'), pg_temp.h('r1-r1'), pg_temp.h('r1-a1'), 900, 10)),
          'grace', 'refresh: 9 s after the rotation is still grace (10 s window)');
RESET ROLE;
UPDATE gh.sessions SET refreshed_at = now() - interval '11 s' WHERE id = 'r1';
SET ROLE gatehouse_app;
SELECT results_eq(
    $$SELECT outcome, session_id, user_id, org_id
        FROM gh.session_refresh(pg_temp.h('l-r1-r'), pg_temp.h('r1-r1'), pg_temp.h('r1-a1'), 900, 10)$$,
    $$VALUES ('reused'::text, 'r1'::text, 'usr_l_admin'::text, 'org_l'::text)$$,
    'refresh: the previous token 11 s after its rotation -> reused');
SELECT is((SELECT state FROM gh.session_auth(pg_temp.h('r1-a1'))), 'revoked',
          'refresh: reuse revoked the whole session (its current access token is dead)');
SELECT is((SELECT outcome FROM gh.session_refresh(pg_temp.h('r1-r1'), pg_temp.h('r1-r2'), pg_temp.h('r1-a2'), 900, 10)),
          'revoked', 'refresh: the current token of the revoked session -> revoked');
SELECT is((SELECT outcome FROM gh.session_refresh(pg_temp.h('l-r1-r'), pg_temp.h('r1-r1'), pg_temp.h('r1-a1'), 900, 10)),
          'revoked', 'refresh: the previous token of a revoked session -> revoked (no second revocation)');

-- revoked / expired / unknown for current tokens
SELECT is((SELECT outcome FROM gh.session_refresh(pg_temp.h('l-revoked-r'), pg_temp.h('x1'), pg_temp.h('x2'), 900, 10)),
          'revoked', 'refresh: revoked session -> revoked');
SELECT is((SELECT outcome FROM gh.session_refresh(pg_temp.h('l-epoch-r'), pg_temp.h('x1'), pg_temp.h('x2'), 900, 10)),
          'revoked', 'refresh: session of an old user epoch -> revoked');
SELECT is((SELECT outcome FROM gh.session_refresh(pg_temp.h('l-revidle-r'), pg_temp.h('x1'), pg_temp.h('x2'), 900, 10)),
          'revoked', 'refresh: revoked and idle -> revoked');
SELECT is((SELECT outcome FROM gh.session_refresh(pg_temp.h('l-idle-r'), pg_temp.h('x1'), pg_temp.h('x2'), 900, 10)),
          'expired', 'refresh: idle-expired session -> expired');
SELECT is((SELECT outcome FROM gh.session_refresh(pg_temp.h('l-absolute-r'), pg_temp.h('x1'), pg_temp.h('x2'), 900, 10)),
          'expired', 'refresh: session past its absolute deadline -> expired');
RESET ROLE;
SELECT results_eq(
    $$SELECT id, refresh_hash = sha256(convert_to('l-' || id || '-r', 'UTF8')) FROM gh.sessions
       WHERE id IN ('revoked', 'epoch', 'idle', 'absolute') ORDER BY id$$,
    $$VALUES ('absolute'::text, true), ('epoch', true), ('idle', true), ('revoked', true)$$,
    'refresh: dead sessions were not rotated');
SET ROLE gatehouse_app;
SELECT results_eq(
    $$SELECT outcome, session_id, user_id, org_id, access_expires_at, expires_at, last_active_at,
             idle_timeout_seconds, reauthenticated_at, created_at
        FROM gh.session_refresh(pg_temp.h('nope'), pg_temp.h('x1'), pg_temp.h('x2'), 900, 10)$$,
    $$VALUES ('unknown'::text, NULL::text, NULL::text, NULL::text, NULL::timestamptz, NULL::timestamptz,
              NULL::timestamptz, NULL::int, NULL::timestamptz, NULL::timestamptz)$$,
    'refresh: unknown token -> exactly one row, unknown, everything else NULL');
SELECT is((SELECT count(*)::int FROM gh.session_refresh(NULL, pg_temp.h('x1'), pg_temp.h('x2'), 900, 10)), 1,
          'refresh: a NULL token -> one row (unknown)');
SELECT throws_ok($$SELECT * FROM gh.session_refresh(pg_temp.h('l-live-r'), pg_temp.h('x1'), pg_temp.h('x2'), 900, NULL)$$,
                 '22023', NULL, 'refresh: a NULL grace period is refused (it would revoke on every replay)');

-- expired via the previous token; access capped by the absolute deadline
RESET ROLE;
SELECT pg_temp.mk('r2', 'usr_l_admin', p_expires => '1 min');
SET ROLE gatehouse_app;
SELECT results_eq(
    $$SELECT outcome, access_expires_at = expires_at
        FROM gh.session_refresh(pg_temp.h('l-r2-r'), pg_temp.h('r2-r1'), pg_temp.h('r2-a1'), 900, 10)$$,
    $$VALUES ('rotated'::text, true)$$,
    'refresh: the new access token never outlives the session (capped at expires_at)');
RESET ROLE;
UPDATE gh.sessions SET last_active_at = now() - interval '2 hours' WHERE id = 'r2';
SET ROLE gatehouse_app;
SELECT is((SELECT outcome FROM gh.session_refresh(pg_temp.h('l-r2-r'), pg_temp.h('r2-r1'), pg_temp.h('r2-a1'), 900, 10)),
          'expired', 'refresh: the previous token of an idle-expired session -> expired');
SELECT is((SELECT outcome FROM gh.session_refresh(pg_temp.h('r2-r1'), pg_temp.h('r2-r2'), pg_temp.h('r2-a2'), 900, 10)),
          'expired', 'refresh: the current token of an idle-expired session -> expired');

-- a token two rotations old is unknown (only one previous token is kept)
RESET ROLE;
SELECT pg_temp.mk('r3', 'usr_l_admin');
SET ROLE gatehouse_app;
SELECT is((SELECT outcome FROM gh.session_refresh(pg_temp.h('l-r3-r'), pg_temp.h('r3-r1'), pg_temp.h('r3-a1'), 900, 10)),
          'rotated', 'refresh r3 once');
SELECT is((SELECT outcome FROM gh.session_refresh(pg_temp.h('r3-r1'), pg_temp.h('r3-r2'), pg_temp.h('r3-a2'), 900, 10)),
          'rotated', 'refresh r3 twice');
SELECT is((SELECT outcome FROM gh.session_refresh(pg_temp.h('r3-r1'), pg_temp.h('r3-r2'), pg_temp.h('r3-a2'), 900, 10)),
          'grace', 'refresh r3: the token of the first rotation is now the previous one (grace)');
SELECT is((SELECT outcome FROM gh.session_refresh(pg_temp.h('l-r3-r'), pg_temp.h('r3-r1'), pg_temp.h('r3-a1'), 900, 10)),
          'unknown', 'refresh r3: the original token, two rotations old, is unknown');

-- ---------------------------------------------------------------- session_logout
RESET ROLE;
SELECT pg_temp.mk('o1', 'usr_l_other');
SELECT pg_temp.mk('o2', 'usr_l_other', p_access => '-1 s');
SELECT pg_temp.mk('o3', 'usr_l_other');
SELECT pg_temp.mk('o4', 'usr_l_other');
SELECT pg_temp.mk('oa', 'usr_l_admin');
SET ROLE gatehouse_app;
SELECT results_eq($$SELECT session_id, user_id FROM gh.session_logout(pg_temp.h('l-o1'), false)$$,
                  $$VALUES ('o1'::text, 'usr_l_other'::text)$$, 'logout: one session, returns its ids');
SELECT is((SELECT state FROM gh.session_auth(pg_temp.h('l-o1'))), 'revoked', 'logout: that session is revoked');
SELECT is((SELECT state FROM gh.session_auth(pg_temp.h('l-o3'))), 'live', 'logout: the user''s other sessions live on');
SELECT is_empty($$SELECT * FROM gh.session_logout(pg_temp.h('l-o1'), false)$$,
                'logout: an already revoked session -> no row');
SELECT is_empty($$SELECT * FROM gh.session_logout(pg_temp.h('l-o1'), true)$$,
                'logout all: a revoked session cannot end the user''s other sessions');
SELECT is((SELECT state FROM gh.session_auth(pg_temp.h('l-o3'))), 'live', '... they are still live');
SELECT is_empty($$SELECT * FROM gh.session_logout(pg_temp.h('nope'), false)$$, 'logout: unknown hash -> no row');
SELECT results_eq($$SELECT session_id, user_id FROM gh.session_logout(pg_temp.h('l-o2'), false)$$,
                  $$VALUES ('o2'::text, 'usr_l_other'::text)$$,
                  'logout: works with an expired access token');
SELECT results_eq($$SELECT session_id, user_id FROM gh.session_logout(pg_temp.h('l-o3'), true)$$,
                  $$VALUES ('o3'::text, 'usr_l_other'::text)$$, 'logout all: returns the ids');
SELECT results_eq(
    $$SELECT (SELECT state FROM gh.session_auth(pg_temp.h('l-o3'))), (SELECT state FROM gh.session_auth(pg_temp.h('l-o4'))),
             (SELECT state FROM gh.session_auth(pg_temp.h('l-oa')))$$,
    $$VALUES ('revoked'::text, 'revoked'::text, 'live'::text)$$,
    'logout all: every session of the user ends, another user''s session lives on');
RESET ROLE;
SELECT is((SELECT session_epoch FROM gh.users WHERE id = 'usr_l_other'), 1::bigint, 'logout all: by bumping the user''s epoch');
SELECT is((SELECT revoked_at FROM gh.sessions WHERE id = 'o3'), NULL, '... not by revoking rows one by one');
SET ROLE gatehouse_app;

-- ---------------------------------------------------------------- session_password_hash
SELECT results_eq($$SELECT user_id, password_hash FROM gh.session_password_hash(pg_temp.h('l-oa'))$$,
                  $$VALUES ('usr_l_admin'::text, '$argon2id$l-admin'::text)$$,
                  'password_hash: the user''s hash for a live session');
SELECT is_empty($$SELECT * FROM gh.session_password_hash(pg_temp.h('l-idle'))$$, 'password_hash: not for an idle-expired session');
SELECT is_empty($$SELECT * FROM gh.session_password_hash(pg_temp.h('l-absolute'))$$, 'password_hash: not past the absolute deadline');
SELECT is_empty($$SELECT * FROM gh.session_password_hash(pg_temp.h('l-revoked'))$$, 'password_hash: not for a revoked session');
SELECT is_empty($$SELECT * FROM gh.session_password_hash(pg_temp.h('l-o4'))$$, 'password_hash: not for an epoch-ended session');
SELECT is_empty($$SELECT * FROM gh.session_password_hash(pg_temp.h('l-oa-r'))$$, 'password_hash: not by a refresh-token hash');

-- ---------------------------------------------------------------- session_reauthenticate
RESET ROLE;
SELECT pg_temp.mk('re', 'usr_l_admin', '10 min', p_expires => '10 min');
UPDATE gh.sessions SET prev_refresh_hash = pg_temp.h('re-old'), refreshed_at = now() WHERE id = 're';
SET ROLE gatehouse_app;
BEGIN;
SELECT results_eq(
    $$SELECT session_id, user_id, org_id, idle_timeout_seconds, reauthenticated_at = now(),
             last_active_at = now(), access_expires_at = expires_at
        FROM gh.session_reauthenticate(pg_temp.h('l-re'), pg_temp.h('re-a1'), pg_temp.h('re-r1'), 900)$$,
    $$VALUES ('re'::text, 'usr_l_admin'::text, 'org_l'::text, 3600, true, true, true)$$,
    'reauthenticate: fresh authentication now, activity now, access capped at the absolute deadline');
RESET ROLE;
SELECT results_eq(
    $$SELECT access_hash = pg_temp.h('re-a1'), refresh_hash = pg_temp.h('re-r1'),
             prev_refresh_hash IS NULL, refreshed_at IS NULL
        FROM gh.sessions WHERE id = 're'$$,
    $$VALUES (true, true, true, true)$$, 'reauthenticate: new tokens, no previous refresh token');
COMMIT;
SET ROLE gatehouse_app;
SELECT is_empty($$SELECT * FROM gh.session_auth(pg_temp.h('l-re'))$$, 'reauthenticate: the old access token is gone');
SELECT is((SELECT outcome FROM gh.session_refresh(pg_temp.h('l-re-r'), pg_temp.h('x'), pg_temp.h('y'), 900, 10)),
          'unknown', 'reauthenticate: the old refresh token is unknown');
SELECT is((SELECT outcome FROM gh.session_refresh(pg_temp.h('re-old'), pg_temp.h('x'), pg_temp.h('y'), 900, 10)),
          'unknown', 'reauthenticate: the refresh token before it too');
SELECT is((SELECT state FROM gh.session_auth(pg_temp.h('re-a1'))), 'live', 'reauthenticate: the new access token is live');
SELECT is_empty($$SELECT * FROM gh.session_reauthenticate(pg_temp.h('l-idle'), pg_temp.h('z1'), pg_temp.h('z2'), 900)$$,
                'reauthenticate: not an idle-expired session');
SELECT is_empty($$SELECT * FROM gh.session_reauthenticate(pg_temp.h('l-revoked'), pg_temp.h('z1'), pg_temp.h('z2'), 900)$$,
                'reauthenticate: not a revoked session');
SELECT is((SELECT state FROM gh.session_auth(pg_temp.h('l-idle'))), 'expired', '... which stays as it was');

-- ---------------------------------------------------------------- session_change_password
RESET ROLE;
SELECT pg_temp.mk('cp1', 'usr_l_admin');
SELECT pg_temp.mk('cp2', 'usr_l_admin');
SELECT pg_temp.mk('cpidle', 'usr_l_admin', '2 hours');
SET ROLE gatehouse_app;
SELECT is_empty($$SELECT * FROM gh.session_change_password(pg_temp.h('l-cpidle'), '$argon2id$never')$$,
                'change_password: not from an idle-expired session');
SELECT throws_ok($$SELECT * FROM gh.session_change_password(pg_temp.h('l-cp1'), NULL)$$, '22023', NULL,
                 'change_password: a NULL hash is refused');
SELECT results_eq($$SELECT user_id FROM gh.session_change_password(pg_temp.h('l-cp1'), '$argon2id$new')$$,
                  $$VALUES ('usr_l_admin'::text)$$, 'change_password: returns the user');
SELECT results_eq(
    $$SELECT (SELECT state FROM gh.session_auth(pg_temp.h('l-cp1'))), (SELECT state FROM gh.session_auth(pg_temp.h('l-cp2'))),
             (SELECT state FROM gh.session_auth(pg_temp.h('l-l2')))$$,
    $$VALUES ('live'::text, 'revoked'::text, 'live'::text)$$,
    'change_password: this session stays live, the user''s other sessions end, other users are untouched');
SELECT results_eq($$SELECT password_hash FROM gh.login_lookup('admin@l.example')$$,
                  $$VALUES ('$argon2id$new'::text)$$, 'change_password: the new hash is stored');
SELECT is_empty($$SELECT * FROM gh.session_change_password(pg_temp.h('l-cp2'), '$argon2id$evil')$$,
                'change_password: not from an ended session');
SELECT results_eq($$SELECT password_hash FROM gh.login_lookup('admin@l.example')$$,
                  $$VALUES ('$argon2id$new'::text)$$, '... which changed nothing');
RESET ROLE;

SELECT * FROM finish();
