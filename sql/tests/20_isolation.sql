-- 20_isolation.sql — as gatehouse_app, an org context shows that org's rows
-- and nothing of any other org, in every table; no context shows nothing.
-- Fixture data: tests/db/fixtures.sql (org_a, org_b).
\ir helpers/visibility.sql
SELECT no_plan();

SET ROLE gatehouse_app;

-- No context at all: every table reads as empty.
SELECT is(gh.current_org(), NULL, 'no context: current_org() is NULL');
SELECT is(gh.current_livemode(), NULL, 'no context: current_livemode() is NULL');
SELECT is(
    ARRAY(SELECT tbl FROM pg_temp.visibility('org_a') WHERE coalesce(own, 0) + other <> 0),
    '{}'::text[], 'no context: no row of any table is visible');

-- Org A.
BEGIN;
SELECT ok(gh.begin_request(sha256('a-live'), true), 'begin_request with org A''s live session');
SELECT is(gh.current_org(), 'org_a', 'context is org A');
SELECT is(gh.current_livemode(), true, 'context is live mode');
SELECT is(
    ARRAY(SELECT tbl FROM pg_temp.visibility('org_a') WHERE other <> 0),
    '{}'::text[], 'org A context: no row of another org is visible in any table');
SELECT is(
    ARRAY(SELECT tbl || '=' || own FROM pg_temp.visibility('org_a')
           WHERE tbl IN ('gh.orgs', 'gh.users', 'gh.sessions') ORDER BY 1),
    ARRAY['gh.orgs=1', 'gh.sessions=5', 'gh.users=3'],
    'org A context: org A''s own rows are visible');
SELECT is((SELECT count(*)::int FROM gh.users WHERE id = 'usr_b_admin'), 0,
          'org A context: org B''s user cannot be fetched by id');
SELECT is((SELECT count(*)::int FROM gh.orgs WHERE id = 'org_b'), 0,
          'org A context: org B cannot be fetched by id');
WITH u AS (UPDATE gh.orgs SET name = 'pwned' WHERE id = 'org_b' RETURNING 1)
SELECT is((SELECT count(*)::int FROM u), 0, 'org A context: updating org B changes nothing');
WITH u AS (UPDATE gh.orgs SET name = 'Org A' WHERE id = 'org_a' RETURNING 1)
SELECT is((SELECT count(*)::int FROM u), 1, 'org A context: org A can update its own name');
COMMIT;

-- Org B, test mode.
BEGIN;
SELECT ok(gh.begin_request(sha256('b-live'), false), 'begin_request with org B''s live session');
SELECT is(gh.current_org(), 'org_b', 'context is org B');
SELECT is(gh.current_livemode(), false, 'context is test mode, as requested');
SELECT is(
    ARRAY(SELECT tbl FROM pg_temp.visibility('org_b') WHERE other <> 0),
    '{}'::text[], 'org B context: no row of another org is visible in any table');
SELECT is(
    ARRAY(SELECT tbl || '=' || own FROM pg_temp.visibility('org_b')
           WHERE tbl IN ('gh.orgs', 'gh.users', 'gh.sessions') ORDER BY 1),
    ARRAY['gh.orgs=1', 'gh.sessions=1', 'gh.users=1'],
    'org B context: org B''s own rows are visible');
COMMIT;

RESET ROLE;
SELECT is((SELECT name FROM gh.orgs WHERE id = 'org_b'), 'Org B', 'org B''s name is untouched');

SELECT * FROM finish();
