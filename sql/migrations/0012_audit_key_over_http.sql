-- 0012_audit_key_over_http.sql — an API key sent over plain HTTP is audited
-- (api.md, "Transport": such a request gets 403 https_required before its
-- credential is looked at; "a live key seen that way is not revoked, but the
-- event is logged and audited").
--
-- The refusal has no org context (nothing was authenticated), so a narrow
-- definer function writes the row into the key's own org:
--   * gh.audit_key_over_http(id, key_hash, ip, user_agent, request_id):
--     action fixed to 'api_key.sent_over_http'; org, actor, credential and
--     target are the key's own, found by the hash of the full secret — the
--     caller must hold the key itself. Revoked and expired keys are audited
--     too (the secret leaked all the same). Returns whether a row was
--     written (false for an unknown key).
-- Same rules as 0011: id shape checked, free text cut to the app's lengths,
-- search_path pinned, executable by gatehouse_app only.
CREATE FUNCTION gh.audit_key_over_http(p_id text, p_key_hash bytea, p_ip text,
                                       p_user_agent text, p_request_id text)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF p_id IS NULL OR p_id !~ '^aud_[0-9A-Za-z]{22}$' THEN
        RAISE EXCEPTION 'audit_key_over_http: bad id' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_key_hash IS NULL THEN
        RETURN false;
    END IF;
    INSERT INTO gh.audit_log (id, org_id, action, actor, credential_id, target,
                              ip, user_agent, request_id, details)
    SELECT p_id, k.org_id, 'api_key.sent_over_http', k.id, k.id, k.id,
           pg_catalog.left(p_ip, 64), pg_catalog.left(p_user_agent, 512),
           pg_catalog.left(p_request_id, 64),
           pg_catalog.jsonb_build_object('livemode', k.livemode,
                                         'revoked', k.revoked_at IS NOT NULL)
      FROM gh.api_keys k
     WHERE k.key_hash = p_key_hash;
    RETURN FOUND;
END
$$;
REVOKE ALL ON FUNCTION gh.audit_key_over_http(text, bytea, text, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gh.audit_key_over_http(text, bytea, text, text, text) TO gatehouse_app;
