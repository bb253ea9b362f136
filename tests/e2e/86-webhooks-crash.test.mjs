// Fault: the server is killed with SIGKILL while a batch of 1000 events is
// being delivered, then started again. Counted at the receiver: every event
// arrives at least once (none lost: the claims of the dead node come back
// when their 30 s lease ends), and every duplicate carries the event's own
// webhook-id (and verifies), so a receiver deduplicating by webhook-id sees
// each event exactly once. The queue is empty at the end.
//
// A graceful stop (SIGTERM) in the same situation finishes or releases what
// it holds: after a restart the rest goes out at once (no 30 s lease wait).
//
// The events come from one POST /v1/leads/import of 1000 leads (one
// lead.created each) when the server writes events itself; otherwise 1000
// are inserted with SQL in one statement, as the outbox would.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { useServer, expectJson, signup, psql } from './harness.mjs';
import { startReceiver, insertEvents } from './webhook-receiver.mjs';

const ENV = { GATEHOUSE_RATE_LIMITS: 'off', GATEHOUSE_WEBHOOK_WORKERS: '2' };
const ctx = useServer({ env: ENV });
const N = 1000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let rx;
after(async () => { if (rx) await rx.close(); });

test('kill -9 during a batch of 1000 deliveries: none lost, duplicates share their webhook-id', { timeout: 150_000 }, async (t) => {
  rx = await startReceiver();
  const srv = ctx.srv;
  const su = await signup(srv);
  assert.equal(su.res.status, 201, su.res.text);
  const who = { cookies: { gh_session: su.cookies.gh_session.value }, headers: { 'X-CSRF-Token': su.json.csrf_token } };
  const org = su.json.org.id;
  // Each answer takes 100 ms, so hundreds of sends are in flight at the kill.
  const path = '/delay-100';
  const ep = expectJson(await srv.post('/v1/webhook_endpoints', { url: rx.url(path), events: ['lead.created'] }, who), 201);

  const leads = Array.from({ length: N }, (_, i) => ({ email: `crash-${i}@example.com`, name: `Lead ${i}` }));
  const imp = expectJson(await srv.post('/v1/leads/import', { leads }, who), 201);
  assert.equal(imp.data.length, N);
  let ids = psql(`SELECT id FROM gh.events WHERE org_id = '${org}' AND type = 'lead.created' ORDER BY seq`, srv.db.name)
    .split('\n').filter(Boolean);
  if (ids.length === 0) ids = insertEvents(srv.db.name, org, true, N, 'lead.created');
  assert.equal(ids.length, N, 'one lead.created per lead');

  // Kill as soon as deliveries are flowing, well before the batch is done.
  const t0 = Date.now();
  while (rx.on(path).length < 100 && Date.now() - t0 < 20_000) await sleep(2);
  const atKill = rx.on(path).length;
  srv.proc.kill('SIGKILL');
  const { signal } = await srv.exit;
  assert.equal(signal, 'SIGKILL');
  assert.ok(atKill >= 100 && atKill < N, `killed after ${atKill} deliveries`);
  const queued = Number(psql(`SELECT count(*) FROM gh.webhook_queue WHERE endpoint_id = '${ep.id}'`, srv.db.name));
  t.diagnostic(`killed after ${atKill} of ${N} deliveries; ${queued} still queued (claimed or not)`);
  assert.ok(queued > 0, 'the kill came after the batch was done: nothing was tested');

  // Restart on the same database; the rest, and the dead node's claims
  // once their lease ends, are delivered.
  await ctx.another(ENV);
  const want = new Set(ids);
  const seen = () => new Set(rx.on(path).map((d) => d.headers['webhook-id']));
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    const s = seen();
    if ([...want].every((id) => s.has(id))) break;
    await sleep(200);
  }
  const s = seen();
  const missing = [...want].filter((id) => !s.has(id));
  assert.deepEqual(missing.slice(0, 5), [], `${missing.length} events never delivered`);
  // Drained, and recorded.
  for (let i = 0; i < 50 && Number(psql(`SELECT count(*) FROM gh.webhook_queue`, srv.db.name)) > 0; i++) await sleep(100);
  assert.equal(psql(`SELECT count(*) FROM gh.webhook_queue`, srv.db.name), '0', 'the queue is empty');

  // Every delivery: a known event, verified, its webhook-id the body's id.
  const wh = new Webhook(ep.secret);
  const all = rx.on(path);
  const perId = new Map();
  for (const d of all) {
    const id = d.headers['webhook-id'];
    assert.ok(want.has(id), `unknown webhook-id ${id}`);
    const body = wh.verify(d.body, d.headers);
    assert.equal(body.id, id);
    const prev = perId.get(id);
    if (prev) assert.equal(prev.body, d.body, 'a duplicate carries the same body');
    else perId.set(id, d);
  }
  const dups = all.length - perId.size;
  t.diagnostic(`${all.length} deliveries for ${perId.size} events: ${dups} duplicates (same webhook-id), 0 lost`);
  assert.equal(perId.size, N);
});

test('SIGTERM during a batch: sends in flight finish, the rest is released and goes out at once after a restart', { timeout: 120_000 }, async (t) => {
  // Only this test's server delivers (the servers share the database).
  for (const s of ctx.extra) await s.stop();
  const srv = await ctx.another(ENV);
  const su = await signup(srv);
  assert.equal(su.res.status, 201, su.res.text);
  const who = { cookies: { gh_session: su.cookies.gh_session.value }, headers: { 'X-CSRF-Token': su.json.csrf_token } };
  const org = su.json.org.id;
  // Answers take 6 s: longer than the 5 s a stopping worker gives its sends.
  const path = '/delay-6000';
  expectJson(await srv.post('/v1/webhook_endpoints', { url: rx.url(path), events: ['lead.created'] }, who), 201);
  const leads = Array.from({ length: N }, (_, i) => ({ email: `stop-${i}@example.com`, name: `Lead ${i}` }));
  expectJson(await srv.post('/v1/leads/import', { leads }, who), 201);
  let ids = psql(`SELECT id FROM gh.events WHERE org_id = '${org}' AND type = 'lead.created' ORDER BY seq`, srv.db.name)
    .split('\n').filter(Boolean);
  if (ids.length === 0) ids = insertEvents(srv.db.name, org, true, N, 'lead.created');
  const t0 = Date.now();
  while (rx.on(path).length < 50 && Date.now() - t0 < 20_000) await sleep(2);
  const queuedAtStop = Number(psql(`SELECT count(*) FROM gh.webhook_queue q JOIN gh.events e ON e.id = q.event_id
                                     WHERE e.org_id = '${org}'`, srv.db.name));
  const { code } = await srv.stop();
  assert.equal(code, 0, 'a graceful stop exits 0');
  const atStop = rx.on(path).length;
  const leased = Number(psql(`SELECT count(*) FROM gh.webhook_queue q JOIN gh.events e ON e.id = q.event_id
                               WHERE e.org_id = '${org}' AND q.claimed_at IS NOT NULL`, srv.db.name));
  const failed = srv.logs.filter((o) => o.msg === 'webhook attempt failed');
  if (failed.length) t.diagnostic(`${failed.length} failed attempts, e.g. ${JSON.stringify(failed[0])}`);
  const dueNow = Number(psql(`SELECT count(*) FROM gh.webhook_queue q JOIN gh.events e ON e.id = q.event_id
                               WHERE e.org_id = '${org}' AND q.next_attempt_at <= now()`, srv.db.name));
  t.diagnostic(`stopped after ${atStop} requests reached the receiver (${queuedAtStop} queued before the stop); ` +
    `${leased} rows still leased after the stop, ${dueNow} due at once`);
  assert.equal(leased, 0, 'a graceful stop leaves no lease behind');
  assert.ok(dueNow > 0, 'nothing was released: the stop came too late to test anything');
  const restart = Date.now();
  await ctx.another(ENV);
  const want = new Set(ids);
  while (Date.now() - restart < 60_000) {
    const s = new Set(rx.on(path).map((d) => d.headers['webhook-id']));
    if ([...want].every((id) => s.has(id))) break;
    await sleep(100);
  }
  const seen = new Set(rx.on(path).map((d) => d.headers['webhook-id']));
  const missing = [...want].filter((id) => !seen.has(id));
  assert.deepEqual(missing.slice(0, 5), [], `${missing.length} events not delivered within 60 s of the restart`);
  t.diagnostic(`all ${N} delivered ${Date.now() - restart} ms after the restart; ${rx.on(path).length - N} duplicates`);
});
