-- 0014_session_create_epochs.sql — a session is created only under the
-- epochs its password was checked under.
--
-- Login reads the password hash (gh.login_lookup), verifies Argon2id on the
-- server (tens of milliseconds), then creates the session
-- (gh.session_create). 0001's session_create copied the user's and org's
-- session_epoch as they were at creation, so a login with the OLD password
-- that began before a password change (which bumps the user's epoch and ends
-- every other session) and ended after it got a live session under the new
-- epoch: the change did not end it. The same holds for a "log out
-- everywhere" or a force logout landing inside a login.
--
-- What changes:
--   * gh.login_lookup also returns the user's and org's session_epoch, read
--     with the hash in one snapshot.
--   * gh.invitation_accept also returns them, as they stand when the
--     password is set (an invited user's epoch may have moved: force
--     logout).
--   * gh.session_create takes the two epochs the caller's password check
--     was made under (sign-up passes those of the user and org it has just
--     created) and returns one `outcome`:
--       created   — the session, stored with THOSE epochs (not the current
--                   ones), so even a change committing while it is created
--                   leaves it dead, never live;
--       changed   — the user's or org's epoch is no longer the one given (a
--                   password change, logout of all, force logout since the
--                   check): nothing created, the server answers 401
--                   invalid_credentials;
--       inactive  — no such active user: nothing created (401 as before).
--     The user row is read FOR SHARE: a password change in progress
--     (session_change_password locks it FOR UPDATE) is waited for, and
--     under READ COMMITTED the row is then re-read in its committed
--     version, so the comparison never uses a stale epoch.
--   * The 0001 versions are dropped: the server calls only these, and the
--     binary carries its migrations, so binary and schema always agree.

DROP FUNCTION gh.login_lookup(text);
DROP FUNCTION gh.session_create(text, text, bytea, bytea, int, text, text);
DROP FUNCTION gh.invitation_accept(bytea, text);

-- Login: the password hash of an active user, by email (case-insensitive),
-- and the epochs to create its session under. No row for unknown or invited
-- users; the server must then still spend the same time verifying a dummy
-- hash.
CREATE FUNCTION gh.login_lookup(p_email text)
RETURNS TABLE (user_id text, org_id text, password_hash text,
               user_epoch bigint, org_epoch bigint)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT u.id, u.org_id, u.password_hash, u.session_epoch, o.session_epoch
      FROM gh.users u
      JOIN gh.orgs o ON o.id = u.org_id
     WHERE pg_catalog.lower(u.email) = pg_catalog.lower(p_email)
       AND u.status = 'active'
$$;

-- A new session for an active user whose password was checked under
-- p_user_epoch / p_org_epoch: absolute lifetime from the org, fresh
-- authentication now. Exactly one row: outcome 'created' with the session,
-- or 'changed' / 'inactive' with nulls (nothing created).
CREATE FUNCTION gh.session_create(p_session_id text, p_user_id text,
                                  p_access_hash bytea, p_refresh_hash bytea,
                                  p_access_ttl_seconds int,
                                  p_ip text, p_user_agent text,
                                  p_user_epoch bigint, p_org_epoch bigint)
RETURNS TABLE (outcome text, session_id text, org_id text, expires_at timestamptz,
               access_expires_at timestamptz, idle_expires_at timestamptz)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
DECLARE
    u record;
BEGIN
    IF p_user_epoch IS NULL OR p_org_epoch IS NULL THEN
        RAISE EXCEPTION 'session_create: the epochs of the password check are required'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT x.id, x.org_id, x.session_epoch AS user_epoch, o.session_epoch AS org_epoch,
           o.session_idle_timeout_seconds AS idle,
           pg_catalog.now() + pg_catalog.make_interval(secs => o.session_max_lifetime_seconds) AS expires_at
      INTO u
      FROM gh.users x
      JOIN gh.orgs o ON o.id = x.org_id
     WHERE x.id = p_user_id
       AND x.status = 'active'
       FOR SHARE OF x;
    IF NOT FOUND THEN
        outcome := 'inactive';
        RETURN NEXT;
        RETURN;
    END IF;
    IF u.user_epoch <> p_user_epoch OR u.org_epoch <> p_org_epoch THEN
        outcome := 'changed';
        RETURN NEXT;
        RETURN;
    END IF;
    INSERT INTO gh.sessions AS s (id, org_id, user_id, access_hash, refresh_hash,
                                  access_expires_at, last_active_at, expires_at,
                                  reauthenticated_at, user_epoch, org_epoch,
                                  ip, user_agent)
    VALUES (p_session_id, u.org_id, u.id, p_access_hash, p_refresh_hash,
            LEAST(pg_catalog.now() + pg_catalog.make_interval(secs => p_access_ttl_seconds),
                  u.expires_at),
            pg_catalog.now(), u.expires_at, pg_catalog.now(),
            p_user_epoch, p_org_epoch, p_ip, p_user_agent)
    RETURNING s.id, s.org_id, s.expires_at, s.access_expires_at,
              s.last_active_at + pg_catalog.make_interval(secs => u.idle)
         INTO session_id, org_id, expires_at, access_expires_at, idle_expires_at;
    outcome := 'created';
    RETURN NEXT;
END
$$;

-- Accept an invitation (as in 0004), also returning the epochs the new
-- password is set under, for the session the server creates next.
CREATE FUNCTION gh.invitation_accept(p_token_hash bytea, p_password_hash text)
RETURNS TABLE (user_id text, user_epoch bigint, org_epoch bigint)
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
    SELECT i.id, i.user_id, u.session_epoch AS user_epoch, o.session_epoch AS org_epoch INTO r
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
    user_epoch := r.user_epoch;
    org_epoch := r.org_epoch;
    RETURN NEXT;
END
$$;

REVOKE ALL ON FUNCTION
    gh.login_lookup(text),
    gh.session_create(text, text, bytea, bytea, int, text, text, bigint, bigint),
    gh.invitation_accept(bytea, text)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    gh.login_lookup(text),
    gh.session_create(text, text, bytea, bytea, int, text, text, bigint, bigint),
    gh.invitation_accept(bytea, text)
    TO gatehouse_app;
