-- 98_webhooks.sql — webhooks (0010): the fan-out trigger under the
-- request's context, what the runtime role may not do to endpoints, the
-- queue and the attempts, the workers' definer functions (claim with a
-- lease, batched record: success, retry schedule, Retry-After, 410, giving
-- up, 5 days of failures; release), rotation and redelivery limited to the
-- caller's context, object_owner. Isolation of the three tables is covered
-- by the catalog-driven suites 20 and 60 (fixture rows whe_*, whd_*, one
-- queued delivery per org and mode). The suite commits (a context lasts
-- one transaction, and the workers' functions run without one); at the end
-- it puts the webhook fixtures back as they were.
SELECT no_plan();

-- A filtered endpoint receives only its types; a disabled one nothing.
INSERT INTO gh.webhook_endpoints (id, org_id, livemode, url, events, secret_ct, status)
VALUES ('whe_a_leads', 'org_a', true, 'https://x.example/', '{lead.created}', '\x01', 'enabled'),
       ('whe_a_off', 'org_a', true, 'https://x.example/', '{*}', '\x01', 'disabled');

-- ---------------------------------------------------------------- fan-out

SET ROLE gatehouse_app;
BEGIN;
SELECT ok(gh.begin_request(sha256('a-live'), true), 'org A admin session, live');
INSERT INTO gh.events (id, org_id, livemode, type, data)
VALUES ('evt_a_fan1', 'org_a', true, 'lead.created', '{"object":{"id":"lead_x"}}'),
       ('evt_a_fan2', 'org_a', true, 'lead.updated', '{"object":{"id":"lead_x"}}');
SELECT results_eq(
    $$SELECT event_id, endpoint_id, org_id, livemode, attempts FROM gh.webhook_queue
       WHERE event_id LIKE 'evt_a_fan%' ORDER BY event_id, endpoint_id$$,
    $$VALUES ('evt_a_fan1'::text, 'whe_a_leads'::text, 'org_a'::text, true, 0),
             ('evt_a_fan1', 'whe_a_live', 'org_a', true, 0),
             ('evt_a_fan2', 'whe_a_live', 'org_a', true, 0)$$,
    'an event fans out, in its transaction, to its org''s enabled endpoints of its mode whose filter matches');
INSERT INTO gh.events (id, org_id, livemode, type, data)
VALUES ('evt_a_f3', 'org_a', true, 'lead.created', '{}'), ('evt_a_f4', 'org_a', true, 'campaign.created', '{}');
SELECT results_eq(
    $$SELECT event_id || '>' || endpoint_id FROM gh.webhook_queue WHERE event_id IN ('evt_a_f3', 'evt_a_f4') ORDER BY 1$$,
    $$VALUES ('evt_a_f3>whe_a_leads'::text), ('evt_a_f3>whe_a_live'), ('evt_a_f4>whe_a_live')$$,
    'event-type filters are applied; a disabled endpoint gets nothing');

-- ---------------------------------------------------------------- what the app may not do

SELECT throws_ok($$SELECT secret_ct FROM gh.webhook_endpoints$$, '42501', NULL,
                 'the app cannot read the sealed secret');
SELECT throws_ok($$SELECT prev_secret_ct FROM gh.webhook_endpoints$$, '42501', NULL,
                 'nor the previous one');
SELECT throws_ok($$UPDATE gh.webhook_endpoints SET secret_ct = '\x00' WHERE id = 'whe_a_live'$$, '42501', NULL,
                 'nor overwrite it (only gh.webhook_endpoint_rotate does, in its context)');
SELECT throws_ok($$UPDATE gh.webhook_endpoints SET status = 'enabled' WHERE id = 'whe_a_off'$$, '42501', NULL,
                 'nor re-enable an endpoint directly');
SELECT throws_ok($$UPDATE gh.webhook_queue SET next_attempt_at = now() - interval '1 day'$$, '42501', NULL,
                 'the app cannot reschedule deliveries');
SELECT throws_ok($$DELETE FROM gh.webhook_queue$$, '42501', NULL, 'nor drop them');
SELECT throws_ok($$INSERT INTO gh.webhook_attempts (id, org_id, livemode, endpoint_id, event_id, attempt, latency_ms)
                   VALUES ('whd_x', 'org_a', true, 'whe_a_live', 'evt_a_live', 1, 1)$$, '42501', NULL,
                 'nor forge attempt records');
SELECT throws_ok($$INSERT INTO gh.webhook_queue (org_id, livemode, event_id, endpoint_id)
                   VALUES ('org_b', true, 'evt_b_live', 'whe_b_live')$$, '42501', NULL,
                 'nor queue a delivery in another org');
SELECT throws_ok($$INSERT INTO gh.webhook_queue (org_id, livemode, event_id, endpoint_id)
                   VALUES ('org_a', true, 'evt_a_live', 'whe_b_live')$$, '23503', NULL,
                 'nor send its own event to another org''s endpoint (composite foreign key)');
SELECT throws_ok($$INSERT INTO gh.webhook_queue (org_id, livemode, event_id, endpoint_id)
                   VALUES ('org_a', true, 'evt_a_live', 'whe_a_test')$$, '23503', NULL,
                 'nor a live event to its own test endpoint');
SELECT throws_ok($$INSERT INTO gh.webhook_endpoints (id, org_id, livemode, url, events, secret_ct)
                   VALUES ('whe_x', 'org_b', true, 'https://x.example/', '{*}', '\x00')$$, '42501', NULL,
                 'nor create an endpoint in another org');
SELECT throws_ok($$INSERT INTO gh.webhook_endpoints (id, org_id, livemode, url, events, secret_ct)
                   VALUES ('whe_x', 'org_a', true, 'https://x.example/', '{}', '\x00')$$, '23514', NULL,
                 'an endpoint needs at least one event type');

-- ---------------------------------------------------------------- rotation, redelivery (caller's context)

SELECT ok(gh.webhook_endpoint_rotate('whe_a_live', '\xabcd'), 'rotate: an endpoint of the context');
SELECT ok(NOT gh.webhook_endpoint_rotate('whe_b_live', '\xabcd'), 'rotate: another org''s endpoint is not found');
SELECT ok(NOT gh.webhook_endpoint_rotate('whe_a_test', '\xabcd'), 'rotate: the other mode''s endpoint is not found');
SELECT is(gh.webhook_redeliver('evt_b_live'), NULL, 'redeliver: another org''s event is not found');
SELECT is(gh.webhook_redeliver('evt_a_test'), NULL, 'redeliver: the other mode''s event is not found');
SELECT is(gh.webhook_redeliver('evt_a_live'), 1, 'redeliver: the event goes again to the endpoint it was sent to');
COMMIT;
RESET ROLE;
SELECT results_eq(
    $$SELECT secret_ct, prev_secret_ct, prev_expires_at > now() + interval '23 hours 59 minutes'
        FROM gh.webhook_endpoints WHERE id = 'whe_a_live'$$,
    $$VALUES ('\xabcd'::bytea, sha256('sealed-a-live'::bytea), true)$$,
    'rotation keeps the old secret for 24 h');
SELECT is((SELECT secret_ct FROM gh.webhook_endpoints WHERE id = 'whe_b_live'), sha256('sealed-b-live'::bytea),
          'another org''s secret is untouched');
SET ROLE gatehouse_app;
SELECT ok(NOT gh.webhook_endpoint_rotate('whe_a_live', '\xabcd'), 'rotate without a context: nothing');
SELECT is(gh.webhook_redeliver('evt_a_live'), NULL, 'redeliver without a context: nothing');

-- ---------------------------------------------------------------- workers: claim, lease

-- No context: the workers see every org's due deliveries, only here.
SELECT is((SELECT count(*)::int FROM gh.webhook_queue), 0, 'without a context the app sees no queue row');
CREATE TEMP TABLE claimed AS SELECT * FROM gh.webhook_claim(500, 30);
SELECT cmp_ok((SELECT count(*)::int FROM claimed), '>=', 4, 'claim returns due deliveries of every org and mode');
SELECT ok((SELECT bool_and(url LIKE 'https://%' AND secret_ct ~ '^[0-9a-f]+$' AND attempt = 1) FROM claimed),
          'each with its URL, the sealed secret as hex, and the attempt number');
SELECT is((SELECT data FROM claimed WHERE event_id = 'evt_a_fan1' LIMIT 1), '{"object":{"id":"lead_x"}}',
          'the event''s data verbatim');
SELECT is((SELECT count(*)::int FROM claimed WHERE endpoint_id = 'whe_a_off'), 0,
          'nothing for a disabled endpoint');
SELECT is((SELECT count(*)::int FROM claimed WHERE prev_secret_ct IS NOT NULL AND endpoint_id = 'whe_a_live'),
          (SELECT count(*)::int FROM claimed WHERE endpoint_id = 'whe_a_live'),
          'during a rotation the previous secret comes too');
SELECT is((SELECT count(*)::int FROM gh.webhook_claim(500, 30)), 0, 'claimed rows are leased: a second claim gets none');
RESET ROLE;
SELECT ok((SELECT bool_and(next_attempt_at >= now() + interval '25 s' AND claimed_at IS NOT NULL)
             FROM gh.webhook_queue WHERE id IN (SELECT queue_id FROM claimed)),
          'the lease is 30 s: a crashed worker''s claims come back by themselves');
SET ROLE gatehouse_app;
SELECT is(gh.webhook_release(ARRAY(SELECT min(queue_id) FROM claimed WHERE endpoint_id = 'whe_b_test')), 1,
          'release gives back a claim without an attempt');
SELECT is((SELECT count(*)::int FROM gh.webhook_claim(500, 30)), 1, '... due again at once');

-- ---------------------------------------------------------------- workers: record

CREATE TEMP TABLE q AS
SELECT (SELECT min(queue_id) FROM claimed WHERE endpoint_id = 'whe_a_test') AS ok_id,
       (SELECT min(queue_id) FROM claimed WHERE endpoint_id = 'whe_b_live') AS fail_id,
       (SELECT min(queue_id) FROM claimed WHERE endpoint_id = 'whe_a_leads') AS ra_id,
       (SELECT min(queue_id) FROM claimed WHERE endpoint_id = 'whe_b_test') AS gone_id;
SELECT throws_ok($$SELECT gh.webhook_record(ARRAY[1], ARRAY['whd_1', 'whd_2'], ARRAY[200], ARRAY[1], ARRAY[NULL]::int[], ARRAY[NULL])$$,
                 '22023', NULL, 'record: arrays of different lengths are refused');
SELECT is(gh.webhook_record(ARRAY[(SELECT ok_id FROM q), (SELECT fail_id FROM q), (SELECT ra_id FROM q),
                                  (SELECT gone_id FROM q), 999999999],
                            ARRAY['whd_r1', 'whd_r2', 'whd_r3', 'whd_r4', 'whd_r5'],
                            ARRAY[204, NULL, 503, 410, 200], ARRAY[10, 15000, 20, 30, 1],
                            ARRAY[NULL, NULL, 3600, NULL, NULL]::int[],
                            ARRAY[NULL, 'timeout', NULL, NULL, NULL]),
          4, 'record: one attempt per delivery still queued (an unknown one is ignored)');
RESET ROLE;
SELECT results_eq(
    $$SELECT id, endpoint_id, attempt, status_code, error, next_retry_at IS NOT NULL FROM gh.webhook_attempts
       WHERE id LIKE 'whd_r%' ORDER BY id$$,
    $$VALUES ('whd_r1'::text, 'whe_a_test'::text, 1, 204, NULL::text, false),
             ('whd_r2', 'whe_b_live', 1, NULL, 'timeout', true),
             ('whd_r3', 'whe_a_leads', 1, 503, NULL, true),
             ('whd_r4', 'whe_b_test', 1, 410, NULL, false)$$,
    'attempt rows: status (NULL without a response), error, next retry for failures only');
SELECT is((SELECT count(*)::int FROM gh.webhook_queue WHERE id = (SELECT ok_id FROM q)), 0,
          '2xx: the delivery leaves the queue');
SELECT ok((SELECT attempts = 1 AND claimed_at IS NULL
                  AND next_attempt_at BETWEEN now() + interval '4 s' AND now() + interval '5.5 s'
             FROM gh.webhook_queue WHERE id = (SELECT fail_id FROM q)),
          'no response: retried after 5 s (+ up to 10 % jitter)');
SELECT ok((SELECT next_attempt_at >= now() + interval '3590 s' FROM gh.webhook_queue WHERE id = (SELECT ra_id FROM q)),
          'Retry-After longer than the schedule wins');
SELECT results_eq(
    $$SELECT status, disabled_reason FROM gh.webhook_endpoints WHERE id = 'whe_b_test'$$,
    $$VALUES ('disabled'::text, 'gone'::text)$$, '410 disables the endpoint');
SELECT is((SELECT count(*)::int FROM gh.webhook_queue WHERE endpoint_id = 'whe_b_test'), 0,
          '... and empties its queue');
SELECT ok((SELECT failing_since IS NOT NULL FROM gh.webhook_endpoints WHERE id = 'whe_b_live'),
          'a failure starts the endpoint''s run of failures');
SELECT ok((SELECT failing_since IS NULL FROM gh.webhook_endpoints WHERE id = 'whe_a_test'),
          'a success leaves none');

-- The schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h; the 8th failure gives up.
UPDATE gh.webhook_queue SET attempts = 1, next_attempt_at = now() - interval '1 s' WHERE id = (SELECT fail_id FROM q);
SET ROLE gatehouse_app;
SELECT is(gh.webhook_record(ARRAY[(SELECT fail_id FROM q)], ARRAY['whd_s2'], ARRAY[500], ARRAY[1],
                            ARRAY[NULL]::int[], ARRAY[NULL]), 1, 'second attempt recorded');
RESET ROLE;
SELECT ok((SELECT attempts = 2 AND next_attempt_at BETWEEN now() + interval '295 s' AND now() + interval '330 s'
             FROM gh.webhook_queue WHERE id = (SELECT fail_id FROM q)),
          'after the 2nd failure: 5 min');
UPDATE gh.webhook_queue SET attempts = 6 WHERE id = (SELECT fail_id FROM q);
SET ROLE gatehouse_app;
SELECT is(gh.webhook_record(ARRAY[(SELECT fail_id FROM q)], ARRAY['whd_s7'], ARRAY[500], ARRAY[1],
                            ARRAY[NULL]::int[], ARRAY[NULL]), 1, '7th attempt recorded');
RESET ROLE;
SELECT ok((SELECT attempts = 7 AND next_attempt_at BETWEEN now() + interval '9 h 59 min' AND now() + interval '11 h'
             FROM gh.webhook_queue WHERE id = (SELECT fail_id FROM q)),
          'after the 7th failure: 10 h');
SET ROLE gatehouse_app;
SELECT is(gh.webhook_record(ARRAY[(SELECT fail_id FROM q)], ARRAY['whd_s8'], ARRAY[500], ARRAY[1],
                            ARRAY[NULL]::int[], ARRAY[NULL]), 1, '8th attempt recorded');
RESET ROLE;
SELECT is((SELECT count(*)::int FROM gh.webhook_queue WHERE id = (SELECT fail_id FROM q)), 0,
          'the 8th failure gives up: the delivery leaves the queue');
SELECT is((SELECT next_retry_at FROM gh.webhook_attempts WHERE id = 'whd_s8'), NULL, '... with no next retry');

-- Five days of continuous failure disable the endpoint.
UPDATE gh.webhook_endpoints SET failing_since = now() - interval '5 days 1 minute' WHERE id = 'whe_a_leads';
UPDATE gh.webhook_queue SET next_attempt_at = now() - interval '1 s' WHERE id = (SELECT ra_id FROM q);
SET ROLE gatehouse_app;
SELECT is(gh.webhook_record(ARRAY[(SELECT ra_id FROM q)], ARRAY['whd_f5'], ARRAY[500], ARRAY[1],
                            ARRAY[NULL]::int[], ARRAY[NULL]), 1, 'a failure after 5 days of failures');
RESET ROLE;
SELECT results_eq(
    $$SELECT status, disabled_reason FROM gh.webhook_endpoints WHERE id = 'whe_a_leads'$$,
    $$VALUES ('disabled'::text, 'failing'::text)$$, 'an endpoint failing for 5 days is disabled');

-- A deleted endpoint takes its queued deliveries with it.
DELETE FROM gh.webhook_endpoints WHERE id = 'whe_a_live';
SELECT is((SELECT count(*)::int FROM gh.webhook_queue WHERE endpoint_id = 'whe_a_live'), 0,
          'deleting an endpoint removes its pending deliveries');

-- ---------------------------------------------------------------- owners

SET ROLE gatehouse_app;
SELECT results_eq(
    $$SELECT p.id, o.org_id, o.livemode FROM unnest(ARRAY['whe_b_test', 'whd_b_live']) WITH ORDINALITY p(id, n)
        CROSS JOIN LATERAL gh.object_owner(p.id) o ORDER BY p.n$$,
    $$VALUES ('whe_b_test'::text, 'org_b'::text, false), ('whd_b_live', 'org_b', true)$$,
    'object_owner knows endpoints and delivery attempts');
RESET ROLE;

-- ---------------------------------------------------------------- back to the fixtures

DELETE FROM gh.webhook_endpoints;           -- queue and attempts go with them
DELETE FROM gh.events WHERE id LIKE 'evt_a_f%';
INSERT INTO gh.webhook_endpoints (id, org_id, livemode, url, events, secret_ct, created_by)
SELECT 'whe_' || o || '_' || m, 'org_' || o, m = 'live', 'https://hooks.' || o || '.example/' || m, '{*}',
       sha256(('sealed-' || o || '-' || m)::bytea), 'usr_' || o || '_admin'
  FROM unnest(ARRAY['a', 'b']) o, unnest(ARRAY['live', 'test']) m;
INSERT INTO gh.webhook_queue (org_id, livemode, event_id, endpoint_id)
SELECT 'org_' || o, m = 'live', 'evt_' || o || '_' || m, 'whe_' || o || '_' || m
  FROM unnest(ARRAY['a', 'b']) o, unnest(ARRAY['live', 'test']) m;
INSERT INTO gh.webhook_attempts (id, org_id, livemode, endpoint_id, event_id, attempt, status_code, latency_ms)
SELECT 'whd_' || o || '_' || m, 'org_' || o, m = 'live', 'whe_' || o || '_' || m, 'evt_' || o || '_' || m, 1, 200, 12
  FROM unnest(ARRAY['a', 'b']) o, unnest(ARRAY['live', 'test']) m;
SELECT is((SELECT count(*)::int FROM gh.webhook_queue), 4, 'the webhook fixtures are back');

SELECT * FROM finish();
