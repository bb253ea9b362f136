// Webhooks: endpoint management and validation (URL rules, SSRF, who may
// call), delivery to a local receiver verified with the npm
// `standardwebhooks` library, retries with the same webhook-id, 410,
// org and mode isolation, secret rotation (two signatures), the deliveries
// list, redelivery, deletion, and the connect-time address check.
//
// Events come from real API changes (creating an application) when the
// server writes the event outbox itself; otherwise (a build without the
// events work) they are inserted with SQL exactly as the outbox would be.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { Webhook } from 'standardwebhooks';
import {
  BIN, useServer, expectError, expectJson, expectNo5xx, signup, psql, RFC3339_UTC_RE,
} from './harness.mjs';
import { startReceiver, insertEvents } from './webhook-receiver.mjs';

const ctx = useServer({ env: { GATEHOUSE_RATE_LIMITS: 'off' } });
const S = () => ctx.srv;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const as = (who, mode) => ({
  cookies: { gh_session: who.cookie },
  headers: { 'X-CSRF-Token': who.csrf, ...(mode === 'test' ? { 'Gatehouse-Mode': 'test' } : {}) },
});
const bearer = (k) => ({ headers: { Authorization: `Bearer ${k}` } });
const SECRET_RE = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

let rx; // the receiver
let A; let B; // two orgs' admin sessions

async function newOrg() {
  const su = await signup(S());
  assert.equal(su.res.status, 201, su.res.text);
  return { cookie: su.cookies.gh_session.value, csrf: su.json.csrf_token, org: su.json.org.id };
}

async function createEndpoint(who, body, { mode, srv = S() } = {}) {
  return srv.post('/v1/webhook_endpoints', { events: ['*'], ...body }, as(who, mode));
}
async function endpoint(who, path, { mode, events } = {}) {
  return expectJson(await createEndpoint(who, { url: rx.url(path), events: events || ['*'] }, { mode }), 201);
}

let apiWritesEvents = null;
/** One event in who's org and mode: an application created through the
 *  API (its application.created event), or, when this build writes no
 *  events, one inserted with SQL. Returns the event id. */
async function emit(who, mode = 'live') {
  if (apiWritesEvents !== false) {
    const app = expectJson(await S().post('/v1/applications', { name: 'wh' }, as(who, mode)), 201);
    const id = psql(`SELECT id FROM gh.events WHERE data->'object'->>'id' = '${app.id}' ORDER BY seq LIMIT 1`, S().db.name);
    if (id) { apiWritesEvents = true; return id; }
    apiWritesEvents = false;
  }
  return insertEvents(S().db.name, who.org, mode === 'live', 1)[0];
}

/** The body the receiver got, verified with the reference library. */
function verified(delivery, secret) {
  const wh = new Webhook(secret);
  return wh.verify(delivery.body, {
    'webhook-id': delivery.headers['webhook-id'],
    'webhook-timestamp': delivery.headers['webhook-timestamp'],
    'webhook-signature': delivery.headers['webhook-signature'],
  });
}

let setupDone;
const setup = () => (setupDone ||= (async () => {
  rx = await startReceiver();
  A = await newOrg();
  B = await newOrg();
})());
after(async () => { if (rx) await rx.close(); if (S() && (S().proc.signalCode || S().proc.exitCode !== null)) console.log('SERVER DIED', S().proc.signalCode, S().lines.slice(-15).join('\n')); });

describe('endpoints', () => {
  before(setup);
  test('create: 201 with the secret once; get and list without it', async () => {
    const e = await endpoint(A, '/crud', { events: ['lead.created', 'application.created'] });
    assert.equal(e.object, 'webhook_endpoint');
    assert.match(e.id, /^whe_[A-Za-z0-9]{22}$/);
    assert.equal(e.org_id, A.org);
    assert.equal(e.livemode, true);
    assert.equal(e.url, rx.url('/crud'));
    assert.deepEqual(e.events, ['lead.created', 'application.created']);
    assert.equal(e.description, null);
    assert.equal(e.status, 'enabled');
    assert.match(e.created_at, RFC3339_UTC_RE);
    assert.match(e.secret, SECRET_RE);
    const raw = Buffer.from(e.secret.slice(6), 'base64');
    assert.ok(raw.length >= 24 && raw.length <= 64, `secret of ${raw.length} bytes`);
    const got = expectJson(await S().get(`/v1/webhook_endpoints/${e.id}`, as(A)), 200);
    assert.ok(!('secret' in got));
    assert.equal(got.url, e.url);
    const list = expectJson(await S().get('/v1/webhook_endpoints', as(A)), 200);
    assert.equal(list.object, 'list');
    assert.ok(list.data.some((x) => x.id === e.id));
    assert.ok(!JSON.stringify(list).includes(e.secret.slice(6)));
    // Never stored in clear, never logged.
    const dump = psql(`SELECT row_to_json(w)::text FROM gh.webhook_endpoints w WHERE id = '${e.id}'`, S().db.name);
    assert.ok(!dump.includes(e.secret.slice(6)) && !dump.includes(raw.toString('hex')), 'secret stored in clear');
    await sleep(100);
    assert.ok(!S().lines.some((l) => l.includes(e.secret.slice(6))), 'secret logged');
    // The runtime role cannot read the sealed secret column.
    const appRead = psql(`SET ROLE gatehouse_app; SELECT has_column_privilege('gh.webhook_endpoints', 'secret_ct', 'SELECT')`, S().db.name);
    assert.match(appRead, /f$/);
  });

  test('with a description; in test mode with Gatehouse-Mode: test', async () => {
    const e = expectJson(await createEndpoint(A, { url: rx.url('/d'), description: 'CRM sync' }), 201);
    assert.equal(e.description, 'CRM sync');
    const t = expectJson(await createEndpoint(A, { url: rx.url('/d') }, { mode: 'test' }), 201);
    assert.equal(t.livemode, false);
    // The other mode's endpoint is not found from live mode.
    expectError(await S().get(`/v1/webhook_endpoints/${t.id}`, as(A)), 404, 'not_found');
    expectJson(await S().get(`/v1/webhook_endpoints/${t.id}`, as(A, 'test')), 200);
  });

  const bad = {
    'no url': [{ url: undefined }, 'url'],
    'a relative url': [{ url: '/hook' }, 'url'],
    'ftp': [{ url: 'ftp://93.184.216.34/x' }, 'url'],
    'not a URL': [{ url: 'https://' }, 'url'],
    'user information': [{ url: 'https://user:pw@93.184.216.34/x' }, 'url'],
    'cloud metadata (link-local)': [{ url: 'http://169.254.169.254/latest/meta-data/' }, 'url'],
    'private 10/8': [{ url: 'https://10.0.0.1/' }, 'url'],
    'private 192.168/16': [{ url: 'https://192.168.1.10/hook' }, 'url'],
    'CGNAT': [{ url: 'https://100.64.0.1/' }, 'url'],
    'unique local IPv6': [{ url: 'https://[fd00::1]/' }, 'url'],
    'IPv6 link-local': [{ url: 'https://[fe80::1]/' }, 'url'],
    'IPv4-mapped private': [{ url: 'https://[::ffff:10.0.0.1]/' }, 'url'],
    'unspecified': [{ url: 'https://0.0.0.0/' }, 'url'],
    'a name that does not resolve': [{ url: 'https://no-such-host.invalid/' }, 'url'],
    'no events': [{ events: [] }, 'events'],
    'an unknown event type': [{ events: ['nope'] }, 'events'],
    'a typo in the object': [{ events: ['laed.created'] }, 'events'],
    '* with others': [{ events: ['*', 'lead.created'] }, 'events'],
    'events not strings': [{ events: [1] }, 'events'],
    'a long description': [{ description: 'x'.repeat(501) }, 'description'],
    'an unknown field': [{ enabled: true }, undefined],
  };
  for (const [name, [over, param]] of Object.entries(bad)) {
    test(`400 for ${name}`, async () => {
      const body = { url: rx.url('/v'), events: ['*'], ...over };
      for (const k of Object.keys(body)) if (body[k] === undefined) delete body[k];
      const res = await S().post('/v1/webhook_endpoints', body, as(A));
      expectError(res, 400, 'invalid_request', param ? { param } : {});
    });
  }

  test('without GATEHOUSE_DEV: http:// and loopback are refused too; public https is accepted', async () => {
    const prod = await ctx.another({ GATEHOUSE_DEV: null, GATEHOUSE_WEBHOOK_WORKERS: '0', GATEHOUSE_RATE_LIMITS: 'off' });
    for (const url of [rx.url('/x'), `https://127.0.0.1:${rx.port}/x`, 'https://localhost/x', 'https://[::1]/',
      'https://127.1.2.3/', 'https://[::ffff:127.0.0.1]/', 'https://169.254.169.254/', 'http://93.184.216.34/']) {
      const res = await createEndpoint(A, { url }, { srv: prod });
      expectError(res, 400, 'invalid_request', { param: 'url' });
    }
    const ok = expectJson(await createEndpoint(A, { url: 'https://93.184.216.34/hook?x=1' }, { srv: prod }), 201);
    assert.equal(ok.url, 'https://93.184.216.34/hook?x=1');
    expectJson(await createEndpoint(A, { url: 'https://[2606:4700::1111]/h' }, { srv: prod }), 201);
    // Deleted again, so that no worker tries to reach it.
    assert.equal((await prod.request('DELETE', `/v1/webhook_endpoints/${ok.id}`, as(A))).status, 204);
  });

  test('who may call: API keys read and redeliver but never create, delete or rotate', async () => {
    const key = expectJson(await S().post('/v1/api_keys', { name: 'wh', scopes: ['admin'], mode: 'live' }, as(A)), 201);
    const weak = expectJson(await S().post('/v1/api_keys', { name: 'wh2', scopes: ['read:leads'], mode: 'live' }, as(A)), 201);
    const e = await endpoint(A, '/who');
    expectJson(await S().get('/v1/webhook_endpoints', bearer(key.secret)), 200);
    expectJson(await S().get(`/v1/webhook_endpoints/${e.id}`, bearer(key.secret)), 200);
    expectJson(await S().get(`/v1/webhook_endpoints/${e.id}/deliveries`, bearer(key.secret)), 200);
    expectError(await S().get('/v1/webhook_endpoints', bearer(weak.secret)), 403, 'forbidden');
    expectError(await S().post('/v1/webhook_endpoints', { url: rx.url('/k'), events: ['*'] }, bearer(key.secret)), 403, 'forbidden');
    expectError(await S().request('DELETE', `/v1/webhook_endpoints/${e.id}`, bearer(key.secret)), 403, 'forbidden');
    expectError(await S().post(`/v1/webhook_endpoints/${e.id}/rotate_secret`, undefined, bearer(key.secret)), 403, 'forbidden');
    expectError(await S().get('/v1/webhook_endpoints'), 401, 'unauthorized');
  });

  test("another org's endpoint: 403 org_mismatch everywhere; unknown: 404", async () => {
    const e = await endpoint(A, '/mine');
    for (const [m, p] of [['GET', `/v1/webhook_endpoints/${e.id}`], ['DELETE', `/v1/webhook_endpoints/${e.id}`],
      ['POST', `/v1/webhook_endpoints/${e.id}/rotate_secret`], ['GET', `/v1/webhook_endpoints/${e.id}/deliveries`]]) {
      expectError(await S().request(m, p, as(B)), 403, 'org_mismatch');
    }
    expectJson(await S().get(`/v1/webhook_endpoints/${e.id}`, as(A)), 200);
    expectError(await S().get('/v1/webhook_endpoints/whe_nope', as(A)), 404, 'not_found');
    expectError(await S().get('/v1/webhook_endpoints/key_x', as(A)), 404, 'not_found');
  });

  test('delete: 204, then 404', async () => {
    const e = await endpoint(A, '/del');
    const res = await S().request('DELETE', `/v1/webhook_endpoints/${e.id}`, as(A));
    assert.equal(res.status, 204);
    expectError(await S().get(`/v1/webhook_endpoints/${e.id}`, as(A)), 404, 'not_found');
    expectError(await S().request('DELETE', `/v1/webhook_endpoints/${e.id}`, as(A)), 404, 'not_found');
    // Audited in the change's transaction: created, deleted (once).
    const audit = psql(`SELECT string_agg(action, ',' ORDER BY seq) FROM gh.audit_log WHERE target = '${e.id}'`, S().db.name);
    assert.equal(audit, 'webhook_endpoint.created,webhook_endpoint.deleted');
  });
});

describe('delivery', () => {
  before(setup);
  test('a local receiver gets the event within seconds and verifies it with standardwebhooks', async () => {
    const e = await endpoint(A, '/ok');
    const t0 = Date.now();
    const evt = await emit(A);
    const [d] = await rx.waitFor('/ok', (l) => l.some((x) => x.headers['webhook-id'] === evt), 5000)
      .then((l) => l.filter((x) => x.headers['webhook-id'] === evt));
    assert.ok(d.at - t0 < 3000, `delivered after ${d.at - t0} ms`);
    const body = verified(d, e.secret);
    assert.equal(body.id, evt);
    assert.equal(body.type, 'application.created');
    assert.equal(body.livemode, true);
    assert.match(body.created_at, RFC3339_UTC_RE);
    assert.equal(typeof body.data.object, 'object');
    assert.deepEqual(Object.keys(body), ['id', 'type', 'created_at', 'livemode', 'data']);
    assert.equal(d.headers['content-type'], 'application/json');
    assert.match(d.headers['webhook-signature'], /^v1,[A-Za-z0-9+/]{43}=$/);
    assert.ok(Math.abs(Number(d.headers['webhook-timestamp']) - Date.now() / 1000) < 30);
    // A tampered body or the wrong secret does not verify.
    assert.throws(() => verified({ ...d, body: d.body.replace('"livemode":true', '"livemode":false') }, e.secret));
    assert.throws(() => verified(d, 'whsec_' + Buffer.alloc(32, 1).toString('base64')));
  });

  test('only the event types an endpoint asked for', async () => {
    await endpoint(A, '/only-leads', { events: ['lead.created'] });
    const all = await endpoint(A, '/all-types');
    const evt = await emit(A); // application.created
    await rx.waitFor('/all-types', (l) => l.some((x) => x.headers['webhook-id'] === evt));
    await sleep(500);
    assert.equal(rx.on('/only-leads').length, 0, 'an application event reached a lead.created-only endpoint');
    const [lead] = insertEvents(S().db.name, A.org, true, 1, 'lead.created');
    await rx.waitFor('/only-leads', (l) => l.some((x) => x.headers['webhook-id'] === lead));
    assert.ok(all.id);
  });

  test('a receiver that fails first gets the same webhook-id again about 5 s later', async () => {
    const e = await endpoint(A, '/flaky-1');
    const evt = await emit(A);
    const l = await rx.waitFor('/flaky-1', (x) => x.length >= 2, 12_000);
    assert.equal(l[0].headers['webhook-id'], evt);
    assert.equal(l[1].headers['webhook-id'], evt);
    assert.equal(l[0].body, l[1].body, 'the same body on every attempt');
    const gap = l[1].at - l[0].at;
    assert.ok(gap >= 4500 && gap < 9000, `retry after ${gap} ms`);
    verified(l[1], e.secret);
    // Both attempts are recorded, newest first.
    await sleep(300);
    const list = expectJson(await S().get(`/v1/webhook_endpoints/${e.id}/deliveries`, as(A)), 200);
    assert.equal(list.data.length, 2);
    const [second, first] = list.data;
    assert.equal(first.object, 'webhook_delivery');
    assert.match(first.id, /^whd_/);
    assert.equal(first.event_id, evt);
    assert.equal(first.attempt, 1);
    assert.equal(first.status_code, 500);
    assert.match(first.next_retry_at, RFC3339_UTC_RE);
    assert.equal(typeof first.latency_ms, 'number');
    assert.equal(second.attempt, 2);
    assert.equal(second.status_code, 200);
    assert.equal(second.next_retry_at, null);
    // Paging.
    const p1 = expectJson(await S().get(`/v1/webhook_endpoints/${e.id}/deliveries?limit=1`, as(A)), 200);
    assert.equal(p1.has_more, true);
    const p2 = expectJson(await S().get(`/v1/webhook_endpoints/${e.id}/deliveries?limit=1&starting_after=${p1.data[0].id}`, as(A)), 200);
    assert.equal(p2.data[0].id, first.id);
    expectError(await S().get(`/v1/webhook_endpoints/${e.id}/deliveries?starting_after=whd_nope`, as(A)), 400, 'invalid_request', { param: 'starting_after' });
    // The request's parameters (400) before the addressed endpoint (404), as for usage.
    for (const id of ['garbage', 'whe_doesnotexist0000000000']) {
      for (const l of ['0', '%2B5']) {
        expectError(await S().get(`/v1/webhook_endpoints/${id}/deliveries?limit=${l}`, as(A)), 400, 'invalid_request', { param: 'limit' });
      }
      expectError(await S().get(`/v1/webhook_endpoints/${id}/deliveries?limit=5`, as(A)), 404, 'not_found');
    }
  });

  test('410 disables the endpoint; nothing more is sent to it', async () => {
    const e = await endpoint(A, '/gone');
    const evt = await emit(A);
    await rx.waitFor('/gone', (l) => l.some((x) => x.headers['webhook-id'] === evt));
    let got;
    for (let i = 0; i < 40; i++) {
      got = expectJson(await S().get(`/v1/webhook_endpoints/${e.id}`, as(A)), 200);
      if (got.status === 'disabled') break;
      await sleep(50);
    }
    assert.equal(got.status, 'disabled');
    assert.equal(got.disabled_reason, 'gone');
    const before = rx.on('/gone').length;
    await emit(A);
    await sleep(1500);
    assert.equal(rx.on('/gone').length, before, 'a disabled endpoint received a delivery');
  });

  test("org A's events never reach org B's endpoint; B gets its own", async () => {
    await endpoint(B, '/org-b');
    await endpoint(A, '/org-a');
    const evA = await emit(A);
    await rx.waitFor('/org-a', (l) => l.some((x) => x.headers['webhook-id'] === evA));
    const evB = await emit(B);
    await rx.waitFor('/org-b', (l) => l.some((x) => x.headers['webhook-id'] === evB));
    await sleep(500);
    const ids = rx.on('/org-b').map((x) => x.headers['webhook-id']);
    assert.ok(!ids.includes(evA), "org A's event at org B's endpoint");
    assert.deepEqual(ids, [evB]);
    assert.ok(!rx.on('/org-a').some((x) => x.headers['webhook-id'] === evB));
  });

  test('an endpoint receives only events of its own mode', async () => {
    const t = await endpoint(A, '/test-mode', { mode: 'test' });
    const live = await emit(A, 'live');
    const test = await emit(A, 'test');
    const [d] = (await rx.waitFor('/test-mode', (l) => l.some((x) => x.headers['webhook-id'] === test)))
      .filter((x) => x.headers['webhook-id'] === test);
    assert.equal(verified(d, t.secret).livemode, false);
    await sleep(500);
    assert.ok(!rx.on('/test-mode').some((x) => x.headers['webhook-id'] === live), 'a live event reached a test endpoint');
  });

  test('rotation: two signatures for 24 h, one per secret, both valid', async () => {
    const e = await endpoint(A, '/rotate');
    const res = await S().post(`/v1/webhook_endpoints/${e.id}/rotate_secret`, undefined, as(A));
    const r = expectJson(res, 200);
    assert.equal(r.id, e.id);
    assert.match(r.secret, SECRET_RE);
    assert.notEqual(r.secret, e.secret);
    assert.equal(psql(`SELECT count(*) FROM gh.audit_log WHERE target = '${e.id}' AND action = 'webhook_endpoint.rotated'`, S().db.name), '1');
    const evt = await emit(A);
    const [d] = (await rx.waitFor('/rotate', (l) => l.some((x) => x.headers['webhook-id'] === evt)))
      .filter((x) => x.headers['webhook-id'] === evt);
    const sigs = d.headers['webhook-signature'].split(' ');
    assert.equal(sigs.length, 2, d.headers['webhook-signature']);
    verified(d, r.secret);
    verified(d, e.secret);
    // Each signature alone verifies under exactly one of the secrets.
    const only = (sig) => ({ ...d, headers: { ...d.headers, 'webhook-signature': sig } });
    verified(only(sigs[0]), r.secret);
    verified(only(sigs[1]), e.secret);
    assert.throws(() => verified(only(sigs[0]), e.secret));
    // Once the old secret's 24 h are over, one signature again.
    psql(`UPDATE gh.webhook_endpoints SET prev_expires_at = now() - interval '1 s' WHERE id = '${e.id}'`, S().db.name);
    const evt2 = await emit(A);
    const [d2] = (await rx.waitFor('/rotate', (l) => l.some((x) => x.headers['webhook-id'] === evt2)))
      .filter((x) => x.headers['webhook-id'] === evt2);
    assert.equal(d2.headers['webhook-signature'].split(' ').length, 1);
    verified(d2, r.secret);
    assert.throws(() => verified(d2, e.secret));
  });

  test('redeliver: 202, the same webhook-id again; another org: 403; unknown: 404', async () => {
    await endpoint(A, '/redeliver');
    const evt = await emit(A);
    await rx.waitFor('/redeliver', (l) => l.some((x) => x.headers['webhook-id'] === evt));
    const res = await S().post(`/v1/events/${evt}/redeliver`, undefined, as(A));
    const j = expectJson(res, 202);
    assert.equal(j.event_id, evt);
    assert.ok(j.endpoints >= 1);
    const l = await rx.waitFor('/redeliver', (x) => x.filter((y) => y.headers['webhook-id'] === evt).length >= 2);
    assert.equal(l.filter((y) => y.headers['webhook-id'] === evt).length, 2);
    expectError(await S().post(`/v1/events/${evt}/redeliver`, undefined, as(B)), 403, 'org_mismatch');
    expectError(await S().post('/v1/events/evt_nope/redeliver', undefined, as(A)), 404, 'not_found');
    expectError(await S().post(`/v1/events/${evt}/redeliver`, undefined, as(A, 'test')), 404, 'not_found');
  });

  test('a deleted endpoint gets no further deliveries', async () => {
    const e = await endpoint(A, '/deleted');
    const evt = await emit(A);
    await rx.waitFor('/deleted', (l) => l.some((x) => x.headers['webhook-id'] === evt));
    assert.equal((await S().request('DELETE', `/v1/webhook_endpoints/${e.id}`, as(A))).status, 204);
    await emit(A);
    await sleep(1500);
    assert.equal(rx.on('/deleted').length, 1);
  });

  test('connect-time check: a URL that now resolves to a refused address is not contacted', async () => {
    const e = await endpoint(A, '/rebind');
    // As if its name now resolved to the metadata service (DNS rebinding).
    psql(`UPDATE gh.webhook_endpoints SET url = 'http://169.254.169.254/latest/meta-data/' WHERE id = '${e.id}'`, S().db.name);
    const evt = await emit(A);
    let list;
    for (let i = 0; i < 60; i++) {
      list = expectJson(await S().get(`/v1/webhook_endpoints/${e.id}/deliveries`, as(A)), 200);
      if (list.data.length) break;
      await sleep(50);
    }
    assert.equal(list.data.length, 1);
    assert.equal(list.data[0].event_id, evt);
    assert.equal(list.data[0].status_code, null);
    assert.equal(list.data[0].error, 'address refused');
    assert.match(list.data[0].next_retry_at, RFC3339_UTC_RE);
  });

  test('gatehouse webhook verify checks a real delivery (exit 0), and refuses a tampered one (exit 1)', async () => {
    const e = await endpoint(A, '/cli');
    const evt = await emit(A);
    const [d] = (await rx.waitFor('/cli', (l) => l.some((x) => x.headers['webhook-id'] === evt)))
      .filter((x) => x.headers['webhook-id'] === evt);
    const run = (args, input, env = {}) => spawnSync(BIN, ['webhook', 'verify', ...args], {
      input, encoding: 'utf8', env: { PATH: process.env.PATH, ...env }, timeout: 10_000,
    });
    const base = ['--secret', e.secret, '--id', d.headers['webhook-id'], '--timestamp', d.headers['webhook-timestamp']];
    const ok = run([...base, '--signature', d.headers['webhook-signature']], d.body);
    assert.equal(ok.status, 0, ok.stderr);
    // The secret without its prefix, and the signature from the environment.
    assert.equal(run(['--secret', e.secret.slice(6), ...base.slice(2)], d.body, { WEBHOOK_SIGNATURE: d.headers['webhook-signature'] }).status, 0);
    assert.equal(run([...base, '--signature', d.headers['webhook-signature']], d.body + ' ').status, 1, 'a changed body');
    assert.equal(run(['--secret', e.secret, '--id', 'evt_other', '--timestamp', d.headers['webhook-timestamp'],
      '--signature', d.headers['webhook-signature']], d.body).status, 1, 'another id');
    const old = run(['--secret', e.secret, '--id', evt, '--timestamp', String(Number(d.headers['webhook-timestamp']) - 301),
      '--signature', d.headers['webhook-signature']], d.body);
    assert.equal(old.status, 1);
    assert.match(old.stderr, /tolerance/);
    // Without a signature: the expected one is printed, exit 2.
    const none = run(base, d.body);
    assert.equal(none.status, 2);
    assert.equal(none.stdout.trim(), d.headers['webhook-signature']);
    assert.equal(run(['--id', evt], d.body).status, 2, 'usage');
  });

  test('/metrics counts attempts', async () => {
    const text = (await S().get('/metrics')).text;
    const val = (n) => Number((new RegExp(`^${n} (\\d+)$`, 'm').exec(text) || [])[1]);
    assert.ok(val('gatehouse_webhook_attempts_succeeded_total') >= 10, text.slice(-600));
    assert.ok(val('gatehouse_webhook_attempts_failed_total') >= 3);
    assert.equal(val('gatehouse_webhook_record_errors_total'), 0);
  });

  test('no 5xx', () => expectNo5xx(S()));
});
