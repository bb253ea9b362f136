-- 95_events_audit.sql — the event outbox and the audit log (0008): both
-- append-only for the runtime role; the audit log append-only for every
-- role, except that it goes with its org. Isolation of both is covered by
-- the catalog-driven suites 20 and 60 (fixture rows evt_*, aud_*).
SELECT no_plan();

SET ROLE gatehouse_app;
BEGIN;
SELECT ok(gh.begin_request(sha256('a-live'), true), 'org A admin session, live');
SELECT lives_ok($$INSERT INTO gh.audit_log (id, org_id, action, actor)
                  VALUES ('aud_a_new', 'org_a', 'api_key.created', 'usr_a_admin')$$,
                'the app inserts an audit entry of its org');
SELECT throws_ok($$INSERT INTO gh.audit_log (id, org_id, action) VALUES ('aud_x', 'org_b', 'login.failed')$$,
                 '42501', NULL, 'but not one of another org');
SELECT throws_ok($$UPDATE gh.audit_log SET actor = 'usr_x' WHERE id = 'aud_a'$$,
                 '42501', NULL, 'the app cannot UPDATE an audit entry');
SELECT throws_ok($$DELETE FROM gh.audit_log WHERE id = 'aud_a'$$,
                 '42501', NULL, 'the app cannot DELETE an audit entry');
SELECT throws_ok($$TRUNCATE gh.audit_log$$, '42501', NULL, 'nor TRUNCATE the log');
SELECT lives_ok($$INSERT INTO gh.events (id, org_id, livemode, type, data)
                  VALUES ('evt_a_new', 'org_a', true, 'application.updated', '{"object":{}}')$$,
                'the app writes an event of its org and mode');
SELECT throws_ok($$INSERT INTO gh.events (id, org_id, livemode, type, data)
                   VALUES ('evt_a_t', 'org_a', false, 'application.updated', '{"object":{}}')$$,
                 '42501', NULL, 'but not one of the other mode');
SELECT throws_ok($$UPDATE gh.events SET type = 'x.y' WHERE id = 'evt_a_live'$$,
                 '42501', NULL, 'the app cannot UPDATE an event');
SELECT throws_ok($$DELETE FROM gh.events WHERE id = 'evt_a_live'$$,
                 '42501', NULL, 'the app cannot DELETE an event');
SELECT is((SELECT array_agg(org_id || '/' || livemode) FROM gh.object_owner('evt_b_test')),
          ARRAY['org_b/false'], 'object_owner knows events (for 403 org_mismatch)');
SELECT is((SELECT array_agg(org_id) FROM gh.object_owner('aud_b')),
          ARRAY['org_b'], 'object_owner knows audit entries');
COMMIT;
RESET ROLE;

-- Not even the owner (or a superuser, short of dropping the trigger) edits the log.
BEGIN;
SELECT throws_ok($$UPDATE gh.audit_log SET actor = NULL WHERE id = 'aud_a'$$,
                 '42501', 'audit_log is append-only', 'superuser UPDATE refused by the trigger');
SELECT throws_ok($$DELETE FROM gh.audit_log WHERE id = 'aud_a'$$,
                 '42501', 'audit_log is append-only', 'superuser DELETE refused by the trigger');
COMMIT;

-- Deleting an org takes its audit entries with it.
BEGIN;
INSERT INTO gh.orgs (id, name) VALUES ('org_gone', 'Gone');
INSERT INTO gh.audit_log (id, org_id, action) VALUES ('aud_gone', 'org_gone', 'org.updated');
SELECT lives_ok($$DELETE FROM gh.orgs WHERE id = 'org_gone'$$, 'an org with audit entries can be deleted');
SELECT is((SELECT count(*)::int FROM gh.audit_log WHERE org_id = 'org_gone'), 0, 'and its entries went with it');
COMMIT;

SELECT * FROM finish();
