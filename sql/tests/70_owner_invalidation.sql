-- 70_owner_invalidation.sql — gh.object_owner (403 org_mismatch vs 404) and
-- the cross-node invalidation functions. As gatehouse_app.
SELECT no_plan();
SET ROLE gatehouse_app;

-- ---------------------------------------------------------------- object_owner

SELECT results_eq(
    $$SELECT p.id, o.org_id, o.livemode
        FROM unnest(ARRAY['org_b', 'usr_b_admin', 'inv_b', 'ses_b_live', 'key_b_test',
                          'app_b_live', 'rev_b_test', 'cmp_b_live', 'lead_b_test',
                          'ctr_b_live', 'cex_b_test']) WITH ORDINALITY p(id, n)
        CROSS JOIN LATERAL gh.object_owner(p.id) o
       ORDER BY p.n$$,
    $$VALUES ('org_b'::text, 'org_b'::text, NULL::boolean),
             ('usr_b_admin', 'org_b', NULL), ('inv_b', 'org_b', NULL),
             ('ses_b_live', 'org_b', NULL), ('key_b_test', 'org_b', NULL),
             ('app_b_live', 'org_b', true), ('rev_b_test', 'org_b', false),
             ('cmp_b_live', 'org_b', true), ('lead_b_test', 'org_b', false),
             ('ctr_b_live', 'org_b', true), ('cex_b_test', 'org_b', false)$$,
    'object_owner (no context needed): org B and, for resources, the mode, for every prefix');

BEGIN;
SELECT ok(gh.begin_request(sha256('key-a-live'), true), 'org A, live key');
SELECT results_eq(
    $$SELECT org_id, livemode FROM gh.object_owner('app_b_live')$$,
    $$VALUES ('org_b'::text, true)$$,
    'under org A''s context, object_owner still names org B for org B''s object (→ 403)');
SELECT results_eq(
    $$SELECT org_id, livemode FROM gh.object_owner('app_a_test')$$,
    $$VALUES ('org_a'::text, false)$$,
    'the same org''s object of the other mode: own org, other mode (→ 404)');
COMMIT;

SELECT is_empty($$SELECT * FROM gh.object_owner('app_doesnotexist')$$, 'object_owner: unknown id → no row');
SELECT is_empty($$SELECT * FROM gh.object_owner('org_nope')$$, 'object_owner: unknown org → no row');
SELECT is_empty($$SELECT * FROM gh.object_owner('zzz_b_live')$$, 'object_owner: unknown prefix → no row');
SELECT results_eq($$SELECT org_id, livemode FROM gh.object_owner('whe_b_live')$$, $$VALUES ('org_b'::text, true)$$,
                  'object_owner: webhook endpoints (0010) → org and mode');
SELECT is_empty($$SELECT * FROM gh.object_owner('app')$$, 'object_owner: prefix alone → no row');
SELECT is_empty($$SELECT * FROM gh.object_owner('')$$, 'object_owner: empty id → no row');
SELECT is_empty($$SELECT * FROM gh.object_owner(NULL)$$, 'object_owner: NULL → no row');
SELECT is_empty($$SELECT * FROM gh.object_owner('app_b_live'' OR ''1''=''1')$$,
                'object_owner: a quote-laden id is just an unknown id');
SELECT is_empty($$SELECT * FROM gh.object_owner('APP_b_live')$$, 'object_owner: prefixes are case-sensitive');
SELECT is(
    (SELECT array_agg(a.attname::text ORDER BY a.attnum)
       FROM pg_proc p, unnest(p.proargnames) WITH ORDINALITY a(attname, attnum)
      WHERE p.oid = 'gh.object_owner(text)'::regprocedure AND a.attnum > 1),
    ARRAY['org_id', 'livemode'], 'object_owner returns (org_id, livemode) and nothing else');

-- ---------------------------------------------------------------- nodes, invalidate

SELECT throws_ok($$SELECT * FROM gh_private.nodes$$, '42501', NULL,
                 'the app role cannot read gh_private.nodes directly');
SELECT throws_ok($$SELECT nextval('gh_private.invalidation_seq')$$, '42501', NULL,
                 'the app role cannot use the invalidation sequence directly');

SELECT gh.invalidate('key', 'key_a_live') AS s1 \gset
SELECT gh.invalidate('session', 'ses_a_live') AS s2 \gset
SELECT gh.invalidate('user', 'usr_a_member') AS s3 \gset
SELECT gh.invalidate('org', 'org_a') AS s4 \gset
SELECT ok(:s1 > 0 AND :s1 < :s2 AND :s2 < :s3 AND :s3 < :s4,
          'invalidate returns increasing values (' || :s1 || ', ' || :s2 || ', ' || :s3 || ', ' || :s4 || ')');
SELECT throws_ok($$SELECT gh.invalidate('credential', 'key_a_live')$$, '22023', NULL,
                 'invalidate: an unknown kind is refused');
SELECT throws_ok($$SELECT gh.invalidate(NULL, 'key_a_live')$$, '22023', NULL,
                 'invalidate: a NULL kind is refused');
SELECT throws_ok($$SELECT gh.invalidate('key', 'key_a:live')$$, '22023', NULL,
                 'invalidate: an id with '':'' is refused (it would make the payload ambiguous)');
SELECT throws_ok($$SELECT gh.invalidate('key', '')$$, '22023', NULL, 'invalidate: an empty id is refused');
SELECT throws_ok($$SELECT gh.invalidate('key', NULL)$$, '22023', NULL, 'invalidate: a NULL id is refused');

-- Invalidating transactions are serialized until they end, so that seq
-- order is commit (= delivery) order and one acked maximum per node is
-- enough.
BEGIN;
SELECT gh.invalidate('key', 'key_a_test') AS s5 \gset
SELECT ok(EXISTS (SELECT 1 FROM pg_locks l
                   WHERE l.locktype = 'advisory' AND l.pid = pg_backend_pid()
                     AND l.classid = 1734895990 AND l.objid = 1 AND l.objsubid = 2
                     AND l.mode = 'ExclusiveLock' AND l.granted),
          'invalidate holds the invalidation lock until the end of the transaction');
COMMIT;
SELECT ok(NOT EXISTS (SELECT 1 FROM pg_locks l
                       WHERE l.locktype = 'advisory' AND l.pid = pg_backend_pid()
                         AND l.classid = 1734895990 AND l.objid = 1),
          '... and releases it at COMMIT');

-- Two nodes, one of which acks.
SELECT lives_ok($$SELECT gh.node_heartbeat('test-node-1')$$, 'node 1 registers');
SELECT lives_ok($$SELECT gh.node_heartbeat('test-node-2')$$, 'node 2 registers');
SELECT lives_ok($$SELECT gh.node_heartbeat('test-node-2')$$, 'a second heartbeat is an update');
SELECT gh.invalidate('key', 'key_b_live') AS s6 \gset
SELECT is(gh.nodes_lagging(:s6, 60), 2::bigint, 'after an invalidation both fresh nodes lag');
SELECT lives_ok(format('SELECT gh.node_ack(%L, %s)', 'test-node-1', :s6), 'node 1 acks it');
SELECT is(gh.nodes_lagging(:s6, 60), 1::bigint, 'one node lags');
SELECT lives_ok(format('SELECT gh.node_ack(%L, %s)', 'test-node-1', :s6 - 3),
                'node 1 acks an older value late');
SELECT is(gh.nodes_lagging(:s6, 60), 1::bigint, '... which does not move its ack back');
SELECT is(gh.nodes_lagging(:s5, 60), 1::bigint, 'node 2 (acked nothing) lags for older invalidations too');
SELECT lives_ok(format('SELECT gh.node_ack(%L, %s)', 'test-node-2', :s6), 'node 2 acks it');
SELECT is(gh.nodes_lagging(:s6, 60), 0::bigint, 'no node lags');

SELECT gh.invalidate('session', 'ses_b_live') AS s7 \gset
SELECT lives_ok(format('SELECT gh.node_ack(%L, %s)', 'test-node-1', :s7), 'node 1 acks a newer one');
SELECT is(gh.nodes_lagging(:s7, 60), 1::bigint, 'node 2 lags for it');
SELECT lives_ok(format('SELECT gh.node_ack(%L, %s)', 'test-node-2', :s7), 'node 2 acks it');
SELECT is(gh.nodes_lagging(:s7, 60), 0::bigint, 'no node lags');

-- A node not seen recently is not waited for.
RESET ROLE;
UPDATE gh_private.nodes SET last_seen = now() - interval '2 min' WHERE node_id = 'test-node-2';
SET ROLE gatehouse_app;
SELECT gh.invalidate('user', 'usr_b_admin') AS s8 \gset
SELECT is(gh.nodes_lagging(:s8, 60), 1::bigint, 'a node unseen for longer than p_fresh_seconds is not counted');
SELECT is(gh.nodes_lagging(:s8, 600), 2::bigint, '... but counts with a longer freshness window');
SELECT lives_ok($$SELECT gh.node_heartbeat('test-node-2')$$, 'node 2 is back');
SELECT is(gh.nodes_lagging(:s8, 60), 2::bigint, '... and lags again until it acks');

SELECT lives_ok($$SELECT gh.node_leave('test-node-1')$$, 'node 1 leaves');
SELECT lives_ok($$SELECT gh.node_leave('test-node-2')$$, 'node 2 leaves');
SELECT is(gh.nodes_lagging(:s8, 600), 0::bigint, 'nodes that left are not counted');
SELECT lives_ok($$SELECT gh.node_leave('test-node-unknown')$$, 'leaving twice (or unknown) is harmless');
SELECT throws_ok($$SELECT gh.node_heartbeat('')$$, '22023', NULL, 'an empty node id is refused');

RESET ROLE;
SELECT is((SELECT count(*)::int FROM gh_private.nodes WHERE node_id LIKE 'test-node-%'), 0,
          'no test node is left behind');

SELECT * FROM finish();
