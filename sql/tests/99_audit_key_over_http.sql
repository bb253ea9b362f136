-- 99_audit_key_over_http.sql — gh.audit_key_over_http (0012): an API key
-- sent over plain HTTP is audited in the key's own org. Called as
-- gatehouse_app, as the server does, with what an attacker holding the
-- runtime role could try: a key it does not hold, a bad id, overlong text.
-- Uses the fixture keys (key_a_live, key_a_revoked: hash = sha256 of the
-- label); all in one transaction rolled back at the end.
BEGIN;
SELECT no_plan();

SELECT is(has_function_privilege('gatehouse_app', 'gh.audit_key_over_http(text, bytea, text, text, text)', 'EXECUTE'),
          true, 'the app may call audit_key_over_http');
SELECT is(has_function_privilege('public', 'gh.audit_key_over_http(text, bytea, text, text, text)', 'EXECUTE'),
          false, 'PUBLIC may not');

SET LOCAL ROLE gatehouse_app;
SELECT is(gh.audit_key_over_http('aud_over000000000000000001', sha256('key-a-live'), '198.51.100.7', 'curl/8', 'req_x'),
          true, 'a live key: written');
SELECT is(gh.audit_key_over_http('aud_over000000000000000002', sha256('key-a-revoked'), '198.51.100.7', 'curl/8', 'req_y'),
          true, 'a revoked key too (its secret leaked all the same)');
SELECT is(gh.audit_key_over_http('aud_over000000000000000003', sha256('no-such-key'), '198.51.100.7', 'curl/8', 'req_z'),
          false, 'an unknown key: nothing');
SELECT is(gh.audit_key_over_http('aud_over000000000000000004', NULL, '198.51.100.7', 'curl/8', 'req_z'),
          false, 'no hash: nothing');
SELECT throws_ok($$SELECT gh.audit_key_over_http('evt_nope', sha256('key-a-live'), NULL, NULL, NULL)$$,
                 '22023', NULL, 'an id of another shape is refused');
SELECT is(gh.audit_key_over_http('aud_over000000000000000005', sha256('key-a-live'), repeat('9', 500), repeat('u', 5000), repeat('r', 500)),
          true, 'overlong text is cut, not refused');
RESET ROLE;

SELECT is((SELECT org_id || ' ' || action || ' ' || actor || ' ' || credential_id || ' ' || target
             FROM gh.audit_log WHERE id = 'aud_over000000000000000001'),
          'org_a api_key.sent_over_http key_a_live key_a_live key_a_live', 'the row is the key''s, in the key''s org');
SELECT is((SELECT details->>'revoked' FROM gh.audit_log WHERE id = 'aud_over000000000000000002'), 'true',
          'details say the key was revoked');
SELECT is((SELECT length(ip) || ' ' || length(user_agent) || ' ' || length(request_id)
             FROM gh.audit_log WHERE id = 'aud_over000000000000000005'), '64 512 64', 'text cut to the app''s lengths');
SELECT is((SELECT count(*)::int FROM gh.audit_log WHERE id LIKE 'aud_over%'), 3, 'nothing else written');

SELECT * FROM finish();
ROLLBACK;
