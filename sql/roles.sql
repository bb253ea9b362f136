-- sql/roles.sql — roles, schemas and bookkeeping tables.
--
-- Run by `gatehouse migrate` FIRST, on every run, as the DATABASE_URL role
-- (a superuser for the embedded cluster). Idempotent: it also repairs drift,
-- e.g. it re-asserts the application role's attributes and drops any role
-- membership someone granted it, because RLS is only as strong as these.
--
--   gatehouse_owner  NOLOGIN, BYPASSRLS. Owns every schema, table and
--                    function. Definer functions run as this role.
--   gatehouse_app    LOGIN, the only role used while serving. Not superuser,
--                    no BYPASSRLS, member of no role, owns nothing. The
--                    migrate runner sets its password afterwards.
--   gh               objects the app role may use (subject to RLS/grants)
--   gh_private       secrets and internals; the app role has no USAGE
--   gh_meta          migration bookkeeping; the app role has no USAGE
DO $roles$
DECLARE
    m record;
BEGIN
    -- The owner never logs in. NOINHERIT so that anything granted to it is
    -- used only through SET ROLE / definer functions, never implicitly.
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'gatehouse_owner') THEN
        CREATE ROLE gatehouse_owner NOLOGIN NOINHERIT BYPASSRLS;
    END IF;
    ALTER ROLE gatehouse_owner NOLOGIN NOINHERIT BYPASSRLS NOSUPERUSER
        NOCREATEDB NOCREATEROLE NOREPLICATION;

    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'gatehouse_app') THEN
        CREATE ROLE gatehouse_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB
            NOCREATEROLE NOINHERIT NOREPLICATION;
    END IF;
    ALTER ROLE gatehouse_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB
        NOCREATEROLE NOINHERIT NOREPLICATION;

    -- The app role must be a member of no role at all (in particular not of
    -- gatehouse_owner, which has BYPASSRLS): revoke whatever is there.
    FOR m IN
        SELECT r.rolname
          FROM pg_catalog.pg_auth_members am
          JOIN pg_catalog.pg_roles r ON r.oid = am.roleid
         WHERE am.member = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = 'gatehouse_app')
    LOOP
        EXECUTE format('REVOKE %I FROM gatehouse_app', m.rolname);
    END LOOP;

    -- A non-superuser migrator (managed services) must be able to
    -- SET ROLE gatehouse_owner to create objects owned by it.
    IF NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user)
       AND NOT pg_catalog.pg_has_role(current_user, 'gatehouse_owner', 'MEMBER') THEN
        EXECUTE format('GRANT gatehouse_owner TO %I', current_user);
    END IF;

    -- Schemas, all owned by gatehouse_owner.
    CREATE SCHEMA IF NOT EXISTS gh AUTHORIZATION gatehouse_owner;
    CREATE SCHEMA IF NOT EXISTS gh_private AUTHORIZATION gatehouse_owner;
    CREATE SCHEMA IF NOT EXISTS gh_meta AUTHORIZATION gatehouse_owner;
    ALTER SCHEMA gh OWNER TO gatehouse_owner;
    ALTER SCHEMA gh_private OWNER TO gatehouse_owner;
    ALTER SCHEMA gh_meta OWNER TO gatehouse_owner;

    -- Nobody but owners creates objects anywhere (the PostgreSQL < 15
    -- default let every role create in public).
    REVOKE CREATE ON SCHEMA public FROM PUBLIC;
    REVOKE ALL ON SCHEMA gh, gh_private, gh_meta FROM PUBLIC;
    GRANT USAGE ON SCHEMA gh TO gatehouse_app;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO gatehouse_app', pg_catalog.current_database());

    -- Functions created by the owner are not executable by PUBLIC unless a
    -- migration grants EXECUTE explicitly (fail closed if a REVOKE is
    -- forgotten; SECURITY DEFINER functions are the sensitive ones).
    ALTER DEFAULT PRIVILEGES FOR ROLE gatehouse_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

    -- Migration bookkeeping.
    CREATE TABLE IF NOT EXISTS gh_meta.schema_migrations (
        version    int PRIMARY KEY,
        name       text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now()
    );
    CREATE TABLE IF NOT EXISTS gh_meta.settings (
        key   text PRIMARY KEY,
        value text NOT NULL
    );
    ALTER TABLE gh_meta.schema_migrations OWNER TO gatehouse_owner;
    ALTER TABLE gh_meta.settings OWNER TO gatehouse_owner;
END
$roles$;
