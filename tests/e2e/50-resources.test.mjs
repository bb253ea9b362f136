// Resources of the three platforms (api.md): applications and reviews,
// campaigns and leads, contracts and executions. For every resource: exact
// object shapes, create/get/list/patch/delete, pagination, body validation,
// org isolation (403 org_mismatch, never the data), mode isolation (404),
// /v1/orgs/{org_id}/... paths, 401 without credentials. Then each
// resource's own rules: review trigger and results, lead e-mail and
// campaign_id, all-or-nothing lead import, contract deploy/execute.
// Sessions are the credential here (API-key scope tests live elsewhere);
// `Gatehouse-Mode: test` switches a session's request to test-mode data.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  useServer, expectError, expectJson, expectNo5xx, expectUniqueRequestIds, signup, RFC3339_UTC_RE,
} from './harness.mjs';

// Rate limits are not under test here, and the pagination and import tests
// send many requests from one session.
const ctx = useServer({ env: { GATEHOUSE_RATE_LIMITS: 'off' } });
const S = () => ctx.srv;

// ---------------------------------------------------------------- helpers

async function newOrg() {
  const s = await signup(S());
  const b = expectJson(s.res, 201);
  return { org: b.org.id, cookie: s.cookies.gh_session.value, csrf: b.csrf_token };
}

/** A request as `who` (null: no credentials). Unsafe methods carry the
 *  session's CSRF token; mode 'test' adds Gatehouse-Mode: test. */
function call(who, method, path, body, { mode } = {}) {
  const headers = {};
  const opts = { headers };
  if (who) {
    opts.cookies = { gh_session: who.cookie };
    if (method !== 'GET') headers['X-CSRF-Token'] = who.csrf;
    if (mode === 'test') headers['Gatehouse-Mode'] = 'test';
  }
  if (body !== undefined) opts.json = body;
  return S().request(method, path, opts);
}
const get = (who, path, o) => call(who, 'GET', path, undefined, o);

/** No trace of an object in a response: neither its values nor its keys. */
function expectNoData(res, obj) {
  for (const [k, v] of Object.entries(obj)) {
    if (['object', 'livemode', 'created_at', 'updated_at', 'org_id', 'status', 'deployed_at'].includes(k)) continue;
    if (typeof v === 'string' && v.length > 3) assert.ok(!res.text.includes(v), `response leaks ${k}=${v}: ${res.text}`);
  }
}

const COMMON = ['object', 'id', 'org_id', 'livemode', 'created_at'];

/** The exact shape every resource object shares. */
function checkObject(o, spec, who, { live = true } = {}) {
  assert.deepEqual(Object.keys(o).sort(), [...COMMON, ...spec.fields].sort(), `${spec.object} keys`);
  assert.equal(o.object, spec.object);
  assert.match(o.id, new RegExp(`^${spec.prefix}[A-Za-z0-9]{10,}$`));
  assert.equal(o.org_id, who.org);
  assert.equal(o.livemode, live);
  assert.match(o.created_at, RFC3339_UTC_RE);
  if (spec.fields.includes('updated_at')) assert.match(o.updated_at, RFC3339_UTC_RE);
  assert.ok(Math.abs(Date.parse(o.created_at) - Date.now()) < 120_000, 'created_at is about now');
}

// ---------------------------------------------------------------- resources

/** Per resource: how to make one (as who, in a mode), how to patch it, and
 *  what it looks like. */
const SPECS = {
  applications: {
    path: '/v1/applications', prefix: 'app_', object: 'application',
    fields: ['name', 'data', 'metadata', 'updated_at'],
    body: (i) => ({ name: `App ${i} ${Math.random().toString(36).slice(2)}`, data: { i, nested: { ok: true } }, metadata: { tier: 'gold' } }),
    patch: { name: 'Renamed app', metadata: { tier: 'silver' } },
    deletable: true,
  },
  reviews: {
    path: '/v1/reviews', prefix: 'rev_', object: 'review',
    fields: ['application_id', 'status', 'result', 'updated_at'],
    // Made through its application: POST /v1/applications/{id}/reviews.
    async make(who, i, opts) {
      const app = await SPECS.applications.make(who, i, opts);
      return expectJson(await call(who, 'POST', `/v1/applications/${app.id}/reviews`, undefined, opts), 201);
    },
    patch: { status: 'completed', result: { score: 0.93, flags: ['a', 'b'] } },
    statusRequired: true, // a review PATCH always says the status
    deletable: false, // no DELETE route: 405
  },
  campaigns: {
    path: '/v1/campaigns', prefix: 'cmp_', object: 'campaign',
    fields: ['name', 'status', 'metadata', 'updated_at'],
    body: (i) => ({ name: `Campaign ${i} ${Math.random().toString(36).slice(2)}`, metadata: { channel: 'email' } }),
    patch: { status: 'active', name: 'Spring push' },
    deletable: true,
  },
  leads: {
    path: '/v1/leads', prefix: 'lead_', object: 'lead',
    fields: ['email', 'name', 'campaign_id', 'metadata', 'updated_at'],
    body: (i) => ({ email: `lead${i}-${Math.random().toString(36).slice(2)}@example.com`, name: `Lead ${i}`, metadata: { src: 'web' } }),
    patch: { name: 'Renamed lead', email: 'renamed@example.org' },
    deletable: true,
  },
  contracts: {
    path: '/v1/contracts', prefix: 'ctr_', object: 'contract',
    fields: ['name', 'source', 'status', 'deployed_at', 'metadata', 'updated_at'],
    body: (i) => ({ name: `Contract ${i} ${Math.random().toString(36).slice(2)}`, source: `fn main() { ${i} }` }),
    patch: { source: 'fn main() { 42 }', metadata: { v: 2 } },
    deletable: false,
  },
};
for (const spec of Object.values(SPECS)) {
  spec.make ||= async (who, i, opts) => expectJson(await call(who, 'POST', spec.path, spec.body(i), opts), 201);
}

// Two orgs shared by the suites, made once the server is up (a describe's
// own before hook runs after useServer's).
let alice, bob, made;
const orgs = () => (made ||= (async () => { alice = await newOrg(); bob = await newOrg(); })());

for (const [name, spec] of Object.entries(SPECS)) {
  describe(`${name}: common behaviour`, () => {
  before(orgs);
    test('create: 201 with the exact object; get returns the same', async () => {
      const o = await spec.make(alice, 1);
      checkObject(o, spec, alice);
      if (spec.body) for (const [k, v] of Object.entries(spec.body(1))) if (k !== 'name' && k !== 'email') assert.deepEqual(o[k], v, k);
      const g = expectJson(await get(alice, `${spec.path}/${o.id}`), 200);
      assert.deepEqual(g, o);
    });

    test('PATCH: 200 with the fields changed and the rest kept; empty PATCH changes nothing', async () => {
      const o = await spec.make(alice, 2);
      await new Promise((r) => setTimeout(r, 1100)); // so that updated_at can move
      const p = expectJson(await call(alice, 'PATCH', `${spec.path}/${o.id}`, spec.patch), 200);
      checkObject(p, spec, alice);
      for (const [k, v] of Object.entries(spec.patch)) assert.deepEqual(p[k], v, k);
      for (const k of spec.fields) if (!(k in spec.patch) && k !== 'updated_at') assert.deepEqual(p[k], o[k], `${k} kept`);
      assert.equal(p.id, o.id); assert.equal(p.created_at, o.created_at);
      assert.ok(Date.parse(p.updated_at) > Date.parse(o.updated_at), 'updated_at moves on PATCH');
      const empty = await call(alice, 'PATCH', `${spec.path}/${o.id}`, {});
      if (spec.statusRequired) expectError(empty, 400, 'invalid_request', { param: 'status' });
      else assert.deepEqual(expectJson(empty, 200), p);
      assert.deepEqual(expectJson(await get(alice, `${spec.path}/${o.id}`), 200), p);
    });

    test('fields never taken from the client, and unknown fields: 400 naming them', async () => {
      const o = await spec.make(alice, 3);
      for (const f of ['id', 'object', 'org_id', 'livemode', 'created_at', 'updated_at', 'nonsense']) {
        const extra = { [f]: f === 'livemode' ? false : 'x' };
        if (spec.body) expectError(await call(alice, 'POST', spec.path, { ...spec.body(3), ...extra }), 400, 'invalid_request', { param: f });
        expectError(await call(alice, 'PATCH', `${spec.path}/${o.id}`, extra), 400, 'invalid_request', { param: f });
      }
      assert.deepEqual(expectJson(await get(alice, `${spec.path}/${o.id}`), 200), o, 'unchanged');
    });

    if (spec.deletable) {
      test('DELETE: 204 with no body; then 404 for get, PATCH and DELETE', async () => {
        const o = await spec.make(alice, 4);
        const d = await call(alice, 'DELETE', `${spec.path}/${o.id}`);
        assert.equal(d.status, 204); assert.equal(d.body.length, 0);
        expectError(await get(alice, `${spec.path}/${o.id}`), 404, 'not_found');
        expectError(await call(alice, 'PATCH', `${spec.path}/${o.id}`, spec.patch), 404, 'not_found');
        expectError(await call(alice, 'DELETE', `${spec.path}/${o.id}`), 404, 'not_found');
      });
    } else {
      test('DELETE is 405 with Allow', async () => {
        const o = await spec.make(alice, 4);
        const d = await call(alice, 'DELETE', `${spec.path}/${o.id}`);
        expectError(d, 405, 'method_not_allowed');
        const allow = d.headers.allow.split(/,\s*/).sort();
        assert.deepEqual(allow, ['GET', 'PATCH']);
        expectJson(await get(alice, `${spec.path}/${o.id}`), 200);
      });
    }

    test('list: newest first, limit, starting_after, has_more', async () => {
      const me = await newOrg();
      const made = [];
      for (let i = 0; i < 5; i++) made.push(await spec.make(me, i));
      const newest = made.map((o) => o.id).reverse();
      const all = expectJson(await get(me, spec.path), 200);
      assert.deepEqual(Object.keys(all), ['object', 'data', 'has_more']);
      assert.equal(all.object, 'list'); assert.equal(all.has_more, false);
      assert.deepEqual(all.data.map((o) => o.id), newest, 'newest first, also within one second');
      assert.deepEqual(all.data[0], made[4], 'list items are the full objects');
      const p1 = expectJson(await get(me, `${spec.path}?limit=2`), 200);
      assert.deepEqual(p1.data.map((o) => o.id), newest.slice(0, 2)); assert.equal(p1.has_more, true);
      const p2 = expectJson(await get(me, `${spec.path}?limit=2&starting_after=${p1.data[1].id}`), 200);
      assert.deepEqual(p2.data.map((o) => o.id), newest.slice(2, 4)); assert.equal(p2.has_more, true);
      const p3 = expectJson(await get(me, `${spec.path}?limit=2&starting_after=${p2.data[1].id}`), 200);
      assert.deepEqual(p3.data.map((o) => o.id), newest.slice(4)); assert.equal(p3.has_more, false);
      const end = expectJson(await get(me, `${spec.path}?starting_after=${newest[4]}`), 200);
      assert.deepEqual(end.data, []); assert.equal(end.has_more, false);
      const exact = expectJson(await get(me, `${spec.path}?limit=5`), 200);
      assert.equal(exact.data.length, 5); assert.equal(exact.has_more, false);
      expectJson(await get(me, `${spec.path}?limit=1`), 200);
      expectJson(await get(me, `${spec.path}?limit=100`), 200);
    });

    test('list: a bad limit or cursor is 400 naming it', async () => {
      // ASCII digits only: no sign, no spaces ('+' in a query is a space; %2B is '+').
      for (const l of ['0', '101', 'abc', '-1', '1.5', '', '20x', '%2B5', '+5', '%205', '5%20', '%095', '-0', '0x5']) {
        expectError(await get(alice, `${spec.path}?limit=${l}`), 400, 'invalid_request', { param: 'limit' });
      }
      const foreign = await spec.make(bob, 5);
      const otherKind = spec.prefix === 'app_' ? (await SPECS.campaigns.make(alice, 5)).id : (await SPECS.applications.make(alice, 5)).id;
      for (const c of ['garbage', `${spec.prefix}Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9`, foreign.id, otherKind]) {
        expectError(await get(alice, `${spec.path}?starting_after=${c}`), 400, 'invalid_request', { param: 'starting_after' });
      }
    });

    test("another org's object: 403 org_mismatch for get, PATCH, DELETE, never its data; not in lists", async () => {
      const o = await spec.make(alice, 6);
      for (const [m, b] of [['GET'], ['PATCH', spec.patch], ['DELETE']]) {
        const res = await call(bob, m, `${spec.path}/${o.id}`, b);
        if (m === 'DELETE' && !spec.deletable) { expectError(res, 405, 'method_not_allowed'); continue; }
        expectError(res, 403, 'org_mismatch');
        expectNoData(res, o);
      }
      assert.deepEqual(expectJson(await get(alice, `${spec.path}/${o.id}`), 200), o, 'unchanged by the attempts');
      const l = expectJson(await get(bob, `${spec.path}?limit=100`), 200);
      assert.ok(!l.data.some((x) => x.id === o.id));
    });

    test('the same org, other mode: 404, and not in the other mode\'s list', async () => {
      const t = await spec.make(alice, 7, { mode: 'test' });
      checkObject(t, spec, alice, { live: false });
      assert.deepEqual(expectJson(await get(alice, `${spec.path}/${t.id}`, { mode: 'test' }), 200), t);
      expectError(await get(alice, `${spec.path}/${t.id}`), 404, 'not_found');
      expectError(await call(alice, 'PATCH', `${spec.path}/${t.id}`, spec.patch), 404, 'not_found');
      if (spec.deletable) expectError(await call(alice, 'DELETE', `${spec.path}/${t.id}`), 404, 'not_found');
      const live = expectJson(await get(alice, `${spec.path}?limit=100`), 200);
      assert.ok(!live.data.some((x) => x.id === t.id), 'test object in the live list');
      assert.ok(live.data.every((x) => x.livemode === true));
      const tl = expectJson(await get(alice, `${spec.path}?limit=100`, { mode: 'test' }), 200);
      assert.ok(tl.data.some((x) => x.id === t.id));
      assert.ok(tl.data.every((x) => x.livemode === false));
      // A live object is 404 from test mode too.
      const l = await spec.make(alice, 8);
      expectError(await get(alice, `${spec.path}/${l.id}`, { mode: 'test' }), 404, 'not_found');
    });

    test('malformed, unknown and other-kind ids: 404', async () => {
      const other = spec.prefix === 'cmp_' ? await SPECS.applications.make(alice, 9) : await SPECS.campaigns.make(alice, 9);
      for (const id of ['nope', `${spec.prefix}`, `${spec.prefix}Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9`, `${spec.prefix}a'b`, other.id]) {
        expectError(await get(alice, `${spec.path}/${encodeURIComponent(id)}`), 404, 'not_found');
      }
    });

    test('/v1/orgs/{own org}/... works; another org id in the URL is 403 org_mismatch', async () => {
      const o = await spec.make(alice, 10);
      const inner = spec.path.replace('/v1/', '');
      const l = expectJson(await get(alice, `/v1/orgs/${alice.org}/${inner}?limit=100`), 200);
      assert.ok(l.data.some((x) => x.id === o.id));
      assert.deepEqual(expectJson(await get(alice, `/v1/orgs/${alice.org}/${inner}/${o.id}`), 200), o);
      for (const org of [bob.org, 'org_Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9', 'garbage']) {
        const r = await get(alice, `/v1/orgs/${org}/${inner}/${o.id}`);
        expectError(r, 403, 'org_mismatch');
        expectNoData(r, o);
        expectError(await get(alice, `/v1/orgs/${org}/${inner}`), 403, 'org_mismatch');
      }
    });

    test('no credentials: 401 on every route', async () => {
      const o = await spec.make(alice, 11);
      expectError(await get(null, spec.path), 401, 'unauthorized');
      expectError(await get(null, `${spec.path}/${o.id}`), 401, 'unauthorized');
      expectError(await call(null, 'PATCH', `${spec.path}/${o.id}`, spec.patch), 401, 'unauthorized');
      if (spec.body) expectError(await call(null, 'POST', spec.path, spec.body(11)), 401, 'unauthorized');
      if (spec.deletable) expectError(await call(null, 'DELETE', `${spec.path}/${o.id}`), 401, 'unauthorized');
      expectError(await get(null, `/v1/orgs/${alice.org}${spec.path.slice(3)}`), 401, 'unauthorized');
      expectJson(await get(alice, `${spec.path}/${o.id}`), 200);
    });

  });
}

// ---------------------------------------------------------------- applications

describe('applications', () => {
  before(orgs);
  test('defaults: data and metadata are {} when not given', async () => {
    const o = expectJson(await call(alice, 'POST', '/v1/applications', { name: 'Bare' }), 201);
    assert.deepEqual(o.data, {}); assert.deepEqual(o.metadata, {});
  });

  test('validation: name required, 1..200 characters; data/metadata must be objects', async () => {
    expectError(await call(alice, 'POST', '/v1/applications', {}), 400, 'invalid_request', { param: 'name' });
    expectError(await call(alice, 'POST', '/v1/applications', { name: '' }), 400, 'invalid_request', { param: 'name' });
    expectError(await call(alice, 'POST', '/v1/applications', { name: 'x'.repeat(201) }), 400, 'invalid_request', { param: 'name' });
    expectError(await call(alice, 'POST', '/v1/applications', { name: 5 }), 400, 'invalid_request', { param: 'name' });
    expectError(await call(alice, 'POST', '/v1/applications', { name: null }), 400, 'invalid_request', { param: 'name' });
    expectJson(await call(alice, 'POST', '/v1/applications', { name: 'é'.repeat(200) }), 201);
    for (const bad of [[1], 'str', 3, null, true]) {
      expectError(await call(alice, 'POST', '/v1/applications', { name: 'A', data: bad }), 400, 'invalid_request', { param: 'data' });
      expectError(await call(alice, 'POST', '/v1/applications', { name: 'A', metadata: bad }), 400, 'invalid_request', { param: 'metadata' });
    }
    const o = expectJson(await call(alice, 'POST', '/v1/applications', { name: 'A' }), 201);
    expectError(await call(alice, 'PATCH', `/v1/applications/${o.id}`, { name: '' }), 400, 'invalid_request', { param: 'name' });
    expectError(await call(alice, 'PATCH', `/v1/applications/${o.id}`, { data: [] }), 400, 'invalid_request', { param: 'data' });
    // The body is checked before the object is looked up.
    expectError(await call(alice, 'PATCH', '/v1/applications/app_Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9', { name: '' }), 400, 'invalid_request', { param: 'name' });
  });

  test('data and metadata round-trip verbatim (Unicode, nesting, quotes, SQL-ish text)', async () => {
    const data = { s: "Robert'); DROP TABLE gh.applications;--", u: 'Ünïcødé 🚀', n: [1, 2.5, -3, null, true], o: { a: { b: { c: 'd' } } } };
    const o = expectJson(await call(alice, 'POST', '/v1/applications', { name: "O'Brien \"quoted\"", data, metadata: { 'k"ey': 'v\\al' } }), 201);
    assert.deepEqual(o.data, data);
    assert.equal(o.name, "O'Brien \"quoted\"");
    assert.deepEqual(expectJson(await get(alice, `/v1/applications/${o.id}`), 200).metadata, { 'k"ey': 'v\\al' });
  });

  test('a PATCH replaces data/metadata as a whole', async () => {
    const o = expectJson(await call(alice, 'POST', '/v1/applications', { name: 'A', data: { a: 1, b: 2 } }), 201);
    const p = expectJson(await call(alice, 'PATCH', `/v1/applications/${o.id}`, { data: { c: 3 } }), 200);
    assert.deepEqual(p.data, { c: 3 });
  });
});

// ---------------------------------------------------------------- reviews

describe('reviews', () => {
  before(orgs);
  test('POST /v1/applications/{id}/reviews: 201, status queued, result null', async () => {
    const app = await SPECS.applications.make(alice, 20);
    const r = expectJson(await call(alice, 'POST', `/v1/applications/${app.id}/reviews`), 201);
    checkObject(r, SPECS.reviews, alice);
    assert.equal(r.application_id, app.id); assert.equal(r.status, 'queued'); assert.equal(r.result, null);
    const l = expectJson(await get(alice, '/v1/reviews'), 200);
    assert.deepEqual(l.data[0], r);
    // Two reviews of one application are two objects.
    const r2 = expectJson(await call(alice, 'POST', `/v1/applications/${app.id}/reviews`), 201);
    assert.notEqual(r2.id, r.id);
  });

  test('requesting a review: no body fields; the application must be in the caller\'s org and mode', async () => {
    const app = await SPECS.applications.make(alice, 21);
    expectError(await call(alice, 'POST', `/v1/applications/${app.id}/reviews`, { status: 'completed' }), 400, 'invalid_request', { param: 'status' });
    expectError(await call(alice, 'POST', '/v1/applications/app_Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9/reviews'), 404, 'not_found');
    expectError(await call(alice, 'POST', '/v1/applications/garbage/reviews'), 404, 'not_found');
    const r = await call(bob, 'POST', `/v1/applications/${app.id}/reviews`);
    expectError(r, 403, 'org_mismatch'); expectNoData(r, app);
    expectError(await call(alice, 'POST', `/v1/applications/${app.id}/reviews`, undefined, { mode: 'test' }), 404, 'not_found');
    const l = expectJson(await get(bob, '/v1/reviews?limit=100'), 200);
    assert.ok(!l.data.some((x) => x.application_id === app.id), 'no review was made for another org');
  });

  test('PATCH: status must be one of the four; result is any JSON, null clears it', async () => {
    const r = await SPECS.reviews.make(alice, 22);
    for (const st of ['queued', 'running', 'completed', 'failed']) {
      assert.equal(expectJson(await call(alice, 'PATCH', `/v1/reviews/${r.id}`, { status: st }), 200).status, st);
    }
    for (const result of [{ a: 1 }, [1, 'two'], 'text', 7, true]) {
      assert.deepEqual(expectJson(await call(alice, 'PATCH', `/v1/reviews/${r.id}`, { status: 'completed', result }), 200).result, result);
    }
    assert.equal(expectJson(await call(alice, 'PATCH', `/v1/reviews/${r.id}`, { status: 'failed', result: null }), 200).result, null);
    for (const st of ['done', 'QUEUED', '', 'queued ']) {
      expectError(await call(alice, 'PATCH', `/v1/reviews/${r.id}`, { status: st }), 400, 'invalid_request', { param: 'status' });
    }
    expectError(await call(alice, 'PATCH', `/v1/reviews/${r.id}`, { status: 3 }), 400, 'invalid_request', { param: 'status' });
    expectError(await call(alice, 'PATCH', `/v1/reviews/${r.id}`, { status: null }), 400, 'invalid_request', { param: 'status' });
  });

  test('deleting the application removes its reviews', async () => {
    const r = await SPECS.reviews.make(alice, 23);
    assert.equal((await call(alice, 'DELETE', `/v1/applications/${r.application_id}`)).status, 204);
    expectError(await get(alice, `/v1/reviews/${r.id}`), 404, 'not_found');
  });
});

// ---------------------------------------------------------------- campaigns

describe('campaigns', () => {
  before(orgs);
  test('status defaults to draft; any of the four is accepted, nothing else', async () => {
    const c = expectJson(await call(alice, 'POST', '/v1/campaigns', { name: 'C' }), 201);
    assert.equal(c.status, 'draft'); assert.deepEqual(c.metadata, {});
    for (const st of ['draft', 'active', 'paused', 'archived']) {
      assert.equal(expectJson(await call(alice, 'POST', '/v1/campaigns', { name: 'C', status: st }), 201).status, st);
      assert.equal(expectJson(await call(alice, 'PATCH', `/v1/campaigns/${c.id}`, { status: st }), 200).status, st);
    }
    for (const st of ['deleted', 'Active', '']) {
      expectError(await call(alice, 'POST', '/v1/campaigns', { name: 'C', status: st }), 400, 'invalid_request', { param: 'status' });
      expectError(await call(alice, 'PATCH', `/v1/campaigns/${c.id}`, { status: st }), 400, 'invalid_request', { param: 'status' });
    }
    expectError(await call(alice, 'POST', '/v1/campaigns', { status: 'draft' }), 400, 'invalid_request', { param: 'name' });
    expectError(await call(alice, 'POST', '/v1/campaigns', { name: 'C', metadata: [] }), 400, 'invalid_request', { param: 'metadata' });
  });
});

// ---------------------------------------------------------------- leads

describe('leads', () => {
  let campaign, bobCampaign, testCampaign;
  before(async () => {
    await orgs();
    campaign = await SPECS.campaigns.make(alice, 30);
    bobCampaign = await SPECS.campaigns.make(bob, 31);
    testCampaign = await SPECS.campaigns.make(alice, 32, { mode: 'test' });
  });

  test('email only: name and campaign_id null, metadata {}', async () => {
    const l = expectJson(await call(alice, 'POST', '/v1/leads', { email: 'only@example.com' }), 201);
    assert.equal(l.email, 'only@example.com'); assert.equal(l.name, null); assert.equal(l.campaign_id, null);
    assert.deepEqual(l.metadata, {});
  });

  test('email must look like an email address', async () => {
    expectError(await call(alice, 'POST', '/v1/leads', {}), 400, 'invalid_request', { param: 'email' });
    for (const email of ['not-an-email', '', 'a@', '@example.com', 'a b@example.com', 'a@b@example.com', 'x'.repeat(300) + '@example.com',
      'a@..com', 'a@.example.com', 'a@example..com', 'a@example.com.', 'a@example']) {
      expectError(await call(alice, 'POST', '/v1/leads', { email }), 400, 'invalid_request', { param: 'email' });
    }
    for (const email of ['first.last+tag@mail.example.co.uk', 'o\'brien@sub-domain.example.org']) {
      assert.equal(expectJson(await call(alice, 'POST', '/v1/leads', { email }), 201).email, email);
    }
    const l = expectJson(await call(alice, 'POST', '/v1/leads', { email: 'ok@example.com' }), 201);
    // The body (400) before the addressed lead (404), as api.md orders them.
    for (const id of ['garbage', 'lead_doesnotexist0000000000']) {
      expectError(await call(alice, 'PATCH', `/v1/leads/${id}`, { email: 'a@..com' }), 400, 'invalid_request', { param: 'email' });
    }
    expectError(await call(alice, 'PATCH', `/v1/leads/${l.id}`, { email: 'nope' }), 400, 'invalid_request', { param: 'email' });
    expectError(await call(alice, 'PATCH', `/v1/leads/${l.id}`, { email: null }), 400, 'invalid_request', { param: 'email' });
    expectError(await call(alice, 'POST', '/v1/leads', { email: 'ok@example.com', name: '' }), 400, 'invalid_request', { param: 'name' });
  });

  test('campaign_id: own campaign OK; null clears it; deleting the campaign clears it', async () => {
    const c = await SPECS.campaigns.make(alice, 33);
    const l = expectJson(await call(alice, 'POST', '/v1/leads', { email: 'c@example.com', campaign_id: c.id }), 201);
    assert.equal(l.campaign_id, c.id);
    assert.equal(expectJson(await call(alice, 'PATCH', `/v1/leads/${l.id}`, { campaign_id: null }), 200).campaign_id, null);
    assert.equal(expectJson(await call(alice, 'PATCH', `/v1/leads/${l.id}`, { campaign_id: c.id, name: null }), 200).campaign_id, c.id);
    assert.equal((await call(alice, 'DELETE', `/v1/campaigns/${c.id}`)).status, 204);
    const after = expectJson(await get(alice, `/v1/leads/${l.id}`), 200);
    assert.equal(after.campaign_id, null); assert.equal(after.email, 'c@example.com');
  });

  test("campaign_id of another org: 403 org_mismatch; unknown, malformed or other mode: 400 campaign_id", async () => {
    const n0 = expectJson(await get(alice, '/v1/leads?limit=100'), 200).data.length;
    const r = await call(alice, 'POST', '/v1/leads', { email: 'x@example.com', campaign_id: bobCampaign.id });
    expectError(r, 403, 'org_mismatch'); expectNoData(r, bobCampaign);
    for (const id of ['cmp_Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9', 'garbage', testCampaign.id, SPECS.applications.prefix + 'Zz9Zz9Zz9']) {
      expectError(await call(alice, 'POST', '/v1/leads', { email: 'x@example.com', campaign_id: id }), 400, 'invalid_request', { param: 'campaign_id' });
    }
    assert.equal(expectJson(await get(alice, '/v1/leads?limit=100'), 200).data.length, n0, 'nothing was created');
    const l = expectJson(await call(alice, 'POST', '/v1/leads', { email: 'y@example.com', campaign_id: campaign.id }), 201);
    expectError(await call(alice, 'PATCH', `/v1/leads/${l.id}`, { campaign_id: bobCampaign.id }), 403, 'org_mismatch');
    expectError(await call(alice, 'PATCH', `/v1/leads/${l.id}`, { campaign_id: testCampaign.id }), 400, 'invalid_request', { param: 'campaign_id' });
    assert.equal(expectJson(await get(alice, `/v1/leads/${l.id}`), 200).campaign_id, campaign.id, 'unchanged');
    // In test mode, the test-mode campaign is the right one.
    const t = expectJson(await call(alice, 'POST', '/v1/leads', { email: 't@example.com', campaign_id: testCampaign.id }, { mode: 'test' }), 201);
    assert.equal(t.campaign_id, testCampaign.id); assert.equal(t.livemode, false);
    expectError(await call(alice, 'POST', '/v1/leads', { email: 't@example.com', campaign_id: campaign.id }, { mode: 'test' }), 400, 'invalid_request', { param: 'campaign_id' });
  });
});

// ---------------------------------------------------------------- lead import

describe('POST /v1/leads/import', () => {
  let me, campaign, bobCampaign;
  before(async () => {
    await orgs();
    me = await newOrg();
    campaign = await SPECS.campaigns.make(me, 40);
    bobCampaign = await SPECS.campaigns.make(bob, 41);
  });
  const count = async (who, opts) => {
    let n = 0; let after = '';
    for (;;) {
      const p = expectJson(await get(who, `/v1/leads?limit=100${after}`, opts), 200);
      n += p.data.length;
      if (!p.has_more) return n;
      after = `&starting_after=${p.data[p.data.length - 1].id}`;
    }
  };
  const leads = (n, over = {}) => Array.from({ length: n }, (_, i) => ({ email: `imp${i}-${Math.random().toString(36).slice(2)}@example.com`, ...(over[i] || {}) }));

  test('201 with the created leads as a list, in the request\'s order; lists show them newest first', async () => {
    const input = leads(3, { 0: { name: 'First', metadata: { a: 1 } }, 1: { campaign_id: campaign.id }, 2: { name: null, campaign_id: null } });
    const r = expectJson(await call(me, 'POST', '/v1/leads/import', { leads: input }), 201);
    assert.deepEqual(Object.keys(r), ['object', 'data', 'has_more']);
    assert.equal(r.object, 'list'); assert.equal(r.has_more, false); assert.equal(r.data.length, 3);
    r.data.forEach((l, i) => {
      checkObject(l, SPECS.leads, me);
      assert.equal(l.email, input[i].email);
    });
    assert.equal(r.data[0].name, 'First'); assert.deepEqual(r.data[0].metadata, { a: 1 });
    assert.equal(r.data[1].campaign_id, campaign.id); assert.equal(r.data[1].name, null);
    assert.equal(r.data[2].campaign_id, null); assert.deepEqual(r.data[2].metadata, {});
    assert.equal(new Set(r.data.map((l) => l.id)).size, 3);
    const l = expectJson(await get(me, '/v1/leads?limit=3'), 200);
    assert.deepEqual(l.data.map((x) => x.id), r.data.map((x) => x.id).reverse());
    assert.deepEqual(expectJson(await get(me, `/v1/leads/${r.data[0].id}`), 200), r.data[0]);
  });

  test('all or nothing: a bad 3rd lead is 400 naming it, and nothing is kept', async () => {
    const n0 = await count(me);
    const cases = [
      [{ email: 'not-an-email' }, 'leads[2].email', 400],
      [{ email: undefined }, 'leads[2].email', 400],
      [{ bogus: 1 }, 'leads[2].bogus', 400],
      [{ id: 'lead_x' }, 'leads[2].id', 400],
      [{ name: '' }, 'leads[2].name', 400],
      [{ name: 7 }, 'leads[2].name', 400],
      [{ metadata: [] }, 'leads[2].metadata', 400],
      [{ campaign_id: 'cmp_Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9' }, 'leads[2].campaign_id', 400],
      [{ campaign_id: 'garbage' }, 'leads[2].campaign_id', 400],
      [{ campaign_id: bobCampaign.id }, 'leads[2].campaign_id', 403],
    ];
    for (const [bad, param, status] of cases) {
      const input = leads(5, { 1: { campaign_id: campaign.id }, 2: bad });
      if ('email' in bad && bad.email === undefined) delete input[2].email;
      const r = await call(me, 'POST', '/v1/leads/import', { leads: input });
      expectError(r, status, status === 403 ? 'org_mismatch' : 'invalid_request', { param });
      if (status === 403) expectNoData(r, bobCampaign);
    }
    const notObject = leads(3); notObject[2] = 'lead@example.com';
    expectError(await call(me, 'POST', '/v1/leads/import', { leads: notObject }), 400, 'invalid_request', { param: 'leads[2]' });
    assert.equal(await count(me), n0, 'no lead was kept');
  });

  test('1..1000 leads: 0 and 1001 are 400 param leads; 1000 is 201', async () => {
    const n0 = await count(me);
    expectError(await call(me, 'POST', '/v1/leads/import', { leads: [] }), 400, 'invalid_request', { param: 'leads' });
    expectError(await call(me, 'POST', '/v1/leads/import', { leads: leads(1001) }), 400, 'invalid_request', { param: 'leads' });
    expectError(await call(me, 'POST', '/v1/leads/import', {}), 400, 'invalid_request', { param: 'leads' });
    expectError(await call(me, 'POST', '/v1/leads/import', { leads: { email: 'a@example.com' } }), 400, 'invalid_request', { param: 'leads' });
    expectError(await call(me, 'POST', '/v1/leads/import', { leads: leads(1), extra: 1 }), 400, 'invalid_request', { param: 'extra' });
    assert.equal(await count(me), n0);
    const input = leads(1000);
    const r = expectJson(await call(me, 'POST', '/v1/leads/import', { leads: input }), 201);
    assert.equal(r.data.length, 1000); assert.equal(r.has_more, false);
    assert.deepEqual(r.data.map((l) => l.email), input.map((l) => l.email));
    assert.equal(await count(me), n0 + 1000);
    const newest = expectJson(await get(me, '/v1/leads?limit=1'), 200);
    assert.equal(newest.data[0].id, r.data[999].id);
  });

  test('imports land in the caller\'s mode; the other org sees none of them', async () => {
    const liveBefore = await count(me);
    const r = expectJson(await call(me, 'POST', '/v1/leads/import', { leads: leads(2) }, { mode: 'test' }), 201);
    assert.ok(r.data.every((l) => l.livemode === false));
    assert.equal(await count(me), liveBefore);
    expectError(await get(me, `/v1/leads/${r.data[0].id}`), 404, 'not_found');
    expectError(await get(bob, `/v1/leads/${r.data[0].id}`), 403, 'org_mismatch');
    expectError(await call(me, 'POST', '/v1/leads/import', { leads: leads(1, { 0: { campaign_id: campaign.id } }) }, { mode: 'test' }), 400, 'invalid_request', { param: 'leads[0].campaign_id' });
  });

  test('no credentials: 401', async () => {
    expectError(await call(null, 'POST', '/v1/leads/import', { leads: leads(1) }), 401, 'unauthorized');
  });
});

// ---------------------------------------------------------------- contracts

describe('contracts', () => {
  before(orgs);
  test('a new contract is a draft; name and source are required; status is not writable', async () => {
    const c = expectJson(await call(alice, 'POST', '/v1/contracts', { name: 'K', source: 'x' }), 201);
    assert.equal(c.status, 'draft'); assert.equal(c.deployed_at, null); assert.deepEqual(c.metadata, {});
    expectError(await call(alice, 'POST', '/v1/contracts', { name: 'K' }), 400, 'invalid_request', { param: 'source' });
    expectError(await call(alice, 'POST', '/v1/contracts', { source: 'x' }), 400, 'invalid_request', { param: 'name' });
    expectError(await call(alice, 'POST', '/v1/contracts', { name: 'K', source: 'x', status: 'deployed' }), 400, 'invalid_request', { param: 'status' });
    expectError(await call(alice, 'PATCH', `/v1/contracts/${c.id}`, { status: 'deployed' }), 400, 'invalid_request', { param: 'status' });
    expectError(await call(alice, 'PATCH', `/v1/contracts/${c.id}`, { deployed_at: '2026-01-01T00:00:00Z' }), 400, 'invalid_request', { param: 'deployed_at' });
  });

  test('execute before deploy: 409; deploy: 200 deployed; execute: 201 contract_execution; executions listed', async () => {
    const c = expectJson(await call(alice, 'POST', '/v1/contracts', { name: 'Echo', source: 'echo' }), 201);
    expectError(await call(alice, 'POST', `/v1/contracts/${c.id}/execute`, { input: { x: 1 } }), 409, 'conflict');
    assert.deepEqual(expectJson(await get(alice, `/v1/contracts/${c.id}/executions`), 200).data, [], 'nothing recorded');
    const d = expectJson(await call(alice, 'POST', `/v1/contracts/${c.id}/deploy`), 200);
    checkObject(d, SPECS.contracts, alice);
    assert.equal(d.id, c.id); assert.equal(d.status, 'deployed');
    assert.match(d.deployed_at, RFC3339_UTC_RE);
    assert.ok(Math.abs(Date.parse(d.deployed_at) - Date.now()) < 120_000);
    assert.deepEqual(expectJson(await get(alice, `/v1/contracts/${c.id}`), 200), d);
    const input = { x: 1, list: ['a', { b: null }] };
    const e = expectJson(await call(alice, 'POST', `/v1/contracts/${c.id}/execute`, { input }), 201);
    assert.deepEqual(Object.keys(e).sort(), [...COMMON, 'contract_id', 'input', 'status', 'result'].sort());
    assert.equal(e.object, 'contract_execution'); assert.match(e.id, /^cex_[A-Za-z0-9]{10,}$/);
    assert.equal(e.org_id, alice.org); assert.equal(e.livemode, true); assert.match(e.created_at, RFC3339_UTC_RE);
    assert.equal(e.contract_id, c.id); assert.deepEqual(e.input, input); assert.equal(e.status, 'completed');
    assert.notEqual(e.result, null);
    const again = expectJson(await call(alice, 'POST', `/v1/contracts/${c.id}/execute`, { input }), 201);
    assert.deepEqual(again.result, e.result, 'deterministic');
    const noInput = expectJson(await call(alice, 'POST', `/v1/contracts/${c.id}/execute`), 201);
    assert.deepEqual(noInput.input, {});
    for (const v of [[1, 2], 'text', 3, null]) {
      assert.deepEqual(expectJson(await call(alice, 'POST', `/v1/contracts/${c.id}/execute`, { input: v }), 201).input, v);
    }
    expectError(await call(alice, 'POST', `/v1/contracts/${c.id}/execute`, { input: {}, extra: 1 }), 400, 'invalid_request', { param: 'extra' });
    expectError(await call(alice, 'POST', `/v1/contracts/${c.id}/deploy`, { force: true }), 400, 'invalid_request', { param: 'force' });
    const l = expectJson(await get(alice, `/v1/contracts/${c.id}/executions`), 200);
    assert.equal(l.data.length, 7); assert.equal(l.has_more, false);
    assert.deepEqual(l.data[6], e, 'oldest last'); assert.deepEqual(l.data[5], again);
    // Deploying again is fine; a PATCH keeps it deployed.
    expectJson(await call(alice, 'POST', `/v1/contracts/${c.id}/deploy`), 200);
    assert.equal(expectJson(await call(alice, 'PATCH', `/v1/contracts/${c.id}`, { source: 'v2' }), 200).status, 'deployed');
  });

  test('executions list: pagination, only this contract\'s, cursor of another contract is 400', async () => {
    const me = await newOrg();
    const mk = async () => {
      const c = expectJson(await call(me, 'POST', '/v1/contracts', { name: 'P', source: 's' }), 201);
      expectJson(await call(me, 'POST', `/v1/contracts/${c.id}/deploy`), 200);
      return c;
    };
    const a = await mk(); const b = await mk();
    const made = [];
    for (let i = 0; i < 5; i++) made.push(expectJson(await call(me, 'POST', `/v1/contracts/${a.id}/execute`, { input: { i } }), 201).id);
    const other = expectJson(await call(me, 'POST', `/v1/contracts/${b.id}/execute`, { input: {} }), 201);
    const newest = made.reverse();
    const p1 = expectJson(await get(me, `/v1/contracts/${a.id}/executions?limit=2`), 200);
    assert.deepEqual(p1.data.map((x) => x.id), newest.slice(0, 2)); assert.equal(p1.has_more, true);
    const p2 = expectJson(await get(me, `/v1/contracts/${a.id}/executions?limit=3&starting_after=${p1.data[1].id}`), 200);
    assert.deepEqual(p2.data.map((x) => x.id), newest.slice(2)); assert.equal(p2.has_more, false);
    const bl = expectJson(await get(me, `/v1/contracts/${b.id}/executions`), 200);
    assert.deepEqual(bl.data.map((x) => x.id), [other.id]);
    expectError(await get(me, `/v1/contracts/${a.id}/executions?starting_after=${other.id}`), 400, 'invalid_request', { param: 'starting_after' });
    expectError(await get(me, `/v1/contracts/${a.id}/executions?limit=0`), 400, 'invalid_request', { param: 'limit' });
    expectError(await get(me, `/v1/contracts/${a.id}/executions?starting_after=garbage`), 400, 'invalid_request', { param: 'starting_after' });
  });

  test('deploy, execute and executions: another org 403, other mode or unknown 404, no credentials 401', async () => {
    const c = expectJson(await call(alice, 'POST', '/v1/contracts', { name: 'Secret', source: 'top secret source' }), 201);
    expectJson(await call(alice, 'POST', `/v1/contracts/${c.id}/deploy`), 200);
    const e = expectJson(await call(alice, 'POST', `/v1/contracts/${c.id}/execute`, { input: { secret: 'hush-hush' } }), 201);
    for (const [m, p, b] of [['POST', 'deploy'], ['POST', 'execute', { input: {} }], ['GET', 'executions']]) {
      const r = await call(bob, m, `/v1/contracts/${c.id}/${p}`, b);
      expectError(r, 403, 'org_mismatch');
      assert.ok(!r.text.includes('hush-hush') && !r.text.includes('top secret'));
      expectError(await call(alice, m, `/v1/contracts/${c.id}/${p}`, b, { mode: 'test' }), 404, 'not_found');
      expectError(await call(alice, m, `/v1/contracts/ctr_Zz9Zz9Zz9Zz9Zz9Zz9Zz9Zz9/${p}`, b), 404, 'not_found');
      expectError(await call(alice, m, `/v1/contracts/garbage/${p}`, b), 404, 'not_found');
      expectError(await call(null, m, `/v1/contracts/${c.id}/${p}`, b), 401, 'unauthorized');
      expectError(await call(alice, m, `/v1/orgs/${bob.org}/contracts/${c.id}/${p}`, b), 403, 'org_mismatch');
    }
    const own = expectJson(await get(alice, `/v1/orgs/${alice.org}/contracts/${c.id}/executions`), 200);
    assert.deepEqual(own.data, [e]);
    expectError(await get(alice, `/v1/contracts/${c.id}/executions/${e.id}`), 404, 'not_found');
  });
});

describe('/v1/orgs/{org_id}/… has only the routes with an org form', () => {
  before(orgs);
  test('a route without one is 404 by every method, with or without credentials; a wrong method of one that has it is 405 naming its methods', async () => {
    for (const who of [alice, null]) {
      for (const [m, p] of [['GET', 'users'], ['DELETE', 'users'], ['PUT', 'org'], ['PATCH', 'org'], ['PUT', 'api_keys'], ['PUT', 'me']]) {
        const r = await call(who, m, `/v1/orgs/${alice.org}/${p}`, m === 'GET' ? undefined : {});
        expectError(r, 404, 'not_found');
        assert.equal(r.headers.allow, undefined, `${m} ${p}`);
      }
      const r = await call(who, 'PUT', `/v1/orgs/${alice.org}/leads`, {});
      expectError(r, 405, 'method_not_allowed');
      assert.equal(r.headers.allow, 'GET, POST');
    }
  });
});

describe('global', () => {
  test('no 5xx anywhere and every Request-Id was unique', () => {
    expectNo5xx(S());
    expectUniqueRequestIds(S());
  });
});
