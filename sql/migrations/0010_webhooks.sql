-- 0010_webhooks.sql — webhook endpoints, the delivery queue, the record of
-- every attempt, and the narrow definer functions the delivery workers use.
--
-- What it adds, and why:
--   * gh.webhook_endpoints — an org's receivers, split by org AND mode like
--     the resources (an endpoint receives only its org's events of its
--     mode). The signing secret is stored encrypted (XChaCha20-Poly1305
--     under the state directory's webhook.key, the endpoint id as associated
--     data) in columns the runtime role may write but never read: only
--     gh.webhook_claim returns them, to the workers. A rotation keeps the
--     previous secret and when it stops signing (24 h later).
--   * gh.webhook_queue — one row per (event, endpoint) still to deliver.
--     Written by a statement trigger on gh.events, in the transaction of the
--     change, UNDER THE REQUEST'S CONTEXT (SECURITY INVOKER): RLS itself
--     decides which endpoints an event can reach, so a bug cannot fan an
--     event out to another org or mode. The trigger NOTIFYs gh_webhooks so
--     that idle workers wake at commit. A row leaves the queue when its
--     delivery succeeds, is given up, or its endpoint is disabled or
--     deleted (ON DELETE CASCADE).
--   * gh.webhook_attempts — one row per attempt (whd_ ids): status code
--     (NULL without a response), latency, when the next retry is due. The
--     runtime role reads its org's; only gh.webhook_record writes them.
--   * Workers (connected as gatehouse_app, no context) reach every org's due
--     deliveries through two SECURITY DEFINER functions and nothing else:
--     gh.webhook_claim (FOR UPDATE SKIP LOCKED + a lease: a crashed node's
--     claims come back when the lease ends) and gh.webhook_record (batched
--     results: attempts, next retry with jitter and Retry-After, disabling on
--     410 or after 5 days of continuous failure).
--   * gh.webhook_endpoint_rotate and gh.webhook_redeliver: two actions that
--     touch what the runtime role cannot read or write itself (the secret
--     columns; the queue's schedule), restricted to the CALLER'S CONTEXT.
--   * gh.object_owner learns whe_ and whd_ ids (every earlier branch kept).
--
-- Conventions of 0001/0003 apply (text ids made by the server, seq for
-- creation order, RLS enabled and forced, policies TO gatehouse_app with an
-- explicit WITH CHECK, indexed policy columns, column-list grants, definer
-- functions with a pinned search_path and qualified names).

-- ---------------------------------------------------------------- endpoints

CREATE TABLE gh.webhook_endpoints (
    id                  text PRIMARY KEY,                -- whe_…
    seq                 bigserial NOT NULL UNIQUE,
    org_id              text NOT NULL REFERENCES gh.orgs (id) ON DELETE CASCADE,
    livemode            boolean NOT NULL,
    url                 text NOT NULL CHECK (pg_catalog.length(url) BETWEEN 8 AND 2048),
    -- '{*}' or a non-empty list of event types (checked by the server too).
    events              text[] NOT NULL
        CHECK (pg_catalog.cardinality(events) BETWEEN 1 AND 64
               AND pg_catalog.array_ndims(events) = 1
               AND pg_catalog.array_position(events, NULL) IS NULL),
    description         text CHECK (pg_catalog.length(description) <= 500),
    status              text NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
    -- Why the workers disabled it: 'gone' (410) or 'failing' (5 days).
    disabled_reason     text CHECK (disabled_reason IN ('gone', 'failing')),
    -- The first failure of the current run of failures; NULL after a success.
    failing_since       timestamptz,
    -- nonce || ciphertext || tag; never readable by the app role.
    secret_ct           bytea NOT NULL,
    prev_secret_ct      bytea,
    prev_expires_at     timestamptz,
    created_by          text,                            -- usr_…
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (id, org_id, livemode),
    FOREIGN KEY (created_by, org_id) REFERENCES gh.users (id, org_id) ON DELETE SET NULL (created_by)
);
CREATE INDEX webhook_endpoints_org_idx ON gh.webhook_endpoints (org_id, livemode, seq);
CREATE INDEX webhook_endpoints_created_by_idx ON gh.webhook_endpoints (created_by) WHERE created_by IS NOT NULL;
CREATE TRIGGER webhook_endpoints_touch BEFORE UPDATE ON gh.webhook_endpoints
    FOR EACH ROW EXECUTE FUNCTION gh_private.touch_updated_at();

ALTER TABLE gh.webhook_endpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE gh.webhook_endpoints FORCE  ROW LEVEL SECURITY;
CREATE POLICY webhook_endpoints_isolation ON gh.webhook_endpoints FOR ALL TO gatehouse_app
    USING      (org_id = (SELECT gh.current_org()) AND livemode = (SELECT gh.current_livemode()))
    WITH CHECK (org_id = (SELECT gh.current_org()) AND livemode = (SELECT gh.current_livemode()));

REVOKE ALL ON gh.webhook_endpoints FROM PUBLIC;
-- Every column but the two secrets (and the rotation's expiry, which says
-- nothing useful without them).
GRANT SELECT (id, seq, org_id, livemode, url, events, description, status, disabled_reason,
              failing_since, created_by, created_at, updated_at)
    ON gh.webhook_endpoints TO gatehouse_app;
GRANT INSERT (id, org_id, livemode, url, events, description, secret_ct, created_by)
    ON gh.webhook_endpoints TO gatehouse_app;
GRANT DELETE ON gh.webhook_endpoints TO gatehouse_app;
GRANT USAGE ON SEQUENCE gh.webhook_endpoints_seq_seq TO gatehouse_app;

-- ---------------------------------------------------------------- queue

CREATE TABLE gh.webhook_queue (
    id               bigserial PRIMARY KEY,
    org_id           text NOT NULL,
    livemode         boolean NOT NULL,
    event_id         text NOT NULL,
    endpoint_id      text NOT NULL,
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- Due time; while claimed, the end of the lease.
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    claimed_at       timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (event_id, org_id, livemode)
        REFERENCES gh.events (id, org_id, livemode) ON DELETE CASCADE,
    FOREIGN KEY (endpoint_id, org_id, livemode)
        REFERENCES gh.webhook_endpoints (id, org_id, livemode) ON DELETE CASCADE
);
CREATE INDEX webhook_queue_org_idx ON gh.webhook_queue (org_id, livemode);
CREATE INDEX webhook_queue_due_idx ON gh.webhook_queue (next_attempt_at, id);
CREATE INDEX webhook_queue_endpoint_idx ON gh.webhook_queue (endpoint_id);
CREATE INDEX webhook_queue_event_idx ON gh.webhook_queue (event_id);

ALTER TABLE gh.webhook_queue ENABLE ROW LEVEL SECURITY;
ALTER TABLE gh.webhook_queue FORCE  ROW LEVEL SECURITY;
CREATE POLICY webhook_queue_isolation ON gh.webhook_queue FOR ALL TO gatehouse_app
    USING      (org_id = (SELECT gh.current_org()) AND livemode = (SELECT gh.current_livemode()))
    WITH CHECK (org_id = (SELECT gh.current_org()) AND livemode = (SELECT gh.current_livemode()));

REVOKE ALL ON gh.webhook_queue FROM PUBLIC;
-- The fan-out trigger runs as the app: it inserts (nothing else), and may
-- see its own org's pending deliveries. The schedule is not the app's to
-- change (attempts, next_attempt_at are set by the definer functions).
GRANT SELECT ON gh.webhook_queue TO gatehouse_app;
GRANT INSERT (org_id, livemode, event_id, endpoint_id) ON gh.webhook_queue TO gatehouse_app;
GRANT USAGE ON SEQUENCE gh.webhook_queue_id_seq TO gatehouse_app;

-- ---------------------------------------------------------------- attempts

CREATE TABLE gh.webhook_attempts (
    id             text PRIMARY KEY,                     -- whd_…
    seq            bigserial NOT NULL UNIQUE,
    org_id         text NOT NULL,
    livemode       boolean NOT NULL,
    endpoint_id    text NOT NULL,
    event_id       text NOT NULL,
    attempt        integer NOT NULL CHECK (attempt >= 1),
    status_code    integer CHECK (status_code BETWEEN 100 AND 599),
    latency_ms     integer NOT NULL CHECK (latency_ms >= 0),
    -- A short, secret-free reason when there was no response ("timeout",
    -- "refused address", ...).
    error          text CHECK (pg_catalog.length(error) <= 200),
    next_retry_at  timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (id, org_id, livemode),
    FOREIGN KEY (event_id, org_id, livemode)
        REFERENCES gh.events (id, org_id, livemode) ON DELETE CASCADE,
    FOREIGN KEY (endpoint_id, org_id, livemode)
        REFERENCES gh.webhook_endpoints (id, org_id, livemode) ON DELETE CASCADE
);
CREATE INDEX webhook_attempts_org_idx ON gh.webhook_attempts (org_id, livemode);
CREATE INDEX webhook_attempts_endpoint_idx ON gh.webhook_attempts (endpoint_id, seq);
CREATE INDEX webhook_attempts_event_idx ON gh.webhook_attempts (event_id);

ALTER TABLE gh.webhook_attempts ENABLE ROW LEVEL SECURITY;
ALTER TABLE gh.webhook_attempts FORCE  ROW LEVEL SECURITY;
CREATE POLICY webhook_attempts_isolation ON gh.webhook_attempts FOR ALL TO gatehouse_app
    USING      (org_id = (SELECT gh.current_org()) AND livemode = (SELECT gh.current_livemode()))
    WITH CHECK (org_id = (SELECT gh.current_org()) AND livemode = (SELECT gh.current_livemode()));

REVOKE ALL ON gh.webhook_attempts FROM PUBLIC;
GRANT SELECT ON gh.webhook_attempts TO gatehouse_app;

-- ---------------------------------------------------------------- fan-out

-- One INSERT … SELECT per statement that adds events (a 1000-lead import is
-- one statement), as the caller: the policies of webhook_endpoints and
-- webhook_queue limit it to the caller's org and mode, whatever the events.
CREATE FUNCTION gh_private.webhook_fanout()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n bigint;
BEGIN
    INSERT INTO gh.webhook_queue (org_id, livemode, event_id, endpoint_id)
    SELECT e.org_id, e.livemode, e.id, w.id
      FROM new_events e
      JOIN gh.webhook_endpoints w
        ON w.org_id = e.org_id AND w.livemode = e.livemode
     WHERE w.status = 'enabled'
       AND ('*' = ANY (w.events) OR e.type = ANY (w.events))
     ORDER BY e.seq, w.seq;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n > 0 THEN
        -- Delivered at commit, once per transaction (identical payloads fold).
        PERFORM pg_catalog.pg_notify('gh_webhooks', '');
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION gh_private.webhook_fanout() FROM PUBLIC;
-- It runs as the caller; firing a trigger checks neither EXECUTE nor the
-- schema's USAGE (like gh_private.touch_updated_at).
CREATE TRIGGER events_webhook_fanout AFTER INSERT ON gh.events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION gh_private.webhook_fanout();

-- ---------------------------------------------------------------- workers

-- Claims up to p_limit due deliveries of any org, oldest due first, skipping
-- rows another worker holds; each claimed row's due time moves to the end
-- of a lease, so a worker that dies (kill -9, lost node) gives them back
-- without anyone noticing it died. Returns what a worker needs to send:
-- the event (body parts), the endpoint's URL and secrets (hex of the stored
-- ciphertexts: the key is not in the database), and the attempt number.
-- Deliveries to disabled endpoints never come out (their rows are deleted
-- when the endpoint is disabled).
CREATE FUNCTION gh.webhook_claim(p_limit integer, p_lease_seconds integer)
RETURNS TABLE (queue_id bigint, attempt integer, event_id text, event_type text,
               event_created_at text, livemode boolean, data text,
               endpoint_id text, url text, secret_ct text, prev_secret_ct text)
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH c AS (
        SELECT q.id
          FROM gh.webhook_queue q
         WHERE q.next_attempt_at <= pg_catalog.now()
         ORDER BY q.next_attempt_at, q.id
         LIMIT least(greatest(p_limit, 1), 500)
           FOR UPDATE SKIP LOCKED
    ), u AS (
        UPDATE gh.webhook_queue q
           SET next_attempt_at = pg_catalog.now()
                   + pg_catalog.make_interval(secs => least(greatest(p_lease_seconds, 5), 600)),
               claimed_at = pg_catalog.now()
          FROM c
         WHERE q.id = c.id
        RETURNING q.id, q.attempts, q.event_id, q.endpoint_id
    )
    SELECT u.id, u.attempts + 1, e.id, e.type,
           pg_catalog.to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
           e.livemode, e.data::text, w.id, w.url,
           pg_catalog.encode(w.secret_ct, 'hex'),
           CASE WHEN w.prev_expires_at > pg_catalog.now() THEN pg_catalog.encode(w.prev_secret_ct, 'hex') END
      FROM u
      JOIN gh.events e ON e.id = u.event_id
      JOIN gh.webhook_endpoints w ON w.id = u.endpoint_id
     WHERE w.status = 'enabled'
     ORDER BY u.id
$$;
REVOKE ALL ON FUNCTION gh.webhook_claim(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gh.webhook_claim(integer, integer) TO gatehouse_app;

-- Records the outcome of a batch of attempts (parallel arrays, one element
-- per claimed delivery): p_status NULL = no response (timeout, refused,
-- TLS, ...); p_retry_after = the receiver's Retry-After in seconds, or NULL.
-- For each delivery still queued: an attempt row; then 2xx → done; 410 →
-- the endpoint is disabled ('gone'); anything else → retried on the
-- schedule 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h after this attempt (+0
-- to 10 % jitter; a longer Retry-After wins, capped at 24 h), and given up
-- after the 8th attempt. An endpoint that has been failing for 5 days is
-- disabled ('failing'). A disabled endpoint's queue is emptied. Results for
-- deliveries no longer queued (endpoint deleted meanwhile) are ignored.
-- Returns how many attempts were recorded.
CREATE FUNCTION gh.webhook_record(p_queue bigint[], p_attempt_ids text[], p_status integer[],
                                  p_latency_ms integer[], p_retry_after integer[], p_error text[])
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    schedule constant integer[] := ARRAY[5, 300, 1800, 7200, 18000, 36000, 36000];
    n        integer;
    ok_eps   text[];
    fail_eps text[];
    gone_eps text[];
    all_eps  text[];
BEGIN
    IF pg_catalog.cardinality(p_queue) IS DISTINCT FROM pg_catalog.cardinality(p_attempt_ids)
       OR pg_catalog.cardinality(p_queue) IS DISTINCT FROM pg_catalog.cardinality(p_status)
       OR pg_catalog.cardinality(p_queue) IS DISTINCT FROM pg_catalog.cardinality(p_latency_ms)
       OR pg_catalog.cardinality(p_queue) IS DISTINCT FROM pg_catalog.cardinality(p_retry_after)
       OR pg_catalog.cardinality(p_queue) IS DISTINCT FROM pg_catalog.cardinality(p_error) THEN
        RAISE EXCEPTION 'webhook_record: arrays of different lengths' USING ERRCODE = '22023';
    END IF;

    -- One statement (no temporary table: a table the caller could have
    -- created first, with its own triggers, must never be written by a
    -- definer). The queued rows are locked, so one result per delivery wins.
    WITH r AS (
        SELECT x.qid, x.aid, x.code, greatest(coalesce(x.latency, 0), 0) AS latency,
               x.retry_after, pg_catalog.left(x.err, 200) AS err,
               q.org_id, q.livemode, q.event_id, q.endpoint_id, q.attempts + 1 AS attempt,
               CASE WHEN x.code BETWEEN 200 AND 299 THEN 'ok'
                    WHEN x.code = 410 THEN 'gone'
                    WHEN q.attempts + 1 > pg_catalog.cardinality(schedule) THEN 'exhausted'
                    ELSE 'retry' END AS outcome
          FROM unnest(p_queue, p_attempt_ids, p_status, p_latency_ms, p_retry_after, p_error)
                   AS x(qid, aid, code, latency, retry_after, err)
          JOIN gh.webhook_queue q ON q.id = x.qid
         ORDER BY q.id
           FOR UPDATE OF q
    ), k AS MATERIALIZED (
        SELECT r.*,
               CASE WHEN r.outcome = 'retry' THEN pg_catalog.now() + pg_catalog.make_interval(secs =>
                   greatest(schedule[r.attempt] * (1 + pg_catalog.random() * 0.1),
                                       least(coalesce(r.retry_after, 0), 86400)))
               END AS next_at
          FROM r
    ), ins AS (
        INSERT INTO gh.webhook_attempts (id, org_id, livemode, endpoint_id, event_id, attempt,
                                         status_code, latency_ms, error, next_retry_at)
        SELECT k.aid, k.org_id, k.livemode, k.endpoint_id, k.event_id, k.attempt,
               CASE WHEN k.code BETWEEN 100 AND 599 THEN k.code END, k.latency, k.err, k.next_at
          FROM k
        RETURNING 1
    ), upd AS (
        UPDATE gh.webhook_queue q
           SET attempts = k.attempt, next_attempt_at = k.next_at, claimed_at = NULL
          FROM k
         WHERE q.id = k.qid AND k.outcome = 'retry'
        RETURNING 1
    ), del AS (
        DELETE FROM gh.webhook_queue q
         USING k
         WHERE q.id = k.qid AND k.outcome <> 'retry'
        RETURNING 1
    )
    -- (upd and del run whether or not they are read: data-modifying WITH.)
    SELECT (SELECT pg_catalog.count(*) FROM ins)::integer,
           pg_catalog.array_agg(DISTINCT k.endpoint_id) FILTER (WHERE k.outcome = 'ok'),
           pg_catalog.array_agg(DISTINCT k.endpoint_id) FILTER (WHERE k.outcome IN ('retry', 'exhausted')),
           pg_catalog.array_agg(DISTINCT k.endpoint_id) FILTER (WHERE k.outcome = 'gone'),
           pg_catalog.array_agg(DISTINCT k.endpoint_id)
      INTO n, ok_eps, fail_eps, gone_eps, all_eps
      FROM k;

    IF all_eps IS NULL THEN
        RETURN coalesce(n, 0);
    END IF;
    -- The endpoints' runs of failures: a success ends one, a failure starts
    -- one (only rows that change are written: every delivery to a busy
    -- endpoint would otherwise update the same row). Endpoints in id order,
    -- so that concurrent recorders lock them in the same order.
    PERFORM 1 FROM gh.webhook_endpoints w WHERE w.id = ANY (all_eps) ORDER BY w.id FOR NO KEY UPDATE;
    UPDATE gh.webhook_endpoints w SET failing_since = NULL
     WHERE w.failing_since IS NOT NULL AND w.id = ANY (ok_eps);
    UPDATE gh.webhook_endpoints w SET failing_since = pg_catalog.now()
     WHERE w.failing_since IS NULL AND w.id = ANY (fail_eps)
       AND NOT (w.id = ANY (coalesce(ok_eps, '{}')));
    UPDATE gh.webhook_endpoints w SET status = 'disabled', disabled_reason = 'gone'
     WHERE w.status = 'enabled' AND w.id = ANY (gone_eps);
    UPDATE gh.webhook_endpoints w SET status = 'disabled', disabled_reason = 'failing'
     WHERE w.status = 'enabled' AND w.id = ANY (all_eps)
       AND w.failing_since < pg_catalog.now() - interval '5 days';
    DELETE FROM gh.webhook_queue q
     USING gh.webhook_endpoints w
     WHERE q.endpoint_id = w.id AND w.status = 'disabled' AND w.id = ANY (all_eps);
    RETURN n;
END
$$;
REVOKE ALL ON FUNCTION gh.webhook_record(bigint[], text[], integer[], integer[], integer[], text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gh.webhook_record(bigint[], text[], integer[], integer[], integer[], text[])
    TO gatehouse_app;

-- Gives back claimed deliveries without an attempt (a worker stopping
-- gracefully with sends not yet started): due again at once.
CREATE FUNCTION gh.webhook_release(p_queue bigint[])
RETURNS integer
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    WITH u AS (
        UPDATE gh.webhook_queue q SET next_attempt_at = pg_catalog.now(), claimed_at = NULL
         WHERE q.id = ANY (p_queue) AND q.claimed_at IS NOT NULL
        RETURNING 1)
    SELECT pg_catalog.count(*)::integer FROM u
$$;
REVOKE ALL ON FUNCTION gh.webhook_release(bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gh.webhook_release(bigint[]) TO gatehouse_app;

-- ---------------------------------------------------------------- actions under the caller's context

-- Rotation: the current secret becomes the previous one (signing for 24 h
-- more), p_secret_ct the current. Only an enabled-or-not endpoint of the
-- caller's org and mode (the context), never another's: the definer
-- bypasses RLS, so the context is checked here explicitly. Returns whether
-- the endpoint was found.
CREATE FUNCTION gh.webhook_endpoint_rotate(p_id text, p_secret_ct bytea)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF gh.current_org() IS NULL OR p_secret_ct IS NULL THEN
        RETURN false;
    END IF;
    UPDATE gh.webhook_endpoints w
       SET prev_secret_ct = w.secret_ct, prev_expires_at = pg_catalog.now() + interval '24 hours',
           secret_ct = p_secret_ct
     WHERE w.id = p_id AND w.org_id = gh.current_org() AND w.livemode = gh.current_livemode();
    RETURN FOUND;
END
$$;
REVOKE ALL ON FUNCTION gh.webhook_endpoint_rotate(text, bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gh.webhook_endpoint_rotate(text, bytea) TO gatehouse_app;

-- Redelivery: the event goes again, from attempt 1 and at once, to each
-- enabled endpoint it was ever queued or attempted for — of the caller's
-- org and mode only. Returns the number of deliveries queued; NULL when the
-- event is not the caller's (the server then answers 404 or 403).
CREATE FUNCTION gh.webhook_redeliver(p_event_id text)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM gh.events e
                    WHERE e.id = p_event_id AND e.org_id = gh.current_org()
                      AND e.livemode = gh.current_livemode()) THEN
        RETURN NULL;
    END IF;
    INSERT INTO gh.webhook_queue (org_id, livemode, event_id, endpoint_id)
    SELECT w.org_id, w.livemode, p_event_id, w.id
      FROM gh.webhook_endpoints w
     WHERE w.org_id = gh.current_org() AND w.livemode = gh.current_livemode()
       AND w.status = 'enabled'
       AND (EXISTS (SELECT 1 FROM gh.webhook_attempts a WHERE a.event_id = p_event_id AND a.endpoint_id = w.id)
            OR EXISTS (SELECT 1 FROM gh.webhook_queue q WHERE q.event_id = p_event_id AND q.endpoint_id = w.id))
     ORDER BY w.seq;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n > 0 THEN
        PERFORM pg_catalog.pg_notify('gh_webhooks', '');
    END IF;
    RETURN n;
END
$$;
REVOKE ALL ON FUNCTION gh.webhook_redeliver(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gh.webhook_redeliver(text) TO gatehouse_app;

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
    WHEN 'whe' THEN
        RETURN QUERY SELECT w.org_id, w.livemode FROM gh.webhook_endpoints w WHERE w.id = p_id;
    WHEN 'whd' THEN
        RETURN QUERY SELECT a.org_id, a.livemode FROM gh.webhook_attempts a WHERE a.id = p_id;
    ELSE
        RETURN;                     -- unknown prefix, or NULL
    END CASE;
END
$$;
