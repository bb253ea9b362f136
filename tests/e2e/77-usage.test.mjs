// API key usage: GET /v1/api_keys/{id}/usage and GET /v1/usage report
// exactly the requests made, by outcome, within 10 s; keys apart; the whole
// org (sessions included); other orgs kept out; parameters validated; and a
// graceful stop (SIGTERM) loses no count.
//
// Every request this file makes in org A goes through `call`, which tallies
// its outcome for the org and for the key that made it, so the expected
// figures are the statuses actually received (how many requests the rate
// limiter refuses depends on timing; that they are counted does not).
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, expectError, expectJson, expectNo5xx, expectUniqueRequestIds, signup, psql, mistype, cli } from './harness.mjs';

// Small key limits so that some requests are refused with 429; sessions
// (which read the usage) are not limited in practice.
const LIMITS = { GATEHOUSE_RATE_LIMITS: 'key=1/20,session=1000/1000' };
const ctx = useServer({ env: LIMITS });
const S = () => ctx.srv;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// Flushes run every 2 s on the listener's ~250 ms tick: a request that
// finished this long ago is in the database.
const SETTLE_MS = 3000;

const FIELDS = ['t', 'requests', 'succeeded', 'client_errors', 'denied', 'rate_limited'];
const zero = () => ({ requests: 0, succeeded: 0, client_errors: 0, denied: 0, rate_limited: 0 });
function outcome(status) {
  const c = zero();
  c.requests = 1;
  if (status >= 200 && status < 400) c.succeeded = 1;
  else if (status === 401 || status === 403) c.denied = 1;
  else if (status === 429) c.rate_limited = 1;
  else if (status >= 400 && status < 500) c.client_errors = 1;
  return c;
}
const add = (a, b) => { for (const k of Object.keys(a)) a[k] += b[k]; return a; };
const sum = (data) => data.reduce((acc, b) => add(acc, { requests: b.requests, succeeded: b.succeeded,
  client_errors: b.client_errors, denied: b.denied, rate_limited: b.rate_limited }), zero());

/** An org: its session, and the tallies of what it was charged. */
async function newOrg(srv = S()) {
  const su = await signup(srv);
  assert.equal(su.res.status, 201, su.res.text);
  return { cookie: su.cookies.gh_session.value, csrf: su.json.csrf_token, org: su.json.org.id,
    total: zero(), keys: {} };
}

/** One request in who's org, by its session (key undefined) or by key k
 *  ({id, secret}); tallied unless `charged` is false (a credential nobody
 *  can be identified for). */
async function call(who, method, path, { key, json, srv = S(), charged = true, secret } = {}) {
  const headers = {};
  const opts = { headers, json };
  if (key || secret) headers.Authorization = `Bearer ${secret || key.secret}`;
  else { opts.cookies = { gh_session: who.cookie }; headers['X-CSRF-Token'] = who.csrf; }
  const res = await srv.request(method, path, opts);
  if (charged) {
    const c = outcome(res.status);
    add(who.total, c);
    if (key) add(who.keys[key.id] ||= zero(), c);
  }
  return res;
}

async function makeKey(who, scopes, extra = {}) {
  const res = await call(who, 'POST', '/v1/api_keys', { json: { name: `usage-${scopes.join('+')}`, scopes, mode: 'live', ...extra } });
  const k = expectJson(res, 201);
  who.keys[k.id] = zero();
  return k;
}

/** GET a usage URL as who's session (tallied); returns the body. */
async function usage(who, path) {
  return expectJson(await call(who, 'GET', path), 200);
}

/** Polls `path` until its summed buckets equal what `expected()` says (as
 *  computed before each request), for up to 10 s; returns the last body. */
async function pollUntilExact(who, path, expected) {
  const deadline = Date.now() + 10_000;
  let body, want, got;
  for (;;) {
    want = { ...expected() };
    body = await usage(who, path);
    got = sum(body.data);
    if (JSON.stringify(got) === JSON.stringify(want) || Date.now() > deadline) break;
    await sleep(SETTLE_MS);
  }
  assert.deepEqual(got, want, `${path}: counts after 10 s`);
  return body;
}

let A, B, k1, k2, kGone, kAdmin;

describe('counting by outcome', () => {
  before(async () => {
    A = await newOrg();
    B = await newOrg();
    k1 = await makeKey(A, ['read:leads']);
    k2 = await makeKey(A, ['read:leads']);
    kAdmin = await makeKey(A, ['admin']);
    kGone = await makeKey(A, ['read:leads']);
    // A key whose row disappears: well-formed, right checksum, unknown.
    psql(`DELETE FROM gh.api_keys WHERE id = '${kGone.id}'`, S().db.name);
    delete A.keys[kGone.id];

    // Key 1: 7 succeeded, 3 client errors, 2 denied, in that order (within
    // its burst of 20).
    for (let i = 0; i < 4; i++) assert.equal((await call(A, 'GET', '/v1/me', { key: k1 })).status, 200);
    for (let i = 0; i < 3; i++) assert.equal((await call(A, 'GET', '/v1/leads?limit=5', { key: k1 })).status, 200);
    assert.equal((await call(A, 'GET', '/v1/leads?limit=0', { key: k1 })).status, 400);
    assert.equal((await call(A, 'GET', '/v1/leads/lead_doesnotexist0000000000', { key: k1 })).status, 404);
    assert.equal((await call(A, 'GET', '/v1/leads?starting_after=lead_doesnotexist0000000000', { key: k1 })).status, 400);
    // Lacking the scope (write:leads, admin): denied, not client errors.
    assert.equal((await call(A, 'POST', '/v1/leads/import', { key: k1, json: { leads: [] } })).status, 403);
    assert.equal((await call(A, 'GET', '/v1/usage', { key: k1 })).status, 403);
    // An unknown route is 404 before credentials are looked at: nobody's.
    assert.equal((await call(A, 'GET', '/v1/nope', { key: k1, charged: false })).status, 404);
    assert.deepEqual(A.keys[k1.id], { requests: 12, succeeded: 7, client_errors: 3, denied: 2, rate_limited: 0 });
    // Then past the burst: some answers are 429.
    for (let i = 0; i < 25; i++) await call(A, 'GET', '/v1/me', { key: k1 });
    assert.ok(A.keys[k1.id].rate_limited >= 3, `expected some 429s: ${JSON.stringify(A.keys[k1.id])}`);

    // Key 2: 4 succeeded, 1 client error; then revoked, and tried twice.
    for (let i = 0; i < 4; i++) await call(A, 'GET', '/v1/me', { key: k2 });
    await call(A, 'GET', '/v1/leads?limit=abc', { key: k2 });
    expectJson(await call(A, 'POST', `/v1/api_keys/${k2.id}/revoke`), 200);
    for (let i = 0; i < 2; i++) assert.equal((await call(A, 'GET', '/v1/me', { key: k2 })).status, 401);
    assert.deepEqual(A.keys[k2.id], { requests: 7, succeeded: 4, client_errors: 1, denied: 2, rate_limited: 0 });

    // Nobody's: the deleted key, a mistyped key 1, no credential at all.
    for (let i = 0; i < 3; i++) {
      assert.equal((await call(A, 'GET', '/v1/me', { key: kGone, charged: false })).status, 401);
    }
    assert.equal((await call(A, 'GET', '/v1/me', { secret: mistype(k1.secret), charged: false })).status, 401);
    assert.equal((await S().get('/v1/me')).status, 401);
    // Org B's session works in org B only.
    assert.equal((await call(B, 'GET', '/v1/org')).status, 200);
  }, { timeout: 60_000 });

  test('key 1: exactly its requests, by outcome, within 10 s (minute buckets)', async () => {
    const body = await pollUntilExact(A, `/v1/api_keys/${k1.id}/usage?granularity=minute`, () => A.keys[k1.id]);
    assert.deepEqual(Object.keys(body), ['object', 'data', 'has_more']);
    assert.equal(body.object, 'list');
    assert.equal(body.has_more, false);
    // Default range: the last 24 h, every minute present (zero-filled),
    // oldest first, each bucket the start of a UTC minute.
    assert.ok(body.data.length === 1440 || body.data.length === 1441, `buckets: ${body.data.length}`);
    let prev = 0;
    for (const b of body.data) {
      assert.deepEqual(Object.keys(b), FIELDS);
      assert.match(b.t, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00Z$/);
      const t = Date.parse(b.t);
      if (prev) assert.equal(t - prev, 60_000, 'consecutive minutes');
      prev = t;
    }
    // The current minute (or the one before, if a minute began since the
    // server answered).
    assert.ok(Date.now() >= prev && Date.now() - prev < 120_000, 'the last bucket is the current minute');
  });

  test('key 2 is counted apart, its revoked uses as denied', async () => {
    await pollUntilExact(A, `/v1/api_keys/${k2.id}/usage?granularity=minute`, () => A.keys[k2.id]);
  });

  test('hour (the default) and day buckets hold the same counts', async () => {
    const hour = await usage(A, `/v1/api_keys/${k1.id}/usage`);
    assert.ok(hour.data.length === 24 || hour.data.length === 25, `hour buckets: ${hour.data.length}`);
    for (const b of hour.data) assert.match(b.t, /T\d{2}:00:00Z$/);
    assert.deepEqual(sum(hour.data), A.keys[k1.id]);
    const day = await usage(A, `/v1/api_keys/${k1.id}/usage?granularity=day`);
    for (const b of day.data) assert.match(b.t, /T00:00:00Z$/);
    assert.deepEqual(sum(day.data), A.keys[k1.id]);
  });

  test('GET /v1/usage: the whole org, sessions included, nothing of nobody\'s requests', async () => {
    // Quiet for a flush interval first, so that the previous polls are in.
    await sleep(SETTLE_MS);
    const body = await pollUntilExact(A, '/v1/usage?granularity=minute', () => A.total);
    assert.ok(body.data.length >= 1440);
    const keysOnly = Object.values(A.keys).reduce((acc, c) => add(acc, c), zero());
    assert.ok(A.total.requests > keysOnly.requests, 'the session\'s own requests are part of the org');
  });

  test('an API key with the admin scope reads the usage', async () => {
    const res = await call(A, 'GET', `/v1/usage?granularity=day`, { key: kAdmin });
    const body = expectJson(res, 200);
    assert.equal(body.object, 'list');
    expectJson(await call(A, 'GET', `/v1/api_keys/${k1.id}/usage`, { key: kAdmin }), 200);
  });

  test('org B sees its own usage only, and cannot read A\'s keys (403 org_mismatch)', async () => {
    expectError(await call(B, 'GET', `/v1/api_keys/${k1.id}/usage`), 403, 'org_mismatch');
    await sleep(SETTLE_MS);
    await pollUntilExact(B, '/v1/usage?granularity=minute', () => B.total);
    assert.equal(B.total.requests < 20, true);
  });

  test('an unknown or malformed key id is 404', async () => {
    expectError(await call(A, 'GET', '/v1/api_keys/key_AAAAAAAAAAAAAAAAAAAAAA/usage'), 404, 'not_found');
    expectError(await call(A, 'GET', '/v1/api_keys/nope/usage'), 404, 'not_found');
    expectError(await call(A, 'GET', `/v1/api_keys/${kGone.id}/usage`), 404, 'not_found');
  });
});

describe('parameters', () => {
  before(async () => { if (!A) { A = await newOrg(); k1 = await makeKey(A, ['read:leads']); } });
  const bad = [
    ['granularity=week', 'granularity'],
    ['granularity=Hour', 'granularity'],
    ['granularity=', 'granularity'],
    ['from=yesterday', 'from'],
    ['from=', 'from'],
    ['to=2026-13-01T00:00:00Z', 'to'],
    ['from=2026-11-28T12:00:00', 'from'], // no offset
    ['from=2026-11-28T12:00:00Z&to=2026-11-28T12:00:00Z', 'from'], // empty range
    ['from=2026-11-28T13:00:00Z&to=2026-11-28T12:00:00Z', 'from'], // reversed
    ['granularity=minute&from=2026-11-27T11:59:59Z&to=2026-11-28T12:00:00Z', 'from'], // > 24 h of minutes
    ['granularity=hour&from=2026-10-01T00:00:00Z&to=2026-11-28T00:00:00Z', 'from'], // > 31 days of hours
    ['granularity=day&from=2024-01-01T00:00:00Z&to=2026-11-28T00:00:00Z', 'from'], // > 366 days
  ];
  for (const [q, param] of bad) {
    test(`?${q} → 400 naming ${param}`, async () => {
      expectError(await call(A, 'GET', `/v1/usage?${q}`), 400, 'invalid_request', { param });
      expectError(await call(A, 'GET', `/v1/api_keys/${k1.id}/usage?${q}`), 400, 'invalid_request', { param });
    });
  }
  test('an offset is accepted; buckets are UTC, from rounded down and to up to whole buckets', async () => {
    const b = await usage(A, `/v1/api_keys/${k1.id}/usage?from=${encodeURIComponent('2026-11-28T12:30:00+02:00')}` +
      `&to=${encodeURIComponent('2026-11-28T13:00:01+02:00')}&granularity=minute`);
    assert.equal(b.data[0].t, '2026-11-28T10:30:00Z');
    assert.equal(b.data.at(-1).t, '2026-11-28T11:00:00Z');
    assert.equal(b.data.length, 31);
    for (const x of b.data) assert.equal(x.requests, 0);
    const d = await usage(A, '/v1/usage?from=2026-11-20T05:00:00Z&to=2026-11-22T00:00:00Z&granularity=day');
    assert.deepEqual(d.data.map((x) => x.t), ['2026-11-20T00:00:00Z', '2026-11-21T00:00:00Z']);
    const full = await usage(A, '/v1/usage?granularity=minute&from=2026-11-27T12:00:00Z&to=2026-11-28T12:00:00Z');
    assert.equal(full.data.length, 1440, '24 h of minutes is the longest range');
  });
});

describe('graceful stop', () => {
  test('SIGTERM right after the requests loses no count', async () => {
    const who = A || await newOrg();
    const k = await makeKey(who, ['read:leads']);
    const second = await ctx.another(LIMITS);
    for (let i = 0; i < 6; i++) assert.equal((await call(who, 'GET', '/v1/me', { key: k, srv: second })).status, 200);
    for (let i = 0; i < 3; i++) await call(who, 'GET', '/v1/leads?limit=0', { key: k, srv: second });
    assert.equal((await call(who, 'GET', '/v1/usage', { key: k, srv: second })).status, 403);
    const { code, signal } = await second.stop();
    assert.equal(code, 0, `exit code (signal ${signal})`);
    await sleep(200); // the last lines of its output, read after the exit event
    const notes = () => second.logs.filter((o) => o.msg !== 'request').map((o) => JSON.stringify(o)).join('\n');
    assert.ok(!second.logs.some((o) => /usage counts lost/.test(o.msg || '')), `lost at shutdown:\n${notes()}`);
    // The process is gone: whatever is not in the database now never will
    // be, so polling (for visibility only) cannot hide a lost count.
    const want = { requests: 10, succeeded: 6, client_errors: 3, denied: 1, rate_limited: 0 };
    assert.deepEqual(who.keys[k.id], want);
    const deadline = Date.now() + 5000;
    let got;
    for (;;) {
      got = sum((await usage(who, `/v1/api_keys/${k.id}/usage?granularity=minute`)).data);
      if (JSON.stringify(got) === JSON.stringify(want) || Date.now() > deadline) break;
      await sleep(500);
    }
    assert.deepEqual(got, want, `the second node's log:\n${notes()}`);
  });

  test('no 5xx, unique request ids', () => {
    expectNo5xx(S());
    expectUniqueRequestIds(S());
  });
});

// GATEHOUSE_USAGE_RETENTION_DAYS (docs/decisions.md 53): minute rows older
// than the retention are deleted, at start and hourly, by every node.
describe('retention', () => {
  test('rows older than the retention go at start; newer ones, and every row under the default, stay', async () => {
    const who = await newOrg();
    const rows = { old10d: '10 days', old3d: '3 days', recent30h: '30 hours' };
    for (const age of Object.values(rows)) {
      psql(`INSERT INTO gh.api_key_usage (org_id, key_id, minute, requests, succeeded)
            VALUES ('${who.org}', NULL, date_trunc('minute', now() - interval '${age}'), 7, 7)`, ctx.db.name);
    }
    const left = () => Number(psql(`SELECT count(*) FROM gh.api_key_usage WHERE org_id = '${who.org}'
                                      AND minute < now() - interval '1 day'`, ctx.db.name));
    // The default (400 days) keeps all three: a node prunes on its first
    // listener tick (~250 ms after start).
    const keeper = await ctx.another(LIMITS);
    await sleep(1500);
    assert.equal(left(), 3, 'the default retention deleted a row younger than 400 days');
    const pruner = await ctx.another({ ...LIMITS, GATEHOUSE_USAGE_RETENTION_DAYS: '2' });
    const line = await pruner.waitForLog((o) => /usage retention: deleted/.test(o.msg || ''), 10_000);
    assert.match(line.msg, /older than 2 days/);
    assert.equal(left(), 1, 'the 10-day and 3-day rows are gone, the 30-hour row stays');
    // What the API shows: the 30-hour-old row in hour buckets, nothing a week ago.
    const from = new Date(Date.now() - 31 * 3600e3).toISOString().replace(/\.\d+Z$/, 'Z');
    const to = new Date(Date.now() - 29 * 3600e3).toISOString().replace(/\.\d+Z$/, 'Z');
    assert.equal(sum((await usage(who, `/v1/usage?from=${from}&to=${to}&granularity=hour`)).data).requests, 7);
    const wFrom = new Date(Date.now() - 12 * 86400e3).toISOString().replace(/\.\d+Z$/, 'Z');
    const wTo = new Date(Date.now() - 2 * 86400e3).toISOString().replace(/\.\d+Z$/, 'Z');
    assert.equal(sum((await usage(who, `/v1/usage?from=${wFrom}&to=${wTo}&granularity=day`)).data).requests, 0);
    await keeper.stop();
    await pruner.stop();
  });
  test('a retention of 1 day, or not a number, stops the start with the setting named', () => {
    for (const v of ['1', '-3', 'forever']) {
      const r = cli(ctx.db, ['serve'], { GATEHOUSE_USAGE_RETENTION_DAYS: v });
      assert.notEqual(r.status, 0, `GATEHOUSE_USAGE_RETENTION_DAYS=${v} was accepted`);
      assert.match(r.stdout + r.stderr, /GATEHOUSE_USAGE_RETENTION_DAYS/);
    }
  });
});
