-- helpers/visibility.sql — included (\ir) by the isolation suites; not a
-- suite itself. Defines, for this session only:
--
--   pg_temp.visibility(p_org text) -> (tbl, own, other)
--     For every table, view or matview in gh and gh_private, as the CURRENT
--     role: how many visible rows belong to p_org (own) and how many do not
--     (other). The org column is org_id, or id for gh.orgs. A table the role
--     may not read at all reports own = NULL, other = 0 (nothing leaks); a
--     table without an org column reports other = -1 so the caller fails —
--     a new table must say which org its rows belong to.
-- Rows are counted with SECURITY INVOKER rights, so RLS applies.
CREATE FUNCTION pg_temp.visibility(p_org text)
RETURNS TABLE (tbl text, own bigint, other bigint)
LANGUAGE plpgsql
AS $$
DECLARE
    r   record;
    col text;
BEGIN
    FOR r IN
        SELECT c.oid, c.oid::regclass::text AS name
          FROM pg_catalog.pg_class c
          JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname IN ('gh', 'gh_private')
           AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
         ORDER BY 2
    LOOP
        tbl := r.name;
        SELECT a.attname INTO col
          FROM pg_catalog.pg_attribute a
         WHERE a.attrelid = r.oid AND NOT a.attisdropped
           AND (a.attname = 'org_id' OR (r.name = 'gh.orgs' AND a.attname = 'id'))
         ORDER BY a.attname = 'org_id' DESC
         LIMIT 1;
        IF NOT FOUND THEN
            col := NULL;
        END IF;
        BEGIN
            IF col IS NULL THEN
                -- Readable but no org column: that is a finding in itself.
                EXECUTE format('SELECT count(*) FROM %s', r.name) INTO other;
                own := NULL;
                other := -1;
            ELSE
                EXECUTE format('SELECT count(*) FILTER (WHERE %1$I = $1),
                                       count(*) FILTER (WHERE %1$I IS DISTINCT FROM $1)
                                  FROM %2$s', col, r.name)
                   INTO own, other USING p_org;
            END IF;
        EXCEPTION WHEN insufficient_privilege THEN
            own := NULL;
            other := 0;
        END;
        RETURN NEXT;
    END LOOP;
END
$$;

--   pg_temp.mode_visibility(p_org text, p_livemode boolean)
--       -> (tbl, own, other)
--     For every table in gh with BOTH an org_id and a livemode column (the
--     data split by mode), as the CURRENT role: visible rows of exactly
--     (p_org, p_livemode) (own) and visible rows of anything else — another
--     org or the other mode — (other). A table the role may not read reports
--     own = NULL, other = 0. gh.api_keys is left out on purpose: an org sees
--     its keys of both modes.
CREATE FUNCTION pg_temp.mode_visibility(p_org text, p_livemode boolean)
RETURNS TABLE (tbl text, own bigint, other bigint)
LANGUAGE plpgsql
AS $$
DECLARE
    r record;
BEGIN
    FOR r IN
        SELECT c.oid::regclass::text AS name
          FROM pg_catalog.pg_class c
         WHERE c.relnamespace = 'gh'::regnamespace
           AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
           AND c.oid <> 'gh.api_keys'::regclass
           AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                        WHERE a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped)
           AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a
                        WHERE a.attrelid = c.oid AND a.attname = 'livemode' AND NOT a.attisdropped)
         ORDER BY 1
    LOOP
        tbl := r.name;
        BEGIN
            EXECUTE format('SELECT count(*) FILTER (WHERE org_id = $1 AND livemode = $2),
                                   count(*) FILTER (WHERE org_id IS DISTINCT FROM $1
                                                       OR livemode IS DISTINCT FROM $2)
                              FROM %s', r.name)
               INTO own, other USING p_org, p_livemode;
        EXCEPTION WHEN insufficient_privilege THEN
            own := NULL;
            other := 0;
        END;
        RETURN NEXT;
    END LOOP;
END
$$;
