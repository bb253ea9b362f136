-- 0002_session_lookup.sql — authenticating a browser session by its access
-- token.
--
-- The server holds the presented token, hashes it under the pepper and asks
-- this function what the session is. It needs no org context (the token is
-- the proof) and returns only that one session's identity and deadlines, plus
-- a state so the contract can tell "expired" (401 token_expired) from
-- "revoked or ended" (401 unauthorized). It never returns hashes.
CREATE FUNCTION gh.session_lookup(p_access_hash bytea)
RETURNS TABLE (session_id text, user_id text, org_id text, role text,
               state text, access_expires_at timestamptz,
               expires_at timestamptz, idle_expires_at timestamptz,
               reauthenticated_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT s.id, s.user_id, s.org_id, u.role,
           CASE
             WHEN s.revoked_at IS NOT NULL
               OR s.user_epoch <> u.session_epoch
               OR s.org_epoch <> o.session_epoch
               OR u.status <> 'active' THEN 'revoked'
             WHEN pg_catalog.now() >= s.expires_at
               OR pg_catalog.now() >= s.last_active_at
                    + pg_catalog.make_interval(secs => o.session_idle_timeout_seconds)
               OR pg_catalog.now() >= s.access_expires_at THEN 'expired'
             ELSE 'live'
           END,
           s.access_expires_at, s.expires_at,
           s.last_active_at + pg_catalog.make_interval(secs => o.session_idle_timeout_seconds),
           s.reauthenticated_at
      FROM gh.sessions s
      JOIN gh.users u ON u.id = s.user_id
      JOIN gh.orgs o ON o.id = s.org_id
     WHERE s.access_hash = p_access_hash
$$;
REVOKE ALL ON FUNCTION gh.session_lookup(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gh.session_lookup(bytea) TO gatehouse_app;
