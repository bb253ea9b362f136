-- sql/context/extension.sql — the org context as the C extension
-- gatehouse_ctx (pgext/). Chosen with GATEHOUSE_RLS_CONTEXT=extension (or
-- auto, when the extension is installed on the server).
--
-- Runs after sql/roles.sql, as the migrating role, which must be a superuser
-- (CREATE EXTENSION of an untrusted C extension). Idempotent.
--
-- The extension creates gh.begin_request, gh.current_org,
-- gh.current_livemode and gh_private.set_context. Here they are handed to
-- gatehouse_owner: begin_request is SECURITY DEFINER and must run as the
-- owner (BYPASSRLS, reads gh_private) rather than as the superuser that ran
-- CREATE EXTENSION.
CREATE EXTENSION IF NOT EXISTS gatehouse_ctx WITH SCHEMA gh;

ALTER FUNCTION gh.begin_request(bytea, boolean)       OWNER TO gatehouse_owner;
ALTER FUNCTION gh.current_org()                       OWNER TO gatehouse_owner;
ALTER FUNCTION gh.current_livemode()                  OWNER TO gatehouse_owner;
ALTER FUNCTION gh_private.set_context(text, boolean)  OWNER TO gatehouse_owner;

-- Only the app role may start a request; nobody but trusted definer
-- functions (running as the owner) may set a context directly.
REVOKE ALL ON FUNCTION gh.begin_request(bytea, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION gh_private.set_context(text, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION gh.current_org(), gh.current_livemode() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gh.begin_request(bytea, boolean) TO gatehouse_app;
GRANT EXECUTE ON FUNCTION gh.current_org(), gh.current_livemode() TO gatehouse_app;
