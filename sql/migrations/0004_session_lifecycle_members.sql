-- 0004_session_lifecycle_members.sql — the life of a browser session after
-- login (authentication, activity, refresh, logout, re-authentication,
-- password change), invitation accept, and what an admin needs to manage the
-- org's members through the org context.
--
-- What it adds, and why:
--   * Session functions (SECURITY DEFINER, no org context needed: the token
--     hash is the proof). Each finds ONE session by a hash the caller holds,
--     changes only that session (or its user's epoch) and never returns a
--     hash.
--   * gh.invitation_accept — single use, even when two requests race.
--   * Grants so that admins invite, re-role, remove and force-logout members
--     with plain statements under RLS; the 0001 policies get an explicit
--     WITH CHECK (they already reused USING as the check; now it is spelled
--     out, as the rules for new tables require).
--   * Triggers: the org's last active admin cannot be demoted or deleted
--     (SQLSTATE P0001, message 'last_admin'); a session epoch never goes
--     back (that would revive ended sessions).
--
-- Vocabulary used in the comments below (s session, u its user, o its org):
--   live     s.revoked_at IS NULL AND s.user_epoch = u.session_epoch
--            AND s.org_epoch = o.session_epoch AND u.status = 'active'
--   expired  now() >= s.expires_at (absolute deadline) OR
--            now() >= s.last_active_at + o.session_idle_timeout_seconds
--   The access token's own expiry (access_expires_at) is separate: refresh
--   exists precisely for an expired access token.
-- These functions use the exact idle deadline; only begin_request's backstop
-- (0005) allows for the lag of batched activity writes.

-- ---------------------------------------------------------------- authentication

-- The session behind an access-token hash, whatever its state. The server
-- caches the result (and drops it on a gh_invalidate notification), so it
-- gets the raw deadlines and epochs, not just a yes/no. state:
--   'revoked'  not live (revoked, an epoch moved on, user not active)
--   'expired'  absolute or idle deadline passed, or the access token expired
--   'live'     otherwise
-- user_epoch/org_epoch are the session's own (equal to the current ones
-- while it is live).
CREATE FUNCTION gh.session_auth(p_access_hash bytea)
RETURNS TABLE (session_id text, user_id text, org_id text, role text, state text,
               access_expires_at timestamptz, expires_at timestamptz,
               last_active_at timestamptz, idle_timeout_seconds int,
               reauthenticated_at timestamptz, created_at timestamptz,
               user_epoch bigint, org_epoch bigint)
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
           s.access_expires_at, s.expires_at, s.last_active_at,
           o.session_idle_timeout_seconds, s.reauthenticated_at, s.created_at,
           s.user_epoch, s.org_epoch
      FROM gh.sessions s
      JOIN gh.users u ON u.id = s.user_id
      JOIN gh.orgs o ON o.id = s.org_id
     WHERE s.access_hash = p_access_hash
$$;

-- ---------------------------------------------------------------- activity

-- Batched activity: the server records "session id was used at time at"
-- in memory and flushes the batch here (at most once a second per session).
-- last_active_at only moves forward and never beyond now().
-- An activity counts only if it happened while the session was live and not
-- expired: before the absolute deadline AND before the idle deadline as it
-- stood (at < last_active_at + idle). So activity never revives an expired
-- session — a request at or after the idle deadline is refused — while a
-- request that really happened in time but is flushed a second later, just
-- past the deadline, is still recorded (otherwise the flush lag alone would
-- end sessions the server rightly kept alive). Revoked or epoch-ended
-- sessions are never touched. Duplicate ids: the latest time wins; NULLs
-- are ignored.
CREATE FUNCTION gh.session_touch(p_ids text[], p_ats timestamptz[])
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE gh.sessions AS s
       SET last_active_at = t.at
      FROM (SELECT x.id, pg_catalog.max(LEAST(x.at, pg_catalog.now())) AS at
              FROM ROWS FROM (pg_catalog.unnest(p_ids), pg_catalog.unnest(p_ats)) AS x(id, at)
             WHERE x.id IS NOT NULL AND x.at IS NOT NULL
             GROUP BY x.id) AS t,
           gh.users u, gh.orgs o
     WHERE s.id = t.id
       AND u.id = s.user_id
       AND o.id = s.org_id
       AND t.at > s.last_active_at                  -- forward only (and no idle writes)
       AND t.at < s.expires_at
       AND t.at < s.last_active_at
                  + pg_catalog.make_interval(secs => o.session_idle_timeout_seconds)
       AND s.revoked_at IS NULL
       AND s.user_epoch = u.session_epoch
       AND s.org_epoch = o.session_epoch
       AND u.status = 'active'
$$;

-- ---------------------------------------------------------------- refresh

-- Rotates the refresh token. The server derives the next tokens from the
-- presented one (HMAC under its pepper), so racing tabs or nodes that
-- present the same old token compute the same next hashes; that is what
-- makes 'grace' answerable with the same cookies. Exactly one row, outcome:
--   'rotated'    the current refresh token: both tokens replaced
--   'grace'      an old token replayed within p_grace_seconds of its
--                rotation, and that rotation is the current one: the caller
--                re-sends the tokens it derives (they are the current ones)
--   'superseded' an old token within the grace period, but the session has
--                been rotated again since (no change; 401)
--   'reused'     an old token replayed after the grace period: theft is
--                assumed and the whole session is revoked
--   'revoked'    the session is not live (no change)
--   'expired'    the session's absolute or idle deadline passed (no change)
--   'unknown'    no session knows this token (all other columns NULL)
-- Refresh is not activity: last_active_at is left alone.
-- Race: two transactions presenting the same token. The first UPDATE locks
-- the row; the second blocks on it, and when the first commits PostgreSQL
-- re-checks the second's WHERE against the new row version (READ
-- COMMITTED): refresh_hash has changed, so it matches nothing and the
-- second falls through to the prev_refresh_hash branch: 'grace'. (Under
-- REPEATABLE READ or SERIALIZABLE the second gets a serialization failure
-- instead; the server uses READ COMMITTED.)
-- Only ONE previous token is remembered: a token two rotations old is
-- 'unknown', not 'reused'.
CREATE FUNCTION gh.session_refresh(p_refresh_hash bytea, p_next_refresh_hash bytea,
                                   p_next_access_hash bytea, p_access_ttl_seconds int,
                                   p_grace_seconds int)
RETURNS TABLE (outcome text, session_id text, user_id text, org_id text,
               access_expires_at timestamptz, expires_at timestamptz,
               last_active_at timestamptz, idle_timeout_seconds int,
               reauthenticated_at timestamptz, created_at timestamptz)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    r record;
BEGIN
    -- A NULL grace would make every replay look older than the window
    -- (and revoke the session); refuse nonsense instead of guessing.
    IF p_access_ttl_seconds IS NULL OR p_access_ttl_seconds <= 0
       OR p_grace_seconds IS NULL OR p_grace_seconds < 0 THEN
        RAISE EXCEPTION 'session_refresh: ttl must be > 0 and grace >= 0'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_refresh_hash IS NULL OR p_next_refresh_hash IS NULL OR p_next_access_hash IS NULL THEN
        outcome := 'unknown';
        RETURN NEXT;
        RETURN;
    END IF;

    -- a. The current refresh token of a live, unexpired session: rotate.
    UPDATE gh.sessions AS s
       SET prev_refresh_hash = s.refresh_hash,
           refresh_hash      = p_next_refresh_hash,
           access_hash       = p_next_access_hash,
           access_expires_at = LEAST(pg_catalog.now()
                                     + pg_catalog.make_interval(secs => p_access_ttl_seconds),
                                     s.expires_at),
           refreshed_at      = pg_catalog.now()
      FROM gh.users u, gh.orgs o
     WHERE s.refresh_hash = p_refresh_hash
       AND u.id = s.user_id
       AND o.id = s.org_id
       AND s.revoked_at IS NULL
       AND s.user_epoch = u.session_epoch
       AND s.org_epoch = o.session_epoch
       AND u.status = 'active'
       AND pg_catalog.now() < s.expires_at
       AND pg_catalog.now() < s.last_active_at
                              + pg_catalog.make_interval(secs => o.session_idle_timeout_seconds)
    RETURNING s.id, s.user_id, s.org_id, s.access_expires_at, s.expires_at,
              s.last_active_at, o.session_idle_timeout_seconds AS idle,
              s.reauthenticated_at, s.created_at
    INTO r;
    IF FOUND THEN
        outcome := 'rotated';
        session_id := r.id; user_id := r.user_id; org_id := r.org_id;
        access_expires_at := r.access_expires_at; expires_at := r.expires_at;
        last_active_at := r.last_active_at; idle_timeout_seconds := r.idle;
        reauthenticated_at := r.reauthenticated_at; created_at := r.created_at;
        RETURN NEXT;
        RETURN;
    END IF;

    -- b. The current refresh token, but the session is dead: say why.
    --    (A session that was live for the UPDATE above would have matched;
    --    if one turns up live here it changed in between, and the answer
    --    at the UPDATE's moment was 'expired'.)
    SELECT s.id, s.user_id, s.org_id, s.access_expires_at, s.expires_at,
           s.last_active_at, o.session_idle_timeout_seconds AS idle,
           s.reauthenticated_at, s.created_at,
           (s.revoked_at IS NULL AND s.user_epoch = u.session_epoch
            AND s.org_epoch = o.session_epoch AND u.status = 'active') AS live
      INTO r
      FROM gh.sessions s
      JOIN gh.users u ON u.id = s.user_id
      JOIN gh.orgs o ON o.id = s.org_id
     WHERE s.refresh_hash = p_refresh_hash;
    IF FOUND THEN
        outcome := CASE WHEN r.live THEN 'expired' ELSE 'revoked' END;
        session_id := r.id; user_id := r.user_id; org_id := r.org_id;
        access_expires_at := r.access_expires_at; expires_at := r.expires_at;
        last_active_at := r.last_active_at; idle_timeout_seconds := r.idle;
        reauthenticated_at := r.reauthenticated_at; created_at := r.created_at;
        RETURN NEXT;
        RETURN;
    END IF;

    -- c. The previous refresh token. Locked, so a reuse revocation and a
    --    concurrent rotation or replay are serialized.
    SELECT s.id, s.user_id, s.org_id, s.access_expires_at, s.expires_at,
           s.last_active_at, o.session_idle_timeout_seconds AS idle,
           s.reauthenticated_at, s.created_at, s.refreshed_at,
           s.refresh_hash = p_next_refresh_hash AS same_rotation,
           (s.revoked_at IS NULL AND s.user_epoch = u.session_epoch
            AND s.org_epoch = o.session_epoch AND u.status = 'active') AS live,
           (pg_catalog.now() >= s.expires_at
            OR pg_catalog.now() >= s.last_active_at
               + pg_catalog.make_interval(secs => o.session_idle_timeout_seconds)) AS expired
      INTO r
      FROM gh.sessions s
      JOIN gh.users u ON u.id = s.user_id
      JOIN gh.orgs o ON o.id = s.org_id
     WHERE s.prev_refresh_hash = p_refresh_hash
     LIMIT 1
       FOR UPDATE OF s;
    IF NOT FOUND THEN
        -- d. Nobody knows this token.
        outcome := 'unknown';
        RETURN NEXT;
        RETURN;
    END IF;

    session_id := r.id; user_id := r.user_id; org_id := r.org_id;
    access_expires_at := r.access_expires_at; expires_at := r.expires_at;
    last_active_at := r.last_active_at; idle_timeout_seconds := r.idle;
    reauthenticated_at := r.reauthenticated_at; created_at := r.created_at;
    IF NOT r.live THEN
        outcome := 'revoked';
    ELSIF r.expired THEN
        outcome := 'expired';
    ELSIF r.refreshed_at IS NOT NULL
          AND pg_catalog.now() - r.refreshed_at
              <= pg_catalog.make_interval(secs => p_grace_seconds) THEN
        -- now() is this transaction's start: for the loser of a race it may
        -- even be before the winner's refreshed_at (a negative age).
        outcome := CASE WHEN r.same_rotation THEN 'grace' ELSE 'superseded' END;
    ELSE
        UPDATE gh.sessions AS s SET revoked_at = pg_catalog.now() WHERE s.id = r.id;
        outcome := 'reused';
    END IF;
    RETURN NEXT;
END
$$;

-- ---------------------------------------------------------------- logout

-- Logout of the session behind an access-token hash — also with an expired
-- access token or past a deadline (a user may always log out), but not once
-- the session is no longer live (a stale token must not be able to end the
-- user's newer sessions with p_all). p_all: bump the user's epoch, which
-- ends every session of the user (this one included); otherwise revoke
-- this session. Returns the ids for cache invalidation; no row if nothing
-- was done.
CREATE FUNCTION gh.session_logout(p_access_hash bytea, p_all boolean)
RETURNS TABLE (session_id text, user_id text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    r record;
BEGIN
    SELECT s.id, s.user_id INTO r
      FROM gh.sessions s
      JOIN gh.users u ON u.id = s.user_id
      JOIN gh.orgs o ON o.id = s.org_id
     WHERE s.access_hash = p_access_hash
       AND s.revoked_at IS NULL
       AND s.user_epoch = u.session_epoch
       AND s.org_epoch = o.session_epoch
       AND u.status = 'active'
       FOR UPDATE OF s;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF coalesce(p_all, false) THEN
        UPDATE gh.users AS u SET session_epoch = u.session_epoch + 1 WHERE u.id = r.user_id;
    ELSE
        UPDATE gh.sessions AS s SET revoked_at = pg_catalog.now() WHERE s.id = r.id;
    END IF;
    session_id := r.id;
    user_id := r.user_id;
    RETURN NEXT;
END
$$;

-- ---------------------------------------------------------------- re-authentication, password

-- The password hash of the user of a live, unexpired session, to verify a
-- re-authentication or the current password of a password change. The
-- caller already holds this session's token, so it learns only what it
-- would need to log in as itself; the hash never leaves the server.
CREATE FUNCTION gh.session_password_hash(p_access_hash bytea)
RETURNS TABLE (user_id text, password_hash text)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT u.id, u.password_hash
      FROM gh.sessions s
      JOIN gh.users u ON u.id = s.user_id
      JOIN gh.orgs o ON o.id = s.org_id
     WHERE s.access_hash = p_access_hash
       AND s.revoked_at IS NULL
       AND s.user_epoch = u.session_epoch
       AND s.org_epoch = o.session_epoch
       AND u.status = 'active'
       AND pg_catalog.now() < s.expires_at
       AND pg_catalog.now() < s.last_active_at
                              + pg_catalog.make_interval(secs => o.session_idle_timeout_seconds)
$$;

-- After the server verified the password: the session is freshly
-- authenticated. New tokens (no fixation; the old refresh token is
-- forgotten, so replaying it is 'unknown'), reauthenticated_at and
-- last_active_at = now(). No row if the session is not live or expired.
CREATE FUNCTION gh.session_reauthenticate(p_access_hash bytea, p_next_access_hash bytea,
                                          p_next_refresh_hash bytea, p_access_ttl_seconds int)
RETURNS TABLE (session_id text, user_id text, org_id text,
               access_expires_at timestamptz, expires_at timestamptz,
               last_active_at timestamptz, idle_timeout_seconds int,
               reauthenticated_at timestamptz, created_at timestamptz)
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE gh.sessions AS s
       SET access_hash        = p_next_access_hash,
           refresh_hash       = p_next_refresh_hash,
           prev_refresh_hash  = NULL,
           refreshed_at       = NULL,
           reauthenticated_at = pg_catalog.now(),
           last_active_at     = pg_catalog.now(),
           access_expires_at  = LEAST(pg_catalog.now()
                                      + pg_catalog.make_interval(secs => p_access_ttl_seconds),
                                      s.expires_at)
      FROM gh.users u, gh.orgs o
     WHERE s.access_hash = p_access_hash
       AND p_next_access_hash IS NOT NULL
       AND p_next_refresh_hash IS NOT NULL
       AND u.id = s.user_id
       AND o.id = s.org_id
       AND s.revoked_at IS NULL
       AND s.user_epoch = u.session_epoch
       AND s.org_epoch = o.session_epoch
       AND u.status = 'active'
       AND pg_catalog.now() < s.expires_at
       AND pg_catalog.now() < s.last_active_at
                              + pg_catalog.make_interval(secs => o.session_idle_timeout_seconds)
    RETURNING s.id, s.user_id, s.org_id, s.access_expires_at, s.expires_at,
              s.last_active_at, o.session_idle_timeout_seconds, s.reauthenticated_at,
              s.created_at
$$;

-- After the server verified the current password: store the new hash and
-- end every OTHER session of the user. The user's epoch moves on (ending
-- them all) and this session is moved to the new epoch, so it stays live.
-- No row if the session is not live or expired. A second, concurrent
-- password change from another session of the same user waits for the
-- user row, then finds its session ended and returns nothing.
CREATE FUNCTION gh.session_change_password(p_access_hash bytea, p_new_password_hash text)
RETURNS TABLE (user_id text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    r       record;
    v_epoch bigint;
BEGIN
    IF p_new_password_hash IS NULL OR p_new_password_hash = '' THEN
        RAISE EXCEPTION 'session_change_password: empty password hash'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT s.id, s.user_id INTO r
      FROM gh.sessions s
      JOIN gh.users u ON u.id = s.user_id
      JOIN gh.orgs o ON o.id = s.org_id
     WHERE s.access_hash = p_access_hash
       AND s.revoked_at IS NULL
       AND s.user_epoch = u.session_epoch
       AND s.org_epoch = o.session_epoch
       AND u.status = 'active'
       AND pg_catalog.now() < s.expires_at
       AND pg_catalog.now() < s.last_active_at
                              + pg_catalog.make_interval(secs => o.session_idle_timeout_seconds)
       FOR UPDATE OF s, u;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    UPDATE gh.users AS u
       SET password_hash = p_new_password_hash,
           session_epoch = u.session_epoch + 1
     WHERE u.id = r.user_id
    RETURNING u.session_epoch INTO v_epoch;
    UPDATE gh.sessions AS s SET user_epoch = v_epoch WHERE s.id = r.id;
    user_id := r.user_id;
    RETURN NEXT;
END
$$;

-- ---------------------------------------------------------------- invitations

-- Accept an invitation: the invited user gets a password and becomes
-- active; the invitation is used. Only an unused, unexpired invitation of a
-- user still 'invited' (and of an org that exists). No row otherwise
-- (unknown, used, expired: the server answers 400 for all alike). Single
-- use under concurrency: the invitation and user rows are locked; a second
-- transaction waits, then re-checks used_at / status on the new row
-- versions (READ COMMITTED) and finds nothing.
CREATE FUNCTION gh.invitation_accept(p_token_hash bytea, p_password_hash text)
RETURNS TABLE (user_id text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    r record;
BEGIN
    IF p_password_hash IS NULL OR p_password_hash = '' THEN
        RAISE EXCEPTION 'invitation_accept: empty password hash'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT i.id, i.user_id INTO r
      FROM gh.invitations i
      JOIN gh.users u ON u.id = i.user_id AND u.org_id = i.org_id
      JOIN gh.orgs o ON o.id = i.org_id
     WHERE i.token_hash = p_token_hash
       AND i.used_at IS NULL
       AND i.expires_at > pg_catalog.now()
       AND u.status = 'invited'
       FOR UPDATE OF i, u;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    UPDATE gh.users AS u
       SET password_hash = p_password_hash, status = 'active'
     WHERE u.id = r.user_id;
    UPDATE gh.invitations AS i SET used_at = pg_catalog.now() WHERE i.id = r.id;
    user_id := r.user_id;
    RETURN NEXT;
END
$$;

REVOKE ALL ON FUNCTION
    gh.session_auth(bytea),
    gh.session_touch(text[], timestamptz[]),
    gh.session_refresh(bytea, bytea, bytea, int, int),
    gh.session_logout(bytea, boolean),
    gh.session_password_hash(bytea),
    gh.session_reauthenticate(bytea, bytea, bytea, int),
    gh.session_change_password(bytea, text),
    gh.invitation_accept(bytea, text)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    gh.session_auth(bytea),
    gh.session_touch(text[], timestamptz[]),
    gh.session_refresh(bytea, bytea, bytea, int, int),
    gh.session_logout(bytea, boolean),
    gh.session_password_hash(bytea),
    gh.session_reauthenticate(bytea, bytea, bytea, int),
    gh.session_change_password(bytea, text),
    gh.invitation_accept(bytea, text)
    TO gatehouse_app;

-- ---------------------------------------------------------------- members under RLS

-- The 0001 policies are FOR ALL with USING only, which PostgreSQL reuses as
-- the WITH CHECK of INSERT and UPDATE. Now that the app writes these tables,
-- the check is spelled out: a row written from org A's context must belong
-- to org A (no INSERT into org B, no UPDATE moving a row to org B).
ALTER POLICY orgs_isolation ON gh.orgs
    WITH CHECK (id = (SELECT gh.current_org()));
ALTER POLICY users_isolation ON gh.users
    WITH CHECK (org_id = (SELECT gh.current_org()));
ALTER POLICY sessions_isolation ON gh.sessions
    WITH CHECK (org_id = (SELECT gh.current_org()));
ALTER POLICY invitations_isolation ON gh.invitations
    WITH CHECK (org_id = (SELECT gh.current_org()));

-- Users: invite (INSERT an 'invited' user — an 'active' one would need a
-- password_hash, which is not grantable, and the CHECK refuses it), change
-- the role, force logout (bump session_epoch), remove (DELETE; sessions and
-- invitations go with the user). Never: email, password_hash, status,
-- org_id (status and password change only through invitation_accept /
-- session_change_password).
GRANT INSERT (id, org_id, email, role, status) ON gh.users TO gatehouse_app;
GRANT UPDATE (role, session_epoch) ON gh.users TO gatehouse_app;
GRANT DELETE ON gh.users TO gatehouse_app;

-- Invitations: list (without token_hash: a hash is what invitation_accept
-- takes) and create. Used only through invitation_accept; they go with
-- their user.
GRANT SELECT (id, seq, org_id, user_id, expires_at, used_at, created_at)
    ON gh.invitations TO gatehouse_app;
GRANT INSERT (id, org_id, user_id, token_hash, expires_at) ON gh.invitations TO gatehouse_app;

-- Orgs: force logout of the whole org.
GRANT UPDATE (session_epoch) ON gh.orgs TO gatehouse_app;

-- nextval for the seq columns of the rows the app now inserts.
GRANT USAGE ON SEQUENCE gh.users_seq_seq, gh.invitations_seq_seq TO gatehouse_app;

-- ---------------------------------------------------------------- guards

-- The org's last active admin cannot be demoted or deleted: an org without
-- an admin could never again invite, re-role or change settings. Raises
-- SQLSTATE P0001 with message 'last_admin' (the server answers 409).
-- SECURITY DEFINER so that it counts admins whatever the caller can see
-- (the app's RLS shows the same org anyway). Two concurrent demotions of
-- the only two admins: each locks the org row first, so the second waits
-- for the first to commit; its count then runs with a new snapshot (a
-- VOLATILE function's statements each take one under READ COMMITTED), sees
-- the first demotion and refuses. (Under REPEATABLE READ the count would
-- use the transaction's old snapshot; the server uses READ COMMITTED.)
-- When the org itself is being deleted its row is already gone for this
-- transaction when the cascade reaches the users: no org row, no guard.
CREATE FUNCTION gh_private.users_last_admin_guard()
RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF (OLD.role = 'admin' AND OLD.status = 'active')
       AND NOT (TG_OP = 'UPDATE' AND NEW.role = 'admin' AND NEW.status = 'active'
                AND NEW.org_id = OLD.org_id) THEN
        -- An active admin stops being one (demoted, deleted, moved).
        PERFORM 1 FROM gh.orgs o WHERE o.id = OLD.org_id FOR UPDATE;
        IF FOUND AND NOT EXISTS (
               SELECT 1 FROM gh.users u
                WHERE u.org_id = OLD.org_id AND u.id <> OLD.id
                  AND u.role = 'admin' AND u.status = 'active') THEN
            RAISE EXCEPTION 'last_admin'
                USING ERRCODE = 'P0001',
                      DETAIL = 'the organization''s last admin cannot be demoted or removed';
        END IF;
        -- NOT FOUND: the org itself is being deleted (cascade); let it go.
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION gh_private.users_last_admin_guard() FROM PUBLIC;

CREATE TRIGGER users_last_admin BEFORE UPDATE OR DELETE ON gh.users
    FOR EACH ROW EXECUTE FUNCTION gh_private.users_last_admin_guard();

-- A session epoch only moves forward: lowering it back to a session's
-- user_epoch/org_epoch would revive sessions that were force-logged-out.
-- Now that the app may write session_epoch, the database refuses it
-- (check_violation). Not SECURITY DEFINER: it reads only OLD and NEW.
CREATE FUNCTION gh_private.session_epoch_forward_only()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.session_epoch < OLD.session_epoch THEN
        RAISE EXCEPTION 'session_epoch cannot decrease'
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION gh_private.session_epoch_forward_only() FROM PUBLIC;

CREATE TRIGGER users_session_epoch_forward BEFORE UPDATE OF session_epoch ON gh.users
    FOR EACH ROW EXECUTE FUNCTION gh_private.session_epoch_forward_only();
CREATE TRIGGER orgs_session_epoch_forward BEFORE UPDATE OF session_epoch ON gh.orgs
    FOR EACH ROW EXECUTE FUNCTION gh_private.session_epoch_forward_only();
