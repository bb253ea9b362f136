-- 40_functions.sql — the narrow SECURITY DEFINER functions the app role
-- uses before an org context exists: sign-up, org creation with an
-- invitation, login look-up, session creation. Called as gatehouse_app.
\ir helpers/visibility.sql
SELECT no_plan();
SET ROLE gatehouse_app;

-- Sign-up.
SELECT lives_ok(
    $$SELECT gh.signup('org_s1', 'Signup One', 'usr_s1', 'Founder@S1.example', '$argon2id$s1')$$,
    'signup creates an org and its admin');
SELECT throws_ok(
    $$SELECT gh.signup('org_s2', 'Signup Two', 'usr_s2', 'founder@s1.EXAMPLE', '$argon2id$s2')$$,
    '23505', NULL, 'signup with an email already registered (any case) is a unique_violation');
SELECT throws_ok(
    $$SELECT gh.signup('org_s3', 'Signup Three', 'usr_s3', 'ADMIN@b.example', '$argon2id$s3')$$,
    '23505', NULL, 'signup with another org''s email is a unique_violation');

-- Login look-up.
SELECT results_eq(
    $$SELECT user_id, org_id, password_hash FROM gh.login_lookup('FOUNDER@s1.example')$$,
    $$VALUES ('usr_s1'::text, 'org_s1'::text, '$argon2id$s1'::text)$$,
    'login_lookup finds the active user, case-insensitively');
SELECT is_empty($$SELECT * FROM gh.login_lookup('invited@a.example')$$,
                'login_lookup ignores invited users');
SELECT is_empty($$SELECT * FROM gh.login_lookup('nobody@nowhere.example')$$,
                'login_lookup finds nothing for an unknown email');

-- Sessions.
SELECT results_eq(
    $$SELECT outcome, session_id, org_id,
             expires_at = now() + interval '86400 s',
             access_expires_at = now() + interval '900 s',
             idle_expires_at = now() + interval '3600 s'
        FROM gh.session_create('ses_s1', 'usr_s1', sha256('s1-access'), sha256('s1-refresh'),
                               900, '127.0.0.1', 'pgTAP', 0, 0)$$,
    $$VALUES ('created'::text, 'ses_s1'::text, 'org_s1'::text, true, true, true)$$,
    'session_create returns the session with the org''s deadlines');
-- (The epochs it takes: 82_session_create_epochs.)
SELECT results_eq(
    $$SELECT outcome, session_id FROM gh.session_create('ses_x1', 'usr_a_invited', sha256('x1-a'), sha256('x1-r'),
                                                       900, NULL, NULL, 0, 0)$$,
    $$VALUES ('inactive'::text, NULL::text)$$,
    'session_create refuses an invited user');
SELECT results_eq(
    $$SELECT outcome, session_id FROM gh.session_create('ses_x2', 'usr_nobody', sha256('x2-a'), sha256('x2-r'),
                                                       900, NULL, NULL, 0, 0)$$,
    $$VALUES ('inactive'::text, NULL::text)$$,
    'session_create refuses an unknown user');

BEGIN;
SELECT ok(gh.begin_request(sha256('s1-access'), true), 'the new session is a valid credential');
SELECT is(gh.current_org(), 'org_s1', '... for the new org');
SELECT is(
    ARRAY(SELECT tbl FROM pg_temp.visibility('org_s1') WHERE other <> 0),
    '{}'::text[], 'new org context: no row of another org is visible');
SELECT results_eq(
    $$SELECT id, email, role, status FROM gh.users$$,
    $$VALUES ('usr_s1'::text, 'Founder@S1.example'::text, 'admin'::text, 'active'::text)$$,
    'new org context: exactly its admin is visible');
SELECT results_eq(
    $$SELECT id, user_id, ip, user_agent, reauthenticated_at = created_at FROM gh.sessions$$,
    $$VALUES ('ses_s1'::text, 'usr_s1'::text, '127.0.0.1'::text, 'pgTAP'::text, true)$$,
    'new org context: exactly its session is visible');
COMMIT;

-- Org creation with an invitation (gatehouse org create).
SELECT lives_ok(
    $$SELECT gh.org_create_with_invite('org_i1', 'Invited One', 'usr_i1', 'boss@i1.example',
                                       'inv_i1', sha256('inv-i1'), now() + interval '7 days')$$,
    'org_create_with_invite creates org, invited admin and invitation');
SELECT throws_ok(
    $$SELECT gh.org_create_with_invite('org_i2', 'Invited Two', 'usr_i2', 'Admin@A.example',
                                       'inv_i2', sha256('inv-i2'), now() + interval '7 days')$$,
    '23505', NULL, 'org_create_with_invite with a registered email is a unique_violation');
SELECT is_empty($$SELECT * FROM gh.login_lookup('boss@i1.example')$$,
                'the invited admin cannot log in yet');

RESET ROLE;
SELECT results_eq(
    $$SELECT u.org_id, u.role, u.status, u.password_hash IS NULL, i.id, i.token_hash = sha256('inv-i1')
        FROM gh.users u JOIN gh.invitations i ON i.user_id = u.id
       WHERE u.id = 'usr_i1'$$,
    $$VALUES ('org_i1'::text, 'admin'::text, 'invited'::text, true, 'inv_i1'::text, true)$$,
    'the invited admin and the invitation were stored as expected');
SELECT is((SELECT count(*)::int FROM gh.orgs WHERE id IN ('org_s2', 'org_s3', 'org_i2')), 0,
          'failed sign-ups left no org behind');

SELECT * FROM finish();
