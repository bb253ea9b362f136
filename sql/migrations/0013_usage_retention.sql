-- 0013_usage_retention.sql — usage minutes are kept for a retention period
-- (GATEHOUSE_USAGE_RETENTION_DAYS, default 400: the longest query the API
-- answers is 366 days of `day` buckets), then deleted.
--
-- What it adds, and why:
--   * an index on gh.api_key_usage (minute): the prune looks for old rows
--     across every org, which neither existing index (both lead with
--     org_id) can find without reading the whole table.
--   * gh.api_key_usage_prune(keep_days, max_rows) — deletes at most
--     max_rows rows older than keep_days and returns how many it deleted;
--     the server calls it again while it returns max_rows, so no single
--     statement holds many row locks or runs long. SKIP LOCKED: several
--     nodes pruning at once share the work instead of waiting on each
--     other, and a row being added to right now is left for next time.
--     A definer function, called from the listener's thread without an org
--     context, like gh.api_key_usage_add. It refuses a retention under two
--     days: SQL running as the app role can remove old counters through it
--     (that is its job) but never the recent ones that the default query
--     (the last 24 h) shows.

CREATE INDEX api_key_usage_minute_idx ON gh.api_key_usage (minute);

CREATE FUNCTION gh.api_key_usage_prune(p_keep_days integer, p_max_rows integer)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    n integer;
BEGIN
    IF p_keep_days IS NULL OR p_keep_days < 2 OR p_max_rows IS NULL OR p_max_rows < 1 THEN
        RAISE EXCEPTION 'usage retention must be at least 2 days and a batch at least 1 row'
              USING ERRCODE = '22023';
    END IF;
    DELETE FROM gh.api_key_usage u
     WHERE u.ctid = ANY (ARRAY(
            SELECT x.ctid FROM gh.api_key_usage x
             WHERE x.minute < pg_catalog.now() - pg_catalog.make_interval(days => p_keep_days)
             LIMIT p_max_rows
               FOR UPDATE SKIP LOCKED));
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
REVOKE ALL ON FUNCTION gh.api_key_usage_prune(integer, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gh.api_key_usage_prune(integer, integer) TO gatehouse_app;
