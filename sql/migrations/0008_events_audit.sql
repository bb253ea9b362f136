-- 0008_events_audit.sql — the event outbox and the audit log: the two
-- append-only records that a change writes in its own transaction.
--
-- What it adds, and why:
--   * gh.events — one row per event of api.md ("Webhooks"). Written by the
--     request that made the change, in the same transaction, so a change
--     without its event (or an event without its change) cannot exist; the
--     webhook workers fan it out from there. Split by org AND mode like the
--     resources. `data` is `json`, not `jsonb`: it keeps the object's bytes
--     exactly as the API rendered them, so every delivery of an event signs
--     the same body.
--   * gh.audit_log — who did what, from where (api.md, GET /v1/audit_log).
--     One org, both modes. The runtime role may INSERT and SELECT its org's
--     rows; it has no UPDATE or DELETE grant, and a trigger refuses both for
--     every role (the owner included), so the log is append-only at the
--     database layer. Rows go only with their org (ON DELETE CASCADE of the
--     org row, which the trigger lets through: nothing else deletes).
--   * gh.object_owner learns evt_ and aud_ ids, for 403 org_mismatch.
--
-- Conventions of 0001/0003 apply (text ids made by the server, seq for
-- creation order, RLS enabled and forced, policies TO gatehouse_app with an
-- explicit WITH CHECK, indexed policy columns, column-list grants).

-- ---------------------------------------------------------------- events

CREATE TABLE gh.events (
    id          text PRIMARY KEY,                       -- evt_…
    seq         bigserial NOT NULL UNIQUE,
    org_id      text NOT NULL REFERENCES gh.orgs (id) ON DELETE CASCADE,
    livemode    boolean NOT NULL,
    -- api.md's event types: `<object>.<verb>` in lower case.
    type        text NOT NULL CHECK (type ~ '^[a-z_]+\.[a-z_]+$'),
    data        json NOT NULL,                          -- {"object": {...}}
    request_id  text,                                   -- req_… that caused it
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (id, org_id, livemode)
);
CREATE INDEX events_org_idx ON gh.events (org_id, livemode, seq);

ALTER TABLE gh.events ENABLE ROW LEVEL SECURITY;
ALTER TABLE gh.events FORCE  ROW LEVEL SECURITY;
CREATE POLICY events_isolation ON gh.events FOR ALL TO gatehouse_app
    USING      (org_id = (SELECT gh.current_org()) AND livemode = (SELECT gh.current_livemode()))
    WITH CHECK (org_id = (SELECT gh.current_org()) AND livemode = (SELECT gh.current_livemode()));

REVOKE ALL ON gh.events FROM PUBLIC;
GRANT SELECT ON gh.events TO gatehouse_app;
GRANT INSERT (id, org_id, livemode, type, data, request_id) ON gh.events TO gatehouse_app;
GRANT USAGE ON SEQUENCE gh.events_seq_seq TO gatehouse_app;

-- ---------------------------------------------------------------- audit log

CREATE TABLE gh.audit_log (
    id             text PRIMARY KEY,                    -- aud_…
    seq            bigserial NOT NULL UNIQUE,
    org_id         text NOT NULL REFERENCES gh.orgs (id) ON DELETE CASCADE,
    -- e.g. `login.succeeded`, `api_key.created` (docs/decisions.md lists them).
    action         text NOT NULL CHECK (action ~ '^[a-z_]+\.[a-z_]+$'),
    actor          text,            -- usr_… or key_… that acted; NULL if unknown
    credential_id  text,            -- ses_… or key_… used
    target         text,            -- id of the object acted on, if any
    ip             text,
    user_agent     text,
    request_id     text,
    details        jsonb NOT NULL DEFAULT '{}',         -- never a secret
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_org_idx ON gh.audit_log (org_id, seq);
CREATE INDEX audit_log_org_action_idx ON gh.audit_log (org_id, action, seq);
CREATE INDEX audit_log_org_actor_idx ON gh.audit_log (org_id, actor, seq);

ALTER TABLE gh.audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE gh.audit_log FORCE  ROW LEVEL SECURITY;
CREATE POLICY audit_log_isolation ON gh.audit_log FOR ALL TO gatehouse_app
    USING      (org_id = (SELECT gh.current_org()))
    WITH CHECK (org_id = (SELECT gh.current_org()));

REVOKE ALL ON gh.audit_log FROM PUBLIC;
GRANT SELECT ON gh.audit_log TO gatehouse_app;
GRANT INSERT (id, org_id, action, actor, credential_id, target, ip, user_agent,
              request_id, details)
    ON gh.audit_log TO gatehouse_app;
GRANT USAGE ON SEQUENCE gh.audit_log_seq_seq TO gatehouse_app;

-- Append-only for everyone, not just for lack of a grant. The one way a row
-- leaves is the deletion of its org: the cascade runs after the org row is
-- gone, which is what the trigger checks.
CREATE FUNCTION gh_private.audit_log_append_only()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND NOT EXISTS (SELECT 1 FROM gh.orgs o WHERE o.id = OLD.org_id) THEN
        RETURN OLD;                 -- the org is being deleted
    END IF;
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
REVOKE ALL ON FUNCTION gh_private.audit_log_append_only() FROM PUBLIC;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON gh.audit_log
    FOR EACH ROW EXECUTE FUNCTION gh_private.audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON gh.audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION gh_private.audit_log_append_only();

-- ---------------------------------------------------------------- owners

CREATE OR REPLACE FUNCTION gh.object_owner(p_id text)
RETURNS TABLE (org_id text, livemode boolean)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
    CASE pg_catalog.split_part(p_id, '_', 1)
    WHEN 'org' THEN
        RETURN QUERY SELECT o.id, NULL::boolean FROM gh.orgs o WHERE o.id = p_id;
    WHEN 'usr' THEN
        RETURN QUERY SELECT u.org_id, NULL::boolean FROM gh.users u WHERE u.id = p_id;
    WHEN 'inv' THEN
        RETURN QUERY SELECT i.org_id, NULL::boolean FROM gh.invitations i WHERE i.id = p_id;
    WHEN 'ses' THEN
        RETURN QUERY SELECT s.org_id, NULL::boolean FROM gh.sessions s WHERE s.id = p_id;
    WHEN 'key' THEN
        RETURN QUERY SELECT k.org_id, NULL::boolean FROM gh.api_keys k WHERE k.id = p_id;
    WHEN 'app' THEN
        RETURN QUERY SELECT r.org_id, r.livemode FROM gh.applications r WHERE r.id = p_id;
    WHEN 'rev' THEN
        RETURN QUERY SELECT r.org_id, r.livemode FROM gh.reviews r WHERE r.id = p_id;
    WHEN 'cmp' THEN
        RETURN QUERY SELECT r.org_id, r.livemode FROM gh.campaigns r WHERE r.id = p_id;
    WHEN 'lead' THEN
        RETURN QUERY SELECT r.org_id, r.livemode FROM gh.leads r WHERE r.id = p_id;
    WHEN 'ctr' THEN
        RETURN QUERY SELECT r.org_id, r.livemode FROM gh.contracts r WHERE r.id = p_id;
    WHEN 'cex' THEN
        RETURN QUERY SELECT r.org_id, r.livemode FROM gh.contract_executions r WHERE r.id = p_id;
    WHEN 'evt' THEN
        RETURN QUERY SELECT r.org_id, r.livemode FROM gh.events r WHERE r.id = p_id;
    WHEN 'aud' THEN
        RETURN QUERY SELECT a.org_id, NULL::boolean FROM gh.audit_log a WHERE a.id = p_id;
    ELSE
        RETURN;                     -- unknown prefix, or NULL
    END CASE;
END
$$;
