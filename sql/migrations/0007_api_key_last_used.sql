-- 0007_api_key_last_used.sql — when and from where each API key was last
-- used (GET /v1/api_keys shows last_used_at and last_used_ip).
--
-- The server notes uses in memory and writes them in batches, a few times
-- a second at most per key, through this function: the listener's thread
-- has no org context, and a key's record is not the caller's to update.
-- A use never moves last_used_at backwards.
CREATE FUNCTION gh.api_keys_touch(p_ids text[], p_ats timestamptz[], p_ips text[])
RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
    UPDATE gh.api_keys k
       SET last_used_at = x.at, last_used_ip = x.ip
      FROM unnest(p_ids, p_ats, p_ips) AS x(id, at, ip)  -- multi-argument unnest is syntax, not a pg_catalog function
     WHERE k.id = x.id
       AND (k.last_used_at IS NULL OR k.last_used_at < x.at)
$$;
REVOKE ALL ON FUNCTION gh.api_keys_touch(text[], timestamptz[], text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION gh.api_keys_touch(text[], timestamptz[], text[]) TO gatehouse_app;
