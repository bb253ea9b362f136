-- 0011_events_audit_functions.sql — audit entries for the two audited
-- moments that happen outside any org context.
--
-- Everything else is audited by the app itself, under the org context of the
-- request, in the transaction of the change (src/audit/audit.h): an INSERT
-- into gh.audit_log that 0008's policy confines to the caller's org. Login
-- success, re-authentication, password change and invitation acceptance
-- first make a session live, then take its context with gh.begin_request in
-- the same transaction; they need nothing new. Two moments have no live
-- credential at all:
--
--   * a failed login of an existing account (wrong password, or refused by
--     the login throttle): the row belongs to that account's org, which the
--     app role may not write into;
--   * a replayed refresh token (gh.session_refresh outcome 'reused'): the
--     session was just revoked, so no context can be had from it.
--
-- Each function writes exactly one kind of row and takes nothing it could be
-- lied to about beyond what the action itself gives the caller:
--   * gh.audit_login_failed(id, user_id, ip, user_agent, request_id, reason):
--     action fixed to 'login.failed'; org, actor and target are the ACTIVE
--     user's own (looked up here, never passed); reason one of two words.
--     Residual risk (docs/decisions.md, 61): SQL run as gatehouse_app can
--     add false 'login.failed' rows for an active user whose id it knows
--     (noise in that org's log; it cannot write any other action, choose the
--     org, or touch existing rows).
--   * gh.audit_refresh_reuse(id, refresh_hash, ip, user_agent, request_id):
--     only for a REVOKED session whose previous refresh token hashes to
--     refresh_hash — i.e. the caller holds that token, exactly what
--     gh.session_refresh needs — and only once per session.
-- Both validate the id shape, cut the free-text fields to the lengths the
-- app uses, pin search_path, and are executable by gatehouse_app only.

CREATE FUNCTION gh.audit_login_failed(p_id text, p_user_id text, p_ip text,
                                      p_user_agent text, p_request_id text,
                                      p_reason text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_id IS NULL OR p_id !~ '^aud_[0-9A-Za-z]{22}$' THEN
        RAISE EXCEPTION 'audit_login_failed: bad id' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_reason IS NULL OR p_reason NOT IN ('wrong_password', 'rate_limited') THEN
        RAISE EXCEPTION 'audit_login_failed: bad reason' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO gh.audit_log (id, org_id, action, actor, credential_id, target,
                              ip, user_agent, request_id, details)
    SELECT p_id, u.org_id, 'login.failed', u.id, NULL, u.id,
           pg_catalog.left(p_ip, 64), pg_catalog.left(p_user_agent, 512),
           pg_catalog.left(p_request_id, 64),
           pg_catalog.jsonb_build_object('reason', p_reason)
      FROM gh.users u
     WHERE u.id = p_user_id
       AND u.status = 'active';
    RETURN FOUND;
END
$$;

CREATE FUNCTION gh.audit_refresh_reuse(p_id text, p_refresh_hash bytea, p_ip text,
                                       p_user_agent text, p_request_id text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_id IS NULL OR p_id !~ '^aud_[0-9A-Za-z]{22}$' THEN
        RAISE EXCEPTION 'audit_refresh_reuse: bad id' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_refresh_hash IS NULL THEN
        RETURN false;
    END IF;
    INSERT INTO gh.audit_log (id, org_id, action, actor, credential_id, target,
                              ip, user_agent, request_id, details)
    SELECT p_id, s.org_id, 'session.refresh_reuse_detected', s.user_id, s.id, s.id,
           pg_catalog.left(p_ip, 64), pg_catalog.left(p_user_agent, 512),
           pg_catalog.left(p_request_id, 64), '{}'::jsonb
      FROM gh.sessions s
     WHERE s.prev_refresh_hash = p_refresh_hash
       AND s.revoked_at IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM gh.audit_log a
                        WHERE a.org_id = s.org_id
                          AND a.action = 'session.refresh_reuse_detected'
                          AND a.credential_id = s.id)
     LIMIT 1;
    RETURN FOUND;
END
$$;

REVOKE ALL ON FUNCTION gh.audit_login_failed(text, text, text, text, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION gh.audit_refresh_reuse(text, bytea, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gh.audit_login_failed(text, text, text, text, text, text) TO gatehouse_app;
GRANT EXECUTE ON FUNCTION gh.audit_refresh_reuse(text, bytea, text, text, text) TO gatehouse_app;
