/* gatehouse_ctx--1.0.sql — objects of the gatehouse_ctx extension.
 *
 * Installed by sql/context/extension.sql with
 *   CREATE EXTENSION gatehouse_ctx WITH SCHEMA gh;
 * after sql/roles.sql has created the schemas gh and gh_private.
 * Ownership (gatehouse_owner) and grants to gatehouse_app are set there, not
 * here, so the extension knows nothing about Gatehouse's role names.
 */
\echo Use "CREATE EXTENSION gatehouse_ctx WITH SCHEMA gh" to load this file. \quit

-- Look up a credential (by hash) and make its org the transaction's context.
-- SECURITY DEFINER: it must read gh_private and the credential tables, which
-- the application role cannot. The search_path is pinned; the C code only
-- uses fully qualified names anyway.
CREATE FUNCTION @extschema@.begin_request(p_credential_hash bytea, p_livemode boolean)
RETURNS boolean
AS 'MODULE_PATHNAME', 'gh_ctx_begin_request'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;

-- Readers: NULL without a context. PARALLEL RESTRICTED because a parallel
-- worker's copy of the variables is empty.
CREATE FUNCTION @extschema@.current_org()
RETURNS text
AS 'MODULE_PATHNAME', 'gh_ctx_current_org'
LANGUAGE C STABLE PARALLEL RESTRICTED;

CREATE FUNCTION @extschema@.current_livemode()
RETURNS boolean
AS 'MODULE_PATHNAME', 'gh_ctx_current_livemode'
LANGUAGE C STABLE PARALLEL RESTRICTED;

-- Internal setter for trusted definer functions (sign-up and the like).
-- Never granted to the application role.
CREATE FUNCTION gh_private.set_context(p_org_id text, p_livemode boolean)
RETURNS void
AS 'MODULE_PATHNAME', 'gh_ctx_set_context'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

REVOKE ALL ON FUNCTION @extschema@.begin_request(bytea, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION gh_private.set_context(text, boolean) FROM PUBLIC;
