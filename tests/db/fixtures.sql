-- tests/db/fixtures.sql — data shared by the pgTAP suites in sql/tests/.
-- Loaded (committed) by tests/db/run.sh as the superuser after the schema is
-- installed. Credential "hashes" here are sha256 of readable labels; the
-- suites compute the same values.
--
--   org_a: usr_a_admin (active), usr_a_member (active), usr_a_invited
--          ses_a_live (live), ses_a_expired (access token expired),
--          ses_a_revoked, ses_a_idle (idle too long), ses_a_epoch (old epoch)
--          inv_a
--   org_b: usr_b_admin (active), ses_b_live, inv_b
BEGIN;
INSERT INTO gh.orgs (id, name) VALUES ('org_a', 'Org A'), ('org_b', 'Org B');

INSERT INTO gh.users (id, org_id, email, password_hash, role, status) VALUES
    ('usr_a_admin',   'org_a', 'admin@a.example',   '$argon2id$fake-a', 'admin',  'active'),
    ('usr_a_member',  'org_a', 'member@a.example',  '$argon2id$fake-m', 'member', 'active'),
    ('usr_a_invited', 'org_a', 'invited@a.example', NULL,               'member', 'invited'),
    ('usr_b_admin',   'org_b', 'admin@b.example',   '$argon2id$fake-b', 'admin',  'active');

INSERT INTO gh.sessions (id, org_id, user_id, access_hash, refresh_hash,
                         access_expires_at, last_active_at, expires_at,
                         revoked_at, user_epoch, org_epoch) VALUES
    ('ses_a_live', 'org_a', 'usr_a_admin', sha256('a-live'), sha256('a-live-r'),
     now() + interval '15 min', now(), now() + interval '1 day', NULL, 0, 0),
    ('ses_a_expired', 'org_a', 'usr_a_member', sha256('a-expired'), sha256('a-expired-r'),
     now() - interval '1 s', now(), now() + interval '1 day', NULL, 0, 0),
    ('ses_a_revoked', 'org_a', 'usr_a_member', sha256('a-revoked'), sha256('a-revoked-r'),
     now() + interval '15 min', now(), now() + interval '1 day', now(), 0, 0),
    ('ses_a_idle', 'org_a', 'usr_a_member', sha256('a-idle'), sha256('a-idle-r'),
     now() + interval '15 min', now() - interval '2 hours', now() + interval '1 day', NULL, 0, 0),
    ('ses_a_epoch', 'org_a', 'usr_a_member', sha256('a-epoch'), sha256('a-epoch-r'),
     now() + interval '15 min', now(), now() + interval '1 day', NULL, -1, 0),
    ('ses_b_live', 'org_b', 'usr_b_admin', sha256('b-live'), sha256('b-live-r'),
     now() + interval '15 min', now(), now() + interval '1 day', NULL, 0, 0);

INSERT INTO gh.invitations (id, org_id, user_id, token_hash, expires_at) VALUES
    ('inv_a', 'org_a', 'usr_a_invited', sha256('inv-a'), now() + interval '7 days'),
    ('inv_b', 'org_b', 'usr_b_admin',   sha256('inv-b'), now() + interval '7 days');
COMMIT;
