// Browser sessions end to end (api.md, "Credentials" → browser session and
// CSRF, "Authentication and sessions", "Rate limits" → login limits):
// GET /v1/auth/session, refresh (rotation, replay grace and theft, races on
// one node and on two), access-token expiry, idle timeout (refresh is not
// activity; activity on one node counts on another), the absolute deadline,
// re-authentication, logout (one, all), password change, CSRF, login and
// re-authentication throttling, invitation accept; no token is ever logged.
//
// Servers (all on this file's database): the main one (GATEHOUSE_DEV=1,
// default limits), a second node B, one with GATEHOUSE_ACCESS_TTL_SECONDS=2,
// one with GATEHOUSE_REAUTH_WINDOW_SECONDS=1, and two for throttling (login
// limits are in-process, so each has its own counters; the per-address test
// blocks 127.0.0.1 for a minute on its own server only).
//
// psql is used for one set-up only: moving a session's absolute deadline to
// now() + 2 s (the smallest lifetime the API allows is an hour).
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  useServer, expectError, expectJson, expectNo5xx, signup, cookies, psql, uniqueEmail, PASSWORD, RFC3339_UTC_RE, mistype,
} from './harness.mjs';

const ctx = useServer();
const S = () => ctx.srv;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- helpers

/** Every token value seen (cookies, CSRF tokens, invitation tokens): none may
 *  appear in any server's log. */
const SECRETS = new Map(); // value -> label
const remember = (label, ...vals) => { for (const v of vals) if (v) SECRETS.set(v, label); };

/** Both cookies with the attributes of api.md ("Credentials"); returns them. */
function checkCookies(res, label = 'response') {
  const c = cookies(res);
  const all = res.headers['set-cookie'];
  assert.ok(c.gh_session && c.gh_session.value, `${label}: gh_session cookie missing: ${all}`);
  assert.ok(c.gh_refresh && c.gh_refresh.value, `${label}: gh_refresh cookie missing: ${all}`);
  assert.notEqual(c.gh_session.value, c.gh_refresh.value);
  const s = c.gh_session.attrs; const r = c.gh_refresh.attrs;
  assert.equal(s.httponly, true, `${label}: gh_session HttpOnly`);
  assert.equal(r.httponly, true, `${label}: gh_refresh HttpOnly`);
  assert.equal((s.samesite || '').toLowerCase(), 'lax', `${label}: gh_session SameSite=Lax`);
  assert.equal((r.samesite || '').toLowerCase(), 'strict', `${label}: gh_refresh SameSite=Strict`);
  assert.equal(s.path, '/', `${label}: gh_session Path=/`);
  assert.equal(r.path, '/v1/auth', `${label}: gh_refresh Path=/v1/auth`);
  for (const v of [c.gh_session.value, c.gh_refresh.value]) {
    assert.ok(v.length >= 20, `${label}: token too short: ${v}`);
    assert.ok(!res.text.includes(v), `${label}: a cookie token appears in the JSON body`);
  }
  remember(`${label} cookie`, c.gh_session.value, c.gh_refresh.value);
  return c;
}

/** The attributes of a Set-Cookie, without Max-Age/Expires (those depend on
 *  the moment), for comparing a refresh's cookies with a login's. */
const attrShape = (c) => Object.fromEntries(Object.entries(c.attrs)
  .filter(([k]) => k !== 'max-age' && k !== 'expires')
  .map(([k, v]) => [k, typeof v === 'string' ? v.toLowerCase() : v])
  .sort(([a], [b]) => a.localeCompare(b)));

/** A session from a login-like response (sign-up, login, accept). */
function sessionOf(res, email, label = 'login') {
  const c = checkCookies(res, label);
  const j = res.json;
  assert.equal(typeof j.csrf_token, 'string', `${label}: csrf_token in the body`);
  remember(`${label} csrf_token`, j.csrf_token);
  return {
    access: c.gh_session.value, refresh: c.gh_refresh.value, csrf: j.csrf_token,
    cookie: { gh_session: c.gh_session.value }, user: j.user, org: j.org.id, id: j.session.id, email, login: c,
  };
}
/** Request options for a session: its cookie and its CSRF token. */
const as = (who) => ({ cookies: who.cookie, headers: { 'X-CSRF-Token': who.csrf } });
/** Only the cookie (GET; or to show that the token is missing). */
const cookieOnly = (who) => ({ cookies: who.cookie });
const bearer = (k) => ({ headers: { Authorization: `Bearer ${k}` } });

async function newOrg(srv = S()) {
  const su = await signup(srv);
  assert.equal(su.res.status, 201, su.res.text);
  return sessionOf(su.res, su.body.email, 'sign-up');
}
async function login(email, srv = S(), password = PASSWORD) {
  const res = await srv.post('/v1/auth/login', { email, password });
  expectJson(res, 200);
  return sessionOf(res, email, 'login');
}

/** POST /v1/auth/refresh as a browser would send it (both cookies: gh_session
 *  has Path=/), with no CSRF token. */
function refresh(srv, refreshToken, { access, headers = {} } = {}) {
  const ck = { gh_refresh: refreshToken };
  if (access) ck.gh_session = access;
  return srv.request('POST', '/v1/auth/refresh', { cookies: ck, headers });
}
/** A successful refresh: {res, access, refresh, json}. */
function refreshed(res, label = 'refresh') {
  const j = expectJson(res, 200);
  const c = checkCookies(res, label);
  remember(`${label} csrf_token`, j.csrf_token);
  return { res, json: j, access: c.gh_session.value, refresh: c.gh_refresh.value, c };
}
/** A session after a refresh (same CSRF token expected). */
const rotated = (who, r) => ({ ...who, access: r.access, refresh: r.refresh, cookie: { gh_session: r.access } });

const whoAmI = (who, srv = S()) => srv.get('/v1/auth/session', cookieOnly(who));
const patchOrg = (who, body, srv = S()) => srv.request('PATCH', '/v1/org', { ...as(who), json: body });
const near = (iso, ms, tol, what) => {
  assert.match(iso, RFC3339_UTC_RE, what);
  const d = Date.parse(iso) - ms;
  assert.ok(Math.abs(d) <= tol, `${what}: ${iso} is ${d} ms from the expected ${new Date(ms).toISOString()}`);
};
/** 401 from an ended or replaced token (unauthorized or token_expired). */
function expect401(res, what) {
  assert.equal(res.status, 401, `${what}: expected 401, got ${res.status} ${res.text.slice(0, 200)}`);
  const code = res.json && res.json.error && res.json.error.code;
  assert.ok(['unauthorized', 'token_expired'].includes(code), `${what}: code ${code}`);
  return expectError(res, 401, code);
}

// Lazily started extra nodes (inside tests/hooks, after useServer's before).
let nodeB = null;
const B = async () => (nodeB ||= await ctx.another());
let reauthNode = null;
const R = async () => (reauthNode ||= await ctx.another({ GATEHOUSE_REAUTH_WINDOW_SECONDS: '1' }));

// ---------------------------------------------------------------- 1. GET /v1/auth/session

describe('GET /v1/auth/session', () => {
  let admin;
  before(async () => { admin = await newOrg(); });

  test('shape: {user, org, role, session{...}, csrf_token}; no token in the body; same on a second node', async () => {
    const t0 = Date.now();
    for (const srv of [S(), S(), await B()]) {
      const res = await whoAmI(admin, srv);
      const j = expectJson(res, 200);
      assert.deepEqual(Object.keys(j).sort(), ['csrf_token', 'org', 'role', 'session', 'user'], JSON.stringify(j));
      assert.equal(j.user.id, admin.user.id);
      assert.equal(j.user.object, 'user');
      assert.equal(j.user.email, admin.email);
      assert.equal(j.org.id, admin.org);
      assert.equal(j.org.object, 'org');
      assert.equal(j.role, 'admin');
      assert.equal(j.csrf_token, admin.csrf, 'csrf_token differs from the sign-up one');
      assert.ok(j.csrf_token.length >= 16, 'csrf_token shorter than 16');
      const s = j.session;
      for (const k of ['object', 'id', 'expires_at', 'idle_expires_at', 'access_expires_at', 'reauthenticated_at',
        'created_at']) assert.ok(k in s, `session.${k} missing: ${JSON.stringify(s)}`);
      assert.equal(s.object, 'session');
      assert.equal(s.id, admin.id);
      assert.match(s.id, /^ses_[A-Za-z0-9]+$/);
      for (const k of ['expires_at', 'idle_expires_at', 'access_expires_at', 'reauthenticated_at', 'created_at']) {
        assert.match(s[k], RFC3339_UTC_RE, `session.${k}`);
      }
      near(s.access_expires_at, t0 + 900_000, 10_000, 'access_expires_at (900 s)');
      near(s.idle_expires_at, Date.now() + 3600_000, 10_000, 'idle_expires_at (3600 s from now)');
      near(s.expires_at, Date.parse(s.created_at) + 86400_000, 2_000, 'expires_at (created_at + 86400 s)');
      near(s.reauthenticated_at, t0, 10_000, 'reauthenticated_at (sign-up counts)');
      for (const v of [admin.access, admin.refresh]) assert.ok(!res.text.includes(v), 'a token in the body');
      assert.equal(res.headers['set-cookie'], undefined, 'GET /v1/auth/session sets cookies');
    }
  });

  test('401 unauthorized without a session, with garbage, or with an API key (session only)', async () => {
    expectError(await S().get('/v1/auth/session'), 401, 'unauthorized');
    expectError(await S().get('/v1/auth/session', { cookies: { gh_session: 'garbage' } }), 401, 'unauthorized');
    expectError(await S().get('/v1/auth/session', { cookies: { gh_session: admin.refresh } }), 401, 'unauthorized');
  });
});

// ---------------------------------------------------------------- 2. refresh

describe('POST /v1/auth/refresh', () => {
  test('200 {session, csrf_token} + new cookies like login\'s; same CSRF token; new token works, old refused', async () => {
    const who = await newOrg();
    const res = await refresh(S(), who.refresh, { access: who.access });
    const r = refreshed(res);
    assert.deepEqual(Object.keys(r.json).sort(), ['csrf_token', 'session']);
    assert.equal(r.json.csrf_token, who.csrf, 'csrf_token changed by refresh');
    assert.equal(r.json.session.id, who.id);
    assert.equal(r.json.session.object, 'session');
    near(r.json.session.access_expires_at, Date.now() + 900_000, 10_000, 'refreshed access_expires_at');
    assert.notEqual(r.access, who.access, 'access token not rotated');
    assert.notEqual(r.refresh, who.refresh, 'refresh token not rotated');
    assert.deepEqual(attrShape(r.c.gh_session), attrShape(who.login.gh_session), 'gh_session attributes differ from login');
    assert.deepEqual(attrShape(r.c.gh_refresh), attrShape(who.login.gh_refresh), 'gh_refresh attributes differ from login');
    for (const c of [r.c.gh_session, r.c.gh_refresh]) {
      assert.match(String(c.attrs['max-age'] ?? ''), /^[1-9]\d*$/, `Max-Age of ${c.raw}`);
    }
    const me = expectJson(await whoAmI(rotated(who, r)), 200);
    assert.equal(me.session.id, who.id);
    assert.equal(me.csrf_token, who.csrf);
    expect401(await whoAmI(who), 'old access token right after the refresh');
    // The new token also passes CSRF with the same X-CSRF-Token.
    expectJson(await patchOrg(rotated(who, r), { name: 'Refreshed' }), 200);
  });

  test('the old access token is refused on a second node that had it cached', async () => {
    const who = await newOrg();
    const b = await B();
    expectJson(await whoAmI(who, b), 200);
    expectJson(await whoAmI(who, b), 200);
    const r = refreshed(await refresh(S(), who.refresh));
    expect401(await whoAmI(who, b), 'old access token on node B right after the refresh');
    expectJson(await whoAmI(rotated(who, r), b), 200);
  });

  test('no X-CSRF-Token needed; only the refresh cookie needed; own Origin allowed', async () => {
    const who = await newOrg();
    const r1 = refreshed(await refresh(S(), who.refresh)); // no gh_session, no token
    const r2 = refreshed(await refresh(S(), r1.refresh, { headers: { Origin: S().base } }));
    expectJson(await whoAmI(rotated(who, r2)), 200);
  });

  test('a foreign Origin or Referer → 403 csrf_failed, and the refresh token is not consumed', async () => {
    const who = await newOrg();
    expectError(await refresh(S(), who.refresh, { headers: { Origin: 'https://evil.example' } }), 403, 'csrf_failed');
    expectError(await refresh(S(), who.refresh, { headers: { Referer: 'https://evil.example/x' } }), 403, 'csrf_failed');
    const r = refreshed(await refresh(S(), who.refresh));
    expectJson(await whoAmI(rotated(who, r)), 200);
  });

  test('credentials (401) before CSRF (403): no or malformed refresh cookie with a foreign Origin → 401', async () => {
    const who = await newOrg();
    for (const [label, ck] of Object.entries({
      none: undefined, empty: { gh_refresh: '' }, garbage: { gh_refresh: 'garbage' },
      'one character short': { gh_refresh: who.refresh.slice(1) }, 'not base64url': { gh_refresh: `${who.refresh.slice(1)}=` },
      'session cookie only': { gh_session: who.access },
    })) {
      for (const h of [{ Origin: 'https://evil.example' }, { Referer: 'https://evil.example/x' }]) {
        const res = await S().request('POST', '/v1/auth/refresh', { cookies: ck, headers: h });
        expectError(res, 401, 'unauthorized');
        assert.equal(res.headers['set-cookie'], undefined, `${label}: cookies set on failure`);
      }
    }
    // A well-formed token with a foreign Origin is still refused (403), and not consumed.
    expectError(await refresh(S(), who.refresh, { headers: { Origin: 'https://evil.example' } }), 403, 'csrf_failed');
    expectError(await refresh(S(), 'A'.repeat(43), { headers: { Origin: 'https://evil.example' } }), 403, 'csrf_failed');
    const r = refreshed(await refresh(S(), who.refresh));
    expectJson(await whoAmI(rotated(who, r)), 200);
  });

  test('no, empty, garbage or access-token refresh cookie → 401 unauthorized, no cookies', async () => {
    const who = await newOrg();
    for (const [label, opts] of Object.entries({
      none: {}, 'session cookie only': { cookies: { gh_session: who.access } },
      empty: { cookies: { gh_refresh: '' } }, garbage: { cookies: { gh_refresh: 'garbage' } },
      'long garbage': { cookies: { gh_refresh: 'A'.repeat(43) } },
      'access token as refresh': { cookies: { gh_refresh: who.access } },
    })) {
      const res = await S().request('POST', '/v1/auth/refresh', opts);
      assert.equal(res.status, 401, `${label}: ${res.status} ${res.text}`);
      expectError(res, 401, 'unauthorized');
      assert.equal(res.headers['set-cookie'], undefined, `${label}: cookies set on failure`);
    }
    expectJson(await whoAmI(who), 200);
  });
});

// ---------------------------------------------------------------- 3. replay

describe('refresh token replay', () => {
  test('within 10 s: 200 with the same new tokens; after 10 s: 401 and the whole session is revoked', async () => {
    const who = await newOrg();
    const b = await B();
    const first = refreshed(await refresh(S(), who.refresh));
    await sleep(1500);
    const again = refreshed(await refresh(S(), who.refresh), 'replay in grace');
    assert.equal(again.access, first.access, 'grace replay: gh_session differs from the first refresh');
    assert.equal(again.refresh, first.refresh, 'grace replay: gh_refresh differs from the first refresh');
    assert.equal(again.json.csrf_token, who.csrf);
    const onB = refreshed(await refresh(b, who.refresh), 'replay in grace on node B');
    assert.equal(onB.access, first.access); assert.equal(onB.refresh, first.refresh);
    const cur = rotated(who, first);
    expectJson(await whoAmI(cur), 200);
    expectJson(await whoAmI(cur, b), 200); // cached on B
    await sleep(11_000 - 1500);
    const late = await refresh(S(), who.refresh);
    expectError(late, 401, 'unauthorized');
    assert.equal(late.headers['set-cookie'], undefined, 'cookies set on a replay');
    // The whole session is over, on both nodes, at once.
    expectError(await whoAmI(cur), 401, 'unauthorized');
    expectError(await whoAmI(cur, b), 401, 'unauthorized');
    expectError(await refresh(S(), cur.refresh), 401, 'unauthorized');
    expectError(await refresh(b, cur.refresh), 401, 'unauthorized');
    // The user may log in again.
    expectJson(await whoAmI(await login(who.email)), 200);
  });
});

// ---------------------------------------------------------------- 4. races

describe('racing refreshes with the same token', () => {
  test('on one node: both 200 with identical cookies', async () => {
    const who = await newOrg();
    const [x, y] = await Promise.all([refresh(S(), who.refresh), refresh(S(), who.refresh)]);
    const a = refreshed(x, 'race A'); const c = refreshed(y, 'race B');
    assert.equal(a.access, c.access, 'gh_session differs');
    assert.equal(a.refresh, c.refresh, 'gh_refresh differs');
    expectJson(await whoAmI(rotated(who, a)), 200);
    refreshed(await refresh(S(), a.refresh), 'after race');
  });

  test('on two nodes at once: both 200 with identical cookies; the result works on both', async () => {
    const who = await newOrg();
    const b = await B();
    for (let i = 0; i < 3; i++) {
      const [x, y] = await Promise.all([refresh(S(), who.refresh), refresh(b, who.refresh)]);
      const a = refreshed(x, 'race node A'); const c = refreshed(y, 'race node B');
      assert.equal(a.access, c.access, `round ${i}: gh_session differs between nodes`);
      assert.equal(a.refresh, c.refresh, `round ${i}: gh_refresh differs between nodes`);
      assert.equal(a.json.csrf_token, who.csrf); assert.equal(c.json.csrf_token, who.csrf);
      Object.assign(who, rotated(who, a));
      expectJson(await whoAmI(who), 200);
      expectJson(await whoAmI(who, b), 200);
    }
  });
});

// ---------------------------------------------------------------- 5. access-token expiry

describe('access-token expiry (GATEHOUSE_ACCESS_TTL_SECONDS=2)', () => {
  let T;
  before(async () => { T = await ctx.another({ GATEHOUSE_ACCESS_TTL_SECONDS: '2' }); });

  test('after ~2.5 s: 401 token_expired; refresh → 200; the new token works', async () => {
    const t0 = Date.now();
    const who = await newOrg(T);
    const s = expectJson(await whoAmI(who, T), 200).session;
    near(s.access_expires_at, t0 + 2000, 3000, 'access_expires_at with a 2 s TTL');
    await sleep(2600);
    expectError(await whoAmI(who, T), 401, 'token_expired');
    expectError(await T.request('POST', '/v1/applications', { ...as(who), json: { name: 'x' } }), 401, 'token_expired');
    const r = refreshed(await refresh(T, who.refresh, { access: who.access }));
    assert.equal(r.json.csrf_token, who.csrf);
    near(r.json.session.access_expires_at, Date.now() + 2000, 2000, 'refreshed access_expires_at');
    const me = expectJson(await whoAmI(rotated(who, r), T), 200);
    assert.equal(me.session.id, who.id);
    expectJson(await T.request('POST', '/v1/applications', { ...as(rotated(who, r)), json: { name: 'x' } }), 201);
  });
});

// ---------------------------------------------------------------- 6. idle timeout

describe('idle timeout (session_idle_timeout_seconds: 2)', () => {
  async function idleOrg(srv = S()) {
    const who = await newOrg(srv);
    const o = expectJson(await patchOrg(who, { session_idle_timeout_seconds: 2 }, srv), 200);
    assert.equal(o.session_idle_timeout_seconds, 2);
    return who;
  }

  test('a request every ~0.7 s for ~4 s keeps it alive; ~3 s idle → 401 token_expired (requests and refresh)', async () => {
    const who = await idleOrg();
    const t0 = Date.now();
    while (Date.now() - t0 < 4200) {
      await sleep(700);
      expectJson(await S().get('/v1/me', cookieOnly(who)), 200);
    }
    const s = expectJson(await whoAmI(who), 200).session;
    near(s.idle_expires_at, Date.now() + 2000, 1500, 'idle_expires_at with a 2 s idle timeout');
    await sleep(3200);
    expectError(await S().get('/v1/me', cookieOnly(who)), 401, 'token_expired');
    expectError(await whoAmI(who), 401, 'token_expired');
    expectError(await refresh(S(), who.refresh), 401, 'token_expired');
  });

  test('refresh is not activity: refreshing every ~0.8 s does not keep it alive', async () => {
    const admin = await idleOrg();
    const who = await login(admin.email);
    const t0 = Date.now();
    let cur = who;
    const outcomes = [];
    while (Date.now() - t0 < 3400) {
      await sleep(800);
      const res = await refresh(S(), cur.refresh);
      if (res.status === 200) {
        cur = rotated(cur, refreshed(res, 'idle refresh'));
        outcomes.push(200);
      } else {
        expectError(res, 401, 'token_expired');
        outcomes.push('token_expired');
      }
    }
    assert.equal(outcomes[0], 200, `the first refresh (0.8 s after login) should pass: ${outcomes}`);
    assert.equal(outcomes.at(-1), 'token_expired', `refresh kept the idle session alive: ${outcomes}`);
    const firstFail = outcomes.indexOf('token_expired');
    assert.ok(outcomes.slice(firstFail).every((o) => o === 'token_expired'), `outcomes: ${outcomes}`);
    expectError(await S().get('/v1/me', cookieOnly(cur)), 401, 'token_expired');
    expectError(await whoAmI(cur), 401, 'token_expired');
  });

  test('activity on node A keeps the session alive on node B, and the other way round', async () => {
    const b = await B();
    const who = await idleOrg();
    expectJson(await b.get('/v1/me', cookieOnly(who)), 200); // B has it cached now
    const run = async (srv, ms) => {
      const t0 = Date.now();
      while (Date.now() - t0 < ms) { await sleep(700); expectJson(await srv.get('/v1/me', cookieOnly(who)), 200); }
    };
    await run(S(), 3500);
    expectJson(await b.get('/v1/me', cookieOnly(who)), 200);
    await run(b, 3500);
    expectJson(await S().get('/v1/me', cookieOnly(who)), 200);
    // Alternating.
    const t0 = Date.now();
    for (let i = 0; Date.now() - t0 < 3000; i++) {
      await sleep(700);
      expectJson(await (i % 2 ? b : S()).get('/v1/me', cookieOnly(who)), 200);
    }
    await sleep(3200);
    expectError(await b.get('/v1/me', cookieOnly(who)), 401, 'token_expired');
    expectError(await S().get('/v1/me', cookieOnly(who)), 401, 'token_expired');
  });
});

// ---------------------------------------------------------------- 7. absolute deadline

describe('absolute deadline', () => {
  test('expires_at = now() + 2 s: before 200; after 401 token_expired on requests and on refresh', async () => {
    const who = await newOrg();
    // Set-up only: the smallest lifetime the API allows is one hour. Node B
    // has never seen this session, so it reads the moved deadline.
    psql(`UPDATE gh.sessions SET expires_at = now() + interval '2 seconds' WHERE id = '${who.id}'`, S().db.name);
    const b = await B();
    const j = expectJson(await whoAmI(who, b), 200);
    near(j.session.expires_at, Date.now() + 2000, 2000, 'set-up: expires_at moved');
    await sleep(2600);
    expectError(await whoAmI(who, b), 401, 'token_expired');
    expectError(await b.get('/v1/me', cookieOnly(who)), 401, 'token_expired');
    expectError(await refresh(b, who.refresh), 401, 'token_expired');
    expectError(await refresh(S(), who.refresh), 401, 'token_expired');
  });
});

// ---------------------------------------------------------------- 8. re-authentication

describe('re-authentication (GATEHOUSE_REAUTH_WINDOW_SECONDS=1)', () => {
  test('reauthentication_required after the window; wrong password 401 and the session lives; right: new tokens', async () => {
    const srv = await R();
    const who = await newOrg(srv);
    const mkKey = (w) => srv.request('POST', '/v1/api_keys',
      { ...as(w), json: { name: 'k', scopes: ['read:leads'], mode: 'live' } });
    await sleep(2100);
    expectError(await mkKey(who), 403, 'reauthentication_required');
    // Wrong password.
    const bad = await srv.request('POST', '/v1/auth/reauthenticate', { ...as(who), json: { password: 'wrong password!' } });
    expectError(bad, 401, 'invalid_credentials');
    assert.equal(bad.headers['set-cookie'], undefined, 'cookies set by a failed re-authentication');
    expectJson(await whoAmI(who, srv), 200);
    // Right password.
    const res = await srv.request('POST', '/v1/auth/reauthenticate', { ...as(who), json: { password: PASSWORD } });
    const t1 = Date.now();
    const j = expectJson(res, 200);
    const c = checkCookies(res, 'reauthenticate');
    const now = { ...who, access: c.gh_session.value, refresh: c.gh_refresh.value, cookie: { gh_session: c.gh_session.value } };
    const key = await mkKey(now); // at once: the window is 1 s
    const k = expectJson(key, 201);
    remember('api key secret', k.secret);
    assert.deepEqual(Object.keys(j).sort(), ['csrf_token', 'session']);
    assert.equal(j.csrf_token, who.csrf, 'csrf_token changed by re-authentication');
    assert.equal(j.session.id, who.id);
    near(j.session.reauthenticated_at, t1, 2500, 'reauthenticated_at');
    assert.notEqual(c.gh_session.value, who.access, 'access token not renewed (fixation)');
    assert.notEqual(c.gh_refresh.value, who.refresh, 'refresh token not renewed');
    expect401(await whoAmI(who, srv), 'old access token after re-authentication');
    expectError(await refresh(srv, who.refresh), 401, 'unauthorized');
    expectJson(await whoAmI(now, srv), 200);
  });

  test('changing one\'s password also needs a recent re-authentication', async () => {
    const srv = await R();
    const who = await newOrg(srv);
    await sleep(2100);
    expectError(await srv.request('POST', '/v1/auth/password',
      { ...as(who), json: { current_password: PASSWORD, new_password: 'another long password' } }),
    403, 'reauthentication_required');
    expectJson(await srv.post('/v1/auth/login', { email: who.email, password: PASSWORD }), 200);
  });
});

// ---------------------------------------------------------------- 9. logout

describe('POST /v1/auth/logout', () => {
  test('204, both cookies cleared, the token 401 at once on a second node', async () => {
    const who = await newOrg();
    const b = await B();
    expectJson(await whoAmI(who, b), 200);
    expectJson(await whoAmI(who, b), 200);
    const res = await S().request('POST', '/v1/auth/logout', as(who));
    assert.equal(res.status, 204, res.text);
    assert.equal(res.body.length, 0);
    const c = cookies(res);
    for (const [n, path] of [['gh_session', '/'], ['gh_refresh', '/v1/auth']]) {
      assert.ok(c[n], `${n} not cleared: ${res.headers['set-cookie']}`);
      assert.equal(c[n].value, '', `${n} value`);
      assert.equal(c[n].attrs['max-age'], '0', `${n} Max-Age=0: ${c[n].raw}`);
      assert.equal(c[n].attrs.path, path, `${n} Path`);
    }
    expectError(await whoAmI(who, b), 401, 'unauthorized');
    expectError(await whoAmI(who), 401, 'unauthorized');
    expectError(await refresh(S(), who.refresh), 401, 'unauthorized');
    // Another session of the same user lives on.
    const other = await login(who.email);
    expectJson(await whoAmI(other, b), 200);
  });

  test('{all:true} ends the user\'s other sessions too, on another node', async () => {
    const who = await newOrg();
    const b = await B();
    const second = await login(who.email, b);
    expectJson(await whoAmI(second, b), 200);
    const bystander = await newOrg();
    const res = await S().request('POST', '/v1/auth/logout', { ...as(who), json: { all: true } });
    assert.equal(res.status, 204, res.text);
    expectError(await whoAmI(second, b), 401, 'unauthorized');
    expectError(await whoAmI(second), 401, 'unauthorized');
    expectError(await whoAmI(who), 401, 'unauthorized');
    expectError(await refresh(b, second.refresh), 401, 'unauthorized');
    expectJson(await whoAmI(bystander, b), 200);
  });

  test('without X-CSRF-Token (or with a wrong one): 403 csrf_failed and the session lives on', async () => {
    const who = await newOrg();
    expectError(await S().request('POST', '/v1/auth/logout', cookieOnly(who)), 403, 'csrf_failed');
    expectError(await S().request('POST', '/v1/auth/logout',
      { cookies: who.cookie, headers: { 'X-CSRF-Token': 'x'.repeat(who.csrf.length) } }), 403, 'csrf_failed');
    expectError(await S().request('POST', '/v1/auth/logout', { ...cookieOnly(who), json: { all: true } }), 403, 'csrf_failed');
    expectJson(await whoAmI(who), 200);
  });
});

// ---------------------------------------------------------------- 10. password change

describe('POST /v1/auth/password', () => {
  const NEW = 'a brand new passphrase';
  test('wrong current 401; short new 400; success 204; this session lives, the other ends; logins follow', async () => {
    const who = await newOrg();
    const b = await B();
    const other = await login(who.email);
    expectJson(await whoAmI(other, b), 200);
    const change = (body) => S().request('POST', '/v1/auth/password', { ...as(who), json: body });
    expectError(await change({ current_password: 'not my password', new_password: NEW }), 401, 'invalid_credentials');
    expectJson(await whoAmI(who), 200);
    expectError(await change({ current_password: PASSWORD, new_password: 'short' }), 400, 'invalid_request',
      { param: 'new_password' });
    expectError(await change({ current_password: PASSWORD, new_password: 'x'.repeat(257) }), 400, 'invalid_request',
      { param: 'new_password' });
    const res = await change({ current_password: PASSWORD, new_password: NEW });
    assert.equal(res.status, 204, res.text);
    expectJson(await whoAmI(who), 200);
    expectJson(await whoAmI(who, b), 200);
    expectError(await whoAmI(other, b), 401, 'unauthorized');
    expectError(await whoAmI(other), 401, 'unauthorized');
    expectError(await refresh(S(), other.refresh), 401, 'unauthorized');
    // This session's refresh token still works.
    refreshed(await refresh(S(), who.refresh), 'refresh after password change');
    expectError(await S().post('/v1/auth/login', { email: who.email, password: PASSWORD }), 401, 'invalid_credentials');
    expectJson(await S().post('/v1/auth/login', { email: who.email, password: NEW }), 200);
  });
});

// ---------------------------------------------------------------- 11. CSRF

describe('CSRF', () => {
  let who; let app; let key;
  before(async () => {
    who = await newOrg();
    app = expectJson(await S().request('POST', '/v1/applications', { ...as(who), json: { name: 'csrf' } }), 201);
    key = expectJson(await S().request('POST', '/v1/api_keys',
      { ...as(who), json: { name: 'k', scopes: ['read:applications', 'write:applications'], mode: 'live' } }), 201).secret;
    remember('api key secret', key);
  });
  const count = async () => expectJson(await S().get('/v1/applications?limit=100', cookieOnly(who)), 200).data.length;
  const unsafe = () => [
    ['POST', '/v1/applications', { name: 'nope' }],
    ['PATCH', `/v1/applications/${app.id}`, { name: 'nope' }],
    ['DELETE', `/v1/applications/${app.id}`, undefined],
    ['PATCH', '/v1/org', { name: 'nope' }],
    ['POST', '/v1/auth/reauthenticate', { password: PASSWORD }],
  ];

  const refusals = {
    'no X-CSRF-Token': () => ({}),
    'an empty X-CSRF-Token': () => ({ 'X-CSRF-Token': '' }),
    'a wrong X-CSRF-Token': () => ({ 'X-CSRF-Token': mistype(who.csrf) }),
    'another session\'s X-CSRF-Token': () => ({ 'X-CSRF-Token': 'placeholder' }),
    'the right token with Origin https://evil.example': () => ({ 'X-CSRF-Token': who.csrf, Origin: 'https://evil.example' }),
    'the right token with Origin null': () => ({ 'X-CSRF-Token': who.csrf, Origin: 'null' }),
    'the right token with Origin of another port': () => ({ 'X-CSRF-Token': who.csrf, Origin: 'http://127.0.0.1:1' }),
    'the right token with a foreign Referer': () => ({ 'X-CSRF-Token': who.csrf, Referer: 'https://evil.example/page' }),
    'the right token with a look-alike Referer': () => ({ 'X-CSRF-Token': who.csrf, Referer: `${S().base}.evil.example/` }),
  };
  for (const [label, headers] of Object.entries(refusals)) {
    test(`cookie-authenticated POST/PATCH/DELETE with ${label} → 403 csrf_failed, nothing changes`, async () => {
      let h = headers();
      if (label.startsWith('another session')) h = { 'X-CSRF-Token': (await newOrg()).csrf };
      const n0 = await count();
      for (const [m, path, json] of unsafe()) {
        const res = await S().request(m, path, { cookies: who.cookie, headers: h, json });
        expectError(res, 403, 'csrf_failed');
        assert.equal(res.headers['set-cookie'], undefined, `${m} ${path}: cookies set`);
      }
      assert.equal(await count(), n0, 'an application was created');
      const got = expectJson(await S().get(`/v1/applications/${app.id}`, cookieOnly(who)), 200);
      assert.equal(got.name, 'csrf');
    });
  }

  test('Origin equal to the server\'s own origin, or a same-origin Referer, is allowed', async () => {
    const h = { 'X-CSRF-Token': who.csrf, Origin: S().base };
    expectJson(await S().request('POST', '/v1/applications', { cookies: who.cookie, headers: h, json: { name: 'o' } }), 201);
    const r = { 'X-CSRF-Token': who.csrf, Referer: `${S().base}/apps` };
    expectJson(await S().request('PATCH', `/v1/applications/${app.id}`,
      { cookies: who.cookie, headers: r, json: { name: 'csrf' } }), 200);
  });

  test('GET needs no token', async () => {
    expectJson(await S().get('/v1/applications', cookieOnly(who)), 200);
    expectJson(await S().get('/v1/org', cookieOnly(who)), 200);
  });

  test('an Authorization header authenticates alone: no token needed even with a session cookie', async () => {
    const res = await S().request('POST', '/v1/applications',
      { cookies: who.cookie, headers: { Authorization: `Bearer ${key}` }, json: { name: 'by key' } });
    expectJson(res, 201);
    const res2 = await S().request('DELETE', `/v1/applications/${res.json.id}`,
      { cookies: who.cookie, headers: { Authorization: `Bearer ${key}`, Origin: S().base } });
    assert.equal(res2.status, 204, res2.text);
  });

  test('sign-up, login and invitation accept succeed with stale cookies and no token', async () => {
    const stale = { gh_session: 'stale-garbage', gh_refresh: 'stale' };
    const live = { gh_session: who.access, gh_refresh: who.refresh };
    for (const ck of [stale, live]) {
      const su = await S().post('/v1/signup', { email: uniqueEmail('stale'), password: PASSWORD, org_name: 'Stale' },
        { cookies: ck });
      expectJson(su, 201);
      const s = sessionOf(su, null, 'stale sign-up');
      expectJson(await whoAmI(s), 200);
      const li = await S().post('/v1/auth/login', { email: who.email, password: PASSWORD }, { cookies: ck });
      expectJson(li, 200);
      const l = sessionOf(li, who.email, 'stale login');
      assert.notEqual(l.id, who.id, 'login reused the presented session');
      const inv = expectJson(await S().request('POST', '/v1/users',
        { ...as(who), json: { email: uniqueEmail('stale-inv'), role: 'member' } }), 201);
      remember('invitation token', inv.invitation.token);
      const ac = await S().post('/v1/invitations/accept', { token: inv.invitation.token, password: PASSWORD },
        { cookies: ck });
      expectJson(ac, 200);
      sessionOf(ac, inv.user.email, 'stale accept');
    }
    expectJson(await whoAmI(who), 200);
  });
});

// ---------------------------------------------------------------- 13. invitation accept

describe('POST /v1/invitations/accept', () => {
  let admin;
  before(async () => { admin = await newOrg(); });
  const invite = async (role = 'member') => {
    const j = expectJson(await S().request('POST', '/v1/users',
      { ...as(admin), json: { email: uniqueEmail('inv'), role } }), 201);
    remember('invitation token', j.invitation.token);
    return j;
  };

  test('200 with the login body + cookies, role member; the same token again → 400 param token', async () => {
    const inv = await invite();
    const t0 = Date.now();
    const res = await S().post('/v1/invitations/accept', { token: inv.invitation.token, password: PASSWORD });
    const j = expectJson(res, 200);
    assert.deepEqual(Object.keys(j).sort(), ['csrf_token', 'org', 'session', 'user']);
    const s = sessionOf(res, inv.user.email, 'accept');
    assert.equal(j.user.id, inv.user.id);
    assert.equal(j.user.role, 'member');
    assert.equal(j.user.status, 'active');
    assert.equal(j.org.id, admin.org);
    near(j.session.reauthenticated_at, t0, 10_000, 'accept counts as authentication');
    assert.ok(!res.text.includes(inv.invitation.token), 'invitation token echoed');
    const me = expectJson(await whoAmI(s), 200);
    assert.equal(me.role, 'member');
    assert.equal(me.csrf_token, s.csrf);
    // A member's session: no admin operations.
    expectError(await S().request('POST', '/v1/users', { ...as(s), json: { email: uniqueEmail(), role: 'member' } }),
      403, 'forbidden');
    const again = await S().post('/v1/invitations/accept', { token: inv.invitation.token, password: 'another password 1' });
    expectError(again, 400, 'invalid_request', { param: 'token' });
    assert.equal(again.headers['set-cookie'], undefined);
    // The first password stands; the second never took.
    expectJson(await S().post('/v1/auth/login', { email: inv.user.email, password: PASSWORD }), 200);
    expectError(await S().post('/v1/auth/login', { email: inv.user.email, password: 'another password 1' }), 401,
      'invalid_credentials');
  });

  test('a garbage token → 400 param token', async () => {
    for (const token of ['garbage', 'A'.repeat(43), '', 'x'.repeat(200)]) {
      expectError(await S().post('/v1/invitations/accept', { token, password: PASSWORD }), 400, 'invalid_request',
        { param: 'token' });
    }
  });

  test('a short (or too long) password → 400 param password, and the invitation stays usable', async () => {
    const inv = await invite('admin');
    for (const password of ['short', '123456789', 'x'.repeat(257)]) {
      expectError(await S().post('/v1/invitations/accept', { token: inv.invitation.token, password }), 400,
        'invalid_request', { param: 'password' });
    }
    const res = await S().post('/v1/invitations/accept', { token: inv.invitation.token, password: PASSWORD });
    assert.equal(expectJson(res, 200).user.role, 'admin');
  });
});

// ---------------------------------------------------------------- 12. throttling

/** The login throttle's windows as RateLimit-Policy names them (api.md, "Rate
 *  limits"): quota q and window w in seconds. */
const THROTTLE_POLICIES = { 'login-account': { q: 10, w: 900 }, 'login-address': { q: 100, w: 60 } };

/** The RateLimit-Policy and RateLimit headers of res: one policy, the same
 *  name in both, q and w of that window, 0 <= r <= q, 1 <= t <= w. With
 *  `name` and `r`, those too. Returns {name, q, w, r, t}. */
function expectLimit(res, what, name, r) {
  const pol = res.headers['ratelimit-policy']; const st = res.headers.ratelimit;
  const p = /^"([a-z-]+)";q=(\d+);w=(\d+)$/.exec(pol || '');
  assert.ok(p, `${what}: RateLimit-Policy ${pol}`);
  const m = /^"([a-z-]+)";r=(\d+);t=(\d+)$/.exec(st || '');
  assert.ok(m, `${what}: RateLimit ${st}`);
  const l = { name: p[1], q: Number(p[2]), w: Number(p[3]), r: Number(m[2]), t: Number(m[3]) };
  assert.equal(m[1], l.name, `${what}: RateLimit-Policy ${pol} but RateLimit ${st}`);
  if (name !== undefined) assert.equal(l.name, name, `${what}: ${pol}; ${st}`);
  const want = THROTTLE_POLICIES[l.name];
  assert.ok(want, `${what}: not a login throttle window: ${pol}`);
  assert.deepEqual({ q: l.q, w: l.w }, want, `${what}: ${pol}`);
  if (r !== undefined) assert.equal(l.r, r, `${what}: ${st}`);
  assert.ok(l.r <= l.q, `${what}: ${st}`);
  assert.ok(l.t >= 1 && l.t <= l.w, `${what}: t outside 1..${l.w}: ${st}`);
  return l;
}

describe('login throttling with GATEHOUSE_RATE_LIMITS=off', () => {
  test('no throttle, and no RateLimit headers (as for every other limit)', async () => {
    const off = await ctx.another({ GATEHOUSE_RATE_LIMITS: 'off' });
    const who = await newOrg(off);
    for (let i = 0; i < 11; i++) {
      const res = await off.post('/v1/auth/login', { email: who.email, password: `wrong ${i}` });
      expectError(res, 401, 'invalid_credentials');
      assert.equal(res.headers['ratelimit-policy'], undefined);
      assert.equal(res.headers.ratelimit, undefined);
    }
    const res = await off.post('/v1/auth/login', { email: who.email, password: PASSWORD });
    expectJson(res, 200);
    assert.equal(res.headers['ratelimit-policy'], undefined);
    assert.equal(res.headers.ratelimit, undefined);
  });
});

describe('login throttling (default limits)', () => {
  let T;
  before(async () => { T = await ctx.another(); });

  /** A 429 of the login throttle: Retry-After, no cookies, and the
   *  RateLimit headers of the window that refused (`name`), with r=0 and t
   *  equal to Retry-After. */
  const expect429 = (res, what, name = 'login-account') => {
    const b = expectError(res, 429, 'rate_limit_exceeded');
    const ra = res.headers['retry-after'];
    assert.match(ra || '', /^\d+$/, `${what}: Retry-After ${ra}`);
    assert.ok(Number(ra) >= 1, `${what}: Retry-After ${ra} < 1`);
    assert.equal(res.headers['set-cookie'], undefined, `${what}: cookies on 429`);
    const l = expectLimit(res, what, name, 0);
    assert.equal(l.t, Number(ra), `${what}: RateLimit t=${l.t} but Retry-After ${ra}`);
    return b;
  };
  const loginRes = (email, password) => T.post('/v1/auth/login', { email, password });

  test('10 failures for one account → the right password gets 429; other accounts and existing sessions unaffected', async () => {
    const victim = await newOrg(T);
    const bystander = await newOrg(T);
    for (let i = 0; i < 10; i++) {
      const res = await loginRes(victim.email, `wrong password ${i}`);
      expectError(res, 401, 'invalid_credentials');
      // The account window is the one closer to refusing: failures left.
      expectLimit(res, `failure ${i + 1}`, 'login-account', 9 - i);
    }
    const b = expect429(await loginRes(victim.email, PASSWORD), 'right password after 10 failures');
    assert.deepEqual(Object.keys(b.error).sort(), ['code', 'message', 'request_id']);
    expect429(await loginRes(victim.email.toUpperCase(), PASSWORD), 'upper-cased email');
    expect429(await loginRes(victim.email, 'wrong again'), 'wrong password after 10 failures');
    // Another account from the same client: no failure spent.
    const ok = await loginRes(bystander.email, PASSWORD);
    expectJson(ok, 200);
    expectLimit(ok, 'login of another account', 'login-account', 10);
    // The throttled account's existing session still works, also for unsafe calls.
    expectJson(await whoAmI(victim, T), 200);
    expectJson(await T.request('POST', '/v1/applications', { ...as(victim), json: { name: 'still here' } }), 201);
  });

  test('unknown emails are throttled the same way (same status, same body shape)', async () => {
    const known = await newOrg(T);
    const ghost = uniqueEmail('ghost');
    const k = []; const g = [];
    for (let i = 0; i < 10; i++) {
      k.push(expectError(await loginRes(known.email, `wrong ${i}`), 401, 'invalid_credentials'));
      g.push(expectError(await loginRes(ghost, `wrong ${i}`), 401, 'invalid_credentials'));
    }
    const rk = await loginRes(known.email, PASSWORD);
    const rg = await loginRes(ghost, PASSWORD);
    const bk = expect429(rk, 'known account'); const bg = expect429(rg, 'unknown email');
    assert.equal(rg.headers['ratelimit-policy'], rk.headers['ratelimit-policy']);
    assert.equal(bg.error.message, bk.error.message, 'messages differ between known and unknown accounts');
    assert.deepEqual(Object.keys(bg.error).sort(), Object.keys(bk.error).sort());
    assert.ok(Math.abs(Number(rk.headers['retry-after']) - Number(rg.headers['retry-after'])) <= 5,
      `Retry-After ${rk.headers['retry-after']} vs ${rg.headers['retry-after']}`);
  });

  test('re-authentication failures count against the account: 10 wrong → 429 on the 11th (and for login)', async () => {
    const who = await newOrg(T);
    const reauth = (password) => T.request('POST', '/v1/auth/reauthenticate', { ...as(who), json: { password } });
    for (let i = 0; i < 10; i++) {
      const res = await reauth(`wrong ${i}`);
      expectError(res, 401, 'invalid_credentials');
      // Closer to refusing than the session's own limit (burst 100).
      expectLimit(res, `re-authentication failure ${i + 1}`, 'login-account', 9 - i);
    }
    // Refused by the account window, not by the session limit: its headers.
    expect429(await reauth(PASSWORD), '11th re-authentication (right password)');
    expect429(await loginRes(who.email, PASSWORD), 'login after 10 failed re-authentications');
    // The session itself lives on.
    expectJson(await whoAmI(who, T), 200);
  });

  test('login failures count against re-authentication too', async () => {
    const who = await newOrg(T);
    const ok = await T.request('POST', '/v1/auth/reauthenticate', { ...as(who), json: { password: PASSWORD } });
    expectJson(ok, 200);
    expectLimit(ok, 're-authentication', 'login-account', 10);
    const c = checkCookies(ok, 're-authentication');
    Object.assign(who, { access: c.gh_session.value, refresh: c.gh_refresh.value, cookie: { gh_session: c.gh_session.value } });
    for (let i = 0; i < 10; i++) expectError(await loginRes(who.email, `wrong ${i}`), 401, 'invalid_credentials');
    expect429(await T.request('POST', '/v1/auth/reauthenticate', { ...as(who), json: { password: PASSWORD } }),
      're-authentication after 10 failed logins');
  });
});

describe('login throttling per client address (run last: blocks 127.0.0.1 on its own server)', () => {
  let T;
  before(async () => { T = await ctx.another(); });

  test('more than 100 attempts a minute from one address → 429, also for a valid login', async () => {
    const who = await newOrg(T); // sign-up is not a login attempt
    const statuses = []; const responses = [];
    let first429 = null;
    const t0 = Date.now();
    // Unknown emails, 4 at a time (the hashing pool's queue is not under test).
    for (let i = 0; i < 104; i += 4) {
      const batch = await Promise.all([0, 1, 2, 3].map((j) => T.post('/v1/auth/login',
        { email: uniqueEmail(`flood${i + j}`), password: 'wrong password' })));
      for (const r of batch) {
        statuses.push(r.status);
        responses.push(r);
        if (r.status === 429 && !first429) first429 = r;
      }
    }
    const elapsed = Date.now() - t0;
    assert.ok(elapsed < 55_000, `the flood took ${elapsed} ms: not within one window`);
    const n401 = statuses.filter((s) => s === 401).length;
    const n429 = statuses.filter((s) => s === 429).length;
    assert.equal(n401 + n429, statuses.length, `unexpected statuses: ${[...new Set(statuses)]}`);
    assert.equal(n401, 100, `expected exactly 100 attempts let through, got ${n401} (429: ${n429})`);
    assert.ok(first429, 'no 429 after 104 attempts');
    const b = expectError(first429, 429, 'rate_limit_exceeded');
    assert.ok(Number(first429.headers['retry-after']) >= 1, `Retry-After ${first429.headers['retry-after']}`);
    assert.ok(b.error.message);
    // Each 401 reports the window closer to refusing: the (unknown, once
    // failed) account's until fewer than 9 attempts are left to the
    // address, then the address's, down to r=0 on the 100th.
    const reported = responses.filter((r) => r.status === 401).map((r, i) => expectLimit(r, `401 #${i + 1}`));
    for (const l of reported) {
      if (l.name === 'login-account') assert.equal(l.r, 9, `account window: ${JSON.stringify(l)}`);
      else assert.ok(l.r < 9, `address window reported with r=${l.r}, account has 9 left`);
    }
    const byAddress = reported.filter((l) => l.name === 'login-address').map((l) => l.r).sort((x, y) => x - y);
    assert.deepEqual(byAddress, [0, 1, 2, 3, 4, 5, 6, 7, 8], `address states reported: ${byAddress}`);
    // The 429 reports the address window that refused it.
    const l429 = expectLimit(first429, 'first 429', 'login-address', 0);
    assert.equal(l429.t, Number(first429.headers['retry-after']));
    assert.ok(l429.t <= 60);
    // The address is blocked for every account, the right password included.
    const res = await T.post('/v1/auth/login', { email: who.email, password: PASSWORD });
    expectError(res, 429, 'rate_limit_exceeded');
    assert.ok(Number(res.headers['retry-after']) >= 1);
    assert.equal(expectLimit(res, 'valid login, address refused', 'login-address', 0).t, Number(res.headers['retry-after']));
    // Existing sessions are unaffected.
    expectJson(await whoAmI(who, T), 200);
  });
});

// ---------------------------------------------------------------- logs

describe('logs', () => {
  test('no token value (cookies, CSRF, invitation tokens, key secrets) or password in any server\'s log', async () => {
    await sleep(300);
    const servers = [S(), ...ctx.extra];
    assert.ok(SECRETS.size > 50, `too few secrets collected (${SECRETS.size})`);
    const leaks = [];
    for (const srv of servers) {
      for (const line of srv.lines) {
        for (const [v, label] of SECRETS) if (line.includes(v)) leaks.push(`${label}: ${line.slice(0, 300)}`);
        if (line.includes(PASSWORD)) leaks.push(`password: ${line.slice(0, 300)}`);
      }
    }
    assert.deepEqual(leaks.slice(0, 10), [], `${leaks.length} log lines carry a secret`);
  });

  test('no 5xx on any server', () => {
    for (const srv of [S(), ...ctx.extra]) expectNo5xx(srv);
  });
});
