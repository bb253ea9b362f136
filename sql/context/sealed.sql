-- sql/context/sealed.sql — the org context as a sealed setting, in
-- PL/pgSQL (design "C" of docs/rls-context.md). For servers where the C
-- extension cannot be installed (managed services). Same four functions and
-- signatures as the extension; chosen with GATEHOUSE_RLS_CONTEXT=sealed (or
-- auto, when the extension is not available). Idempotent.
--
-- How it works. begin_request (SECURITY DEFINER, owner gatehouse_owner)
-- resolves the credential and stores, in the transaction-local setting
-- gh.context, the value
--      <mac hex, 64 chars> ':' <'t'|'f'> ':' <org id>
-- where mac = HMAC-SHA-256(key, nonce ':' mode ':' org). The key is a random
-- secret in gh_private.context_key, which the app role cannot read. The
-- nonce identifies the current transaction: backend pid and
-- transaction_timestamp() in microseconds (as a number, so TimeZone or
-- DateStyle cannot change it). The readers recompute the nonce themselves —
-- it is never taken from a setting the app could change — and return the
-- org only if the MAC checks out. So the app role can set gh.context (any
-- role can set a custom setting) but cannot produce a value that verifies:
-- forged values, and values copied from another transaction or backend,
-- read as "no context".
-- txid_current() is not used as the nonce: it would assign a transaction id
-- (and write WAL) for every read-only request.

-- pgcrypto for hmac() and gen_random_bytes(), installed where the app role
-- cannot reach it. If the database already has pgcrypto in another schema,
-- stop with a clear message rather than silently move it.
DO $pgcrypto$
DECLARE
    s text;
BEGIN
    SELECT n.nspname INTO s
      FROM pg_catalog.pg_extension e
      JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'pgcrypto';
    IF s IS NOT NULL AND s <> 'gh_private' THEN
        RAISE EXCEPTION 'pgcrypto is installed in schema %, Gatehouse needs it in gh_private', s
            USING HINT = 'ALTER EXTENSION pgcrypto SET SCHEMA gh_private, if nothing else depends on its schema';
    END IF;
END
$pgcrypto$;
CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA gh_private;

-- The MAC key: one row, generated once at install, never readable by the
-- app role (no USAGE on gh_private, no grant, RLS with no policy).
CREATE TABLE IF NOT EXISTS gh_private.context_key (
    id  boolean PRIMARY KEY DEFAULT true CHECK (id),
    key bytea NOT NULL CHECK (pg_catalog.length(key) >= 32)
);
ALTER TABLE gh_private.context_key OWNER TO gatehouse_owner;
ALTER TABLE gh_private.context_key ENABLE ROW LEVEL SECURITY;
ALTER TABLE gh_private.context_key FORCE ROW LEVEL SECURITY;
REVOKE ALL ON gh_private.context_key FROM PUBLIC;
INSERT INTO gh_private.context_key (id, key)
VALUES (true, gh_private.gen_random_bytes(32))
ON CONFLICT (id) DO NOTHING;

-- The current transaction's nonce, recomputed on every call.
CREATE OR REPLACE FUNCTION gh_private.context_nonce()
RETURNS text
LANGUAGE sql STABLE PARALLEL RESTRICTED
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.pg_backend_pid()::text || '.' ||
           ((EXTRACT(epoch FROM pg_catalog.transaction_timestamp()) * 1000000)::bigint)::text
$$;

-- MAC of (nonce, mode, org) under the key, as 64 hex characters.
CREATE OR REPLACE FUNCTION gh_private.context_mac(p_org_id text, p_livemode boolean)
RETURNS text
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.encode(
               gh_private.hmac(
                   pg_catalog.convert_to(
                       gh_private.context_nonce() || ':' ||
                       CASE WHEN p_livemode THEN 't' ELSE 'f' END || ':' ||
                       p_org_id, 'UTF8'),
                   (SELECT k.key FROM gh_private.context_key k WHERE k.id),
                   'sha256'),
               'hex')
$$;

-- Internal setter for trusted definer functions. NULL clears the context.
-- set_config(..., true) lasts until the end of the transaction (and is
-- undone by ROLLBACK TO SAVEPOINT); the function's own SET search_path does
-- not scope it, since it is a different setting.
CREATE OR REPLACE FUNCTION gh_private.set_context(p_org_id text, p_livemode boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF pg_catalog.octet_length(p_org_id) > 64 THEN
        RAISE EXCEPTION 'org id must be 1 to 64 bytes'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_org_id IS NULL OR p_org_id = '' OR p_livemode IS NULL THEN
        PERFORM pg_catalog.set_config('gh.context', '', true);
        RETURN;
    END IF;
    PERFORM pg_catalog.set_config('gh.context',
        gh_private.context_mac(p_org_id, p_livemode) || ':' ||
        CASE WHEN p_livemode THEN 't' ELSE 'f' END || ':' || p_org_id,
        true);
END
$$;

-- The verified context as '<t|f>:<org>', or NULL. Shared by both readers.
CREATE OR REPLACE FUNCTION gh_private.context_verified()
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL RESTRICTED SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    -- A placeholder setting reads as '' once it has been used in the session.
    v text := NULLIF(pg_catalog.current_setting('gh.context', true), '');
BEGIN
    IF v IS NULL OR pg_catalog.length(v) < 69
       OR pg_catalog.substr(v, 65, 1) <> ':' OR pg_catalog.substr(v, 67, 1) <> ':'
       OR pg_catalog.substr(v, 66, 1) NOT IN ('t', 'f') THEN
        RETURN NULL;
    END IF;
    IF pg_catalog.substr(v, 1, 64) IS DISTINCT FROM
       gh_private.context_mac(pg_catalog.substr(v, 68), pg_catalog.substr(v, 66, 1) = 't') THEN
        RETURN NULL;
    END IF;
    RETURN pg_catalog.substr(v, 66);
END
$$;

CREATE OR REPLACE FUNCTION gh.current_org()
RETURNS text
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.substr(gh_private.context_verified(), 3)
$$;

CREATE OR REPLACE FUNCTION gh.current_livemode()
RETURNS boolean
LANGUAGE sql STABLE PARALLEL RESTRICTED SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT pg_catalog.substr(gh_private.context_verified(), 1, 1) = 't'
$$;

-- Resolve a credential and set (or clear) the context. The context is
-- cleared first, so a failed look-up never leaves an earlier org in place.
-- More than one row from resolve_credential is refused (fail closed).
CREATE OR REPLACE FUNCTION gh.begin_request(p_credential_hash bytea, p_livemode boolean)
RETURNS boolean
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    orgs  text[];
    modes boolean[];
BEGIN
    PERFORM pg_catalog.set_config('gh.context', '', true);
    IF p_credential_hash IS NULL THEN
        RETURN false;
    END IF;
    SELECT pg_catalog.array_agg(r.org_id), pg_catalog.array_agg(r.livemode)
      INTO orgs, modes
      FROM (SELECT c.org_id, c.livemode
              FROM gh_private.resolve_credential(p_credential_hash, p_livemode) c
             LIMIT 2) r;
    IF pg_catalog.cardinality(orgs) IS DISTINCT FROM 1
       OR orgs[1] IS NULL OR modes[1] IS NULL THEN
        RETURN false;
    END IF;
    PERFORM gh_private.set_context(orgs[1], modes[1]);
    RETURN true;
END
$$;

ALTER FUNCTION gh_private.context_nonce()              OWNER TO gatehouse_owner;
ALTER FUNCTION gh_private.context_mac(text, boolean)   OWNER TO gatehouse_owner;
ALTER FUNCTION gh_private.set_context(text, boolean)   OWNER TO gatehouse_owner;
ALTER FUNCTION gh_private.context_verified()           OWNER TO gatehouse_owner;
ALTER FUNCTION gh.current_org()                        OWNER TO gatehouse_owner;
ALTER FUNCTION gh.current_livemode()                   OWNER TO gatehouse_owner;
ALTER FUNCTION gh.begin_request(bytea, boolean)        OWNER TO gatehouse_owner;

REVOKE ALL ON FUNCTION gh_private.context_nonce(), gh_private.context_mac(text, boolean),
    gh_private.set_context(text, boolean), gh_private.context_verified(),
    gh.current_org(), gh.current_livemode(), gh.begin_request(bytea, boolean)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gh.begin_request(bytea, boolean) TO gatehouse_app;
GRANT EXECUTE ON FUNCTION gh.current_org(), gh.current_livemode() TO gatehouse_app;
