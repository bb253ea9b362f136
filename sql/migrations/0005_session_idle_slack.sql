-- 0005_session_idle_slack.sql — the database's idle check allows for the
-- server's batched activity writes.
--
-- The server enforces a session's idle deadline exactly, on every request,
-- from the activity it has seen (its own, and other nodes' through
-- last_active_at). It writes activity to last_active_at in batches, at most
-- once a second per session, so the column can lag the truth by a second
-- or so. begin_request's own idle check is the database-layer backstop; it
-- now tolerates that lag (5 seconds) instead of refusing a session the
-- server rightly considers active. Revocation, epochs, the absolute deadline
-- and the access token's expiry stay exact.
CREATE OR REPLACE FUNCTION gh_private.resolve_credential(p_hash bytea, p_livemode boolean)
RETURNS TABLE (org_id text, livemode boolean)
LANGUAGE sql STABLE
AS $$
    SELECT s.org_id, p_livemode
      FROM gh.sessions s
      JOIN gh.users u ON u.id = s.user_id
      JOIN gh.orgs o ON o.id = s.org_id
     WHERE s.access_hash = p_hash
       AND p_livemode IS NOT NULL
       AND s.access_expires_at > pg_catalog.now()
       AND s.revoked_at IS NULL
       AND pg_catalog.now() < s.expires_at
       AND pg_catalog.now() < s.last_active_at
           + pg_catalog.make_interval(secs => o.session_idle_timeout_seconds + 5)
       AND s.user_epoch = u.session_epoch
       AND s.org_epoch = o.session_epoch
       AND u.status = 'active'
    UNION ALL
    SELECT k.org_id, k.livemode
      FROM gh.api_keys k
     WHERE k.key_hash = p_hash
       AND k.revoked_at IS NULL
       AND (k.expires_at IS NULL OR k.expires_at > pg_catalog.now())
$$;
