-- 0006_session_lifetime_follows_org.sql — a changed absolute lifetime
-- applies to existing sessions.
--
-- api.md: "a changed org setting applies to existing sessions from their
-- next request". The idle timeout is read from the org on every check; the
-- absolute deadline is stored per session (sessions.expires_at, fixed at
-- creation), so a change of session_max_lifetime_seconds moves the deadline
-- of the org's live sessions to created_at + the new lifetime (shortening or
-- extending it), and never leaves an access token valid past it. The server
-- announces the change ('org' invalidation) so cached sessions are re-read.
CREATE FUNCTION gh_private.org_lifetime_changed()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    UPDATE gh.sessions s
       SET expires_at = s.created_at
                        + pg_catalog.make_interval(secs => NEW.session_max_lifetime_seconds),
           access_expires_at = LEAST(s.access_expires_at, s.created_at
                        + pg_catalog.make_interval(secs => NEW.session_max_lifetime_seconds))
     WHERE s.org_id = NEW.id
       AND s.revoked_at IS NULL;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION gh_private.org_lifetime_changed() FROM PUBLIC;

CREATE TRIGGER orgs_lifetime_changed
    AFTER UPDATE OF session_max_lifetime_seconds ON gh.orgs
    FOR EACH ROW
    WHEN (OLD.session_max_lifetime_seconds IS DISTINCT FROM NEW.session_max_lifetime_seconds)
    EXECUTE FUNCTION gh_private.org_lifetime_changed();
