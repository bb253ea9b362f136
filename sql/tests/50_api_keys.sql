-- 50_api_keys.sql — API keys as credentials (begin_request), their look-up,
-- and the api_keys table under row-level security. As gatehouse_app.
-- Fixtures: tests/db/fixtures.sql (key_a_live, key_a_test, key_a_revoked,
-- key_a_expired, key_a_future, key_b_live, key_b_test; the credential of
-- key_x_y is sha256('key-x-y')).
\ir helpers/visibility.sql
SELECT no_plan();
SET ROLE gatehouse_app;

-- ---------------------------------------------------------------- begin_request

BEGIN;
SELECT ok(gh.begin_request(sha256('key-a-live'), true), 'a live key is a valid credential');
SELECT is(gh.current_org(), 'org_a', '... for its org');
SELECT is(gh.current_livemode(), true, '... in live mode');
COMMIT;

BEGIN;
SELECT ok(gh.begin_request(sha256('key-a-live'), false), 'a live key asked for test mode');
SELECT is(gh.current_livemode(), true, '... still acts in live mode (the key''s mode rules)');
SELECT ok(gh.begin_request(sha256('key-a-live'), NULL), 'a key with no mode asked');
SELECT is(gh.current_livemode(), true, '... acts in its own mode');
SELECT ok(gh.begin_request(sha256('key-a-test'), true), 'a test key asked for live mode');
SELECT is(gh.current_org(), 'org_a', '... acts for its org');
SELECT is(gh.current_livemode(), false, '... in test mode, whatever was asked');
SELECT ok(gh.begin_request(sha256('key-a-future'), true), 'a key that expires tomorrow is valid');
SELECT is(gh.current_livemode(), false, '... in its own (test) mode');
SELECT ok(gh.begin_request(sha256('key-b-live'), false), 'org B''s live key');
SELECT is(gh.current_org() || ':' || gh.current_livemode()::text, 'org_b:true',
          '... switches the context to org B, live');
COMMIT;

BEGIN;
SELECT ok(gh.begin_request(sha256('key-a-live'), true), 'begin_request(key A live)');
SELECT is(gh.begin_request(sha256('key-a-revoked'), true), false, 'a revoked key: false');
SELECT is(gh.current_org(), NULL, '... and the earlier context is gone');
SELECT is(gh.begin_request(sha256('key-a-expired'), true), false, 'an expired key: false');
SELECT is(gh.begin_request(sha256('key-a-expired'), false), false, 'an expired key, test mode asked: false');
SELECT is(gh.begin_request(sha256('key-nobody'), true), false, 'an unknown key: false');
SELECT is(gh.current_org(), NULL, 'after the refusals there is no context');
COMMIT;

-- Revocation and expiry take effect at once (the same row, a later
-- statement).
BEGIN;
SELECT ok(gh.begin_request(sha256('key-a-future'), true), 'key_a_future is valid');
UPDATE gh.api_keys SET revoked_at = now() WHERE id = 'key_a_future';
SELECT is(gh.begin_request(sha256('key-a-future'), true), false, '... and refused once revoked');
ROLLBACK;
BEGIN;
SELECT ok(gh.begin_request(sha256('key-a-future'), true), 'key_a_future is valid');
UPDATE gh.api_keys SET expires_at = now() WHERE id = 'key_a_future';
SELECT is(gh.begin_request(sha256('key-a-future'), true), false,
          '... and refused from its expires_at on (rotation grace ended)');
ROLLBACK;

-- ---------------------------------------------------------------- api_key_lookup

SELECT results_eq(
    $$SELECT key_id, org_id, livemode, scopes, expires_at IS NULL, revoked_at IS NULL
        FROM gh.api_key_lookup(sha256('key-a-live'))$$,
    $$VALUES ('key_a_live'::text, 'org_a'::text, true, '{read:applications,write:applications}'::text[],
              true, true)$$,
    'api_key_lookup: a live key with its org, mode and scopes');
SELECT results_eq(
    $$SELECT key_id, livemode, revoked_at < now(), expires_at IS NULL
        FROM gh.api_key_lookup(sha256('key-a-revoked'))$$,
    $$VALUES ('key_a_revoked'::text, true, true, true)$$,
    'api_key_lookup returns a revoked key, with revoked_at');
SELECT results_eq(
    $$SELECT key_id, expires_at < now(), revoked_at IS NULL
        FROM gh.api_key_lookup(sha256('key-a-expired'))$$,
    $$VALUES ('key_a_expired'::text, true, true)$$,
    'api_key_lookup returns an expired key, with expires_at');
SELECT results_eq(
    $$SELECT key_id, org_id, livemode FROM gh.api_key_lookup(sha256('key-b-test'))$$,
    $$VALUES ('key_b_test'::text, 'org_b'::text, false)$$,
    'api_key_lookup needs no context and finds org B''s test key');
SELECT is_empty($$SELECT * FROM gh.api_key_lookup(sha256('key-nobody'))$$,
                'api_key_lookup: nothing for an unknown hash');
SELECT is_empty($$SELECT * FROM gh.api_key_lookup(sha256('a-live'))$$,
                'api_key_lookup: a session token is not a key');
SELECT is_empty($$SELECT * FROM gh.api_key_lookup(NULL)$$, 'api_key_lookup(NULL): nothing');

-- ---------------------------------------------------------------- the table under RLS

SELECT is_empty($$SELECT id FROM gh.api_keys$$, 'no context: no key is visible');

BEGIN;
SELECT ok(gh.begin_request(sha256('a-live'), true), 'begin_request(org A live session)');
SELECT is(
    ARRAY(SELECT id || ':' || livemode::text FROM gh.api_keys ORDER BY id),
    ARRAY['key_a_expired:true', 'key_a_future:false', 'key_a_live:true',
          'key_a_revoked:true', 'key_a_test:false'],
    'org A (live session) sees all of its keys, of both modes, and none of org B''s');
SELECT is((SELECT count(*)::int FROM gh.api_keys WHERE id = 'key_b_live'), 0,
          'org B''s key cannot be fetched by id');
SELECT throws_ok($$SELECT key_hash FROM gh.api_keys$$, '42501', NULL,
                 'the app role cannot SELECT key_hash');
SELECT throws_ok($$SELECT * FROM gh.api_keys$$, '42501', NULL,
                 'the app role cannot SELECT * (it includes key_hash)');
SELECT throws_ok($$SELECT id FROM gh.api_keys WHERE key_hash = sha256('key-a-live')$$, '42501', NULL,
                 'the app role cannot probe key_hash in a WHERE clause');
COMMIT;

BEGIN;
SELECT ok(gh.begin_request(sha256('key-a-test'), false), 'begin_request(org A test key)');
SELECT is((SELECT count(*)::int FROM gh.api_keys), 5,
          'a test-mode context still lists the org''s keys of both modes');
COMMIT;

BEGIN;
SELECT ok(gh.begin_request(sha256('key-b-test'), false), 'begin_request(org B test key)');
SELECT is(
    ARRAY(SELECT id FROM gh.api_keys ORDER BY id), ARRAY['key_b_live', 'key_b_test'],
    'org B sees exactly its two keys');
SELECT is(
    ARRAY(SELECT tbl FROM pg_temp.visibility('org_b') WHERE other <> 0),
    '{}'::text[], 'org B test key context: no row of another org is visible in any table');
COMMIT;

-- Writes. Key creation runs under the creating admin session's context.
BEGIN;
SELECT ok(gh.begin_request(sha256('a-live'), true), 'begin_request(org A live session)');
SELECT lives_ok(
    $$INSERT INTO gh.api_keys (id, org_id, name, key_hash, redacted, scopes, livemode, created_by)
      VALUES ('key_a_new', 'org_a', 'new', sha256('key-a-new'), 'sk_test_...anew',
              '{read:leads,admin}', false, 'usr_a_admin')
      RETURNING id, livemode, created_at$$,
    'org A creates a test key from a live session (column list, RETURNING without key_hash)');
SELECT throws_ok(
    $$INSERT INTO gh.api_keys (id, org_id, name, key_hash, redacted, scopes, livemode)
      VALUES ('key_x1', 'org_b', 'x', sha256('key-x1'), 'x', '{admin}', true)$$,
    '42501', NULL, 'org A cannot create a key for org B (WITH CHECK)');
SELECT throws_ok(
    $$INSERT INTO gh.api_keys (id, org_id, name, key_hash, redacted, scopes, livemode)
      VALUES ('key_x2', 'org_a', 'x', sha256('key-x2'), 'x', '{}', true)$$,
    '23514', NULL, 'scopes must not be empty');
SELECT throws_ok(
    $$INSERT INTO gh.api_keys (id, org_id, name, key_hash, redacted, scopes, livemode)
      VALUES ('key_x3', 'org_a', 'x', sha256('key-x3'), 'x', '{read:leads,Admin}', true)$$,
    '23514', NULL, 'an unknown (or upper-case) scope is refused');
SELECT throws_ok(
    $$INSERT INTO gh.api_keys (id, org_id, name, key_hash, redacted, scopes, livemode)
      VALUES ('key_x4', 'org_a', 'x', sha256('key-x4'), 'x', ARRAY['admin', NULL], true)$$,
    '23514', NULL, 'a NULL scope is refused');
SELECT throws_ok(
    $$INSERT INTO gh.api_keys (id, org_id, name, key_hash, redacted, scopes, livemode)
      VALUES ('key_x5', 'org_a', 'x', sha256('key-x5'), 'x', '{{admin},{admin}}', true)$$,
    '23514', NULL, 'a two-dimensional scopes array is refused');
SELECT throws_ok(
    $$INSERT INTO gh.api_keys (id, org_id, name, key_hash, redacted, scopes, livemode)
      VALUES ('key_x6', 'org_a', 'x', sha256('key-a-live'), 'x', '{admin}', true)$$,
    '23505', NULL, 'two keys cannot share a hash');
SELECT throws_ok(
    $$INSERT INTO gh.api_keys (id, org_id, name, key_hash, redacted, scopes, livemode, created_by)
      VALUES ('key_x7', 'org_a', 'x', sha256('key-x7'), 'x', '{admin}', true, 'usr_b_admin')$$,
    '23503', NULL, 'created_by must be a user of the key''s org');
SELECT lives_ok(
    $$INSERT INTO gh.api_keys (id, org_id, name, key_hash, redacted, scopes, livemode, rotated_from)
      VALUES ('key_a_rot', 'org_a', 'A live', sha256('key-a-rot'), 'x', '{admin}', true, 'key_a_live')$$,
    'a rotated key names the key it replaced (same org and mode)');
SELECT throws_ok(
    $$INSERT INTO gh.api_keys (id, org_id, name, key_hash, redacted, scopes, livemode, rotated_from)
      VALUES ('key_x8', 'org_a', 'x', sha256('key-x8'), 'x', '{admin}', false, 'key_a_live')$$,
    '23503', NULL, 'a rotated key cannot replace a key of the other mode');
SELECT throws_ok(
    $$INSERT INTO gh.api_keys (id, org_id, name, key_hash, redacted, scopes, livemode, rotated_from)
      VALUES ('key_x9', 'org_a', 'x', sha256('key-x9'), 'x', '{admin}', true, 'key_b_live')$$,
    '23503', NULL, 'a rotated key cannot replace another org''s key');
SELECT ok(gh.begin_request(sha256('key-a-new'), true), 'the new key works at once (same transaction)');
SELECT is(gh.current_livemode(), false, '... in its own mode');

-- Updates: only revocation, expiry and usage stamps.
SELECT ok(gh.begin_request(sha256('a-live'), true), 'begin_request(org A live session)');
SELECT lives_ok(
    $$UPDATE gh.api_keys SET last_used_at = now(), last_used_ip = '192.0.2.1',
                             expires_at = now() + interval '1 hour'
       WHERE id = 'key_a_new'$$,
    'usage stamps and expiry can be updated');
SELECT throws_ok($$UPDATE gh.api_keys SET key_hash = sha256('x') WHERE id = 'key_a_new'$$,
                 '42501', NULL, 'key_hash cannot be updated');
SELECT throws_ok($$UPDATE gh.api_keys SET livemode = true WHERE id = 'key_a_new'$$,
                 '42501', NULL, 'a key''s mode cannot be updated');
SELECT throws_ok($$UPDATE gh.api_keys SET org_id = 'org_b' WHERE id = 'key_a_new'$$,
                 '42501', NULL, 'a key''s org cannot be updated');
SELECT throws_ok($$UPDATE gh.api_keys SET scopes = '{admin}' WHERE id = 'key_a_new'$$,
                 '42501', NULL, 'a key''s scopes cannot be updated');
SELECT throws_ok($$DELETE FROM gh.api_keys WHERE id = 'key_a_new'$$,
                 '42501', NULL, 'keys cannot be deleted');
WITH u AS (UPDATE gh.api_keys SET revoked_at = now() WHERE id = 'key_b_live' RETURNING 1)
SELECT is((SELECT count(*)::int FROM u), 0, 'org A cannot revoke org B''s key');
ROLLBACK;

RESET ROLE;
SELECT is((SELECT revoked_at FROM gh.api_keys WHERE id = 'key_b_live'), NULL,
          'org B''s key is untouched');
SELECT is((SELECT count(*)::int FROM gh.api_keys WHERE id LIKE 'key_x%' OR id IN ('key_a_new', 'key_a_rot')),
          0, 'nothing written above survived the rollback');

SELECT * FROM finish();
