-- 0009_usage.sql — per-minute request counters behind GET
-- /v1/api_keys/{id}/usage and GET /v1/usage (api.md, "API keys").
--
-- What it adds, and why:
--   * gh.api_key_usage — one row per (org, API key, minute): how many
--     requests the key made and how they ended (succeeded, client_errors,
--     denied, rate_limited; server errors only in `requests`). Requests made
--     by browser sessions are counted for their org with key_id NULL, so
--     GET /v1/usage is the whole org (docs/decisions.md, 50). Not split by
--     mode: the org sees the usage of its keys of both modes, as it sees the
--     keys themselves; a key's mode is its own. No livemode column.
--   * gh.api_key_usage_add — the only writer. The server counts in memory
--     and sends one call per batch (a few seconds' worth, every node on its
--     own); counters ADD to what is stored, so batches from several nodes,
--     and a batch retried after a failure, all sum up. Called from the
--     listener's thread, which has no org context, hence a definer
--     function, like gh.api_keys_touch (0007).
--
-- Conventions of 0001/0003 apply: RLS enabled and forced, a policy TO
-- gatehouse_app with an explicit WITH CHECK, the policy column indexed,
-- definer functions pin search_path and qualify every name. The app role
-- may only SELECT (its org's rows); it cannot write a counter directly.

CREATE TABLE gh.api_key_usage (
    org_id         text NOT NULL REFERENCES gh.orgs (id) ON DELETE CASCADE,
    -- key_… ; NULL for requests authenticated by a browser session. No
    -- foreign key to gh.api_keys: a key goes only with its org (cascade
    -- above), and the writer checks that key and org belong together.
    key_id         text,
    minute         timestamptz NOT NULL,                -- start of the minute (UTC)
    requests       bigint NOT NULL DEFAULT 0 CHECK (requests >= 0),
    succeeded      bigint NOT NULL DEFAULT 0 CHECK (succeeded >= 0),      -- 2xx, 3xx
    client_errors  bigint NOT NULL DEFAULT 0 CHECK (client_errors >= 0),  -- 4xx but 401/403/429
    denied         bigint NOT NULL DEFAULT 0 CHECK (denied >= 0),         -- 401, 403
    rate_limited   bigint NOT NULL DEFAULT 0 CHECK (rate_limited >= 0),   -- 429
    -- One row per key (or per org's sessions: NULLs are equal here) and
    -- minute: the target of the writer's ON CONFLICT, and the index of the
    -- org-wide query (org_id leads, as the policy needs).
    CONSTRAINT api_key_usage_one_row UNIQUE NULLS NOT DISTINCT (org_id, key_id, minute)
);
-- The per-key query uses the unique index (org_id, key_id, minute); the
-- org-wide one reads a range of minutes across keys.
CREATE INDEX api_key_usage_org_minute_idx ON gh.api_key_usage (org_id, minute);

ALTER TABLE gh.api_key_usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE gh.api_key_usage FORCE  ROW LEVEL SECURITY;
-- Both modes, like gh.api_keys. The app has no write grant; the WITH CHECK
-- is there so that a grant added one day cannot write into another org.
CREATE POLICY api_key_usage_isolation ON gh.api_key_usage FOR ALL TO gatehouse_app
    USING      (org_id = (SELECT gh.current_org()))
    WITH CHECK (org_id = (SELECT gh.current_org()));

REVOKE ALL ON gh.api_key_usage FROM PUBLIC;
GRANT SELECT ON gh.api_key_usage TO gatehouse_app;

-- One batch of counters: element i of every array describes one (org, key
-- or NULL, minute). Rows whose org no longer exists, or whose key is not a
-- key of that org, are skipped rather than failing the batch (a batch is
-- retried as a whole, and one vanished org must not block the others'
-- counts). Duplicates within a batch are summed before the upsert, which
-- may touch each row only once. Returns the number of rows written.
CREATE FUNCTION gh.api_key_usage_add(p_orgs text[], p_keys text[], p_minutes timestamptz[],
                                     p_requests bigint[], p_succeeded bigint[],
                                     p_client_errors bigint[], p_denied bigint[],
                                     p_rate_limited bigint[])
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    INSERT INTO gh.api_key_usage AS u
           (org_id, key_id, minute, requests, succeeded, client_errors, denied, rate_limited)
    SELECT x.org_id, x.key_id, pg_catalog.date_trunc('minute', x.minute, 'UTC'),
           pg_catalog.sum(x.r), pg_catalog.sum(x.s), pg_catalog.sum(x.c), pg_catalog.sum(x.d),
           pg_catalog.sum(x.l)
      -- multi-argument unnest is syntax, not a pg_catalog function
      FROM unnest(p_orgs, p_keys, p_minutes, p_requests, p_succeeded, p_client_errors,
                  p_denied, p_rate_limited) AS x(org_id, key_id, minute, r, s, c, d, l)
     WHERE x.org_id IS NOT NULL AND x.minute IS NOT NULL
       AND coalesce(x.r, -1) >= 0 AND coalesce(x.s, -1) >= 0 AND coalesce(x.c, -1) >= 0
       AND coalesce(x.d, -1) >= 0 AND coalesce(x.l, -1) >= 0
       AND EXISTS (SELECT 1 FROM gh.orgs o WHERE o.id = x.org_id)
       AND (x.key_id IS NULL
            OR EXISTS (SELECT 1 FROM gh.api_keys k WHERE k.id = x.key_id AND k.org_id = x.org_id))
     GROUP BY 1, 2, 3
    ON CONFLICT ON CONSTRAINT api_key_usage_one_row DO UPDATE
       SET requests      = u.requests      + excluded.requests,
           succeeded     = u.succeeded     + excluded.succeeded,
           client_errors = u.client_errors + excluded.client_errors,
           denied        = u.denied        + excluded.denied,
           rate_limited  = u.rate_limited  + excluded.rate_limited;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
REVOKE ALL ON FUNCTION gh.api_key_usage_add(text[], text[], timestamptz[], bigint[], bigint[],
                                            bigint[], bigint[], bigint[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gh.api_key_usage_add(text[], text[], timestamptz[], bigint[], bigint[],
                                               bigint[], bigint[], bigint[]) TO gatehouse_app;
