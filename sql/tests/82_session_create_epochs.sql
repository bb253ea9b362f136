-- 82_session_create_epochs.sql — 0014: a session is created only under the
-- epochs its password was checked under. Login reads the hash and the
-- epochs (gh.login_lookup), verifies Argon2id on the server, then calls
-- gh.session_create with those epochs; a password change (or logout of all,
-- force logout) in between must refuse the session, not be outrun by it.
-- The race is staged in order here, as the server's steps would interleave:
-- lookup, the change from another session, then the creation. Called as
-- gatehouse_app; set up and inspected as the superuser. Its own org (org_e).
SELECT no_plan();

INSERT INTO gh.orgs (id, name) VALUES ('org_e', 'Epochs');
INSERT INTO gh.users (id, org_id, email, password_hash, role, status) VALUES
    ('usr_e_admin', 'org_e', 'admin@e.example', '$argon2id$e-old', 'admin', 'active'),
    ('usr_e_inv', 'org_e', 'inv@e.example', NULL, 'member', 'invited');
INSERT INTO gh.invitations (id, org_id, user_id, token_hash, expires_at) VALUES
    ('inv_e', 'org_e', 'usr_e_inv', sha256('inv-e'), now() + interval '7 days');
-- The session the password is changed from (another device of the user).
INSERT INTO gh.sessions (id, org_id, user_id, access_hash, refresh_hash, access_expires_at,
                         last_active_at, expires_at, reauthenticated_at, user_epoch, org_epoch)
VALUES ('ses_e_other', 'org_e', 'usr_e_admin', sha256('e-other'), sha256('e-other-r'),
        now() + interval '15 min', now(), now() + interval '1 day', now(), 0, 0);
-- What the "server" remembers between its steps.
CREATE TABLE pg_temp.seen (user_epoch bigint, org_epoch bigint);
GRANT ALL ON pg_temp.seen TO gatehouse_app;

SET ROLE gatehouse_app;

SELECT results_eq(
    $$SELECT user_id, org_id, password_hash, user_epoch, org_epoch FROM gh.login_lookup('ADMIN@e.example')$$,
    $$VALUES ('usr_e_admin'::text, 'org_e'::text, '$argon2id$e-old'::text, 0::bigint, 0::bigint)$$,
    'login_lookup: the hash and the epochs it is valid under');

-- ---------------------------------------------------------------- the race
-- 1. A login with the old password reads the hash and the epochs ...
INSERT INTO pg_temp.seen SELECT user_epoch, org_epoch FROM gh.login_lookup('admin@e.example');
-- 2. ... while Argon2id runs, the password is changed from another session ...
SELECT results_eq($$SELECT user_id FROM gh.session_change_password(sha256('e-other'), '$argon2id$e-new')$$,
                  $$VALUES ('usr_e_admin'::text)$$, 'the password is changed from another session');
-- 3. ... and the login then asks for its session: refused, nothing created.
SELECT results_eq(
    $$SELECT outcome, session_id, org_id, expires_at IS NULL, access_expires_at IS NULL, idle_expires_at IS NULL
        FROM gh.session_create('ses_e_stale', 'usr_e_admin', sha256('e-stale'), sha256('e-stale-r'), 900,
                               '127.0.0.1', 'pgTAP', (SELECT user_epoch FROM pg_temp.seen),
                               (SELECT org_epoch FROM pg_temp.seen))$$,
    $$VALUES ('changed'::text, NULL::text, NULL::text, true, true, true)$$,
    'session_create: the password changed since the look-up -> changed, no session');
RESET ROLE;
SELECT is((SELECT count(*) FROM gh.sessions WHERE id = 'ses_e_stale'), 0::bigint,
          '... and no session row exists');
SET ROLE gatehouse_app;
SELECT is_empty($$SELECT 1 FROM gh.session_auth(sha256('e-stale'))$$,
                '... so the old password''s token is unknown');

-- A login with the new password (fresh look-up) gets its session, stored
-- under the epochs it was checked under, live.
DELETE FROM pg_temp.seen;
INSERT INTO pg_temp.seen SELECT user_epoch, org_epoch FROM gh.login_lookup('admin@e.example');
SELECT is((SELECT user_epoch FROM pg_temp.seen), 1::bigint, 'the change moved the user''s epoch');
SELECT results_eq(
    $$SELECT outcome, session_id, org_id, expires_at > now(), access_expires_at > now(), idle_expires_at > now()
        FROM gh.session_create('ses_e_new', 'usr_e_admin', sha256('e-new'), sha256('e-new-r'), 900,
                               '127.0.0.1', 'pgTAP', (SELECT user_epoch FROM pg_temp.seen),
                               (SELECT org_epoch FROM pg_temp.seen))$$,
    $$VALUES ('created'::text, 'ses_e_new'::text, 'org_e'::text, true, true, true)$$,
    'session_create: unchanged epochs -> created');
SELECT results_eq($$SELECT state, user_epoch, org_epoch FROM gh.session_auth(sha256('e-new'))$$,
                  $$VALUES ('live'::text, 1::bigint, 0::bigint)$$, '... a live session under those epochs');

-- An org force logout between look-up and creation refuses it too.
DELETE FROM pg_temp.seen;
INSERT INTO pg_temp.seen SELECT user_epoch, org_epoch FROM gh.login_lookup('admin@e.example');
RESET ROLE;
UPDATE gh.orgs SET session_epoch = session_epoch + 1 WHERE id = 'org_e';
SET ROLE gatehouse_app;
SELECT is((SELECT outcome FROM gh.session_create('ses_e_org', 'usr_e_admin', sha256('e-org'), sha256('e-org-r'), 900,
                                                '127.0.0.1', 'pgTAP', (SELECT user_epoch FROM pg_temp.seen),
                                                (SELECT org_epoch FROM pg_temp.seen))),
          'changed', 'session_create: the org''s epoch moved since the look-up -> changed');

-- Not an active user; epochs missing.
SELECT is((SELECT outcome FROM gh.session_create('ses_e_inv', 'usr_e_inv', sha256('e-inv'), sha256('e-inv-r'), 900,
                                                '127.0.0.1', 'pgTAP', 0, 0)),
          'inactive', 'session_create: an invited user -> inactive, no session');
SELECT is((SELECT outcome FROM gh.session_create('ses_e_no', 'usr_e_nobody', sha256('e-no'), sha256('e-no-r'), 900,
                                                '127.0.0.1', 'pgTAP', 0, 0)),
          'inactive', 'session_create: an unknown user -> inactive');
SELECT throws_ok($$SELECT * FROM gh.session_create('ses_e_null', 'usr_e_admin', sha256('e-null'), sha256('e-null-r'),
                                                  900, '127.0.0.1', 'pgTAP', NULL, 1)$$,
                 '22023', NULL, 'session_create: the epochs are required');
RESET ROLE;
SELECT is((SELECT count(*) FROM gh.sessions WHERE id IN ('ses_e_org', 'ses_e_inv', 'ses_e_no', 'ses_e_null')),
          0::bigint, 'no refused call created a session');

-- ---------------------------------------------------------------- invitation_accept
-- The epochs the new password is set under come back with the user id (an
-- invited user's epoch may have moved: force logout of the invited user).
UPDATE gh.users SET session_epoch = 3 WHERE id = 'usr_e_inv';
SET ROLE gatehouse_app;
SELECT results_eq($$SELECT user_id, user_epoch, org_epoch FROM gh.invitation_accept(sha256('inv-e'), '$argon2id$e-inv')$$,
                  $$VALUES ('usr_e_inv'::text, 3::bigint, 1::bigint)$$,
                  'invitation_accept: returns the user and the epochs its password was set under');
SELECT is((SELECT outcome FROM gh.session_create('ses_e_joined', 'usr_e_inv', sha256('e-joined'), sha256('e-joined-r'),
                                                900, '127.0.0.1', 'pgTAP', 3, 1)),
          'created', '... under which its session is created');
RESET ROLE;

SELECT * FROM finish();
