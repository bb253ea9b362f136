-- 60_resources.sql — the resource tables are split by org AND mode at the
-- database layer: what each context sees, what it may write, and the
-- composite foreign keys that keep a child with its parent's org and mode.
-- As gatehouse_app. Fixtures: exactly one row per (org, mode) in every
-- resource table (tests/db/fixtures.sql).
\ir helpers/visibility.sql
SELECT no_plan();
SET ROLE gatehouse_app;

-- The helper reads every table with org_id and livemode (catalog-driven);
-- make sure it is not vacuous.
SELECT cmp_ok((SELECT count(*)::int FROM pg_temp.mode_visibility('org_a', true)), '>=', 6,
              'at least the six resource tables are split by mode');

SELECT is(
    ARRAY(SELECT tbl FROM pg_temp.mode_visibility('org_a', true) WHERE coalesce(own, 0) + other <> 0),
    '{}'::text[], 'no context: no resource row is visible');

-- ---------------------------------------------------------------- reading
-- For each context: exactly its own (org, mode) row in every table, and
-- nothing of the other mode or another org.

BEGIN;
SELECT ok(gh.begin_request(sha256('key-a-live'), true), 'org A, live key');
SELECT is(
    ARRAY(SELECT tbl || ' own=' || coalesce(own::text, 'denied') || ' other=' || other
            FROM pg_temp.mode_visibility('org_a', true) WHERE own IS DISTINCT FROM 1 OR other <> 0),
    '{}'::text[], 'org A live: its live row in every resource table, none of its test rows, none of org B');
SELECT is((SELECT count(*)::int FROM gh.applications WHERE id = 'app_a_test'), 0,
          'org A live: its own test application cannot be fetched by id');
COMMIT;

BEGIN;
SELECT ok(gh.begin_request(sha256('key-a-test'), true), 'org A, test key (live mode asked)');
SELECT is(
    ARRAY(SELECT tbl || ' own=' || coalesce(own::text, 'denied') || ' other=' || other
            FROM pg_temp.mode_visibility('org_a', false) WHERE own IS DISTINCT FROM 1 OR other <> 0),
    '{}'::text[], 'org A test: its test row in every resource table, none of its live rows, none of org B');
SELECT is((SELECT count(*)::int FROM gh.leads WHERE id = 'lead_a_live'), 0,
          'org A test: its own live lead cannot be fetched by id');
COMMIT;

BEGIN;
SELECT ok(gh.begin_request(sha256('a-live'), false), 'org A, session asking for test mode');
SELECT is(
    ARRAY(SELECT tbl || ' own=' || coalesce(own::text, 'denied') || ' other=' || other
            FROM pg_temp.mode_visibility('org_a', false) WHERE own IS DISTINCT FROM 1 OR other <> 0),
    '{}'::text[], 'org A session in test mode: test rows only');
COMMIT;

BEGIN;
SELECT ok(gh.begin_request(sha256('a-live'), true), 'org A, session in live mode');
SELECT is(
    ARRAY(SELECT tbl || ' own=' || coalesce(own::text, 'denied') || ' other=' || other
            FROM pg_temp.mode_visibility('org_a', true) WHERE own IS DISTINCT FROM 1 OR other <> 0),
    '{}'::text[], 'org A session in live mode: live rows only');
COMMIT;

BEGIN;
SELECT ok(gh.begin_request(sha256('key-b-test'), true), 'org B, test key');
SELECT is(
    ARRAY(SELECT tbl || ' own=' || coalesce(own::text, 'denied') || ' other=' || other
            FROM pg_temp.mode_visibility('org_b', false) WHERE own IS DISTINCT FROM 1 OR other <> 0),
    '{}'::text[], 'org B test: its test rows only');
COMMIT;

BEGIN;
SELECT ok(gh.begin_request(sha256('key-b-live'), true), 'org B, live key');
SELECT is(
    ARRAY(SELECT tbl || ' own=' || coalesce(own::text, 'denied') || ' other=' || other
            FROM pg_temp.mode_visibility('org_b', true) WHERE own IS DISTINCT FROM 1 OR other <> 0),
    '{}'::text[], 'org B live: its live rows only');
SELECT is(
    ARRAY(SELECT tbl FROM pg_temp.visibility('org_b') WHERE other <> 0),
    '{}'::text[], 'org B live: no row of another org in any table');
COMMIT;

-- ---------------------------------------------------------------- writing
-- Under org A's live key: rows of the other mode or another org are refused
-- by WITH CHECK (42501), in every resource table.
BEGIN;
SELECT ok(gh.begin_request(sha256('key-a-live'), true), 'org A, live key');

SELECT lives_ok($$INSERT INTO gh.applications (id, org_id, livemode, name) VALUES ('app_n1', 'org_a', true, 'n')$$,
                'applications: own org and mode is accepted');
SELECT throws_ok($$INSERT INTO gh.applications (id, org_id, livemode, name) VALUES ('app_x1', 'org_a', false, 'x')$$,
                 '42501', NULL, 'applications: a test row under a live context is refused');
SELECT throws_ok($$INSERT INTO gh.applications (id, org_id, livemode, name) VALUES ('app_x2', 'org_b', true, 'x')$$,
                 '42501', NULL, 'applications: another org''s row is refused');

SELECT lives_ok($$INSERT INTO gh.reviews (id, org_id, livemode, application_id) VALUES ('rev_n1', 'org_a', true, 'app_a_live')$$,
                'reviews: own org and mode is accepted');
SELECT throws_ok($$INSERT INTO gh.reviews (id, org_id, livemode, application_id) VALUES ('rev_x1', 'org_a', false, 'app_a_test')$$,
                 '42501', NULL, 'reviews: a test row under a live context is refused');
SELECT throws_ok($$INSERT INTO gh.reviews (id, org_id, livemode, application_id) VALUES ('rev_x2', 'org_b', true, 'app_b_live')$$,
                 '42501', NULL, 'reviews: another org''s row is refused');

SELECT lives_ok($$INSERT INTO gh.campaigns (id, org_id, livemode, name) VALUES ('cmp_n1', 'org_a', true, 'n')$$,
                'campaigns: own org and mode is accepted');
SELECT throws_ok($$INSERT INTO gh.campaigns (id, org_id, livemode, name) VALUES ('cmp_x1', 'org_a', false, 'x')$$,
                 '42501', NULL, 'campaigns: a test row under a live context is refused');
SELECT throws_ok($$INSERT INTO gh.campaigns (id, org_id, livemode, name) VALUES ('cmp_x2', 'org_b', true, 'x')$$,
                 '42501', NULL, 'campaigns: another org''s row is refused');

SELECT lives_ok($$INSERT INTO gh.leads (id, org_id, livemode, email) VALUES ('lead_n1', 'org_a', true, 'n@example.com')$$,
                'leads: own org and mode is accepted');
SELECT throws_ok($$INSERT INTO gh.leads (id, org_id, livemode, email) VALUES ('lead_x1', 'org_a', false, 'x@example.com')$$,
                 '42501', NULL, 'leads: a test row under a live context is refused');
SELECT throws_ok($$INSERT INTO gh.leads (id, org_id, livemode, email) VALUES ('lead_x2', 'org_b', true, 'x@example.com')$$,
                 '42501', NULL, 'leads: another org''s row is refused');

SELECT lives_ok($$INSERT INTO gh.contracts (id, org_id, livemode, name, source) VALUES ('ctr_n1', 'org_a', true, 'n', 's')$$,
                'contracts: own org and mode is accepted');
SELECT throws_ok($$INSERT INTO gh.contracts (id, org_id, livemode, name, source) VALUES ('ctr_x1', 'org_a', false, 'x', 's')$$,
                 '42501', NULL, 'contracts: a test row under a live context is refused');
SELECT throws_ok($$INSERT INTO gh.contracts (id, org_id, livemode, name, source) VALUES ('ctr_x2', 'org_b', true, 'x', 's')$$,
                 '42501', NULL, 'contracts: another org''s row is refused');

SELECT lives_ok($$INSERT INTO gh.contract_executions (id, org_id, livemode, contract_id) VALUES ('cex_n1', 'org_a', true, 'ctr_a_live')$$,
                'contract_executions: own org and mode is accepted');
SELECT throws_ok($$INSERT INTO gh.contract_executions (id, org_id, livemode, contract_id) VALUES ('cex_x1', 'org_a', false, 'ctr_a_test')$$,
                 '42501', NULL, 'contract_executions: a test row under a live context is refused');
SELECT throws_ok($$INSERT INTO gh.contract_executions (id, org_id, livemode, contract_id) VALUES ('cex_x2', 'org_b', true, 'ctr_b_live')$$,
                 '42501', NULL, 'contract_executions: another org''s row is refused');

-- Updating or deleting rows outside the context touches nothing.
WITH u AS (UPDATE gh.applications SET name = 'pwned' WHERE id IN ('app_a_test', 'app_b_live') RETURNING 1)
SELECT is((SELECT count(*)::int FROM u), 0, 'updating the other mode''s or org''s application changes nothing');
WITH d AS (DELETE FROM gh.campaigns WHERE id IN ('cmp_a_test', 'cmp_b_live') RETURNING 1)
SELECT is((SELECT count(*)::int FROM d), 0, 'deleting the other mode''s or org''s campaign deletes nothing');

-- Columns that are fixed at creation.
SELECT throws_ok($$UPDATE gh.applications SET livemode = false WHERE id = 'app_a_live'$$,
                 '42501', NULL, 'a row cannot be moved to the other mode');
SELECT throws_ok($$UPDATE gh.leads SET org_id = 'org_b' WHERE id = 'lead_a_live'$$,
                 '42501', NULL, 'a row cannot be moved to another org');
SELECT throws_ok($$UPDATE gh.campaigns SET id = 'cmp_other' WHERE id = 'cmp_a_live'$$,
                 '42501', NULL, 'an id cannot be changed');
SELECT throws_ok($$UPDATE gh.reviews SET created_at = now() WHERE id = 'rev_a_live'$$,
                 '42501', NULL, 'created_at cannot be changed');
SELECT throws_ok($$INSERT INTO gh.applications (id, org_id, livemode, name, seq) VALUES ('app_x3', 'org_a', true, 'x', 1)$$,
                 '42501', NULL, 'seq cannot be chosen');
SELECT throws_ok($$DELETE FROM gh.contracts WHERE id = 'ctr_a_live'$$,
                 '42501', NULL, 'contracts cannot be deleted');
SELECT throws_ok($$UPDATE gh.contract_executions SET status = 'failed' WHERE id = 'cex_a_live'$$,
                 '42501', NULL, 'contract executions cannot be updated');
SELECT throws_ok($$DELETE FROM gh.contract_executions WHERE id = 'cex_a_live'$$,
                 '42501', NULL, 'contract executions cannot be deleted');
SELECT throws_ok($$UPDATE gh.applications SET data = '[]' WHERE id = 'app_a_live'$$,
                 '23514', NULL, 'data must be a JSON object');
SELECT throws_ok($$UPDATE gh.campaigns SET status = 'running' WHERE id = 'cmp_a_live'$$,
                 '23514', NULL, 'a campaign status outside the list is refused');

-- updated_at follows every update, whatever the statement says.
UPDATE gh.applications SET name = 'renamed', updated_at = '2000-01-01' WHERE id = 'app_a_live';
SELECT is((SELECT updated_at FROM gh.applications WHERE id = 'app_a_live'), now(),
          'updated_at is set to now() by the trigger on update');
SELECT ok((SELECT created_at < updated_at FROM gh.applications WHERE id = 'app_a_live'),
          '... and created_at keeps its value');
ROLLBACK;

-- ---------------------------------------------------------------- composite keys
BEGIN;
SELECT ok(gh.begin_request(sha256('key-a-live'), true), 'org A, live key');
SELECT lives_ok(
    $$INSERT INTO gh.leads (id, org_id, livemode, email, campaign_id)
      VALUES ('lead_n2', 'org_a', true, 'n2@example.com', 'cmp_a_live')$$,
    'a lead may reference a campaign of its org and mode');
SELECT throws_ok(
    $$INSERT INTO gh.leads (id, org_id, livemode, email, campaign_id)
      VALUES ('lead_x3', 'org_a', true, 'x3@example.com', 'cmp_b_live')$$,
    '23503', NULL, 'a lead of org A cannot reference org B''s campaign');
SELECT throws_ok(
    $$INSERT INTO gh.leads (id, org_id, livemode, email, campaign_id)
      VALUES ('lead_x4', 'org_a', true, 'x4@example.com', 'cmp_a_test')$$,
    '23503', NULL, 'a live lead cannot reference its org''s test campaign');
SELECT throws_ok(
    $$UPDATE gh.leads SET campaign_id = 'cmp_a_test' WHERE id = 'lead_a_live'$$,
    '23503', NULL, 'nor be re-pointed at it later');
SELECT throws_ok(
    $$INSERT INTO gh.reviews (id, org_id, livemode, application_id)
      VALUES ('rev_x3', 'org_a', true, 'app_b_live')$$,
    '23503', NULL, 'a review cannot be of another org''s application');
SELECT throws_ok(
    $$INSERT INTO gh.reviews (id, org_id, livemode, application_id)
      VALUES ('rev_x4', 'org_a', true, 'app_a_test')$$,
    '23503', NULL, 'a live review cannot be of a test application');
SELECT throws_ok(
    $$INSERT INTO gh.contract_executions (id, org_id, livemode, contract_id)
      VALUES ('cex_x3', 'org_a', true, 'ctr_a_test')$$,
    '23503', NULL, 'a live execution cannot be of a test contract');

-- Deleting a parent: the campaign's leads stay (campaign_id cleared, org
-- and mode kept); the application's reviews go with it.
DELETE FROM gh.campaigns WHERE id = 'cmp_a_live';
SELECT results_eq(
    $$SELECT id, org_id, livemode, campaign_id FROM gh.leads WHERE id IN ('lead_a_live', 'lead_n2') ORDER BY id$$,
    $$VALUES ('lead_a_live'::text, 'org_a'::text, true, NULL::text),
             ('lead_n2'::text, 'org_a'::text, true, NULL::text)$$,
    'deleting a campaign keeps its leads, with campaign_id NULL and org/mode intact');
DELETE FROM gh.applications WHERE id = 'app_a_live';
SELECT is((SELECT count(*)::int FROM gh.reviews WHERE application_id = 'app_a_live'), 0,
          'deleting an application deletes its reviews');
ROLLBACK;

RESET ROLE;
SELECT is(
    (SELECT count(*)::int FROM gh.applications) + (SELECT count(*)::int FROM gh.reviews)
  + (SELECT count(*)::int FROM gh.campaigns) + (SELECT count(*)::int FROM gh.leads)
  + (SELECT count(*)::int FROM gh.contracts) + (SELECT count(*)::int FROM gh.contract_executions),
    24, 'the fixtures are intact (4 rows in each of the six tables)');
SELECT is((SELECT name FROM gh.applications WHERE id = 'app_b_live'), 'App b live',
          'org B''s application is untouched');

SELECT * FROM finish();
