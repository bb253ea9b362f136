-- 30_context.sql — the context's lifetime, and attempts to forge it.
-- As gatehouse_app. Statements whose effect must be observed after a
-- ROLLBACK keep their results in psql variables (\gset), because pgTAP's
-- own bookkeeping would be rolled back with them.
\ir helpers/visibility.sql
SELECT no_plan();
SET ROLE gatehouse_app;

-- ---------------------------------------------------------------- lifetime

BEGIN;
SELECT ok(gh.begin_request(sha256('a-live'), true), 'begin_request(org A)');
COMMIT;
SELECT is(gh.current_org(), NULL, 'context is cleared at COMMIT');
SELECT is(gh.current_livemode(), NULL, 'livemode is cleared at COMMIT');

BEGIN;
SELECT gh.begin_request(sha256('a-live'), true) AS began, coalesce(gh.current_org(), '') AS org_in \gset
ROLLBACK;
SELECT is(:'org_in'::text, 'org_a', 'context was set inside the rolled-back transaction');
SELECT is(gh.current_org(), NULL, 'context is cleared at ROLLBACK');

SELECT gh.begin_request(sha256('a-live'), true) AS began \gset
SELECT is(gh.current_org(), NULL,
          'begin_request outside a transaction block ends with its own statement');

-- Savepoints behave like SET LOCAL.
BEGIN;
SELECT ok(gh.begin_request(sha256('a-live'), true), 'begin_request(org A) before savepoints');
SAVEPOINT s1;
SELECT gh.begin_request(sha256('b-live'), false) AS began, coalesce(gh.current_org(), '') AS org_in \gset
ROLLBACK TO SAVEPOINT s1;
SELECT is(:'org_in'::text, 'org_b', 'inside the savepoint the context was org B');
SELECT is(gh.current_org(), 'org_a', 'ROLLBACK TO SAVEPOINT restores org A');
SELECT is(gh.current_livemode(), true, 'ROLLBACK TO SAVEPOINT restores the mode');

SAVEPOINT s2;
SAVEPOINT s3;
SELECT gh.begin_request(sha256('b-live'), false) AS began \gset
RELEASE SAVEPOINT s3;
SELECT coalesce(gh.current_org(), '') AS org_in \gset
ROLLBACK TO SAVEPOINT s2;
SELECT is(:'org_in'::text, 'org_b', 'a released inner savepoint keeps org B');
SELECT is(gh.current_org(), 'org_a', 'rolling back the outer savepoint restores org A');

SAVEPOINT s4;
SELECT gh.begin_request(sha256('no-such-credential'), true) AS began,
       coalesce(gh.current_org(), '') AS org_in \gset
ROLLBACK TO SAVEPOINT s4;
SELECT is(:'org_in'::text, '', 'a failed begin_request inside a savepoint cleared the context');
SELECT is(gh.current_org(), 'org_a', '... and rolling back the savepoint restores org A');

DO $$
BEGIN
    PERFORM gh.begin_request(sha256('b-live'), true);
    RAISE EXCEPTION 'boom';
EXCEPTION WHEN raise_exception THEN
    NULL;
END
$$;
SELECT is(gh.current_org(), 'org_a', 'an exception block that failed restores org A');

SAVEPOINT s5;
SELECT gh.begin_request(sha256('b-live'), true) AS began \gset
RELEASE SAVEPOINT s5;
SELECT is(gh.current_org(), 'org_b', 'a released savepoint keeps its context');
COMMIT;
SELECT is(gh.current_org(), NULL, 'and COMMIT clears it');

-- ---------------------------------------------------------------- refusals

BEGIN;
SELECT ok(gh.begin_request(sha256('a-live'), true), 'begin_request(org A)');
SELECT is(gh.begin_request(sha256('no-such-credential'), true), false,
          'begin_request with an unknown hash returns false');
SELECT is(gh.current_org(), NULL, '... and clears the earlier context');
SELECT is(
    ARRAY(SELECT tbl FROM pg_temp.visibility('org_a') WHERE coalesce(own, 0) + other <> 0),
    '{}'::text[], '... and nothing is visible');
SELECT is(gh.begin_request(NULL, true), false, 'begin_request(NULL) returns false');
SELECT is(gh.begin_request(sha256('a-live'), NULL), false, 'begin_request with a NULL mode returns false');
SELECT is(gh.begin_request(sha256('a-expired'), true), false, 'expired access token: false');
SELECT is(gh.begin_request(sha256('a-revoked'), true), false, 'revoked session: false');
SELECT is(gh.begin_request(sha256('a-idle'), true), false, 'idle-expired session: false');
SELECT is(gh.begin_request(sha256('a-epoch'), true), false, 'session from an old epoch: false');
SELECT is(gh.begin_request(sha256('a-live-r'), true), false, 'a refresh token is not an access credential');
SELECT is(gh.current_org(), NULL, 'after the refusals there is no context');
COMMIT;

-- ---------------------------------------------------------------- forgery

-- Any plausible setting name, with no context.
BEGIN;
SELECT count(set_config(n, 'org_b', true)) AS n_set
  FROM unnest(ARRAY['gh.org_id', 'gh.org', 'gh.context', 'gh.ctx', 'gh.current_org',
                    'gh.livemode', 'gatehouse.org_id', 'gatehouse.context', 'app.org_id',
                    'app.current_org', 'request.org_id', 'gh_private.org_id']) n \gset
SELECT is(gh.current_org(), NULL, 'set_config of plausible names does not create a context');
SELECT is(
    ARRAY(SELECT tbl FROM pg_temp.visibility('org_b') WHERE coalesce(own, 0) + other <> 0),
    '{}'::text[], 'set_config of plausible names: nothing is visible');
COMMIT;

-- The same on top of a real org A context: org B stays out of reach.
BEGIN;
SELECT ok(gh.begin_request(sha256('a-live'), true), 'begin_request(org A)');
SELECT count(set_config(n, 'org_b', true)) AS n_set
  FROM unnest(ARRAY['gh.org_id', 'gh.org', 'gh.context', 'gh.ctx', 'gatehouse.org_id',
                    'app.org_id']) n \gset
SELECT ok(gh.current_org() IS DISTINCT FROM 'org_b', 'set_config cannot switch org A to org B');
SELECT is(
    ARRAY(SELECT tbl FROM pg_temp.visibility('org_a') WHERE other <> 0),
    '{}'::text[], 'set_config over org A: no row of another org is visible');
COMMIT;

-- Sealed design: take a genuine value for org B, then try to reuse it
-- (harmless for the extension, which has no such setting).
BEGIN;
SELECT gh.begin_request(sha256('b-live'), true) AS began,
       coalesce(current_setting('gh.context', true), '') AS sealed_b \gset
COMMIT;

BEGIN;
SELECT set_config('gh.context', :'sealed_b', true) AS x \gset
SELECT is(gh.current_org(), NULL, 'a sealed value copied from an earlier transaction does not verify');
SELECT is(
    ARRAY(SELECT tbl FROM pg_temp.visibility('org_b') WHERE coalesce(own, 0) + other <> 0),
    '{}'::text[], 'copied sealed value: nothing is visible');
COMMIT;

BEGIN;
SELECT ok(gh.begin_request(sha256('a-live'), true), 'begin_request(org A)');
SELECT set_config('gh.context', :'sealed_b', true) AS x \gset
SELECT ok(gh.current_org() IS DISTINCT FROM 'org_b',
          'a copied sealed value cannot switch org A to org B');
-- Splice org B into org A's genuine value (keeping A's MAC).
SELECT gh.begin_request(sha256('a-live'), true) AS began \gset
SELECT set_config('gh.context',
                  overlay(coalesce(current_setting('gh.context', true), '') PLACING 'org_b' FROM 68), true) AS x
 \gset
SELECT ok(gh.current_org() IS DISTINCT FROM 'org_b', 'org A''s MAC does not verify for org B');
-- Flip the mode in org A's genuine value.
SELECT gh.begin_request(sha256('a-live'), true) AS began \gset
SELECT set_config('gh.context',
                  overlay(coalesce(current_setting('gh.context', true), '') PLACING 'f' FROM 66), true) AS x
 \gset
SELECT ok(gh.current_livemode() IS DISTINCT FROM false, 'the mode cannot be flipped');
COMMIT;

-- A session-level (not LOCAL) setting is no better.
SET gh.context = 'garbage';
SELECT set_config('gh.context', :'sealed_b', false) AS x \gset
SELECT is(gh.current_org(), NULL, 'a session-level copied value does not verify');
RESET gh.context;

SELECT throws_ok('SELECT gh_private.set_context(''org_b'', true)', '42501', NULL,
                 'the internal setter is out of reach');

RESET ROLE;
SELECT * FROM finish();
