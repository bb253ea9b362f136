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
          'gh.session_create(text,text,bytea,bytea,integer,text,text,bigint,bigint)',
          'gh.signup(text,text,text,text,text)']
    <@ ARRAY(SELECT p.oid::regprocedure::text
               FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname = 'gh'
                AND has_function_privilege('gatehouse_app', p.oid, 'EXECUTE')),
    'the app role may execute the context and sign-up/login/session functions');
SELECT ok(
    ARRAY['gh.api_key_lookup(bytea)', 'gh.object_owner(text)', 'gh.invalidate(text,text)',
          'gh.node_heartbeat(text)', 'gh.node_ack(text,bigint)', 'gh.node_leave(text)',
          'gh.nodes_lagging(bigint,integer)', 'gh.session_lookup(bytea)']
    <@ ARRAY(SELECT p.oid::regprocedure::text
               FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname = 'gh' AND p.prosecdef
                AND has_function_privilege('gatehouse_app', p.oid, 'EXECUTE')),
    'the app role may execute the key, owner and invalidation functions (all SECURITY DEFINER)');
SELECT ok(
    ARRAY['gh.session_auth(bytea)', 'gh.session_touch(text[],timestamp with time zone[])',
          'gh.session_refresh(bytea,bytea,bytea,integer,integer)',
          'gh.session_logout(bytea,boolean)', 'gh.session_password_hash(bytea)',
          'gh.session_reauthenticate(bytea,bytea,bytea,integer)',
          'gh.session_change_password(bytea,text)', 'gh.invitation_accept(bytea,text)']
    <@ ARRAY(SELECT p.oid::regprocedure::text
               FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
              WHERE n.nspname = 'gh' AND p.prosecdef
                AND has_function_privilege('gatehouse_app', p.oid, 'EXECUTE')),
    'the app role may execute the session lifecycle and invitation functions (0004, SECURITY DEFINER)');
-- No function returns a credential hash: no bytea in any result column of
-- a function the app may call, and no password_hash column except from the
-- two functions whose job it is (login_lookup, session_password_hash: the
-- server verifies the password itself).
SELECT is(
    ARRAY(SELECT p.oid::regprocedure::text
            FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
           WHERE n.nspname = 'gh'
             AND has_function_privilege('gatehouse_app', p.oid, 'EXECUTE')
             AND ('bytea'::regtype = p.prorettype
                  OR 'bytea'::regtype = ANY (coalesce(p.proallargtypes, '{}'::oid[]))
                     AND EXISTS (SELECT 1 FROM unnest(p.proallargtypes, p.proargmodes) a(t, m)
                                  WHERE a.t = 'bytea'::regtype AND a.m IN ('o', 't', 'b'))
                  OR (p.oid NOT IN ('gh.session_password_hash(bytea)'::regprocedure,
                                    'gh.login_lookup(text)'::regprocedure)
                      AND 'password_hash' = ANY (coalesce(p.proargnames, '{}'::text[]))
                      AND p.proargmodes IS NOT NULL))
           ORDER BY 1),
    '{}'::text[], 'no app-callable function returns a hash (bytea, or password_hash outside the two login functions)');

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

SELECT ok(ARRAY[1, 2, 3, 4] <@ ARRAY(SELECT version FROM gh_meta.schema_migrations),
          'migrations 1, 2, 3 and 4 are recorded');

-- ---------------------------------------------------------------- modes
-- Data split by mode: every table in gh with a livemode column has a policy
-- that compares it with the context's mode, in USING and WITH CHECK, so a
-- test key can neither see nor write live rows. gh.api_keys is the one
-- deliberate exception (an org lists its keys of both modes; a key's own
-- mode decides what it may touch).
SELECT is(
    ARRAY(SELECT c.oid::regclass::text
            FROM pg_class c
           WHERE c.relnamespace = 'gh'::regnamespace AND c.relkind IN ('r', 'p')
             AND c.oid <> 'gh.api_keys'::regclass
             AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                            AND a.attname = 'livemode' AND NOT a.attisdropped)
             AND NOT EXISTS (
                 SELECT 1 FROM pg_policy p
                  WHERE p.polrelid = c.oid AND p.polcmd = '*'
                    AND pg_get_expr(p.polqual, p.polrelid)
                        LIKE '%livemode = ( SELECT gh.current_livemode()%'
                    AND pg_get_expr(p.polwithcheck, p.polrelid)
                        LIKE '%livemode = ( SELECT gh.current_livemode()%')
           ORDER BY 1),
    '{}'::text[],
    'every table with a livemode column has a FOR ALL policy checking gh.current_livemode() (USING and WITH CHECK)');
SELECT cmp_ok(
    (SELECT count(*)::int FROM pg_class c
      WHERE c.relnamespace = 'gh'::regnamespace AND c.relkind IN ('r', 'p')
        AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                       AND a.attname = 'livemode' AND NOT a.attisdropped)),
    '>=', 7, 'the mode-split tables exist (the check above is not vacuous)');

-- Every policy of a table with an org_id column has a WITH CHECK, or is
-- FOR SELECT / FOR DELETE (where none applies); USING alone would be reused
-- as the check, but saying it explicitly is the rule. (0004 added it to the
-- four 0001 policies, which had been the exception.)
SELECT is(
    ARRAY(SELECT p.polrelid::regclass::text || '.' || p.polname
            FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid
           WHERE c.relnamespace = 'gh'::regnamespace
             AND p.polcmd IN ('*', 'a', 'w') AND p.polwithcheck IS NULL
           ORDER BY 1),
    '{}'::text[], 'every policy that allows writes spells out its WITH CHECK');

-- ---------------------------------------------------------------- indexes, keys
-- The policy column is indexed: every table in gh with an org_id column has
-- an index whose first column is org_id.
SELECT is(
    ARRAY(SELECT c.oid::regclass::text
            FROM pg_class c
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped
           WHERE c.relnamespace = 'gh'::regnamespace AND c.relkind IN ('r', 'p')
             AND NOT EXISTS (SELECT 1 FROM pg_index i
                              WHERE i.indrelid = c.oid AND i.indkey[0] = a.attnum)
           ORDER BY 1),
    '{}'::text[], 'every org_id column leads an index');

-- A foreign key between two org-owned tables carries org_id on both sides
-- (and livemode, when both sides are split by mode): a child can only ever
-- point at a parent of its own org and mode.
SELECT is(
    ARRAY(SELECT c.conrelid::regclass::text || '.' || c.conname
            FROM pg_constraint c
           WHERE c.contype = 'f' AND c.connamespace = 'gh'::regnamespace
             AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.confrelid
                            AND a.attname = 'org_id' AND NOT a.attisdropped)
             AND (NOT EXISTS (
                      SELECT 1 FROM unnest(c.conkey, c.confkey) k(l, r)
                       WHERE (SELECT attname FROM pg_attribute WHERE attrelid = c.conrelid AND attnum = k.l) = 'org_id'
                         AND (SELECT attname FROM pg_attribute WHERE attrelid = c.confrelid AND attnum = k.r) = 'org_id')
                  OR (EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.conrelid
                                 AND a.attname = 'livemode' AND NOT a.attisdropped)
                      AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.confrelid
                                     AND a.attname = 'livemode' AND NOT a.attisdropped)
                      AND NOT EXISTS (
                          SELECT 1 FROM unnest(c.conkey, c.confkey) k(l, r)
                           WHERE (SELECT attname FROM pg_attribute WHERE attrelid = c.conrelid AND attnum = k.l) = 'livemode'
                             AND (SELECT attname FROM pg_attribute WHERE attrelid = c.confrelid AND attnum = k.r) = 'livemode')))
           ORDER BY 1),
    '{}'::text[], 'foreign keys between org-owned tables include org_id (and livemode where both have it)');

-- ON DELETE SET NULL / SET DEFAULT of a composite key must name its columns,
-- or it would clear org_id / livemode too (the delete then fails, or worse).
SELECT is(
    ARRAY(SELECT c.conrelid::regclass::text || '.' || c.conname
            FROM pg_constraint c
           WHERE c.contype = 'f' AND c.connamespace = 'gh'::regnamespace
             AND c.confdeltype IN ('n', 'd')
             AND EXISTS (SELECT 1 FROM unnest(coalesce(c.confdelsetcols, c.conkey)) k(l)
                          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.l
                         WHERE a.attname IN ('org_id', 'livemode'))
           ORDER BY 1),
    '{}'::text[], 'no ON DELETE SET NULL/DEFAULT clears org_id or livemode');
SELECT ok(
    (SELECT c.confdeltype = 'n' AND c.confdelsetcols IS NOT NULL
       FROM pg_constraint c
      WHERE c.conrelid = 'gh.leads'::regclass AND c.confrelid = 'gh.campaigns'::regclass),
    'leads -> campaigns is ON DELETE SET NULL (campaign_id) (the check above is not vacuous)');

-- Every ON DELETE action between two gh tables other than "goes with its
-- org". A row such an action changes or removes makes no event of its own,
-- so where the child is an object with events, the parent's delete does the
-- child's change itself first (gh_res_type.children, src/api/resource.h;
-- tested in tests/e2e/78-events). A new action here needs the same decision:
--   reviews -> applications (CASCADE)      review.deleted per review (children)
--   leads -> campaigns (SET NULL)          lead.updated per lead (children)
--   contract_executions -> contracts       contracts are never deleted (no grant)
--   sessions, invitations -> users         no event types of their own (user.removed)
--   api_keys -> users (SET NULL created_by), webhook_endpoints -> users:
--                                          the column is not in the object shown
--   api_keys -> api_keys (rotated_from)    keys are revoked, never deleted
--   webhook_queue, webhook_attempts -> events, webhook_endpoints:
--                                          delivery bookkeeping, no events
SELECT is(
    ARRAY(SELECT c.conrelid::regclass::text || ' -> ' || c.confrelid::regclass::text || ' '
                 || c.confdeltype::text
            FROM pg_constraint c
           WHERE c.contype = 'f' AND c.connamespace = 'gh'::regnamespace
             AND c.confrelid <> 'gh.orgs'::regclass AND c.confdeltype NOT IN ('a', 'r')
           ORDER BY 1),
    ARRAY['gh.api_keys -> gh.api_keys n', 'gh.api_keys -> gh.users n',
          'gh.contract_executions -> gh.contracts c', 'gh.invitations -> gh.users c',
          'gh.leads -> gh.campaigns n', 'gh.reviews -> gh.applications c', 'gh.sessions -> gh.users c',
          'gh.webhook_attempts -> gh.events c', 'gh.webhook_attempts -> gh.webhook_endpoints c',
          'gh.webhook_endpoints -> gh.users n', 'gh.webhook_queue -> gh.events c',
          'gh.webhook_queue -> gh.webhook_endpoints c'],
    'every referential action between gh tables is a known one (a new one: does its child need events?)');

SELECT * FROM finish();
