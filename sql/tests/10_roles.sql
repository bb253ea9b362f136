-- 10_roles.sql — the roles, as the catalog describes them: the app role is
-- not privileged, belongs to no role, owns nothing and cannot reach secrets.
-- (The attempts themselves, logged in as gatehouse_app, are in
-- as_app/10_privileges.sql.)
SELECT no_plan();

SELECT is(
    (SELECT row(rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolreplication,
                rolinherit, rolcanlogin)::text
       FROM pg_roles WHERE rolname = 'gatehouse_app'),
    '(f,f,f,f,f,f,t)',
    'gatehouse_app: LOGIN, no SUPERUSER, BYPASSRLS, CREATEROLE, CREATEDB, REPLICATION, INHERIT');
SELECT is(
    (SELECT row(rolsuper, rolbypassrls, rolcanlogin, rolinherit)::text
       FROM pg_roles WHERE rolname = 'gatehouse_owner'),
    '(f,t,f,f)', 'gatehouse_owner: BYPASSRLS, NOLOGIN, NOINHERIT, not superuser');

SELECT is(
    ARRAY(SELECT roleid::regrole::text FROM pg_auth_members
           WHERE member = 'gatehouse_app'::regrole ORDER BY 1),
    '{}'::text[], 'gatehouse_app is a member of no role');
SELECT ok(NOT pg_has_role('gatehouse_app', 'gatehouse_owner', 'USAGE')
          AND NOT pg_has_role('gatehouse_app', 'gatehouse_owner', 'MEMBER'),
          'gatehouse_app cannot use or become gatehouse_owner');

-- Owns nothing: pg_shdepend records every owner dependency (this database
-- and shared objects); the direct catalog checks back it up.
SELECT is(
    (SELECT count(*)::int FROM pg_shdepend
      WHERE refclassid = 'pg_authid'::regclass AND refobjid = 'gatehouse_app'::regrole
        AND deptype = 'o'),
    0, 'gatehouse_app owns no object (pg_shdepend)');
SELECT is(
    (SELECT count(*)::int FROM pg_class WHERE relowner = 'gatehouse_app'::regrole)
  + (SELECT count(*)::int FROM pg_proc WHERE proowner = 'gatehouse_app'::regrole)
  + (SELECT count(*)::int FROM pg_namespace WHERE nspowner = 'gatehouse_app'::regrole)
  + (SELECT count(*)::int FROM pg_database WHERE datdba = 'gatehouse_app'::regrole),
    0, 'gatehouse_app owns no table, function, schema or database');

SELECT ok(NOT has_schema_privilege('gatehouse_app', 'gh_private', 'USAGE'),
          'gatehouse_app has no USAGE on gh_private');
SELECT ok(NOT has_schema_privilege('gatehouse_app', 'gh_meta', 'USAGE'),
          'gatehouse_app has no USAGE on gh_meta');
SELECT is(
    ARRAY(SELECT p.oid::regprocedure::text
            FROM pg_proc p WHERE p.pronamespace = 'gh_private'::regnamespace
             AND has_function_privilege('gatehouse_app', p.oid, 'EXECUTE')
             AND NOT EXISTS (SELECT 1 FROM pg_depend d JOIN pg_extension e ON e.oid = d.refobjid
                              WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid
                                AND d.deptype = 'e' AND e.extname <> 'gatehouse_ctx')
           ORDER BY 1),
    '{}'::text[], 'gatehouse_app has EXECUTE on no gh_private function');
SELECT ok(NOT has_column_privilege('gatehouse_app', 'gh.users', 'password_hash', 'SELECT')
      AND NOT has_column_privilege('gatehouse_app', 'gh.sessions', 'access_hash', 'SELECT')
      AND NOT has_column_privilege('gatehouse_app', 'gh.sessions', 'refresh_hash', 'SELECT')
      AND NOT has_column_privilege('gatehouse_app', 'gh.sessions', 'prev_refresh_hash', 'SELECT')
      AND NOT has_column_privilege('gatehouse_app', 'gh.invitations', 'token_hash', 'SELECT'),
    'no SELECT privilege on any credential hash column');
SELECT ok(NOT has_column_privilege('gatehouse_app', 'gh.api_keys', 'key_hash', 'SELECT')
      AND NOT has_column_privilege('gatehouse_app', 'gh.api_keys', 'key_hash', 'UPDATE')
      AND has_column_privilege('gatehouse_app', 'gh.api_keys', 'key_hash', 'INSERT'),
    'api_keys.key_hash: INSERT only, never SELECT or UPDATE');
-- Catalog-driven: any column in gh whose name says it holds a hash, token
-- or secret is not readable by the app (a new credential table cannot
-- forget its column grant).
SELECT is(
    ARRAY(SELECT c.oid::regclass::text || '.' || a.attname
            FROM pg_class c
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
           WHERE c.relnamespace = 'gh'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
             AND (a.attname ~ '(hash|token|secret)' )
             AND has_column_privilege('gatehouse_app', c.oid, a.attnum, 'SELECT')
           ORDER BY 1),
    '{}'::text[], 'no *hash*/*token*/*secret* column in gh is readable by the app');
SELECT cmp_ok(
    (SELECT count(*)::int FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
      WHERE c.relnamespace = 'gh'::regnamespace AND a.attname ~ '(hash|token|secret)'
        AND a.attnum > 0 AND NOT a.attisdropped),
    '>=', 6, 'the credential columns exist (the check above is not vacuous)');

SELECT * FROM finish();
