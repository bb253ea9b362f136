-- 96_usage.sql — the usage counters (0009): gh.api_key_usage_add, the one
-- writer (adds a batch, skips what does not belong together), and the table
-- under RLS (an org reads its own counters only; the app writes none
-- directly). Catalog rules and the all-table isolation check also cover the
-- table through suites 00 and 20 (fixture rows in tests/db/fixtures.sql).
-- pgTAP records its results in the transaction, so nothing here is rolled
-- back: after each block that writes, pg_temp.restore() puts the fixture
-- rows back as they were.
SELECT no_plan();

-- ---------------------------------------------------------------- shape

SELECT ok((SELECT prosecdef FROM pg_proc
            WHERE oid = 'gh.api_key_usage_add(text[],text[],timestamptz[],bigint[],bigint[],bigint[],bigint[],bigint[])'::regprocedure),
          'api_key_usage_add is SECURITY DEFINER');
SELECT ok(has_function_privilege('gatehouse_app',
          'gh.api_key_usage_add(text[],text[],timestamptz[],bigint[],bigint[],bigint[],bigint[],bigint[])', 'EXECUTE'),
          'the app may call it');
SELECT ok(NOT has_function_privilege('public',
          'gh.api_key_usage_add(text[],text[],timestamptz[],bigint[],bigint[],bigint[],bigint[],bigint[])', 'EXECUTE'),
          'PUBLIC may not');
SELECT ok((SELECT relrowsecurity AND relforcerowsecurity FROM pg_class WHERE oid = 'gh.api_key_usage'::regclass),
          'RLS enabled and forced on api_key_usage');
SELECT is(ARRAY(SELECT privilege_type::text FROM information_schema.role_table_grants
                 WHERE grantee = 'gatehouse_app' AND table_schema = 'gh' AND table_name = 'api_key_usage'
                 ORDER BY 1),
          ARRAY['SELECT'], 'the app role has SELECT on api_key_usage and nothing else');

-- ---------------------------------------------------------------- the writer

-- Sum of one org's (or key's) counters in the fixtures' minute, as a row
-- text: requests/succeeded/client_errors/denied/rate_limited.
CREATE FUNCTION pg_temp.counts(p_org text, p_key text, p_minute timestamptz DEFAULT '2026-01-01T00:00:00Z')
RETURNS text LANGUAGE sql AS $$
    SELECT coalesce(sum(requests), 0) || '/' || coalesce(sum(succeeded), 0) || '/' ||
           coalesce(sum(client_errors), 0) || '/' || coalesce(sum(denied), 0) || '/' ||
           coalesce(sum(rate_limited), 0)
      FROM gh.api_key_usage
     WHERE org_id = p_org AND key_id IS NOT DISTINCT FROM p_key AND minute = p_minute
$$;

CREATE FUNCTION pg_temp.restore() RETURNS void LANGUAGE sql AS $$
    DELETE FROM gh.api_key_usage;
    INSERT INTO gh.api_key_usage (org_id, key_id, minute, requests, succeeded, client_errors, denied, rate_limited)
    VALUES ('org_a', 'key_a_live', '2026-01-01T00:00:00Z', 10, 6, 2, 1, 1),
           ('org_a', NULL,         '2026-01-01T00:00:00Z', 3, 3, 0, 0, 0),
           ('org_b', 'key_b_live', '2026-01-01T00:00:00Z', 5, 5, 0, 0, 0),
           ('org_b', NULL,         '2026-01-01T00:00:00Z', 1, 0, 0, 1, 0);
$$;

BEGIN;
SET LOCAL ROLE gatehouse_app;
SELECT is(gh.current_org(), NULL, 'the writer is called without an org context (the listener thread)');
SELECT is(
    gh.api_key_usage_add(
        ARRAY['org_a', 'org_a', 'org_a', 'org_a', 'org_b'],
        ARRAY['key_a_live', 'key_a_live', NULL, 'key_a_test', NULL],
        ARRAY['2026-01-01T00:00:00Z', '2026-01-01T00:00:30Z', '2026-01-01T00:00:59Z',
              '2026-01-01T00:01:00Z', '2026-01-01T00:00:00Z']::timestamptz[],
        ARRAY[2, 1, 4, 7, 2]::bigint[], ARRAY[1, 1, 4, 7, 0]::bigint[], ARRAY[1, 0, 0, 0, 0]::bigint[],
        ARRAY[0, 0, 0, 0, 1]::bigint[], ARRAY[0, 0, 0, 0, 1]::bigint[]),
    4, 'a batch of 5 elements writes 4 rows: two elements of one key and minute are summed first');
RESET ROLE;
SELECT is(pg_temp.counts('org_a', 'key_a_live'), '13/8/3/1/1',
          'an existing row is added to (10/6/2/1/1 + 2/1/1/0/0 + 1/1/0/0/0), times truncated to the minute');
SELECT is(pg_temp.counts('org_a', NULL), '7/7/0/0/0', 'sessions (key NULL) add up to their org''s NULL row');
SELECT is((SELECT count(*)::int FROM gh.api_key_usage WHERE org_id = 'org_a' AND key_id IS NULL), 1,
          'one NULL-key row per org and minute (NULLS NOT DISTINCT)');
SELECT is(pg_temp.counts('org_a', 'key_a_test', '2026-01-01T00:01:00Z'), '7/7/0/0/0', 'a new minute is a new row');
SELECT is(pg_temp.counts('org_b', NULL), '3/0/0/2/1', 'another org''s sessions row');
SELECT is(pg_temp.counts('org_b', 'key_b_live'), '5/5/0/0/0', 'rows not in the batch are untouched');

-- Retried or repeated batches add again (a flush is retried as a whole).
SET LOCAL ROLE gatehouse_app;
SELECT is(gh.api_key_usage_add(ARRAY['org_a'], ARRAY['key_a_live'], ARRAY['2026-01-01T00:00:00Z']::timestamptz[],
                               '{1}', '{1}', '{0}', '{0}', '{0}'), 1, 'a second batch');
RESET ROLE;
SELECT is(pg_temp.counts('org_a', 'key_a_live'), '14/9/3/1/1', 'adds to the same row');
COMMIT;
DO $$ BEGIN PERFORM pg_temp.restore(); END $$;

-- What does not belong together is skipped, not charged elsewhere, and does
-- not fail the batch.
BEGIN;
SET LOCAL ROLE gatehouse_app;
SELECT is(
    gh.api_key_usage_add(
        ARRAY['org_a', 'org_nope', 'org_a', 'org_a', NULL, 'org_a', 'org_a'],
        ARRAY['key_b_live', NULL, 'key_nope', 'key_a_live', 'key_a_live', 'key_a_live', 'key_a_live'],
        ARRAY['2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', NULL,
              '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z', '2026-01-01T00:05:00Z']::timestamptz[],
        ARRAY[100, 100, 100, 100, 100, -5, 1]::bigint[], ARRAY[0, 0, 0, 0, 0, 0, 1]::bigint[],
        ARRAY[0, 0, 0, 0, 0, 0, 0]::bigint[], ARRAY[0, 0, 0, 0, 0, 0, 0]::bigint[],
        ARRAY[0, 0, 0, 0, 0, 0, 0]::bigint[]),
    1, 'only the well-formed element is written');
RESET ROLE;
SELECT is(pg_temp.counts('org_a', 'key_b_live'), '0/0/0/0/0', 'another org''s key is never charged to this org');
SELECT is(pg_temp.counts('org_b', 'key_b_live'), '5/5/0/0/0', 'nor to its own org by a batch that names the wrong one');
SELECT is((SELECT count(*)::int FROM gh.api_key_usage WHERE org_id = 'org_nope' OR key_id = 'key_nope'), 0,
          'unknown orgs and keys are skipped');
SELECT is(pg_temp.counts('org_a', 'key_a_live'), '10/6/2/1/1', 'NULL minutes, NULL orgs and negative counts are skipped');
SELECT is(pg_temp.counts('org_a', 'key_a_live', '2026-01-01T00:05:00Z'), '1/1/0/0/0', 'the good element is there');
SET LOCAL ROLE gatehouse_app;
SELECT is(gh.api_key_usage_add('{}', '{}', '{}', '{}', '{}', '{}', '{}', '{}'), 0, 'an empty batch is fine');
RESET ROLE;
COMMIT;
DO $$ BEGIN PERFORM pg_temp.restore(); END $$;

-- ---------------------------------------------------------------- the table under RLS

SET ROLE gatehouse_app;
SELECT is((SELECT count(*)::int FROM gh.api_key_usage), 0, 'no context: no counter is visible');

BEGIN;
SELECT ok(gh.begin_request(sha256('a-live'), true), 'org A admin session');
SELECT is((SELECT array_agg(coalesce(key_id, '-') || '=' || requests ORDER BY key_id NULLS FIRST)::text
             FROM gh.api_key_usage),
          '{-=3,key_a_live=10}', 'org A sees its key''s and its sessions'' counters, nothing of org B');
SELECT is((SELECT sum(requests)::int FROM gh.api_key_usage WHERE key_id = 'key_b_live'), NULL,
          'org B''s key cannot be read by id');
SELECT is((SELECT sum(requests)::int FROM gh.api_key_usage
            WHERE date_trunc('hour', minute, 'UTC') = '2026-01-01T00:00:00Z'), 13,
          'the whole org, summed per hour, is its own rows only');
SELECT throws_ok($$INSERT INTO gh.api_key_usage (org_id, key_id, minute, requests)
                   VALUES ('org_a', 'key_a_live', '2026-01-01T00:02:00Z', 1)$$,
                 '42501', NULL, 'the app cannot insert a counter directly, even in its own org');
SELECT throws_ok($$UPDATE gh.api_key_usage SET requests = 0$$, '42501', NULL,
                 'nor update one');
SELECT throws_ok($$DELETE FROM gh.api_key_usage$$, '42501', NULL, 'nor delete one');
COMMIT;

BEGIN;
SELECT ok(gh.begin_request(sha256('key-b-live'), true), 'org B key');
SELECT is((SELECT sum(requests)::int FROM gh.api_key_usage), 6, 'org B sees its own 5 + 1');
SELECT is((SELECT count(*)::int FROM gh.api_key_usage WHERE org_id = 'org_a'), 0, 'and nothing of org A');
COMMIT;
RESET ROLE;

-- Counters go with their org.
BEGIN;
INSERT INTO gh.orgs (id, name) VALUES ('org_usage_gone', 'Gone');
INSERT INTO gh.api_key_usage (org_id, key_id, minute, requests) VALUES ('org_usage_gone', NULL, now(), 1);
SELECT lives_ok($$DELETE FROM gh.orgs WHERE id = 'org_usage_gone'$$, 'an org with counters can be deleted');
SELECT is((SELECT count(*)::int FROM gh.api_key_usage WHERE org_id = 'org_usage_gone'), 0, 'its counters went with it');
COMMIT;
DO $$ BEGIN PERFORM pg_temp.restore(); END $$;

-- ---------------------------------------------------------------- retention (0013)

SELECT ok((SELECT prosecdef FROM pg_proc WHERE oid = 'gh.api_key_usage_prune(integer,integer)'::regprocedure),
          'api_key_usage_prune is SECURITY DEFINER');
SELECT ok(has_function_privilege('gatehouse_app', 'gh.api_key_usage_prune(integer,integer)', 'EXECUTE'),
          'the app may call it (the listener thread prunes)');
SELECT ok(NOT has_function_privilege('public', 'gh.api_key_usage_prune(integer,integer)', 'EXECUTE'),
          'PUBLIC may not');
SELECT ok(EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                   WHERE i.indrelid = 'gh.api_key_usage'::regclass AND a.attname = 'minute' AND i.indnatts = 1),
          'an index on minute alone finds old rows of every org');

BEGIN;
-- Rows of both orgs: 3 days old (two), 30 hours old, 1 minute old; the
-- fixtures' rows (2026-01-01) are older than any retention.
INSERT INTO gh.api_key_usage (org_id, key_id, minute, requests) VALUES
    ('org_a', 'key_a_live', date_trunc('minute', now() - interval '3 days'), 1),
    ('org_b', NULL,         date_trunc('minute', now() - interval '3 days'), 1),
    ('org_a', NULL,         date_trunc('minute', now() - interval '30 hours'), 1),
    ('org_b', 'key_b_live', date_trunc('minute', now() - interval '1 minute'), 1);
SET LOCAL ROLE gatehouse_app;
SELECT is(gh.current_org(), NULL, 'the prune is called without an org context');
SELECT throws_ok($$SELECT gh.api_key_usage_prune(1, 100)$$, '22023', NULL,
                 'a retention under two days is refused (the last 24 h must stay)');
SELECT throws_ok($$SELECT gh.api_key_usage_prune(0, 100)$$, '22023', NULL, 'so is zero');
SELECT throws_ok($$SELECT gh.api_key_usage_prune(NULL, 100)$$, '22023', NULL, 'and NULL');
SELECT throws_ok($$SELECT gh.api_key_usage_prune(2, 0)$$, '22023', NULL, 'a batch of no rows is refused');
SELECT is(gh.api_key_usage_prune(2, 3), 3, 'a batch deletes at most its size');
SELECT is(gh.api_key_usage_prune(2, 3), 3, 'the next batch goes on');
SELECT is(gh.api_key_usage_prune(2, 3), 0, 'then nothing older than two days is left');
RESET ROLE;
SELECT is((SELECT array_agg(org_id || ':' || coalesce(key_id, '-') ORDER BY org_id)::text FROM gh.api_key_usage),
          '{org_a:-,org_b:key_b_live}', 'every org''s old rows went; the 30-hour and 1-minute rows stayed');
COMMIT;
DO $$ BEGIN PERFORM pg_temp.restore(); END $$;

SELECT * FROM finish();
