// Events (api.md, "Webhooks"; GET /v1/events, GET /v1/events/{id}): every
// change writes exactly its event in its own transaction, data.object is the
// object exactly as the API answered (byte for byte in the outbox), no event
// carries a secret, events belong to the request's mode, another org's
// event is 403 org_mismatch, a refused change writes no event, a child row
// changed by a foreign key's action (a deleted campaign's leads, a deleted
// application's reviews) has its own event, also at a webhook receiver, and
// the list pages like every list.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  ROOT, PG_DIR, useServer, expectError, expectJson, expectNo5xx, expectUniqueRequestIds, signup, psql, RFC3339_UTC_RE, PASSWORD,
} from './harness.mjs';
import { Webhook } from 'standardwebhooks';
import { startReceiver, newId } from './webhook-receiver.mjs';

const ctx = useServer({ env: { GATEHOUSE_REAUTH_WINDOW_SECONDS: '600' } });
const S = () => ctx.srv;
const EVT_RE = /^evt_[A-Za-z0-9]{22}$/;

const as = (who, mode) => ({
  cookies: who.cookie,
  headers: { 'X-CSRF-Token': who.csrf, ...(mode === 'test' ? { 'Gatehouse-Mode': 'test' } : {}) },
});
const bearer = (k) => ({ headers: { Authorization: `Bearer ${k}` } });

async function newOrg() {
  const su = await signup(S());
  assert.equal(su.res.status, 201, su.res.text);
  return {
    cookie: { gh_session: su.cookies.gh_session.value }, csrf: su.json.csrf_token, org: su.json.org.id,
    userId: su.json.user.id, email: su.body.email,
  };
}

const call = (who, method, path, body, mode) =>
  S().request(method, path, { ...as(who, mode), ...(body === undefined ? {} : { json: body }) });
const callKey = (secret, method, path, body) =>
  S().request(method, path, { ...bearer(secret), ...(body === undefined ? {} : { json: body }) });

/** Every event visible to `opts` (session + mode, or a key), newest first. */
async function allEvents(get) {
  const out = [];
  let after = null;
  for (;;) {
    const j = expectJson(await get(`/v1/events?limit=100${after ? `&starting_after=${after}` : ''}`), 200);
    out.push(...j.data);
    if (!j.has_more) return out;
    after = j.data[j.data.length - 1].id;
  }
}
const sessEvents = (who, mode) => allEvents((p) => S().get(p, as(who, mode)));

/** Runs fn and returns what it returned plus the events it made (oldest
 *  first), as seen by who in mode. */
async function withEvents(who, mode, fn) {
  const before = new Set((await sessEvents(who, mode)).map((e) => e.id));
  const result = await fn();
  const evs = (await sessEvents(who, mode)).filter((e) => !before.has(e.id)).reverse();
  return { result, evs };
}

/** The stored data of an event, as text (the outbox's bytes). */
const storedData = (id) => psql(`SELECT data::text FROM gh.events WHERE id = '${id}'`, S().db.name);

/** One event of `type` whose object is the response body, byte for byte. */
function expectEvent(evs, type, res, { object, livemode = true, org, as: shown = res } = {}) {
  assert.equal(evs.length, 1, `exactly one event expected, got ${JSON.stringify(evs.map((e) => e.type))}`);
  const [e] = evs;
  assert.equal(e.object, 'event');
  assert.match(e.id, EVT_RE);
  assert.equal(e.type, type);
  assert.equal(e.livemode, livemode);
  if (org) assert.equal(e.org_id, org);
  assert.match(e.created_at, RFC3339_UTC_RE);
  assert.equal(e.request_id, res.headers['request-id'], 'the request that caused it');
  assert.deepEqual(Object.keys(e), ['object', 'id', 'org_id', 'livemode', 'type', 'created_at', 'data', 'request_id']);
  assert.deepEqual(Object.keys(e.data), ['object']);
  if (object === undefined) {
    // The object exactly as answered: same JSON, same key order, same bytes stored.
    assert.equal(JSON.stringify(e.data.object), JSON.stringify(shown.json));
    assert.equal(storedData(e.id), `{"object":${shown.text}}`);
  } else {
    assert.equal(JSON.stringify(e.data.object), JSON.stringify(object));
  }
  return e;
}

let A, B;
const secrets = []; // every key secret and invitation token made: never in an event

let ready;
const setup = () => (ready ||= (async () => { A = await newOrg(); B = await newOrg(); })());

describe('each change writes exactly its event, with the object as answered', () => {
  before(setup);
  test('applications and reviews', async () => {
    let r = await withEvents(A, 'live', () => call(A, 'POST', '/v1/applications', { name: 'App 1', data: { a: [1, 2.5, 'x'] }, metadata: { k: 'v' } }));
    const app = expectJson(r.result, 201);
    expectEvent(r.evs, 'application.created', r.result, { org: A.org });

    r = await withEvents(A, 'live', () => call(A, 'PATCH', `/v1/applications/${app.id}`, { name: 'App 1b' }));
    expectJson(r.result, 200);
    expectEvent(r.evs, 'application.updated', r.result);

    r = await withEvents(A, 'live', () => call(A, 'POST', `/v1/applications/${app.id}/reviews`));
    const rev = expectJson(r.result, 201);
    expectEvent(r.evs, 'review.requested', r.result);

    r = await withEvents(A, 'live', () => call(A, 'PATCH', `/v1/reviews/${rev.id}`, { status: 'running' }));
    expectJson(r.result, 200);
    expectEvent(r.evs, 'review.updated', r.result);

    r = await withEvents(A, 'live', () => call(A, 'PATCH', `/v1/reviews/${rev.id}`, { status: 'completed', result: { score: 0.75 } }));
    expectJson(r.result, 200);
    expectEvent(r.evs, 'review.completed', r.result);

    // An empty PATCH changes nothing: no event.
    r = await withEvents(A, 'live', () => call(A, 'PATCH', `/v1/applications/${app.id}`, {}));
    expectJson(r.result, 200);
    assert.deepEqual(r.evs, []);

    // Deleted: the object as it last was (what GET answered just before).
    // Its review goes with it (ON DELETE CASCADE): review.deleted first.
    const last = await call(A, 'GET', `/v1/applications/${app.id}`);
    const lastRev = await call(A, 'GET', `/v1/reviews/${rev.id}`);
    r = await withEvents(A, 'live', () => call(A, 'DELETE', `/v1/applications/${app.id}`));
    assert.equal(r.result.status, 204);
    assert.deepEqual(r.evs.map((e) => e.type), ['review.deleted', 'application.deleted']);
    expectEvent(r.evs.slice(0, 1), 'review.deleted', r.result, { as: lastRev });
    expectEvent(r.evs.slice(1), 'application.deleted', r.result, { as: last });
  });

  test('campaigns and leads, one lead.created per imported lead', async () => {
    let r = await withEvents(A, 'live', () => call(A, 'POST', '/v1/campaigns', { name: 'Spring', metadata: { ü: 'ñ' } }));
    const cmp = expectJson(r.result, 201);
    expectEvent(r.evs, 'campaign.created', r.result);
    r = await withEvents(A, 'live', () => call(A, 'PATCH', `/v1/campaigns/${cmp.id}`, { status: 'active' }));
    expectEvent(r.evs, 'campaign.updated', r.result);

    r = await withEvents(A, 'live', () => call(A, 'POST', '/v1/leads', { email: 'l1@example.com', name: 'L1', campaign_id: cmp.id }));
    const lead = expectJson(r.result, 201);
    expectEvent(r.evs, 'lead.created', r.result);
    r = await withEvents(A, 'live', () => call(A, 'PATCH', `/v1/leads/${lead.id}`, { name: 'L1b' }));
    expectEvent(r.evs, 'lead.updated', r.result);
    const last = await call(A, 'GET', `/v1/leads/${lead.id}`);
    r = await withEvents(A, 'live', () => call(A, 'DELETE', `/v1/leads/${lead.id}`));
    assert.equal(r.result.status, 204);
    expectEvent(r.evs, 'lead.deleted', r.result, { as: last });

    const leads = [1, 2, 3].map((i) => ({ email: `imp${i}@example.com`, name: `Imp ${i}`, metadata: { i } }));
    r = await withEvents(A, 'live', () => call(A, 'POST', '/v1/leads/import', { leads }));
    const list = expectJson(r.result, 201);
    assert.equal(r.evs.length, 3);
    r.evs.forEach((e, i) => {
      assert.equal(e.type, 'lead.created');
      assert.equal(e.request_id, r.result.headers['request-id']);
      assert.equal(JSON.stringify(e.data.object), JSON.stringify(list.data[i]), 'in the request\'s order');
      assert.equal(storedData(e.id), `{"object":${JSON.stringify(list.data[i])}}`);
    });

    const lastC = await call(A, 'GET', `/v1/campaigns/${cmp.id}`);
    r = await withEvents(A, 'live', () => call(A, 'DELETE', `/v1/campaigns/${cmp.id}`));
    expectEvent(r.evs, 'campaign.deleted', r.result, { as: lastC });
  });

  test('contracts: created, updated, deployed, executed (the execution)', async () => {
    let r = await withEvents(A, 'live', () => call(A, 'POST', '/v1/contracts', { name: 'C', source: 'fn c() {}' }));
    const c = expectJson(r.result, 201);
    expectEvent(r.evs, 'contract.created', r.result);
    r = await withEvents(A, 'live', () => call(A, 'PATCH', `/v1/contracts/${c.id}`, { source: 'fn d() {}' }));
    expectEvent(r.evs, 'contract.updated', r.result);
    r = await withEvents(A, 'live', () => call(A, 'POST', `/v1/contracts/${c.id}/deploy`));
    expectEvent(r.evs, 'contract.deployed', r.result);
    r = await withEvents(A, 'live', () => call(A, 'POST', `/v1/contracts/${c.id}/execute`, { input: { n: 1 } }));
    const x = expectJson(r.result, 201);
    assert.equal(x.object, 'contract_execution');
    expectEvent(r.evs, 'contract.executed', r.result);
  });

  test('API keys: created, rotated, revoked, never with the secret', async () => {
    let r = await withEvents(A, 'live', () => call(A, 'POST', '/v1/api_keys', { name: 'k1', scopes: ['admin'], mode: 'live' }));
    const k = expectJson(r.result, 201);
    secrets.push(k.secret);
    const { secret, ...noSecret } = k;
    assert.ok(secret);
    expectEvent(r.evs, 'api_key.created', r.result, { object: noSecret });
    // The event's object is the key as GET answers it.
    assert.deepEqual(r.evs[0].data.object, expectJson(await call(A, 'GET', `/v1/api_keys/${k.id}`), 200));
    A.adminKey = k.secret;

    r = await withEvents(A, 'live', () => call(A, 'POST', `/v1/api_keys/${k.id}/rotate`, { expire_old_in_seconds: 60 }));
    const k2 = expectJson(r.result, 201);
    secrets.push(k2.secret);
    const { secret: s2, ...noSecret2 } = k2;
    assert.ok(s2);
    expectEvent(r.evs, 'api_key.rotated', r.result, { object: noSecret2 });
    A.adminKey = k2.secret;

    r = await withEvents(A, 'live', () => call(A, 'POST', `/v1/api_keys/${k.id}/revoke`));
    expectJson(r.result, 200);
    expectEvent(r.evs, 'api_key.revoked', r.result);
    // Revoking it again answers the key, but nothing changed: no event.
    r = await withEvents(A, 'live', () => call(A, 'POST', `/v1/api_keys/${k.id}/revoke`));
    expectJson(r.result, 200);
    assert.deepEqual(r.evs, []);

    // A test-mode key made by a (live) session: the event is the session's mode.
    r = await withEvents(A, 'live', () => call(A, 'POST', '/v1/api_keys', { name: 'kt', scopes: ['admin'], mode: 'test' }));
    const kt = expectJson(r.result, 201);
    secrets.push(kt.secret);
    A.testKey = kt.secret;
    assert.equal(r.evs.length, 1);
    assert.equal(r.evs[0].livemode, true);
    assert.equal(r.evs[0].data.object.mode, 'test');
  });

  test('users: invited (never the token), removed, force logout; org updated', async () => {
    let r = await withEvents(A, 'live', () => call(A, 'POST', '/v1/users', { email: `m-${Date.now()}@example.com`, role: 'member' }));
    const inv = expectJson(r.result, 201);
    secrets.push(inv.invitation.token);
    expectEvent(r.evs, 'user.invited', r.result, { object: inv.user });

    r = await withEvents(A, 'live', () => call(A, 'POST', `/v1/users/${inv.user.id}/force_logout`));
    assert.equal(r.result.status, 204);
    expectEvent(r.evs, 'session.force_logout', r.result, { object: inv.user });

    r = await withEvents(A, 'live', () => call(A, 'PATCH', `/v1/users/${inv.user.id}`, { role: 'admin' }));
    expectJson(r.result, 200);
    assert.deepEqual(r.evs, [], 'a role change is audited, not an event type of api.md');

    const lastU = expectJson(await call(A, 'GET', `/v1/users/${inv.user.id}`), 200);
    r = await withEvents(A, 'live', () => call(A, 'DELETE', `/v1/users/${inv.user.id}`));
    assert.equal(r.result.status, 204);
    expectEvent(r.evs, 'user.removed', r.result, { object: lastU });

    r = await withEvents(A, 'live', () => call(A, 'PATCH', '/v1/org', { name: 'Renamed Org', session_idle_timeout_seconds: 1800 }));
    expectJson(r.result, 200);
    expectEvent(r.evs, 'org.updated', r.result);
  });
});

// A row that a foreign key's referential action changes (0003: a deleted
// campaign's leads get campaign_id null, a deleted application's reviews
// go with it) is a change like any other: its own event, the object as GET
// answers it, in the parent's transaction, org and mode, children first.
describe("changes made by the foreign keys' actions have their events", () => {
  let C; let D; let rx; let hooks;
  before(async () => {
    await setup();
    C = await newOrg();
    D = await newOrg();
    rx = await startReceiver();
    const hook = async (who, path, mode) =>
      expectJson(await call(who, 'POST', '/v1/webhook_endpoints', { url: rx.url(path), events: ['*'] }, mode), 201);
    hooks = { live: await hook(C, '/c-live'), test: await hook(C, '/c-test', 'test'), d: await hook(D, '/d-live') };
  });
  after(() => rx?.close());

  const eventIds = async (who, mode) => new Set((await sessEvents(who, mode)).map((e) => e.id));
  /** The event ids every other org and mode sees now. */
  const othersNow = (mode) => Promise.all([[C, mode === 'live' ? 'test' : 'live'], [D, 'live'], [D, 'test']]
    .map(([who, m]) => eventIds(who, m)));

  /** The events reach the endpoint at `path` (and no other), signed, as listed. */
  async function delivered(path, secret, evs) {
    const ids = evs.map((e) => e.id);
    const got = await rx.waitFor(path, (l) => ids.every((id) => l.some((d) => d.headers['webhook-id'] === id)));
    for (const e of evs) {
      const d = got.find((x) => x.headers['webhook-id'] === e.id);
      const body = new Webhook(secret).verify(d.body, {
        'webhook-id': d.headers['webhook-id'],
        'webhook-timestamp': d.headers['webhook-timestamp'],
        'webhook-signature': d.headers['webhook-signature'],
      });
      assert.equal(body.id, e.id);
      assert.equal(body.type, e.type);
      assert.equal(body.livemode, e.livemode);
      assert.equal(JSON.stringify(body.data.object), JSON.stringify(e.data.object));
    }
    await new Promise((res) => setTimeout(res, 1500)); // anything misrouted has had its chance
    const elsewhere = rx.got.filter((g) => g.path !== path && ids.includes(g.headers['webhook-id']));
    assert.deepEqual(elsewhere.map((g) => g.path), [], 'delivered to another org or mode');
  }

  test('DELETE /v1/campaigns/{id}: lead.updated for each of its leads (campaign_id null), then campaign.deleted', async () => {
    const cmp = expectJson(await call(C, 'POST', '/v1/campaigns', { name: 'Doomed' }), 201);
    const kept = expectJson(await call(C, 'POST', '/v1/campaigns', { name: 'Kept' }), 201);
    const lead = async (who, body, mode) => expectJson(await call(who, 'POST', '/v1/leads', body, mode), 201);
    const l1 = await lead(C, { email: 'one@example.com', name: 'One', campaign_id: cmp.id, metadata: { n: 1 } });
    const l2 = await lead(C, { email: 'two@example.com', campaign_id: cmp.id });
    const l3 = await lead(C, { email: 'three@example.com', campaign_id: kept.id });
    const l4 = await lead(C, { email: 'four@example.com' });
    // The same org's other mode and another org, each with a campaign and its lead.
    const tc = expectJson(await call(C, 'POST', '/v1/campaigns', { name: 'Test' }, 'test'), 201);
    const tl = await lead(C, { email: 'test@example.com', campaign_id: tc.id }, 'test');
    const dc = expectJson(await call(D, 'POST', '/v1/campaigns', { name: 'D' }), 201);
    const dl = await lead(D, { email: 'd@example.com', campaign_id: dc.id });
    const untouched = [[C, l3], [C, l4], [D, dl]].map(([who, l]) => [who, l.id, JSON.stringify(l)]);
    const lastC = await call(C, 'GET', `/v1/campaigns/${cmp.id}`);
    const othersBefore = await othersNow('live');

    const r = await withEvents(C, 'live', () => call(C, 'DELETE', `/v1/campaigns/${cmp.id}`));
    assert.equal(r.result.status, 204);
    assert.deepEqual(r.evs.map((e) => [e.type, e.data.object.id]),
      [['lead.updated', l1.id], ['lead.updated', l2.id], ['campaign.deleted', cmp.id]]);
    for (const [i, l] of [l1, l2].entries()) {
      // The lead as GET answers it now: campaign_id null, updated_at moved by the change.
      const now = await call(C, 'GET', `/v1/leads/${l.id}`);
      const obj = expectJson(now, 200);
      assert.equal(obj.campaign_id, null);
      assert.ok(obj.updated_at >= l.updated_at);
      assert.deepEqual({ ...obj, campaign_id: cmp.id, updated_at: l.updated_at }, l, 'nothing else changed');
      expectEvent(r.evs.slice(i, i + 1), 'lead.updated', r.result, { org: C.org, as: now });
    }
    expectEvent(r.evs.slice(2), 'campaign.deleted', r.result, { org: C.org, as: lastC });
    // Nothing else changed, and nothing for the other mode or org.
    for (const [who, id, was] of untouched) assert.equal(JSON.stringify(expectJson(await call(who, 'GET', `/v1/leads/${id}`), 200)), was);
    assert.equal(expectJson(await call(C, 'GET', `/v1/leads/${tl.id}`, undefined, 'test'), 200).campaign_id, tc.id);
    assert.deepEqual(await othersNow('live'), othersBefore);
    await delivered('/c-live', hooks.live.secret, r.evs);
  });

  test('DELETE /v1/applications/{id} in test mode: review.deleted for each of its reviews (as they were), then application.deleted', async () => {
    const post = async (path, body) => expectJson(await call(C, 'POST', path, body, 'test'), 201);
    const app = await post('/v1/applications', { name: 'Doomed app', data: { x: 1 } });
    const keep = await post('/v1/applications', { name: 'Kept app' });
    const r1 = await post(`/v1/applications/${app.id}/reviews`);
    const r2 = await post(`/v1/applications/${app.id}/reviews`);
    const r3 = await post(`/v1/applications/${keep.id}/reviews`);
    expectJson(await call(C, 'PATCH', `/v1/reviews/${r1.id}`, { status: 'completed', result: { score: 0.5, notes: ['ok'] } }, 'test'), 200);
    // The live mode's application and review, and another org's, stay.
    const lapp = expectJson(await call(C, 'POST', '/v1/applications', { name: 'Live app' }), 201);
    const lrev = expectJson(await call(C, 'POST', `/v1/applications/${lapp.id}/reviews`), 201);
    const dapp = expectJson(await call(D, 'POST', '/v1/applications', { name: 'D app' }), 201);
    const drev = expectJson(await call(D, 'POST', `/v1/applications/${dapp.id}/reviews`), 201);
    const lastR = [await call(C, 'GET', `/v1/reviews/${r1.id}`, undefined, 'test'), await call(C, 'GET', `/v1/reviews/${r2.id}`, undefined, 'test')];
    assert.equal(lastR[0].json.status, 'completed');
    const lastA = await call(C, 'GET', `/v1/applications/${app.id}`, undefined, 'test');
    const othersBefore = await othersNow('test');

    const r = await withEvents(C, 'test', () => call(C, 'DELETE', `/v1/applications/${app.id}`, undefined, 'test'));
    assert.equal(r.result.status, 204);
    assert.deepEqual(r.evs.map((e) => [e.type, e.data.object.id]),
      [['review.deleted', r1.id], ['review.deleted', r2.id], ['application.deleted', app.id]]);
    expectEvent(r.evs.slice(0, 1), 'review.deleted', r.result, { org: C.org, livemode: false, as: lastR[0] });
    expectEvent(r.evs.slice(1, 2), 'review.deleted', r.result, { org: C.org, livemode: false, as: lastR[1] });
    expectEvent(r.evs.slice(2), 'application.deleted', r.result, { org: C.org, livemode: false, as: lastA });
    for (const id of [r1.id, r2.id]) expectError(await call(C, 'GET', `/v1/reviews/${id}`, undefined, 'test'), 404, 'not_found');
    expectJson(await call(C, 'GET', `/v1/reviews/${r3.id}`, undefined, 'test'), 200);
    expectJson(await call(C, 'GET', `/v1/reviews/${lrev.id}`), 200);
    expectJson(await call(D, 'GET', `/v1/reviews/${drev.id}`), 200);
    assert.deepEqual(await othersNow('test'), othersBefore);
    await delivered('/c-test', hooks.test.secret, r.evs);
  });

  test('a lead made to name the campaign while it is being deleted gets its lead.updated too', async () => {
    const cmp = expectJson(await call(C, 'POST', '/v1/campaigns', { name: 'Raced' }), 201);
    const lid = newId('lead_');
    // Another transaction inserts a lead naming the campaign (its foreign key
    // check holds FOR KEY SHARE on it) and commits only once the DELETE has
    // started: the DELETE waits for it, then must see that lead as well.
    const holder = spawn('scripts/pg.sh', ['psql', '-d', S().db.name, '-v', 'ON_ERROR_STOP=1', '-qtAc',
      `BEGIN; INSERT INTO gh.leads (id, org_id, livemode, email, campaign_id) VALUES ('${lid}', '${C.org}', true, 'raced@example.com', '${cmp.id}'); SELECT pg_sleep(1.5); COMMIT;`],
    { cwd: ROOT, env: { ...process.env, GATEHOUSE_PG_DIR: PG_DIR }, stdio: 'ignore' });
    const exited = new Promise((res) => holder.on('exit', res));
    for (let i = 0; psql("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'", S().db.name) !== '1'; i++) {
      assert.ok(i < 100, 'the other transaction did not start');
      await new Promise((res) => setTimeout(res, 20));
    }
    const r = await withEvents(C, 'live', () => call(C, 'DELETE', `/v1/campaigns/${cmp.id}`));
    assert.equal(await exited, 0);
    assert.equal(r.result.status, 204);
    assert.deepEqual(r.evs.map((e) => [e.type, e.data.object.id]), [['lead.updated', lid], ['campaign.deleted', cmp.id]]);
    expectEvent(r.evs.slice(0, 1), 'lead.updated', r.result, { as: await call(C, 'GET', `/v1/leads/${lid}`) });
    assert.equal(r.evs[0].data.object.campaign_id, null);
  });

  test('an application or campaign of another org or mode is not deleted, and no child event is written', async () => {
    const dapp = expectJson(await call(D, 'POST', '/v1/applications', { name: 'D app 2' }), 201);
    expectJson(await call(D, 'POST', `/v1/applications/${dapp.id}/reviews`), 201);
    const tc = expectJson(await call(C, 'POST', '/v1/campaigns', { name: 'Test 2' }, 'test'), 201);
    expectJson(await call(C, 'POST', '/v1/leads', { email: 't2@example.com', campaign_id: tc.id }, 'test'), 201);
    const before = await Promise.all([[C, 'live'], [C, 'test'], [D, 'live']].map(([w, m]) => eventIds(w, m)));
    expectError(await call(C, 'DELETE', `/v1/applications/${dapp.id}`), 403, 'org_mismatch');
    expectError(await call(C, 'DELETE', `/v1/campaigns/${tc.id}`), 404, 'not_found');
    assert.deepEqual(await Promise.all([[C, 'live'], [C, 'test'], [D, 'live']].map(([w, m]) => eventIds(w, m))), before);
  });
});

describe('no secret in any event', () => {
  before(setup);
  test('neither key secrets nor invitation tokens, in the API or in the outbox', async () => {
    assert.ok(secrets.length >= 4);
    const listed = JSON.stringify(await sessEvents(A, 'live')) + JSON.stringify(await sessEvents(A, 'test'));
    const stored = psql('SELECT coalesce(string_agg(data::text, \'\n\'), \'\') FROM gh.events', S().db.name);
    for (const s of secrets) {
      assert.ok(!listed.includes(s), 'a secret in GET /v1/events');
      assert.ok(!stored.includes(s), 'a secret in gh.events');
      assert.ok(!stored.includes(s.slice(8, 30)), 'part of a secret in gh.events');
    }
    assert.ok(!/"secret"\s*:/.test(stored), 'a "secret" field in gh.events');
    assert.ok(!/"token"\s*:/.test(stored), 'a "token" field in gh.events');
  });
});

describe('modes and orgs', () => {
  before(setup);
  test('a test-mode change makes a test-mode event, seen only in test mode', async () => {
    const r = await withEvents(A, 'test', () => call(A, 'POST', '/v1/applications', { name: 'Test app' }, 'test'));
    const app = expectJson(r.result, 201);
    assert.equal(app.livemode, false);
    const e = expectEvent(r.evs, 'application.created', r.result, { livemode: false });
    // Not in live mode: not listed, and 404 by id (same org, other mode).
    assert.ok(!(await sessEvents(A, 'live')).some((x) => x.id === e.id));
    expectError(await call(A, 'GET', `/v1/events/${e.id}`), 404, 'not_found');
    // Seen by id in test mode, by the session and by an sk_test_ admin key.
    assert.deepEqual(expectJson(await call(A, 'GET', `/v1/events/${e.id}`, undefined, 'test'), 200), e);
    assert.deepEqual(expectJson(await S().get(`/v1/events/${e.id}`, bearer(A.testKey)), 200), e);
    // A change made with the test key is a test event too.
    const r2 = await withEvents(A, 'test', () => callKey(A.testKey, 'POST', '/v1/campaigns', { name: 'by test key' }));
    expectEvent(r2.evs, 'campaign.created', r2.result, { livemode: false });
    // An sk_live_ admin key reads the live events.
    const live = await allEvents((p) => S().get(p, bearer(A.adminKey)));
    assert.ok(live.length > 10 && live.every((x) => x.livemode === true && x.org_id === A.org));
  });

  test("another org's event is 403 org_mismatch, never its data; B sees only its own", async () => {
    const [e] = await sessEvents(A, 'live');
    const res = await call(B, 'GET', `/v1/events/${e.id}`);
    expectError(res, 403, 'org_mismatch');
    assert.ok(!res.text.includes(A.org));
    const bs = await sessEvents(B, 'live');
    assert.ok(bs.every((x) => x.org_id === B.org));
    expectError(await call(B, 'GET', '/v1/events/evt_doesnotexist0000000000'), 404, 'not_found');
    expectError(await call(B, 'GET', '/v1/events/app_notanevent'), 404, 'not_found');
  });
});

describe('a refused change writes no event', () => {
  before(setup);
  const cases = [
    ['400: invalid name', () => call(A, 'POST', '/v1/applications', { name: '' }), 400],
    ['400: no such campaign', () => call(A, 'POST', '/v1/leads', { email: 'x@example.com', campaign_id: 'cmp_nope000000000000000000' }), 400],
    ['400: one bad lead of an import', () => call(A, 'POST', '/v1/leads/import', { leads: [{ email: 'ok@example.com' }, { email: 'bad' }] }), 400],
    ['409: email already registered', () => call(A, 'POST', '/v1/users', { email: A.email, role: 'member' }), 409],
    ['409: demoting the last admin', () => call(A, 'PATCH', `/v1/users/${A.userId}`, { role: 'member' }), 409],
    ['409: executing an undeployed contract', async () => {
      const c = expectJson(await call(A, 'POST', '/v1/contracts', { name: 'nd', source: 'x' }), 201);
      return call(A, 'POST', `/v1/contracts/${c.id}/execute`, { input: {} });
    }, 409, 1],
    ['404: an unknown application', () => call(A, 'PATCH', '/v1/applications/app_nope000000000000000000', { name: 'x' }), 404],
    ['404: revoking an unknown key', () => call(A, 'POST', '/v1/api_keys/key_nope000000000000000000/revoke'), 404],
    ["403: another org's application", async () => {
      const b = expectJson(await call(B, 'POST', '/v1/applications', { name: 'B app' }), 201);
      return call(A, 'DELETE', `/v1/applications/${b.id}`);
    }, 403],
  ];
  for (const [name, fn, status, made = 0] of cases) {
    test(name, async () => {
      const r = await withEvents(A, 'live', fn);
      assert.equal(r.result.status, status, r.result.text);
      // `made`: events of the set-up step (the contract), not of the refused call.
      assert.equal(r.evs.length, made, JSON.stringify(r.evs.map((e) => e.type)));
      assert.ok(r.evs.every((e) => e.request_id !== r.result.headers['request-id']));
    });
  }
  test('and its audit entry is not written either', async () => {
    const res = await call(A, 'PATCH', `/v1/users/${A.userId}`, { role: 'member' });
    assert.equal(res.status, 409);
    const n = psql(`SELECT count(*) FROM gh.audit_log WHERE request_id = '${res.headers['request-id']}'`, S().db.name);
    assert.equal(n, '0');
  });
});

describe('a failure after the statements rolls the change back (and leaves the connection clean)', () => {
  before(setup);
  // Triggers added as the superuser make the event or audit INSERT of the
  // second round trip fail (23514, answered 400) for a marked name.
  before(() => psql(`
    CREATE FUNCTION pg_temp_boom() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW::text LIKE '%boom-marker%' THEN
        RAISE EXCEPTION 'boom' USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER boom BEFORE INSERT ON gh.events FOR EACH ROW EXECUTE FUNCTION pg_temp_boom();`, S().db.name));
  after(() => psql('DROP TRIGGER IF EXISTS boom ON gh.events; DROP FUNCTION IF EXISTS pg_temp_boom()', S().db.name));

  test('the event cannot be written: no application, no event, and later requests commit only their own work', async () => {
    const r = await withEvents(A, 'live', () => call(A, 'POST', '/v1/applications', { name: 'boom-marker app' }));
    expectError(r.result, 400, 'invalid_request');
    assert.deepEqual(r.evs, []);
    // Many requests on every worker thread afterwards: had the failed
    // transaction stayed open on one connection, a later COMMIT would have
    // committed the application too.
    await Promise.all(Array.from({ length: 24 }, (_, i) => call(A, 'POST', '/v1/campaigns', { name: `after-${i}` })
      .then((res) => expectJson(res, 201))));
    const n = psql("SELECT count(*) FROM gh.applications WHERE name = 'boom-marker app'", S().db.name);
    assert.equal(n, '0');
    const stuck = psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'gatehouse' AND state LIKE 'idle in transaction%'", S().db.name);
    assert.equal(stuck, '0', 'a connection left inside a transaction');
  });

  test('a key whose event fails is not created either (its secret never answered)', async () => {
    const res = await call(A, 'POST', '/v1/api_keys', { name: 'boom-marker key', scopes: ['admin'], mode: 'live' });
    expectError(res, 400, 'invalid_request');
    assert.ok(!res.text.includes('sk_live_'));
    assert.equal(psql("SELECT count(*) FROM gh.api_keys WHERE name = 'boom-marker key'", S().db.name), '0');
  });
});

describe('the list', () => {
  before(setup);
  test('newest first, limit and starting_after, has_more, ?type', async () => {
    const all = await sessEvents(A, 'live');
    assert.ok(all.length >= 6);
    const p1 = expectJson(await call(A, 'GET', '/v1/events?limit=2'), 200);
    assert.equal(p1.object, 'list');
    assert.equal(p1.has_more, true);
    assert.deepEqual(p1.data.map((e) => e.id), all.slice(0, 2).map((e) => e.id));
    const p2 = expectJson(await call(A, 'GET', `/v1/events?limit=3&starting_after=${p1.data[1].id}`), 200);
    assert.deepEqual(p2.data.map((e) => e.id), all.slice(2, 5).map((e) => e.id));
    const last = expectJson(await call(A, 'GET', `/v1/events?limit=100&starting_after=${all[all.length - 2].id}`), 200);
    assert.deepEqual(last.data.map((e) => e.id), [all[all.length - 1].id]);
    assert.equal(last.has_more, false);
    // Creation order, also within one second: seq, not created_at.
    const stamps = all.map((e) => e.created_at);
    assert.deepEqual([...stamps].sort().reverse(), stamps);

    const typed = expectJson(await call(A, 'GET', '/v1/events?type=lead.created&limit=100'), 200);
    assert.ok(typed.data.length >= 4 && typed.data.every((e) => e.type === 'lead.created'));
    assert.deepEqual(expectJson(await call(A, 'GET', '/v1/events?type=nothing.happened'), 200).data, []);
  });

  test('bad parameters are 400 naming them', async () => {
    expectError(await call(A, 'GET', '/v1/events?limit=0'), 400, 'invalid_request', { param: 'limit' });
    expectError(await call(A, 'GET', '/v1/events?limit=101'), 400, 'invalid_request', { param: 'limit' });
    expectError(await call(A, 'GET', '/v1/events?starting_after=evt_unknown0000000000000000'), 400, 'invalid_request', { param: 'starting_after' });
    expectError(await call(A, 'GET', '/v1/events?starting_after=app_x'), 400, 'invalid_request', { param: 'starting_after' });
    expectError(await call(A, 'GET', '/v1/events?type=Bad%20Type'), 400, 'invalid_request', { param: 'type' });
    // B's event id is no cursor of A's list.
    const [be] = await sessEvents(B, 'live');
    expectError(await call(A, 'GET', `/v1/events?starting_after=${be.id}`), 400, 'invalid_request', { param: 'starting_after' });
  });

  test('admins only: a member session and a non-admin key get 403', async () => {
    const k = expectJson(await call(A, 'POST', '/v1/api_keys', { name: 'ro', scopes: ['read:applications'], mode: 'live' }), 201);
    secrets.push(k.secret);
    expectError(await S().get('/v1/events', bearer(k.secret)), 403, 'forbidden');
    expectError(await S().get('/v1/events', {}), 401, 'unauthorized');
  });
});

describe('the server', () => {
  test('answered no 5xx and gave unique request ids', () => {
    expectNo5xx(S());
    expectUniqueRequestIds(S());
  });
  after(() => {});
});

void PASSWORD;
