// API keys: format, storage, management, sensitive-operation rules, expiry,
// rotation, and revocation seen at once by a second node.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  useServer, expectError, expectJson, signup, psql, RFC3339_UTC_RE,
} from './harness.mjs';

const ctx = useServer({ env: { GATEHOUSE_REAUTH_WINDOW_SECONDS: '30' } });
const S = () => ctx.srv;
const KEY_RE = /^sk_(live|test)_[A-Za-z0-9]{32}$/;

let admin; // { cookie, org } of a fresh org's admin session
// A session as request options: its cookie, and the CSRF token that every
// cookie-authenticated unsafe request must carry.
const as = (who) => ({ cookies: who.cookie, headers: { 'X-CSRF-Token': who.csrf } });
const bearer = (k) => ({ headers: { Authorization: `Bearer ${k}` } });

async function newOrg() {
  const su = await signup(S());
  assert.equal(su.res.status, 201, su.res.text);
  return { cookie: { gh_session: su.cookies.gh_session.value }, csrf: su.json.csrf_token, org: su.json.org.id };
}

async function createKey(who, body = {}, srv = S()) {
  const res = await srv.post('/v1/api_keys', { name: 'ci', scopes: ['read:applications'], mode: 'live', ...body },
    as(who));
  return res;
}

async function key(who, body) {
  const j = expectJson(await createKey(who, body), 201);
  return j;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));


describe('creating keys', () => {
  before(async () => { admin = await newOrg(); });
  test('201 with the secret once, in the contract format, and the key object', async () => {
    const k = await key(admin, { name: 'deploy bot', scopes: ['read:leads', 'write:leads'] });
    assert.match(k.secret, KEY_RE);
    assert.ok(k.secret.startsWith('sk_live_'));
    assert.equal(k.object, 'api_key');
    assert.match(k.id, /^key_[A-Za-z0-9]+$/);
    assert.equal(k.org_id, admin.org);
    assert.equal(k.name, 'deploy bot');
    assert.deepEqual(k.scopes, ['read:leads', 'write:leads']);
    assert.equal(k.mode, 'live');
    assert.equal(k.livemode, true);
    assert.equal(k.redacted_secret, `sk_live_...${k.secret.slice(-4)}`);
    for (const f of ['expires_at', 'revoked_at', 'last_used_at', 'last_used_ip']) assert.equal(k[f], null, f);
    assert.match(k.created_at, RFC3339_UTC_RE);
    // Never shown again: neither by id nor in the list.
    const got = expectJson(await S().get(`/v1/api_keys/${k.id}`, as(admin)), 200);
    assert.ok(!('secret' in got));
    assert.equal(got.redacted_secret, k.redacted_secret);
    const list = expectJson(await S().get('/v1/api_keys', as(admin)), 200);
    assert.equal(list.object, 'list');
    assert.ok(list.data.some((x) => x.id === k.id));
    assert.ok(!JSON.stringify(list).includes(k.secret), 'secret in the list');
    // The secret never reaches a log line.
    await sleep(120);
    assert.ok(!S().lines.some((l) => l.includes(k.secret)), 'secret logged');
    // Stored only as a hash: no column of the database holds it.
    const dump = psql(`SELECT row_to_json(k)::text FROM gh.api_keys k WHERE id = '${k.id}'`, S().db.name);
    assert.ok(!dump.includes(k.secret) && !dump.includes(k.secret.slice(8)), 'secret stored in clear');
  });

  test('test-mode keys start with sk_test_ and act in test mode', async () => {
    const k = await key(admin, { mode: 'test' });
    assert.ok(k.secret.startsWith('sk_test_'));
    const me = expectJson(await S().get('/v1/me', bearer(k.secret)), 200);
    assert.equal(me.livemode, false);
    assert.equal(k.mode, 'test');
  });

  const bad = {
    'empty scopes': [{ scopes: [] }, 'scopes'],
    'unknown scope': [{ scopes: ['read:everything'] }, 'scopes'],
    'upper-case scope': [{ scopes: ['READ:leads'] }, 'scopes'],
    'scope not a string': [{ scopes: [1] }, 'scopes'],
    'bad mode': [{ mode: 'prod' }, 'mode'],
    'expiry in the past': [{ expires_at: '2020-01-01T00:00:00Z' }, 'expires_at'],
    'expiry not a time': [{ expires_at: 'tomorrow' }, 'expires_at'],
    'mistyped expires_at': [{ expires_att: '2099-01-01T00:00:00Z' }, 'expires_att'],
    'empty name': [{ name: '' }, 'name'],
    'id from the client': [{ id: 'key_x' }, 'id'],
  };
  for (const [label, [body, param]] of Object.entries(bad)) {
    test(`400 for ${label}`, async () => {
      expectError(await createKey(admin, body), 400, 'invalid_request', { param });
    });
  }

  test('an expiry with an offset is stored in UTC', async () => {
    const k = await key(admin, { expires_at: '2099-06-01T12:00:00+02:00' });
    assert.equal(k.expires_at, '2099-06-01T10:00:00Z');
  });
});

describe('using keys', () => {
  let k;
  before(async () => { k = await key(admin, { scopes: ['read:leads'] }); });

  test('GET /v1/me', async () => {
    const me = expectJson(await S().get('/v1/me', bearer(k.secret)), 200);
    assert.deepEqual(me, { type: 'api_key', org_id: admin.org, livemode: true, scopes: ['read:leads'], api_key_id: k.id });
  });

  test('a use shows as last_used_at / last_used_ip within a second or so (batched, no write per request)', async () => {
    const u = await key(admin, { scopes: ['read:leads'] });
    const before = Date.now() - 1000;
    for (let i = 0; i < 5; i++) expectJson(await S().get('/v1/me', bearer(u.secret)), 200);
    let got;
    for (let i = 0; i < 30; i++) {
      got = expectJson(await S().get(`/v1/api_keys/${u.id}`, as(admin)), 200);
      if (got.last_used_at) break;
      await sleep(100);
    }
    assert.match(got.last_used_at ?? '', RFC3339_UTC_RE, 'last_used_at set');
    assert.ok(Date.parse(got.last_used_at) >= before - 1000 && Date.parse(got.last_used_at) <= Date.now() + 1000);
    assert.equal(got.last_used_ip, '127.0.0.1');
  });

  test('GET /v1/auth/check: 204 with the Gatehouse-* headers; 403 without the scope; 400 for an unknown scope', async () => {
    const r = await S().get('/v1/auth/check?scope=read:leads', bearer(k.secret));
    assert.equal(r.status, 204);
    assert.equal(r.headers['gatehouse-org-id'], admin.org);
    assert.equal(r.headers['gatehouse-livemode'], 'true');
    assert.equal(r.headers['gatehouse-scopes'], 'read:leads');
    assert.equal(r.headers['gatehouse-credential-id'], k.id);
    assert.equal((await S().get('/v1/auth/check', bearer(k.secret))).status, 204);
    expectError(await S().get('/v1/auth/check?scope=write:leads', bearer(k.secret)), 403, 'forbidden');
    expectError(await S().get('/v1/auth/check?scope=nope', bearer(k.secret)), 400, 'invalid_request', { param: 'scope' });
    expectError(await S().get('/v1/auth/check?scope=read:leads'), 401, 'unauthorized');
  });

  test('malformed, mistyped and unknown keys are 401 alike', async () => {
    const flip = (s, i) => s.slice(0, i) + (s[i] === 'a' ? 'b' : 'a') + s.slice(i + 1);
    const cases = [
      'sk_live_short', k.secret + 'x', k.secret.replace('sk_live_', 'sk_prod_'), flip(k.secret, 20),
      flip(k.secret, k.secret.length - 1), k.secret.toLowerCase(), 'Bearer', '',
    ];
    for (const c of cases) expectError(await S().get('/v1/me', bearer(c)), 401, 'unauthorized');
    expectError(await S().get('/v1/me', { headers: { Authorization: `Basic ${k.secret}` } }), 401, 'unauthorized');
    // A well-formed key with a valid checksum that the database does not know.
    const gone = await key(admin);
    psql(`DELETE FROM gh.api_keys WHERE id = '${gone.id}'`, S().db.name);
    expectError(await S().get('/v1/me', bearer(gone.secret)), 401, 'unauthorized');
  });

  test('an Authorization header wins over a session cookie', async () => {
    expectError(await S().get('/v1/me', { headers: { Authorization: 'Bearer sk_live_nope' }, cookies: admin.cookie }),
      401, 'unauthorized');
  });

  test('a key that expires in 2 s works, then is refused', async () => {
    const soon = new Date(Date.now() + 2000).toISOString();
    const e = await key(admin, { expires_at: soon });
    expectJson(await S().get('/v1/me', bearer(e.secret)), 200);
    await sleep(2600);
    expectError(await S().get('/v1/me', bearer(e.secret)), 401, 'unauthorized');
  });
});

describe('sensitive operations', () => {
  let adminKey;
  before(async () => { adminKey = await key(admin, { scopes: ['admin'] }); });

  test('an admin key reads keys but cannot create, revoke or rotate them', async () => {
    expectJson(await S().get('/v1/api_keys', bearer(adminKey.secret)), 200);
    expectJson(await S().get(`/v1/api_keys/${adminKey.id}`, bearer(adminKey.secret)), 200);
    expectError(await S().post('/v1/api_keys', { name: 'x', scopes: ['admin'], mode: 'live' }, bearer(adminKey.secret)),
      403, 'forbidden');
    expectError(await S().post(`/v1/api_keys/${adminKey.id}/revoke`, undefined, bearer(adminKey.secret)), 403, 'forbidden');
    expectError(await S().post(`/v1/api_keys/${adminKey.id}/rotate`, {}, bearer(adminKey.secret)), 403, 'forbidden');
  });

  test('a key without admin cannot even read keys', async () => {
    const k = await key(admin, { scopes: ['read:leads', 'write:leads'] });
    expectError(await S().get('/v1/api_keys', bearer(k.secret)), 403, 'forbidden');
  });

  test('without a recent re-authentication: 403 reauthentication_required', async () => {
    const srv = await ctx.another({ GATEHOUSE_REAUTH_WINDOW_SECONDS: '1' });
    const who = await newOrg();
    await sleep(2100);
    expectError(await createKey(who, {}, srv), 403, 'reauthentication_required');
    // Reading is not sensitive.
    expectJson(await srv.get('/v1/api_keys', as(who)), 200);
  });

  test("another org's key id is 403 org_mismatch and reveals nothing", async () => {
    const other = await newOrg();
    const theirs = await key(other);
    for (const [m, p] of [['GET', ''], ['POST', '/revoke'], ['POST', '/rotate']]) {
      const r = await S().request(m, `/v1/api_keys/${theirs.id}${p}`, { ...as(admin), json: m === 'POST' ? {} : undefined });
      const b = expectError(r, 403, 'org_mismatch');
      assert.ok(!JSON.stringify(b).includes(theirs.name === 'ci' ? theirs.redacted_secret : theirs.name));
    }
    expectError(await S().get('/v1/api_keys/key_doesnotexist0000000000', as(admin)), 404, 'not_found');
    expectError(await S().get("/v1/api_keys/'or'1'='1", as(admin)), 404, 'not_found');
  });
});

describe('revocation and rotation', () => {
  test('revoke: rejected at once; revoking again keeps the first revoked_at', async () => {
    const k = await key(admin);
    expectJson(await S().get('/v1/me', bearer(k.secret)), 200);
    const r = expectJson(await S().post(`/v1/api_keys/${k.id}/revoke`, undefined, as(admin)), 200);
    assert.match(r.revoked_at, RFC3339_UTC_RE);
    expectError(await S().get('/v1/me', bearer(k.secret)), 401, 'unauthorized');
    const again = expectJson(await S().post(`/v1/api_keys/${k.id}/revoke`, undefined, as(admin)), 200);
    assert.equal(again.revoked_at, r.revoked_at);
  });

  test('rotate without grace: the new key works, the old one is revoked now', async () => {
    const old = await key(admin, { name: 'rot', scopes: ['read:leads', 'admin'], expires_at: '2099-01-01T00:00:00Z' });
    const n = expectJson(await S().post(`/v1/api_keys/${old.id}/rotate`, {}, as(admin)), 201);
    assert.match(n.secret, KEY_RE);
    assert.notEqual(n.id, old.id);
    assert.equal(n.name, 'rot');
    assert.deepEqual(n.scopes, old.scopes);
    assert.equal(n.expires_at, '2099-01-01T00:00:00Z');
    expectJson(await S().get('/v1/me', bearer(n.secret)), 200);
    expectError(await S().get('/v1/me', bearer(old.secret)), 401, 'unauthorized');
    const o = expectJson(await S().get(`/v1/api_keys/${old.id}`, as(admin)), 200);
    assert.match(o.revoked_at, RFC3339_UTC_RE);
  });

  test('rotate with a grace period: both work; the old key expires then, never after its own expiry', async () => {
    const old = await key(admin);
    const n = expectJson(await S().post(`/v1/api_keys/${old.id}/rotate`, { expire_old_in_seconds: 2 }, as(admin)), 201);
    expectJson(await S().get('/v1/me', bearer(old.secret)), 200);
    expectJson(await S().get('/v1/me', bearer(n.secret)), 200);
    await sleep(2600);
    expectError(await S().get('/v1/me', bearer(old.secret)), 401, 'unauthorized');
    expectJson(await S().get('/v1/me', bearer(n.secret)), 200);
    const capped = await key(admin, { expires_at: new Date(Date.now() + 3600_000).toISOString() });
    expectJson(await S().post(`/v1/api_keys/${capped.id}/rotate`, { expire_old_in_seconds: 604800 }, as(admin)), 201);
    const c = expectJson(await S().get(`/v1/api_keys/${capped.id}`, as(admin)), 200);
    assert.equal(c.expires_at, capped.expires_at, 'grace must not extend the old key');
  });

  test('rotate: grace outside 0..604800 is 400; a revoked key cannot be rotated', async () => {
    const k = await key(admin);
    for (const g of [-1, 604801, 1.5, '10']) {
      expectError(await S().post(`/v1/api_keys/${k.id}/rotate`, { expire_old_in_seconds: g }, as(admin)),
        400, 'invalid_request', { param: 'expire_old_in_seconds' });
    }
    expectJson(await S().post(`/v1/api_keys/${k.id}/revoke`, undefined, as(admin)), 200);
    expectError(await S().post(`/v1/api_keys/${k.id}/rotate`, {}, as(admin)), 404, 'not_found');
  });

  test('rotate: a grace beyond 64 bits is 400 naming expire_old_in_seconds, not "not valid JSON"', async () => {
    const k = await key(admin);
    for (const g of ['99999999999999999999', '-99999999999999999999', `1${'0'.repeat(400)}`]) {
      const r = await S().request('POST', `/v1/api_keys/${k.id}/rotate`, {
        ...as(admin), headers: { ...as(admin).headers, 'Content-Type': 'application/json' },
        body: `{"expire_old_in_seconds":${g}}`,
      });
      const e = expectError(r, 400, 'invalid_request', { param: 'expire_old_in_seconds' });
      assert.match(e.error.message, /out of range/);
    }
    expectJson(await S().get('/v1/me', bearer(k.secret)), 200); // not rotated
  });

  test('rotate: the body (400) is checked before the addressed key (404/403), as api.md orders them', async () => {
    const other = await newOrg();
    const theirs = await key(other);
    for (const id of ['garbage', 'key_doesnotexist0000000000', theirs.id]) {
      for (const g of [-1, 604801, '10']) {
        expectError(await S().post(`/v1/api_keys/${id}/rotate`, { expire_old_in_seconds: g }, as(admin)),
          400, 'invalid_request', { param: 'expire_old_in_seconds' });
      }
      expectError(await S().post(`/v1/api_keys/${id}/rotate`, { nope: 1 }, as(admin)), 400, 'invalid_request', { param: 'nope' });
    }
    // A valid body reaches the look-up as before.
    expectError(await S().post('/v1/api_keys/garbage/rotate', { expire_old_in_seconds: 0 }, as(admin)), 404, 'not_found');
    expectError(await S().post(`/v1/api_keys/${theirs.id}/rotate`, {}, as(admin)), 403, 'org_mismatch');
  });

  test('revoked on node A, refused by node B at once (30 times, no sleep)', async () => {
    const b = await ctx.another();
    const times = [];
    for (let i = 0; i < 30; i++) {
      const k = await key(admin);
      // Warm node B's cache with the live key.
      expectJson(await b.get('/v1/me', bearer(k.secret)), 200);
      expectJson(await b.get('/v1/me', bearer(k.secret)), 200);
      const t0 = performance.now();
      expectJson(await S().post(`/v1/api_keys/${k.id}/revoke`, undefined, as(admin)), 200);
      times.push(performance.now() - t0);
      expectError(await b.get('/v1/me', bearer(k.secret)), 401, 'unauthorized');
    }
    times.sort((x, y) => x - y);
    console.log(`# revoke call with the two-node wait: median ${times[15].toFixed(1)} ms, max ${times[29].toFixed(1)} ms`);
  });
});
