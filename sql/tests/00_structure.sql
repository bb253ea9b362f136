-- 00_structure.sql — the catalog says what RLS needs it to say.
-- Run by tests/db/run.sh (pg_prove, as the superuser; psql variable :impl is
-- the context implementation under test). Every check lists the offending
-- objects from the catalog, so a NEW table, view or function that breaks a
-- rule fails here without anyone updating this file.
SELECT no_plan();

-- Every table in gh/gh_private has RLS enabled AND forced (forced: even the
-- table owner is subject to it; only BYPASSRLS skips it). Materialized views
-- and foreign tables are listed too: they would bypass policies, so their
-- mere presence fails.
SELECT is(
    ARRAY(SELECT c.oid::regclass::text
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname IN ('gh', 'gh_private')
             AND c.relkind IN ('r', 'p', 'm', 'f')
             AND NOT (c.relrowsecurity AND c.relforcerowsecurity)
           ORDER BY 1),
    '{}'::text[],
    'every table in gh and gh_private has row-level security enabled and forced');

SELECT cmp_ok(
    (SELECT count(*)::int FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = 'gh' AND c.relkind IN ('r', 'p')),
    '>=', 4, 'the schema has its tables (the check above is not vacuous)');

-- Tables the app can see have a policy; otherwise RLS just hides everything
-- (safe but broken) — cheap to catch here.
SELECT is(
    ARRAY(SELECT c.oid::regclass::text
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'gh' AND c.relkind IN ('r', 'p')
             AND NOT EXISTS (SELECT 1 FROM pg_policy p WHERE p.polrelid = c.oid)
           ORDER BY 1),
    '{}'::text[],
    'every table in gh has at least one policy');

-- Every policy is for gatehouse_app only and compares with the context.
SELECT is(
    ARRAY(SELECT p.polrelid::regclass::text || '.' || p.polname
            FROM pg_policy p
            JOIN pg_class c ON c.oid = p.polrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname IN ('gh', 'gh_private')
             AND (p.polroles <> ARRAY[(SELECT oid FROM pg_roles WHERE rolname = 'gatehouse_app')]
                  OR pg_get_expr(p.polqual, p.polrelid) NOT LIKE '%gh.current_org()%'
                  OR (p.polwithcheck IS NOT NULL
                      AND pg_get_expr(p.polwithcheck, p.polrelid) NOT LIKE '%gh.current_org()%'))
           ORDER BY 1),
    '{}'::text[],
    'every policy applies to gatehouse_app only and checks gh.current_org()');

-- Views would run with their owner's rights (BYPASSRLS) unless
-- security_invoker is set.
SELECT is(
    ARRAY(SELECT c.oid::regclass::text
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname IN ('gh', 'gh_private') AND c.relkind = 'v'
             AND NOT coalesce('security_invoker=true' = ANY (c.reloptions), false)
           ORDER BY 1),
    '{}'::text[],
    'no view in gh/gh_private runs with its owner''s rights');

-- Ownership: gatehouse_owner owns the schemas and everything in them
-- (except members of third-party extensions such as pgcrypto).
SELECT is(
    ARRAY(SELECT nspname::text FROM pg_namespace
           WHERE nspname IN ('gh', 'gh_private', 'gh_meta')
             AND nspowner <> 'gatehouse_owner'::regrole ORDER BY 1),
    '{}'::text[], 'gh, gh_private, gh_meta are owned by gatehouse_owner');
SELECT is(
    (SELECT count(*)::int FROM pg_namespace WHERE nspname IN ('gh', 'gh_private', 'gh_meta')),
    3, 'the three schemas exist');

SELECT is(
    ARRAY(SELECT c.oid::regclass::text
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname IN ('gh', 'gh_private', 'gh_meta')
             AND c.relowner <> 'gatehouse_owner'::regrole
             AND NOT EXISTS (SELECT 1 FROM pg_depend d
                              WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                                AND d.deptype = 'e')
           ORDER BY 1),
    '{}'::text[], 'every relation in the Gatehouse schemas is owned by gatehouse_owner');

SELECT is(
    ARRAY(SELECT p.oid::regprocedure::text
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname IN ('gh', 'gh_private', 'gh_meta')
             AND p.proowner <> 'gatehouse_owner'::regrole
             AND NOT EXISTS (SELECT 1 FROM pg_depend d
                              JOIN pg_extension e ON e.oid = d.refobjid
                             WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                               AND d.deptype = 'e' AND e.extname <> 'gatehouse_ctx')
           ORDER BY 1),
    '{}'::text[], 'every function (gatehouse_ctx''s included) is owned by gatehouse_owner');

-- SECURITY DEFINER functions pin search_path.
SELECT is(
    ARRAY(SELECT p.oid::regprocedure::text
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname IN ('gh', 'gh_private') AND p.prosecdef
             AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) s WHERE s LIKE 'search_path=%')
           ORDER BY 1),
    '{}'::text[], 'every SECURITY DEFINER function pins search_path');

-- Nothing in gh is executable by PUBLIC; only what is granted to the app.
SELECT is(
    ARRAY(SELECT p.oid::regprocedure::text
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname IN ('gh', 'gh_private')
             AND has_function_privilege('public', p.oid, 'EXECUTE')
             AND NOT EXISTS (SELECT 1 FROM pg_depend d
                              JOIN pg_extension e ON e.oid = d.refobjid
                             WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                               AND d.deptype = 'e' AND e.extname <> 'gatehouse_ctx')
           ORDER BY 1),
    '{}'::text[], 'no Gatehouse function is executable by PUBLIC');

-- (Later migrations add more gh functions; these must stay reachable.)
SELECT ok(
    ARRAY['gh.begin_request(bytea,boolean)', 'gh.current_livemode()', 'gh.current_org()',
          'gh.login_lookup(text)',
          'gh.org_create_with_invite(text,text,text,text,text,bytea,timestamp with time zone)',
          'gh.session_create(text,text,bytea,bytea,integer,text,text)',
          'gh.signup(text,text,text,text,text)']
    <@ ARRAY(SELECT p.oid::regprocedure::text
               FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname = 'gh'
                AND has_function_privilege('gatehouse_app', p.oid, 'EXECUTE')),
    'the app role may execute the context and sign-up/login/session functions');

-- The context functions have the promised shape.
SELECT is(
    (SELECT array_agg(p.proname || ':' || p.provolatile::text || p.proparallel::text ORDER BY p.proname)::text
       FROM pg_proc p WHERE p.pronamespace = 'gh'::regnamespace
        AND p.proname IN ('current_org', 'current_livemode')),
    '{current_livemode:sr,current_org:sr}',
    'current_org/current_livemode are STABLE and PARALLEL RESTRICTED');
SELECT ok(
    (SELECT p.prosecdef AND p.proowner = 'gatehouse_owner'::regrole
       FROM pg_proc p WHERE p.oid = 'gh.begin_request(bytea,boolean)'::regprocedure),
    'begin_request is SECURITY DEFINER owned by gatehouse_owner');
SELECT is(
    (SELECT prorettype::regtype::text FROM pg_proc
      WHERE oid = 'gh_private.set_context(text,boolean)'::regprocedure),
    'void', 'gh_private.set_context(text, boolean) exists');

SELECT is((SELECT value FROM gh_meta.settings WHERE key = 'rls_context'), :'impl',
          'gh_meta.settings records the context implementation');
SELECT :'impl' = 'extension' AS impl_is_extension \gset
\if :impl_is_extension
SELECT ok(
    EXISTS (SELECT 1 FROM pg_extension e WHERE e.extname = 'gatehouse_ctx'
             AND e.extnamespace = 'gh'::regnamespace)
    AND (SELECT prolang FROM pg_proc WHERE oid = 'gh.current_org()'::regprocedure)
        = (SELECT oid FROM pg_language WHERE lanname = 'c'),
    'the installed context implementation is the gatehouse_ctx extension');
\else
SELECT ok(
    NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'gatehouse_ctx')
    AND (SELECT count(*) FROM gh_private.context_key WHERE length(key) = 32) = 1,
    'the installed context implementation is sealed (one 32-byte MAC key)');
\endif

SELECT ok(1 = ANY (ARRAY(SELECT version FROM gh_meta.schema_migrations)),
          'migration 1 is recorded');

SELECT * FROM finish();
