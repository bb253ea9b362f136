-- 90_members.sql — managing members through the org context (0004): what
-- gatehouse_app may write in users, invitations and orgs under RLS, the
-- WITH CHECK of the 0001 policies, the last-admin guard, the epoch guard,
-- org cascade delete; and gh.invitation_accept. Its own orgs (org_m, org_n)
-- and sessions; the context comes from begin_request with org_m's admin
-- session, as in a request. Concurrent demotions and concurrent accepts are
-- checked by tests/db/run.sh with two connections.
SELECT no_plan();

INSERT INTO gh.orgs (id, name) VALUES ('org_m', 'Members'), ('org_n', 'Neighbours');
INSERT INTO gh.users (id, org_id, email, password_hash, role, status) VALUES
    ('usr_m_admin',  'org_m', 'admin@m.example',  '$argon2id$m', 'admin',  'active'),
    ('usr_m_member', 'org_m', 'member@m.example', '$argon2id$m2', 'member', 'active'),
    ('usr_m_inv_admin', 'org_m', 'invadmin@m.example', NULL, 'admin', 'invited'),
    ('usr_n_admin',  'org_n', 'admin@n.example',  '$argon2id$n', 'admin',  'active'),
    ('usr_n_member', 'org_n', 'member@n.example', '$argon2id$n2', 'member', 'active');
INSERT INTO gh.sessions (id, org_id, user_id, access_hash, refresh_hash, access_expires_at,
                         expires_at, user_epoch, org_epoch) VALUES
    ('ses_m', 'org_m', 'usr_m_admin', sha256('m-live'), sha256('m-live-r'),
     now() + interval '1 hour', now() + interval '1 day', 0, 0),
    ('ses_m_member', 'org_m', 'usr_m_member', sha256('m-member'), sha256('m-member-r'),
     now() + interval '1 hour', now() + interval '1 day', 0, 0),
    ('ses_n', 'org_n', 'usr_n_admin', sha256('n-live'), sha256('n-live-r'),
     now() + interval '1 hour', now() + interval '1 day', 0, 0);
INSERT INTO gh.invitations (id, org_id, user_id, token_hash, expires_at) VALUES
    ('inv_n', 'org_n', 'usr_n_member', sha256('inv-n'), now() + interval '7 days');

SET ROLE gatehouse_app;

-- ---------------------------------------------------------------- writes in the own org
BEGIN;
SELECT ok(gh.begin_request(sha256('m-live'), true), 'org M context');
SELECT results_eq(
    $$INSERT INTO gh.users (id, org_id, email, role, status)
      VALUES ('usr_m_new', 'org_m', 'new@m.example', 'member', 'invited') RETURNING id, status$$,
    $$VALUES ('usr_m_new'::text, 'invited'::text)$$, 'org M may invite a user into org M');
SELECT results_eq(
    $$INSERT INTO gh.invitations (id, org_id, user_id, token_hash, expires_at)
      VALUES ('inv_m_new', 'org_m', 'usr_m_new', sha256('inv-m-new'), now() + interval '7 days')
      RETURNING id, user_id, used_at$$,
    $$VALUES ('inv_m_new'::text, 'usr_m_new'::text, NULL::timestamptz)$$,
    'org M may create the invitation');
SELECT results_eq($$SELECT id, user_id, expires_at > now(), used_at FROM gh.invitations$$,
                  $$VALUES ('inv_m_new'::text, 'usr_m_new'::text, true, NULL::timestamptz)$$,
                  'org M lists its invitations (and only its own)');
SELECT throws_ok($$SELECT token_hash FROM gh.invitations$$, '42501', NULL, 'org M cannot read token_hash');
SELECT throws_ok(
    $$INSERT INTO gh.users (id, org_id, email, role, status)
      VALUES ('usr_m_act', 'org_m', 'act@m.example', 'member', 'active')$$,
    '23514', NULL, 'an active user cannot be inserted (no password_hash is grantable)');
SELECT throws_ok(
    $$INSERT INTO gh.users (id, org_id, email, password_hash, role, status)
      VALUES ('usr_m_pw', 'org_m', 'pw@m.example', 'x', 'member', 'active')$$,
    '42501', NULL, 'password_hash cannot be inserted');
SELECT throws_ok(
    $$INSERT INTO gh.users (id, org_id, email, role, status)
      VALUES ('usr_m_dup', 'org_m', 'ADMIN@n.example', 'member', 'invited')$$,
    '23505', NULL, 'an email registered in another org is a unique_violation (409)');
SELECT results_eq($$UPDATE gh.users SET role = 'admin' WHERE id = 'usr_m_member' RETURNING id, role$$,
                  $$VALUES ('usr_m_member'::text, 'admin'::text)$$, 'org M may promote its member');
SELECT results_eq($$UPDATE gh.users SET role = 'member' WHERE id = 'usr_m_member' RETURNING id, role$$,
                  $$VALUES ('usr_m_member'::text, 'member'::text)$$,
                  'org M may demote an admin while another active admin remains');
SELECT results_eq(
    $$UPDATE gh.users SET session_epoch = session_epoch + 1 WHERE id = 'usr_m_member' RETURNING session_epoch$$,
    $$VALUES (1::bigint)$$, 'org M may force-logout its user (epoch + 1)');
SELECT throws_ok($$UPDATE gh.users SET session_epoch = 0 WHERE id = 'usr_m_member'$$, '23514', NULL,
                 'a user''s epoch cannot go back (it would revive ended sessions)');
SELECT results_eq(
    $$UPDATE gh.orgs SET session_epoch = session_epoch + 1 RETURNING id, session_epoch$$,
    $$VALUES ('org_m'::text, 1::bigint)$$, 'org M may force-logout the whole org (and only itself)');
SELECT throws_ok($$UPDATE gh.orgs SET session_epoch = 0$$, '23514', NULL, 'an org''s epoch cannot go back');
SELECT throws_ok($$UPDATE gh.users SET org_id = 'org_n' WHERE id = 'usr_m_new'$$, '42501', NULL,
                 'a user cannot be moved to another org (org_id is not updatable)');
SELECT throws_ok($$UPDATE gh.users SET status = 'active' WHERE id = 'usr_m_new'$$, '42501', NULL,
                 'status cannot be set directly');
SELECT throws_ok($$UPDATE gh.users SET password_hash = 'x' WHERE id = 'usr_m_new'$$, '42501', NULL,
                 'password_hash cannot be set directly');
SELECT results_eq($$DELETE FROM gh.users WHERE id = 'usr_m_new' RETURNING id$$,
                  $$VALUES ('usr_m_new'::text)$$, 'org M may remove its user');
SELECT is((SELECT count(*)::int FROM gh.invitations), 0, '... whose invitation goes with it');
COMMIT;
-- The org force logout above ended ses_m; start over with a fresh session.
RESET ROLE;
UPDATE gh.sessions SET org_epoch = 1 WHERE id = 'ses_m';
SET ROLE gatehouse_app;

-- ---------------------------------------------------------------- other org: nothing
BEGIN;
SELECT ok(gh.begin_request(sha256('m-live'), true), 'org M context again');
SELECT throws_ok(
    $$INSERT INTO gh.users (id, org_id, email, role, status)
      VALUES ('usr_x1', 'org_n', 'x1@n.example', 'member', 'invited')$$,
    '42501', NULL, 'org M cannot insert a user into org N (WITH CHECK)');
SELECT throws_ok(
    $$INSERT INTO gh.invitations (id, org_id, user_id, token_hash, expires_at)
      VALUES ('inv_x1', 'org_n', 'usr_n_member', sha256('inv-x1'), now() + interval '1 day')$$,
    '42501', NULL, 'org M cannot insert an invitation into org N (WITH CHECK)');
SELECT throws_ok(
    $$INSERT INTO gh.invitations (id, org_id, user_id, token_hash, expires_at)
      VALUES ('inv_x2', 'org_m', 'usr_n_member', sha256('inv-x2'), now() + interval '1 day')$$,
    '23503', NULL, 'org M cannot invite org N''s user into org M (composite foreign key)');
SELECT is_empty($$UPDATE gh.users SET role = 'admin' WHERE id = 'usr_n_member' RETURNING id$$,
                'org M cannot re-role org N''s user');
SELECT is_empty($$UPDATE gh.users SET session_epoch = session_epoch + 1 WHERE org_id = 'org_n' RETURNING id$$,
                'org M cannot force-logout org N''s users');
SELECT is_empty($$UPDATE gh.orgs SET session_epoch = session_epoch + 1 WHERE id = 'org_n' RETURNING id$$,
                'org M cannot force-logout org N');
SELECT is_empty($$DELETE FROM gh.users WHERE id IN ('usr_n_member', 'usr_n_admin') RETURNING id$$,
                'org M cannot delete org N''s users');
SELECT is_empty($$SELECT id FROM gh.invitations WHERE id = 'inv_n'$$, 'org M cannot see org N''s invitation');
COMMIT;
RESET ROLE;
SELECT results_eq(
    $$SELECT (SELECT role || '/' || session_epoch FROM gh.users WHERE id = 'usr_n_member'),
             (SELECT count(*)::int FROM gh.users WHERE org_id = 'org_n'),
             (SELECT session_epoch FROM gh.orgs WHERE id = 'org_n'),
             (SELECT count(*)::int FROM gh.invitations WHERE org_id = 'org_n')$$,
    $$VALUES ('member/0'::text, 2, 0::bigint, 1)$$, 'org N is untouched');

-- Without any context nothing is written either.
SET ROLE gatehouse_app;
SELECT is_empty($$UPDATE gh.users SET role = 'member' RETURNING id$$, 'no context: no user is updated');
SELECT throws_ok(
    $$INSERT INTO gh.users (id, org_id, email, role, status)
      VALUES ('usr_x3', 'org_m', 'x3@m.example', 'member', 'invited')$$,
    '42501', NULL, 'no context: no user is inserted');
RESET ROLE;

-- ---------------------------------------------------------------- last admin
SET ROLE gatehouse_app;
BEGIN;
SELECT ok(gh.begin_request(sha256('m-live'), true), 'org M context (one active admin, one invited admin)');
SELECT throws_ok($$UPDATE gh.users SET role = 'member' WHERE id = 'usr_m_admin'$$, 'P0001', 'last_admin',
                 'the last active admin cannot be demoted (an invited admin does not count)');
SELECT throws_ok($$DELETE FROM gh.users WHERE id = 'usr_m_admin'$$, 'P0001', 'last_admin',
                 'the last active admin cannot be deleted');
SELECT throws_ok($$UPDATE gh.users SET role = 'member' WHERE org_id = 'org_m'$$, 'P0001', 'last_admin',
                 'demoting every admin at once is refused too');
SELECT lives_ok($$UPDATE gh.users SET role = 'admin' WHERE id = 'usr_m_admin'$$,
                'an admin may be "re-roled" to admin');
SELECT lives_ok($$UPDATE gh.users SET session_epoch = session_epoch + 1 WHERE id = 'usr_m_inv_admin'$$,
                'other updates of admins pass');
SELECT lives_ok($$UPDATE gh.users SET role = 'member' WHERE id = 'usr_m_inv_admin'$$,
                'an invited admin may be demoted');
SELECT lives_ok($$UPDATE gh.users SET role = 'admin' WHERE id = 'usr_m_member'$$, 'promote the member');
SELECT lives_ok($$UPDATE gh.users SET role = 'member' WHERE id = 'usr_m_admin'$$,
                'now the first admin may be demoted');
SELECT throws_ok($$DELETE FROM gh.users WHERE id = 'usr_m_member'$$, 'P0001', 'last_admin',
                 'and the new one is the last admin');
ROLLBACK;
RESET ROLE;
SELECT throws_ok($$UPDATE gh.users SET role = 'member' WHERE id = 'usr_n_admin'$$, 'P0001', 'last_admin',
                 'the guard holds for the owner too (not just under RLS)');

-- Deleting the org still works: the cascade removes its last admin.
SELECT lives_ok($$DELETE FROM gh.orgs WHERE id = 'org_n'$$, 'an org (with its last admin) can be deleted');
SELECT is((SELECT count(*)::int FROM gh.users WHERE org_id = 'org_n')
          + (SELECT count(*)::int FROM gh.sessions WHERE org_id = 'org_n')
          + (SELECT count(*)::int FROM gh.invitations WHERE org_id = 'org_n'), 0,
          '... with its users, sessions and invitations');

-- Removing a user ends their sessions.
SET ROLE gatehouse_app;
BEGIN;
SELECT ok(gh.begin_request(sha256('m-live'), true), 'org M context');
SELECT lives_ok($$DELETE FROM gh.users WHERE id = 'usr_m_member'$$, 'remove the member');
COMMIT;
SELECT is_empty($$SELECT * FROM gh.session_auth(sha256('m-member'))$$, 'the removed user''s session is gone');

-- ---------------------------------------------------------------- invitation_accept
RESET ROLE;
INSERT INTO gh.users (id, org_id, email, role, status) VALUES
    ('usr_m_i1', 'org_m', 'i1@m.example', 'member', 'invited'),
    ('usr_m_i2', 'org_m', 'i2@m.example', 'member', 'invited');
INSERT INTO gh.invitations (id, org_id, user_id, token_hash, expires_at) VALUES
    ('inv_m_i1', 'org_m', 'usr_m_i1', sha256('inv-m-i1'), now() + interval '7 days'),
    ('inv_m_i2', 'org_m', 'usr_m_i2', sha256('inv-m-i2'), now() - interval '1 s'),
    ('inv_m_act', 'org_m', 'usr_m_admin', sha256('inv-m-act'), now() + interval '7 days');
SET ROLE gatehouse_app;
SELECT is_empty($$SELECT * FROM gh.login_lookup('i1@m.example')$$, 'an invited user cannot log in');
SELECT results_eq($$SELECT user_id FROM gh.invitation_accept(sha256('inv-m-i1'), '$argon2id$i1')$$,
                  $$VALUES ('usr_m_i1'::text)$$, 'invitation_accept: returns the user');
SELECT results_eq($$SELECT user_id, org_id, password_hash FROM gh.login_lookup('i1@m.example')$$,
                  $$VALUES ('usr_m_i1'::text, 'org_m'::text, '$argon2id$i1'::text)$$,
                  'invitation_accept: the user is active with the password');
SELECT is_empty($$SELECT * FROM gh.invitation_accept(sha256('inv-m-i1'), '$argon2id$again')$$,
                'invitation_accept: single use');
SELECT results_eq($$SELECT password_hash FROM gh.login_lookup('i1@m.example')$$,
                  $$VALUES ('$argon2id$i1'::text)$$, '... the second use changed nothing');
SELECT is_empty($$SELECT * FROM gh.invitation_accept(sha256('inv-m-i2'), '$argon2id$i2')$$,
                'invitation_accept: an expired invitation -> no row');
SELECT is_empty($$SELECT * FROM gh.invitation_accept(sha256('nope'), '$argon2id$x')$$,
                'invitation_accept: an unknown token -> no row');
SELECT is_empty($$SELECT * FROM gh.invitation_accept(sha256('inv-m-act'), '$argon2id$takeover')$$,
                'invitation_accept: an invitation of an already active user -> no row (no password takeover)');
SELECT throws_ok($$SELECT * FROM gh.invitation_accept(sha256('inv-m-i2'), NULL)$$, '22023', NULL,
                 'invitation_accept: a NULL password hash is refused');
RESET ROLE;
SELECT results_eq(
    $$SELECT id, used_at IS NOT NULL FROM gh.invitations WHERE id IN ('inv_m_i1', 'inv_m_i2', 'inv_m_act') ORDER BY id$$,
    $$VALUES ('inv_m_act'::text, false), ('inv_m_i1', true), ('inv_m_i2', false)$$,
    'invitation_accept: only the accepted invitation is marked used');
SELECT results_eq($$SELECT status, password_hash FROM gh.users WHERE id IN ('usr_m_i2', 'usr_m_admin') ORDER BY id$$,
                  $$VALUES ('active'::text, '$argon2id$m'::text), ('invited', NULL)$$,
                  'invitation_accept: the refused ones changed no user');

SELECT * FROM finish();
