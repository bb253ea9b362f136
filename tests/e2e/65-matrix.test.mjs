// The API-key authorization matrix, GENERATED from `gatehouse routes`: every
// route that accepts API keys × every kind of key (none, malformed, bad
// checksum, unknown, revoked, expired, another org's, the other mode's,
// lacking the scope, exactly the scope, admin), its /v1/orgs/{org_id}/...
// form, and every session-only route refusing every API key (403 forbidden).
// A route of `gatehouse routes` accepting API keys without an entry in ROUTES
// below, or an entry in ROUTES for a route that no longer exists, fails the
// suite.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  BIN, ROOT, useServer, expectError, expectJson, expectNo5xx, expectUniqueRequestIds, signup, psql, requireBinary, mistype,
} from './harness.mjs';

// Many requests per key: rate limits are not under test here.
const ctx = useServer({ env: { GATEHOUSE_RATE_LIMITS: 'off' } });
const S = () => ctx.srv;

// ---------------------------------------------------------------- the route table, from the binary

requireBinary();
const gen = spawnSync(BIN, ['routes'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
if (gen.status !== 0) throw new Error(`gatehouse routes failed (${gen.status}): ${gen.stderr}`);
const ALL = JSON.parse(gen.stdout);
const rkey = (r) => `${r.method} ${r.path}`;
const KEY_ROUTES = ALL.filter((r) => r.credentials.includes('api_key'));
const SESSION_ONLY = ALL.filter((r) => r.credentials.length && !r.credentials.includes('api_key'));
const OPEN = ALL.filter((r) => !r.credentials.length);

const SCOPES = ['read:applications', 'write:applications', 'read:reviews', 'write:reviews', 'read:campaigns',
  'write:campaigns', 'read:leads', 'write:leads', 'read:contracts', 'write:contracts', 'admin'];
const RESOURCE_SCOPES = SCOPES.filter((s) => s !== 'admin');

// ---------------------------------------------------------------- fixtures

const tag = randomBytes(4).toString('hex');
const uniq = () => randomBytes(5).toString('hex');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Filled by setup(): F.A (org A: session, keys, live and test objects),
 *  F.B (org B: a key with every scope, its own live objects), F.bad (keys
 *  that must be refused). Bags F.A.live, F.A.test, F.B.live hold one object
 *  of each resource ({app, review, campaign, lead, contract, execution}) plus
 *  userId and keyId (a user/key visible in that bag's org and mode). */
const F = {};

/** A request authenticated by a session cookie (with its CSRF token). */
function sess(who, method, path, body, mode) {
  const headers = { 'X-CSRF-Token': who.csrf };
  if (mode === 'test') headers['Gatehouse-Mode'] = 'test';
  return S().request(method, path, { cookies: { gh_session: who.cookie }, headers, json: body });
}
/** A request with `Authorization: Bearer <secret>` (secret null: none). */
function withKey(secret, method, target, body) {
  const headers = secret == null ? {} : { Authorization: `Bearer ${secret}` };
  return S().request(method, target, { headers, json: body });
}

async function newOrg(label) {
  const su = await signup(S(), { email: `${label}-${tag}-${uniq()}@example.com`, org_name: `Org ${label} ${tag}` });
  const b = expectJson(su.res, 201);
  return { org: b.org.id, orgName: b.org.name, userId: b.user.id, email: b.user.email,
    cookie: su.cookies.gh_session.value, csrf: b.csrf_token };
}

async function makeKey(who, scopes, mode = 'live', extra = {}) {
  const res = await sess(who, 'POST', '/v1/api_keys',
    { name: `key-${who.label}-${mode}-${scopes.join('+')}-${uniq()}`, scopes, mode, ...extra });
  const k = expectJson(res, 201);
  who.values.push(k.id, k.name, k.redacted_secret);
  return k;
}

/** One object of each resource in who's org and mode, made through `req`
 *  (a function (method, path, body) → response). */
async function makeObjects(who, mode, req) {
  const n = `${who.label}-${mode}-${tag}`;
  const mk = async (path, body, status = 201) => {
    const o = expectJson(await req('POST', path, body), status);
    for (const v of [o.id, o.name, o.email, o.source]) if (typeof v === 'string') who.values.push(v);
    return o;
  };
  const app = await mk('/v1/applications', { name: `${n}-app`, data: { secret: `${n}-appdata` } });
  who.values.push(`${n}-appdata`);
  const review = await mk(`/v1/applications/${app.id}/reviews`);
  const campaign = await mk('/v1/campaigns', { name: `${n}-campaign` });
  const lead = await mk('/v1/leads', { email: `${n}-lead@example.com`, name: `${n}-lead`, campaign_id: campaign.id });
  const contract = await mk('/v1/contracts', { name: `${n}-contract`, source: `fn ${n}() {}` });
  expectJson(await req('POST', `/v1/contracts/${contract.id}/deploy`), 200);
  const execution = await mk(`/v1/contracts/${contract.id}/execute`, { input: { who: n } });
  return { app, review, campaign, lead, contract, execution };
}

/** An object of A (live) made for one destructive call; `intact` checks
 *  that a refused call left it in place. */
async function freshA(path, body) {
  const o = expectJson(await sess(F.A, 'POST', path, body), 201);
  return {
    id: o.id,
    intact: async () => expectJson(await sess(F.A, 'GET', `${path}/${o.id}`), 200),
  };
}

const keyName = (scopes) => [...scopes].sort().join(' ');
/** A's live key with exactly these scopes (made in setup). */
const keyFor = (scopes) => {
  const k = F.A.keys[keyName(scopes)];
  assert.ok(k, `no key of org A with exactly [${scopes}]`);
  return k.secret;
};

let setupDone;
const setup = () => (setupDone ||= (async () => {
  const t0 = Date.now();
  F.A = { label: 'A', values: [], ...(await newOrg('A')) };
  F.B = { label: 'B', values: [], ...(await newOrg('B')) };
  F.A.values.push(F.A.org, F.A.orgName, F.A.userId, F.A.email);
  F.bad = { malformed: 'sk_live_short' };

  // Expired: made first, so that the wait at the end is short. It works
  // until it expires (so it is a real key).
  const expiresAt = Date.now() + 2000;
  const expired = await makeKey(F.A, ['admin'], 'live', { expires_at: new Date(expiresAt).toISOString() });
  expectJson(await withKey(expired.secret, 'GET', '/v1/me'), 200);
  F.bad.expired = expired.secret;

  // A's keys: one per scope, every resource scope without admin, one test-mode admin key.
  F.A.keys = {};
  for (const s of SCOPES) F.A.keys[keyName([s])] = await makeKey(F.A, [s]);
  F.A.keys[keyName(RESOURCE_SCOPES)] = await makeKey(F.A, RESOURCE_SCOPES);
  for (const r of KEY_ROUTES) {
    if (r.scopes.length > 1 && !F.A.keys[keyName(r.scopes)]) F.A.keys[keyName(r.scopes)] = await makeKey(F.A, r.scopes);
  }
  F.A.testAdmin = await makeKey(F.A, ['admin'], 'test');
  F.A.spareKey = await makeKey(F.A, ['read:leads']);

  // Revoked: worked, then revoked through the API.
  const revoked = await makeKey(F.A, ['admin']);
  expectJson(await withKey(revoked.secret, 'GET', '/v1/me'), 200);
  expectJson(await sess(F.A, 'POST', `/v1/api_keys/${revoked.id}/revoke`), 200);
  F.bad.revoked = revoked.secret;
  // Unknown: well formed, valid checksum, its row gone (never used, so never cached).
  const gone = await makeKey(F.A, ['admin']);
  psql(`DELETE FROM gh.api_keys WHERE id = '${gone.id}'`, S().db.name);
  F.bad.unknown = gone.secret;
  // Bad checksum: the admin key with its last character changed.
  const adm = F.A.keys.admin.secret;
  F.bad.checksum = mistype(adm);

  // A member invitee: the target of the session-only user routes.
  const inv = expectJson(await sess(F.A, 'POST', '/v1/users', { email: `member-${tag}@example.com`, role: 'member' }), 201);
  F.A.memberId = inv.user.id;
  F.A.values.push(inv.user.id, inv.user.email);

  // A's objects, live and test, through the admin session.
  F.A.live = await makeObjects(F.A, 'live', (m, p, b) => sess(F.A, m, p, b));
  F.A.test = await makeObjects(F.A, 'test', (m, p, b) => sess(F.A, m, p, b, 'test'));
  // An event of A's live mode (the newest: the execution above).
  F.A.live.event = expectJson(await sess(F.A, 'GET', '/v1/events?limit=1'), 200).data[0];
  Object.assign(F.A.live, { userId: F.A.userId, keyId: F.A.keys.admin.id });
  Object.assign(F.A.test, { userId: F.A.userId, keyId: F.A.testAdmin.id });

  // A's webhook endpoint (live; a port nothing listens on) and one of A's
  // live events (the outbox's, or one inserted like it when this build
  // writes none).
  F.A.live.whe = expectJson(await sess(F.A, 'POST', '/v1/webhook_endpoints',
    { url: 'http://127.0.0.1:9/matrix', events: ['*'] }), 201);
  F.A.values.push(F.A.live.whe.id);
  F.A.evt = psql(`SELECT id FROM gh.events WHERE org_id = '${F.A.org}' AND livemode ORDER BY seq DESC LIMIT 1`, S().db.name);
  if (!F.A.evt) {
    F.A.evt = `evt_matrix${uniq()}`;
    psql(`INSERT INTO gh.events (id, org_id, livemode, type, data) VALUES ('${F.A.evt}', '${F.A.org}', true, 'application.created', '{"object":{}}')`, S().db.name);
  }

  // Org B: a key with every scope, and B's own live objects made with it.
  F.B.allKey = await makeKey(F.B, SCOPES);
  F.B.live = await makeObjects(F.B, 'live', (m, p, b) => withKey(F.B.allKey.secret, m, p, b));
  Object.assign(F.B.live, { userId: F.B.userId, keyId: F.B.allKey.id });

  // A's values that must never reach B; A's live ids that must never reach a test key.
  F.A.leak = [...new Set(F.A.values.filter((v) => typeof v === 'string' && v.length > 3))];
  F.A.liveIds = Object.values(F.A.live).filter((o) => o && o.id).map((o) => o.id);

  const wait = expiresAt + 1200 - Date.now();
  if (wait > 0) await sleep(wait);
  expectError(await withKey(F.bad.expired, 'GET', '/v1/me'), 401, 'unauthorized');
  console.log(`# matrix fixtures ready in ${Date.now() - t0} ms`);
})());

// ---------------------------------------------------------------- THE table: one entry per route
//
// "METHOD path" → how to call it:
//   build()  → {id (the {id} path parameter), body, query, intact} for A's
//              live objects; DELETE builds a fresh object per call.
//   ok       → the success status for a key with the route's scope (or admin).
//   org      → the route is an `.org_path` row (also reachable as
//              /v1/orgs/{org_id}/...). `gatehouse routes` does not print it,
//              so the suite checks this flag against the server both ways.
//   modes    → false: the addressed objects are not split by mode (users and
//              keys: keys of both modes are listed, users have no mode), so
//              the other mode's key of the same org succeeds.
//   has(bag) → an id the list must contain for that org and mode.
//   allow    → non-auth 4xx accepted in place of `ok`, with the reason
//              (none needed so far: the contract fixture is deployed).
//   session  → a session-only route (API keys: 403 forbidden); build() gives
//              a body that would succeed if the check were missing.
const LIMIT = { query: 'limit=100' };
const ROUTES = {
  'GET /v1/org': { ok: 200 },
  'GET /v1/me': { ok: 200 },
  'GET /v1/auth/check': { ok: 204 },
  'GET /v1/api_keys': { ok: 200, modes: false, build: () => LIMIT, has: (b) => b.keyId },
  'GET /v1/api_keys/{id}': { ok: 200, modes: false, build: () => ({ id: F.A.keys.admin.id }) },
  'GET /v1/api_keys/{id}/usage': { ok: 200, modes: false, build: () => ({ id: F.A.keys.admin.id, query: 'granularity=day' }) },
  'GET /v1/usage': { ok: 200, modes: false, build: () => ({ query: 'granularity=day' }) },
  'GET /v1/users': { ok: 200, modes: false, build: () => LIMIT, has: (b) => b.userId },
  'GET /v1/users/{id}': { ok: 200, modes: false, build: () => ({ id: F.A.userId }) },
  // Events are split by mode; the audit log is the org's, both modes.
  'GET /v1/events': { ok: 200, build: () => LIMIT },
  'GET /v1/events/{id}': { ok: 200, build: () => ({ id: F.A.live.event.id }) },
  'GET /v1/audit_log': { ok: 200, modes: false, build: () => LIMIT },

  'GET /v1/applications': { ok: 200, org: true, build: () => LIMIT, has: (b) => b.app.id },
  'POST /v1/applications': { ok: 201, org: true, build: () => ({ body: { name: `x-${uniq()}` } }) },
  'GET /v1/applications/{id}': { ok: 200, org: true, build: () => ({ id: F.A.live.app.id }) },
  'PATCH /v1/applications/{id}': { ok: 200, org: true, build: () => ({ id: F.A.live.app.id, body: { metadata: { y: 1 } } }) },
  'DELETE /v1/applications/{id}': { ok: 204, org: true, build: () => freshA('/v1/applications', { name: `del-${uniq()}` }) },
  'POST /v1/applications/{id}/reviews': { ok: 201, org: true, build: () => ({ id: F.A.live.app.id }) },
  'GET /v1/reviews': { ok: 200, org: true, build: () => LIMIT, has: (b) => b.review.id },
  'GET /v1/reviews/{id}': { ok: 200, org: true, build: () => ({ id: F.A.live.review.id }) },
  'PATCH /v1/reviews/{id}': { ok: 200, org: true, build: () => ({ id: F.A.live.review.id, body: { status: 'running' } }) },

  'GET /v1/campaigns': { ok: 200, org: true, build: () => LIMIT, has: (b) => b.campaign.id },
  'POST /v1/campaigns': { ok: 201, org: true, build: () => ({ body: { name: `x-${uniq()}` } }) },
  'GET /v1/campaigns/{id}': { ok: 200, org: true, build: () => ({ id: F.A.live.campaign.id }) },
  'PATCH /v1/campaigns/{id}': { ok: 200, org: true, build: () => ({ id: F.A.live.campaign.id, body: { metadata: { y: 1 } } }) },
  'DELETE /v1/campaigns/{id}': { ok: 204, org: true, build: () => freshA('/v1/campaigns', { name: `del-${uniq()}` }) },
  'GET /v1/leads': { ok: 200, org: true, build: () => LIMIT, has: (b) => b.lead.id },
  'POST /v1/leads': { ok: 201, org: true, build: () => ({ body: { email: `x-${uniq()}@example.com`, name: 'x' } }) },
  'POST /v1/leads/import': { ok: 201, org: true, build: () => ({ body: { leads: [{ email: `i-${uniq()}@example.com`, name: 'i' }] } }) },
  'GET /v1/leads/{id}': { ok: 200, org: true, build: () => ({ id: F.A.live.lead.id }) },
  'PATCH /v1/leads/{id}': { ok: 200, org: true, build: () => ({ id: F.A.live.lead.id, body: { metadata: { y: 1 } } }) },
  'DELETE /v1/leads/{id}': { ok: 204, org: true, build: () => freshA('/v1/leads', { email: `del-${uniq()}@example.com`, name: 'd' }) },

  'GET /v1/contracts': { ok: 200, org: true, build: () => LIMIT, has: (b) => b.contract.id },
  'POST /v1/contracts': { ok: 201, org: true, build: () => ({ body: { name: `x-${uniq()}`, source: 'fn x() {}' } }) },
  'GET /v1/contracts/{id}': { ok: 200, org: true, build: () => ({ id: F.A.live.contract.id }) },
  'PATCH /v1/contracts/{id}': { ok: 200, org: true, build: () => ({ id: F.A.live.contract.id, body: { metadata: { y: 1 } } }) },
  'POST /v1/contracts/{id}/deploy': { ok: 200, org: true, build: () => ({ id: F.A.live.contract.id }) },
  'POST /v1/contracts/{id}/execute': { ok: 201, org: true, build: () => ({ id: F.A.live.contract.id, body: { input: { n: 1 } } }) },
  'GET /v1/contracts/{id}/executions': { ok: 200, org: true, build: () => ({ id: F.A.live.contract.id, query: 'limit=100' }) },

  'GET /v1/webhook_endpoints': { ok: 200, build: () => LIMIT },
  'GET /v1/webhook_endpoints/{id}': { ok: 200, build: () => ({ id: F.A.live.whe.id }) },
  'GET /v1/webhook_endpoints/{id}/deliveries': { ok: 200, build: () => ({ id: F.A.live.whe.id, query: 'limit=100' }) },
  'POST /v1/events/{id}/redeliver': { ok: 202, build: () => ({ id: F.A.evt }) },

  // Session-only (sensitive or the session itself): every API key is 403
  // forbidden. Bodies that would succeed without that check.
  'POST /v1/auth/logout': { session: true, build: () => ({ body: { all: true } }) },
  'GET /v1/auth/session': { session: true },
  'POST /v1/auth/reauthenticate': { session: true, build: () => ({ body: { password: 'correct horse battery staple' } }) },
  'POST /v1/auth/password': { session: true, build: () => ({ body: { current_password: 'correct horse battery staple', new_password: 'pwned pwned pwned' } }) },
  'POST /v1/api_keys': { session: true, build: () => ({ body: { name: 'pwned', scopes: ['admin'], mode: 'live' } }) },
  'POST /v1/api_keys/{id}/revoke': { session: true, build: () => ({ id: F.A.spareKey.id }) },
  'POST /v1/api_keys/{id}/rotate': { session: true, build: () => ({ id: F.A.spareKey.id, body: {} }) },
  'PATCH /v1/org': { session: true, build: () => ({ body: { name: 'pwned' } }) },
  'POST /v1/org/force_logout': { session: true },
  'POST /v1/users': { session: true, build: () => ({ body: { email: `pwned-${uniq()}@example.com`, role: 'admin' } }) },
  'PATCH /v1/users/{id}': { session: true, build: () => ({ id: F.A.memberId, body: { role: 'admin' } }) },
  'DELETE /v1/users/{id}': { session: true, build: () => ({ id: F.A.memberId }) },
  'POST /v1/users/{id}/force_logout': { session: true, build: () => ({ id: F.A.memberId }) },
  'POST /v1/webhook_endpoints': { session: true, build: () => ({ body: { url: 'http://127.0.0.1:9/pwned', events: ['*'] } }) },
  'DELETE /v1/webhook_endpoints/{id}': { session: true, build: () => ({ id: F.A.live.whe.id }) },
  'POST /v1/webhook_endpoints/{id}/rotate_secret': { session: true, build: () => ({ id: F.A.live.whe.id }) },
};

// ---------------------------------------------------------------- calling and checking

/** Calls route r with key `secret`; prefix e.g. `/v1/orgs/<id>` replaces the
 *  leading /v1. Returns {res, b} (b: what the builder made). */
async function callRoute(r, secret, { org } = {}) {
  const spec = ROUTES[rkey(r)];
  const b = (spec.build ? await spec.build() : {}) || {};
  let target = r.path.replace('{id}', () => { assert.ok(b.id, `${rkey(r)}: builder gave no id`); return b.id; });
  if (org !== undefined) target = target.replace(/^\/v1\//, `/v1/orgs/${org}/`);
  if (b.query) target += `?${b.query}`;
  const res = await withKey(secret, r.method, target, b.body);
  return { res, b };
}

const show = (res) => `${res.status} ${res.text.slice(0, 400)}`;

/** Every object in the answer (the object itself, or a list's items). */
const objectsOf = (j) => (j && j.object === 'list' && Array.isArray(j.data) ? j.data : j && typeof j === 'object' ? [j] : []);

/** Success: the route's status, and every object belongs to `org` (and to
 *  the mode, for routes split by mode). */
function expectSuccess(r, res, org, livemode) {
  const spec = ROUTES[rkey(r)];
  assert.equal(res.status, spec.ok, `${rkey(r)}: expected ${spec.ok}, got ${show(res)}`);
  if (spec.ok === 204) {
    assert.equal(res.body.length, 0, 'a 204 has no body');
    if (res.headers['gatehouse-org-id'] !== undefined) {
      assert.equal(res.headers['gatehouse-org-id'], org);
      assert.equal(res.headers['gatehouse-livemode'], String(livemode));
    }
    return null;
  }
  const j = expectJson(res, spec.ok);
  for (const o of objectsOf(j)) {
    if (o.object === 'org') assert.equal(o.id, org, 'the org of the credential');
    if ('org_id' in o) assert.equal(o.org_id, org, `object of another org in ${rkey(r)}: ${JSON.stringify(o).slice(0, 200)}`);
    if ('livemode' in o && spec.modes !== false) {
      assert.equal(o.livemode, livemode, `object of the other mode in ${rkey(r)}: ${JSON.stringify(o).slice(0, 200)}`);
    }
  }
  return j;
}

/** Nothing of A in the response (body and headers). */
function expectNoLeak(res, values = F.A.leak) {
  const all = res.rawHead + '\n' + res.text;
  const leaked = values.filter((v) => all.includes(v));
  assert.deepEqual(leaked, [], `response leaks org A's data: ${show(res)}`);
}

/** Checks after a refused call: a destroyed object must still be there. */
async function expectIntact(b) { if (b.intact) await b.intact(); }

const hasId = (r) => r.path.includes('{id}');
/** A resource scope of another resource than the route's. */
const unrelatedScope = (r) => {
  const res = new Set(r.scopes.map((s) => s.split(':')[1] ?? s));
  return RESOURCE_SCOPES.find((s) => !res.has(s.split(':')[1]));
};
/** The nearest scope that still is not enough: read:X ↔ write:X (write does
 *  not imply read), and for admin every resource scope. */
const siblingScopes = (r) => {
  if (r.scopes.length !== 1) return null;
  const [s] = r.scopes;
  if (s === 'admin') return RESOURCE_SCOPES;
  const [verb, res] = s.split(':');
  return [`${verb === 'read' ? 'write' : 'read'}:${res}`];
};

// The eleven credentials. expect: 'unauth' (401), 'ok', 'lacking' (403
// forbidden, or success on a route without scopes), 'other_org', 'other_mode'.
const CASES = [
  { name: 'no credential', key: () => null, expect: 'unauth' },
  { name: 'malformed key (sk_live_short)', key: () => F.bad.malformed, expect: 'unauth' },
  { name: 'bad checksum (last character changed)', key: () => F.bad.checksum, expect: 'unauth' },
  { name: 'unknown well-formed key (row deleted)', key: () => F.bad.unknown, expect: 'unauth' },
  { name: 'revoked key', key: () => F.bad.revoked, expect: 'unauth' },
  { name: 'expired key', key: () => F.bad.expired, expect: 'unauth' },
  { name: "another org's key (every scope)", key: () => F.B.allKey.secret, expect: 'other_org' },
  { name: "the other mode's key (sk_test_ admin of A)", key: () => F.A.testAdmin.secret, expect: 'other_mode' },
  { name: 'a key with one unrelated scope', key: (r) => keyFor([unrelatedScope(r)]), expect: 'lacking' },
  { name: 'a key with the sibling scope', key: (r) => keyFor(siblingScopes(r)), expect: 'lacking',
    skip: (r) => !siblingScopes(r) && 'the route needs no scope' },
  { name: 'a key with exactly the route\'s scope', key: (r) => keyFor(r.scopes.length ? r.scopes : ['read:applications']), expect: 'ok' },
  { name: 'an admin key', key: () => F.A.keys.admin.secret, expect: 'ok' },
];

async function runCase(r, c) {
  const spec = ROUTES[rkey(r)];
  const { res, b } = await callRoute(r, c.key(r));
  switch (c.expect) {
    case 'unauth':
      expectError(res, 401, 'unauthorized');
      await expectIntact(b);
      break;
    case 'lacking':
      if (r.scopes.length) {
        expectError(res, 403, 'forbidden');
        await expectIntact(b);
      } else {
        expectSuccess(r, res, F.A.org, true); // any credential
      }
      break;
    case 'ok': {
      if (spec.allow && spec.allow[res.status]) break; // listed, with its reason, in ROUTES
      const j = expectSuccess(r, res, F.A.org, true);
      if (spec.has && j) assert.ok(j.data.some((o) => o.id === spec.has(F.A.live)), `A's own ${spec.has(F.A.live)} missing from ${rkey(r)}`);
      if (j && b.id && r.method === 'GET' && !/\}\/(executions|usage|deliveries)$/.test(r.path)) assert.equal(j.id, b.id);
      break;
    }
    case 'other_org':
      if (hasId(r)) {
        expectError(res, 403, 'org_mismatch');
        await expectIntact(b);
      } else {
        const j = expectSuccess(r, res, F.B.org, true);
        if (spec.has && j) assert.ok(j.data.some((o) => o.id === spec.has(F.B.live)), `B's own ${spec.has(F.B.live)} missing from ${rkey(r)}`);
      }
      expectNoLeak(res);
      break;
    case 'other_mode':
      if (hasId(r) && spec.modes !== false) {
        expectError(res, 404, 'not_found');
        await expectIntact(b);
      } else {
        const j = expectSuccess(r, res, F.A.org, false);
        if (spec.modes !== false) expectNoLeak(res, F.A.liveIds);
        if (spec.has && j) assert.ok(j.data.some((o) => o.id === spec.has(F.A.test)), `A's test-mode ${spec.has(F.A.test)} missing from ${rkey(r)}`);
      }
      break;
    default: throw new Error(c.expect);
  }
}

// ---------------------------------------------------------------- coverage of the table

describe('the table covers `gatehouse routes` exactly', () => {
  test('every route accepting API keys has an entry in ROUTES', () => {
    const missing = KEY_ROUTES.map(rkey).filter((k) => !ROUTES[k] || ROUTES[k].session);
    assert.deepEqual(missing, [], 'routes accepting api_key credentials without a (non-session) entry in ROUTES');
  });
  test('every entry of ROUTES is a route of `gatehouse routes`, of the same kind', () => {
    const byKey = new Map(ALL.map((r) => [rkey(r), r]));
    const stale = Object.keys(ROUTES).filter((k) => !byKey.has(k));
    assert.deepEqual(stale, [], 'entries in ROUTES for routes that no longer exist');
    const wrongKind = Object.entries(ROUTES).filter(([k, s]) => byKey.get(k).credentials.includes('api_key') === !!s.session)
      .map(([k]) => k);
    assert.deepEqual(wrongKind, [], 'entries whose session flag disagrees with the credentials of the route');
    for (const [k, s] of Object.entries(ROUTES)) {
      if (byKey.get(k).path.includes('{id}') && !s.session) assert.ok(s.build, `${k} needs a builder for its {id}`);
    }
  });
  test('every route is open, session-only or API-key; open routes are skipped', (t) => {
    assert.equal(OPEN.length + SESSION_ONLY.length + KEY_ROUTES.length, ALL.length);
    assert.ok(KEY_ROUTES.length > 0 && SESSION_ONLY.length > 0);
    for (const r of SESSION_ONLY) assert.ok(!r.credentials.includes('api_key'));
    t.diagnostic(`${KEY_ROUTES.length} API-key routes, ${SESSION_ONLY.length} session-only, ${OPEN.length} open (skipped): ${OPEN.map(rkey).join(', ')}`);
  });
});

// ---------------------------------------------------------------- unknown routes

describe('an unknown route is 404 even without credentials', () => {
  before(setup);
  const bogus = [
    ['GET', '/v1/nope'], ['GET', '/v1/applicationz'], ['POST', '/v1/applications/app_x/nope'],
    ['GET', '/v1/leads/import/extra'], ['DELETE', '/v1/me/x'], ['GET', '/v1/orgs'], ['GET', '/v1/orgs/org_x'],
  ];
  for (const [m, p] of bogus) {
    test(`${m} ${p}: 404 without credentials, with a malformed key and with an admin key`, async () => {
      expectError(await withKey(null, m, p), 404, 'not_found');
      expectError(await withKey('sk_live_short', m, p), 404, 'not_found');
      expectError(await withKey(F.A.keys.admin.secret, m, p), 404, 'not_found');
    });
  }
  test('GET /v1/orgs/{A}/nope: 404 without credentials', async () => {
    expectError(await withKey(null, 'GET', `/v1/orgs/${F.A.org}/nope`), 404, 'not_found');
  });
  test('a known path with a wrong method is 405 before credentials', async () => {
    const r = await withKey(null, 'DELETE', `/v1/contracts/${F.A.live.contract.id}`);
    expectError(r, 405, 'method_not_allowed');
    assert.ok(r.headers.allow, 'Allow header');
  });
});

// ---------------------------------------------------------------- the matrix

let cases = 0;
for (const r of KEY_ROUTES) {
  const k = rkey(r);
  describe(`${k} [${r.scopes.join(' ') || 'any credential'}]`, () => {
    before(setup);
    const spec = ROUTES[k];
    if (!spec || spec.session) {
      test('has an entry in ROUTES', () => assert.fail(`${k} accepts API keys but has no entry in ROUTES`));
      return;
    }
    for (const c of CASES) {
      const skip = c.skip && c.skip(r);
      if (skip) { test(c.name, { skip }, () => {}); continue; }
      cases++;
      test(c.name, () => runCase(r, c));
    }
    if (spec.org) {
      const exact = () => keyFor(r.scopes.length ? r.scopes : ['read:applications']);
      cases += 4;
      test("via /v1/orgs/{A}/... with A's exact-scope key: success", async () => {
        const { res } = await callRoute(r, exact(), { org: F.A.org });
        expectSuccess(r, res, F.A.org, true);
      });
      test("via /v1/orgs/{A}/... with B's key: 403 org_mismatch, nothing of A", async () => {
        const { res, b } = await callRoute(r, F.B.allKey.secret, { org: F.A.org });
        expectError(res, 403, 'org_mismatch');
        expectNoLeak(res, F.A.leak.filter((v) => v !== F.A.org)); // A's org id is in the caller's own URL
        await expectIntact(b);
      });
      test('via /v1/orgs/{nonexistent org}/... with the exact-scope key: 403 org_mismatch', async () => {
        const { res, b } = await callRoute(r, exact(), { org: `org_${randomBytes(12).toString('hex')}` });
        expectError(res, 403, 'org_mismatch');
        await expectIntact(b);
      });
      test('via /v1/orgs/{A}/... without credentials: 401', async () => {
        const { res, b } = await callRoute(r, null, { org: F.A.org });
        expectError(res, 401, 'unauthorized');
        await expectIntact(b);
      });
    } else {
      cases += 1;
      test('not an org_path route: /v1/orgs/{A}/... is 404 (keeps ROUTES.org honest)', async () => {
        const { res } = await callRoute(r, F.A.keys.admin.secret, { org: F.A.org });
        expectError(res, 404, 'not_found');
      });
    }
  });
}

// ---------------------------------------------------------------- session-only routes refuse every API key

describe('session-only and sensitive routes refuse every API key', () => {
  before(setup);
  const KEYS = [
    ['A admin (live)', () => F.A.keys.admin.secret],
    ['A admin (test)', () => F.A.testAdmin.secret],
    ['A every resource scope', () => F.A.keys[keyName(RESOURCE_SCOPES)].secret],
    ["B's key (every scope)", () => F.B.allKey.secret],
  ];
  for (const r of SESSION_ONLY) {
    const k = rkey(r);
    const call = (secret) => {
      const spec = ROUTES[k] || {};
      const b = spec.build ? spec.build() : {};
      const target = r.path.replace('{id}', b.id ?? 'x');
      return withKey(secret, r.method, target, b.body);
    };
    cases += 1;
    test(`${k}: 403 forbidden for every valid API key; 401 without or with a malformed one`, async () => {
      for (const [label, key] of KEYS) {
        const res = await call(key());
        assert.equal(res.status, 403, `${k} with ${label}: ${show(res)}`);
        expectError(res, 403, 'forbidden');
      }
      expectError(await call(null), 401, 'unauthorized');
      expectError(await call(F.bad.malformed), 401, 'unauthorized');
    });
  }
  test('nothing changed: A\'s session still works, its org keeps its name, the member is still invited', async () => {
    const o = expectJson(await sess(F.A, 'GET', '/v1/org'), 200);
    assert.equal(o.name, F.A.orgName);
    const u = expectJson(await sess(F.A, 'GET', `/v1/users/${F.A.memberId}`), 200);
    assert.equal(u.role, 'member');
    const k = expectJson(await sess(F.A, 'GET', `/v1/api_keys/${F.A.spareKey.id}`), 200);
    assert.equal(k.revoked_at, null);
  });
});

describe('afterwards', () => {
  test('no 5xx and unique Request-Ids', (t) => {
    t.diagnostic(`${KEY_ROUTES.length} API-key routes × ${CASES.length} credentials; ${cases} generated cases; ${S().responses.length} requests`);
    expectNo5xx(S());
    expectUniqueRequestIds(S());
  });
});
