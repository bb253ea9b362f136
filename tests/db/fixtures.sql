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
--
-- API keys (hash = sha256 of the key id's label, e.g. sha256('key-a-live')):
--   org_a: key_a_live (live), key_a_test (test), key_a_revoked (live,
--          revoked), key_a_expired (live, expired), key_a_future (test,
--          expires tomorrow)
--   org_b: key_b_live (live), key_b_test (test)
-- Resources: exactly one row per (org, mode) in every resource table, named
-- <prefix>_<a|b>_<live|test> (app_a_live, rev_b_test, cmp_a_test, lead_…,
-- ctr_…, cex_…); each child points at its parent of the same org and mode,
-- e.g. lead_a_live -> cmp_a_live, rev_b_test -> app_b_test. Events likewise
-- (evt_a_live, ...); one audit entry per org (aud_a, aud_b).
-- Usage counters (gh.api_key_usage, 0009): per org, one row for a key and
-- one for its sessions (key_id NULL), in the minute 2026-01-01T00:00Z:
-- org_a key_a_live 10 requests, sessions 3; org_b key_b_live 5, sessions 1.
-- Webhooks: one
-- endpoint per (org, mode) (whe_a_live, ... subscribed to '*', a dummy
-- sealed secret), one queued delivery of evt_<o>_<m> to it (due now) and
-- one attempt record (whd_a_live, ...). The endpoints are inserted after the
-- events, so the fan-out trigger adds nothing on its own.
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

INSERT INTO gh.api_keys (id, org_id, name, key_hash, redacted, scopes, livemode,
                         expires_at, revoked_at, created_by) VALUES
    ('key_a_live', 'org_a', 'A live', sha256('key-a-live'), 'sk_live_...aliv',
     '{read:applications,write:applications}', true, NULL, NULL, 'usr_a_admin'),
    ('key_a_test', 'org_a', 'A test', sha256('key-a-test'), 'sk_test_...ates',
     '{admin}', false, NULL, NULL, 'usr_a_admin'),
    ('key_a_revoked', 'org_a', 'A revoked', sha256('key-a-revoked'), 'sk_live_...arev',
     '{read:leads}', true, NULL, now() - interval '1 min', 'usr_a_admin'),
    ('key_a_expired', 'org_a', 'A expired', sha256('key-a-expired'), 'sk_live_...aexp',
     '{read:leads}', true, now() - interval '1 s', NULL, NULL),
    ('key_a_future', 'org_a', 'A future', sha256('key-a-future'), 'sk_test_...afut',
     '{read:leads,write:leads}', false, now() + interval '1 day', NULL, NULL),
    ('key_b_live', 'org_b', 'B live', sha256('key-b-live'), 'sk_live_...bliv',
     '{admin}', true, NULL, NULL, 'usr_b_admin'),
    ('key_b_test', 'org_b', 'B test', sha256('key-b-test'), 'sk_test_...btes',
     '{admin}', false, NULL, NULL, 'usr_b_admin');

-- One row per (org, mode) in every resource table.
INSERT INTO gh.applications (id, org_id, livemode, name, data)
SELECT 'app_' || o || '_' || m, 'org_' || o, m = 'live', 'App ' || o || ' ' || m, '{"k": 1}'
  FROM unnest(ARRAY['a', 'b']) o, unnest(ARRAY['live', 'test']) m;
INSERT INTO gh.reviews (id, org_id, livemode, application_id)
SELECT 'rev_' || o || '_' || m, 'org_' || o, m = 'live', 'app_' || o || '_' || m
  FROM unnest(ARRAY['a', 'b']) o, unnest(ARRAY['live', 'test']) m;
INSERT INTO gh.campaigns (id, org_id, livemode, name)
SELECT 'cmp_' || o || '_' || m, 'org_' || o, m = 'live', 'Campaign ' || o || ' ' || m
  FROM unnest(ARRAY['a', 'b']) o, unnest(ARRAY['live', 'test']) m;
INSERT INTO gh.leads (id, org_id, livemode, email, campaign_id)
SELECT 'lead_' || o || '_' || m, 'org_' || o, m = 'live', 'lead-' || o || '-' || m || '@example.com',
       'cmp_' || o || '_' || m
  FROM unnest(ARRAY['a', 'b']) o, unnest(ARRAY['live', 'test']) m;
INSERT INTO gh.contracts (id, org_id, livemode, name, source)
SELECT 'ctr_' || o || '_' || m, 'org_' || o, m = 'live', 'Contract ' || o || ' ' || m, 'return 1'
  FROM unnest(ARRAY['a', 'b']) o, unnest(ARRAY['live', 'test']) m;
INSERT INTO gh.contract_executions (id, org_id, livemode, contract_id)
SELECT 'cex_' || o || '_' || m, 'org_' || o, m = 'live', 'ctr_' || o || '_' || m
  FROM unnest(ARRAY['a', 'b']) o, unnest(ARRAY['live', 'test']) m;
-- Events are split by mode too (evt_a_live, ...); audit entries by org only.
INSERT INTO gh.events (id, org_id, livemode, type, data)
SELECT 'evt_' || o || '_' || m, 'org_' || o, m = 'live', 'application.created',
       json_build_object('object', json_build_object('id', 'app_' || o || '_' || m))
  FROM unnest(ARRAY['a', 'b']) o, unnest(ARRAY['live', 'test']) m;
INSERT INTO gh.audit_log (id, org_id, action, actor)
VALUES ('aud_a', 'org_a', 'login.succeeded', 'usr_a_admin'),
       ('aud_b', 'org_b', 'login.succeeded', 'usr_b_admin');
INSERT INTO gh.api_key_usage (org_id, key_id, minute, requests, succeeded, client_errors, denied, rate_limited)
VALUES ('org_a', 'key_a_live', '2026-01-01T00:00:00Z', 10, 6, 2, 1, 1),
       ('org_a', NULL,         '2026-01-01T00:00:00Z', 3, 3, 0, 0, 0),
       ('org_b', 'key_b_live', '2026-01-01T00:00:00Z', 5, 5, 0, 0, 0),
       ('org_b', NULL,         '2026-01-01T00:00:00Z', 1, 0, 0, 1, 0);
INSERT INTO gh.webhook_endpoints (id, org_id, livemode, url, events, secret_ct, created_by)
SELECT 'whe_' || o || '_' || m, 'org_' || o, m = 'live', 'https://hooks.' || o || '.example/' || m, '{*}',
       sha256(('sealed-' || o || '-' || m)::bytea), 'usr_' || o || '_admin'
  FROM unnest(ARRAY['a', 'b']) o, unnest(ARRAY['live', 'test']) m;
INSERT INTO gh.webhook_queue (org_id, livemode, event_id, endpoint_id)
SELECT 'org_' || o, m = 'live', 'evt_' || o || '_' || m, 'whe_' || o || '_' || m
  FROM unnest(ARRAY['a', 'b']) o, unnest(ARRAY['live', 'test']) m;
INSERT INTO gh.webhook_attempts (id, org_id, livemode, endpoint_id, event_id, attempt, status_code, latency_ms)
SELECT 'whd_' || o || '_' || m, 'org_' || o, m = 'live', 'whe_' || o || '_' || m, 'evt_' || o || '_' || m, 1, 200, 12
  FROM unnest(ARRAY['a', 'b']) o, unnest(ARRAY['live', 'test']) m;
COMMIT;
