-- 97_audit_functions.sql — the definer functions of 0011, which write audit
-- entries where no org context exists: gh.audit_login_failed (a failed login
-- of an existing account) and gh.audit_refresh_reuse (a replayed refresh
-- token). Called as gatehouse_app, as the server does, including every
-- misuse an attacker with the runtime role's SQL could try: another action,
-- another org, an invented user, a live session, a token it does not hold,
-- writing twice, bad ids, overlong text. Its own org (org_q), all in one
-- transaction rolled back at the end, so the shared fixtures stay as the
-- other suites expect.
BEGIN;
SELECT no_plan();

INSERT INTO gh.orgs (id, name) VALUES ('org_q', 'Audit Q');
INSERT INTO gh.users (id, org_id, email, password_hash, role, status) VALUES
    ('usr_q_admin',   'org_q', 'admin@q.example',   '$argon2id$q', 'admin',  'active'),
    ('usr_q_invited', 'org_q', 'invited@q.example', NULL,          'member', 'invited');
-- A session revoked for reuse (its previous refresh token is 'q-prev') and a
-- live one with a previous token too ('q-live-prev').
INSERT INTO gh.sessions (id, org_id, user_id, access_hash, refresh_hash, prev_refresh_hash,
                         access_expires_at, last_active_at, expires_at, revoked_at,
                         user_epoch, org_epoch) VALUES
    ('ses_q_reused', 'org_q', 'usr_q_admin', sha256('q-a1'), sha256('q-r1'), sha256('q-prev'),
     now() + interval '15 min', now(), now() + interval '1 day', now(), 0, 0),
    ('ses_q_live', 'org_q', 'usr_q_admin', sha256('q-a2'), sha256('q-r2'), sha256('q-live-prev'),
     now() + interval '15 min', now(), now() + interval '1 day', NULL, 0, 0);

CREATE FUNCTION pg_temp.aid(p text) RETURNS text LANGUAGE sql AS $$
    SELECT 'aud_' || rpad(p, 22, '0')
$$;
GRANT EXECUTE ON FUNCTION pg_temp.aid(text) TO gatehouse_app;

-- ---------------------------------------------------------------- privileges

SELECT is(has_function_privilege('gatehouse_app', 'gh.audit_login_failed(text, text, text, text, text, text)', 'EXECUTE'),
          true, 'the app may call audit_login_failed');
SELECT is(has_function_privilege('gatehouse_app', 'gh.audit_refresh_reuse(text, bytea, text, text, text)', 'EXECUTE'),
          true, 'the app may call audit_refresh_reuse');
SELECT is((SELECT count(*)::int FROM pg_proc p, aclexplode(p.proacl) a
            WHERE p.oid IN ('gh.audit_login_failed(text, text, text, text, text, text)'::regprocedure,
                            'gh.audit_refresh_reuse(text, bytea, text, text, text)'::regprocedure)
              AND a.grantee = 0),
          0, 'PUBLIC may call neither');
SELECT is((SELECT bool_and(p.prosecdef AND p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'])
             FROM pg_proc p
            WHERE p.oid IN ('gh.audit_login_failed(text, text, text, text, text, text)'::regprocedure,
                            'gh.audit_refresh_reuse(text, bytea, text, text, text)'::regprocedure)),
          true, 'both are SECURITY DEFINER with a pinned search_path');

-- ---------------------------------------------------------------- login failed

SET LOCAL ROLE gatehouse_app;
SELECT is(gh.audit_login_failed(pg_temp.aid('lf1'), 'usr_q_admin', '203.0.113.7', 'curl/8', 'req_q1', 'wrong_password'),
          true, 'a failed login of an active user is written');
SELECT is(gh.audit_login_failed(pg_temp.aid('lf2'), 'usr_q_admin', '203.0.113.7', repeat('u', 2000), repeat('r', 500), 'rate_limited'),
          true, 'a throttled login is written too');
SELECT is(gh.audit_login_failed(pg_temp.aid('lf3'), 'usr_q_invited', NULL, NULL, NULL, 'wrong_password'),
          false, 'not for a user who is not active');
SELECT is(gh.audit_login_failed(pg_temp.aid('lf4'), 'usr_nobody', NULL, NULL, NULL, 'wrong_password'),
          false, 'not for an unknown user');
SELECT is(gh.audit_login_failed(pg_temp.aid('lf5'), NULL, NULL, NULL, NULL, 'wrong_password'),
          false, 'nothing for no user (an unknown email)');
SELECT throws_ok($$SELECT gh.audit_login_failed(pg_temp.aid('lf6'), 'usr_q_admin', NULL, NULL, NULL, 'api_key.created')$$,
                 '22023', NULL, 'the reason is one of two words: no other action can be smuggled in');
SELECT throws_ok($$SELECT gh.audit_login_failed('aud_short', 'usr_q_admin', NULL, NULL, NULL, 'wrong_password')$$,
                 '22023', NULL, 'a malformed id is refused');
SELECT throws_ok($$SELECT gh.audit_login_failed('evt_' || repeat('x', 22), 'usr_q_admin', NULL, NULL, NULL, 'wrong_password')$$,
                 '22023', NULL, 'an id of another kind is refused');
SELECT throws_ok($$SELECT gh.audit_login_failed(pg_temp.aid('lf1'), 'usr_q_admin', NULL, NULL, NULL, 'wrong_password')$$,
                 '23505', NULL, 'an existing entry cannot be overwritten (same id)');
-- Without a context the app sees none of what it wrote.
SELECT is((SELECT count(*)::int FROM gh.audit_log), 0, 'the app reads no audit entry without a context');
RESET ROLE;

SELECT results_eq(
    $$SELECT org_id, action, actor, credential_id, target, ip, user_agent, request_id, details
        FROM gh.audit_log WHERE id = pg_temp.aid('lf1')$$,
    $$VALUES ('org_q'::text, 'login.failed'::text, 'usr_q_admin'::text, NULL::text, 'usr_q_admin'::text,
              '203.0.113.7'::text, 'curl/8'::text, 'req_q1'::text, '{"reason": "wrong_password"}'::jsonb)$$,
    'the entry: the account''s org, action fixed, actor and target the account');
SELECT is((SELECT (length(user_agent), length(request_id), details->>'reason')::text
             FROM gh.audit_log WHERE id = pg_temp.aid('lf2')),
          '(512,64,rate_limited)', 'free text is cut to the lengths the server uses');
SELECT is((SELECT count(*)::int FROM gh.audit_log WHERE org_id = 'org_q'), 2, 'two entries, no more');

-- ---------------------------------------------------------------- refresh reuse

SET LOCAL ROLE gatehouse_app;
SELECT is(gh.audit_refresh_reuse(pg_temp.aid('rr1'), sha256('q-prev'), '198.51.100.1', 'ua', 'req_q2'),
          true, 'a revoked session whose previous refresh token the caller holds: written');
SELECT is(gh.audit_refresh_reuse(pg_temp.aid('rr2'), sha256('q-prev'), NULL, NULL, NULL),
          false, 'only once per session');
SELECT is(gh.audit_refresh_reuse(pg_temp.aid('rr3'), sha256('q-live-prev'), NULL, NULL, NULL),
          false, 'not for a live session (no reuse was detected)');
SELECT is(gh.audit_refresh_reuse(pg_temp.aid('rr4'), sha256('q-r1'), NULL, NULL, NULL),
          false, 'not with the current refresh token');
SELECT is(gh.audit_refresh_reuse(pg_temp.aid('rr5'), sha256('a token nobody has'), NULL, NULL, NULL),
          false, 'not without a token of that session');
SELECT is(gh.audit_refresh_reuse(pg_temp.aid('rr6'), NULL, NULL, NULL, NULL), false, 'not for NULL');
SELECT throws_ok($$SELECT gh.audit_refresh_reuse('aud_', sha256('q-prev'), NULL, NULL, NULL)$$,
                 '22023', NULL, 'a malformed id is refused');
RESET ROLE;

SELECT results_eq(
    $$SELECT org_id, action, actor, credential_id, target, ip, request_id
        FROM gh.audit_log WHERE id = pg_temp.aid('rr1')$$,
    $$VALUES ('org_q'::text, 'session.refresh_reuse_detected'::text, 'usr_q_admin'::text, 'ses_q_reused'::text,
              'ses_q_reused'::text, '198.51.100.1'::text, 'req_q2'::text)$$,
    'the entry: the session''s org, user and id');

-- ---------------------------------------------------------------- still append-only

-- Rows written through the functions are as immutable as any: the app,
-- even with org_q's context (its live session), can neither change nor
-- remove them.
SET LOCAL ROLE gatehouse_app;
SELECT ok(gh.begin_request(sha256('q-a2'), true), 'org Q context from its live session');
SELECT is((SELECT count(*)::int FROM gh.audit_log), 3, 'org Q reads its three entries');
SELECT throws_ok($$UPDATE gh.audit_log SET action = 'org.updated' WHERE id = pg_temp.aid('lf1')$$,
                 '42501', NULL, 'the app cannot UPDATE an entry written by a function');
SELECT throws_ok($$DELETE FROM gh.audit_log WHERE id = pg_temp.aid('rr1')$$,
                 '42501', NULL, 'nor DELETE it');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
