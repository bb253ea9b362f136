// Sign-up, login, the session cookie on GET /v1/org, secrets never logged,
// closed sign-up, Secure cookies outside dev mode, graceful stop.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  useServer, expectError, expectJson, expectNo5xx, expectUniqueRequestIds, cookies, signup,
  uniqueEmail, PASSWORD, RFC3339_UTC_RE,
} from './harness.mjs';

const ctx = useServer();
const S = () => ctx.srv;
const secrets = new Set([PASSWORD, 'wrong password 123']); // everything that must never reach a log line
const remember = (...xs) => { for (const x of xs) if (x) secrets.add(x); };

const near = (iso, expectedMs, label, tolMs = 60_000) => {
  assert.match(iso, RFC3339_UTC_RE, `${label} must be RFC 3339 UTC`);
  const d = Date.parse(iso);
  assert.ok(Math.abs(d - expectedMs) <= tolMs, `${label}=${iso}, expected ~${new Date(expectedMs).toISOString()}`);
};

/** The full login body contract ({user,org,session,csrf_token}). */
function checkLoginBody(b, { email, orgName }) {
  for (const k of ['user', 'org', 'session', 'csrf_token']) assert.ok(k in b, `missing ${k}`);
  const now = Date.now();
  const { user, org, session } = b;
  assert.equal(user.object, 'user');
  assert.match(user.id, /^usr_[A-Za-z0-9]+$/);
  assert.equal(user.email, email);
  assert.equal(user.role, 'admin');
  assert.equal(user.org_id, org.id);
  assert.match(user.created_at, RFC3339_UTC_RE, 'user.created_at');
  assert.equal(org.object, 'org');
  assert.match(org.id, /^org_[A-Za-z0-9]+$/);
  assert.equal(org.name, orgName);
  assert.equal(org.session_idle_timeout_seconds, 3600);
  assert.equal(org.session_max_lifetime_seconds, 86400);
  assert.match(org.created_at, RFC3339_UTC_RE, 'org.created_at');
  assert.equal(session.object, 'session');
  assert.match(session.id, /^ses_[A-Za-z0-9]+$/);
  assert.match(session.created_at ?? '', RFC3339_UTC_RE, 'session.created_at (every object has created_at)');
  near(session.expires_at, now + 86400_000, 'session.expires_at');
  near(session.idle_expires_at, now + 3600_000, 'session.idle_expires_at');
  near(session.access_expires_at, now + 900_000, 'session.access_expires_at');
  near(session.reauthenticated_at, now, 'session.reauthenticated_at');
  assert.equal(typeof b.csrf_token, 'string');
  assert.ok(b.csrf_token.length >= 16, 'csrf_token at least 16 chars');
  const text = JSON.stringify(b);
  assert.doesNotMatch(text, /password|argon2/i, 'no password material in the body');
}

/** gh_session / gh_refresh attributes. secure: true = must have Secure,
 *  undefined = not checked (dev mode on loopback may drop it). */
function checkCookies(res, { secure } = {}) {
  const c = cookies(res);
  assert.ok(c.gh_session && c.gh_session.value, `gh_session cookie missing: ${res.headers['set-cookie']}`);
  assert.ok(c.gh_refresh && c.gh_refresh.value, `gh_refresh cookie missing: ${res.headers['set-cookie']}`);
  assert.notEqual(c.gh_session.value, c.gh_refresh.value);
  const s = c.gh_session.attrs; const r = c.gh_refresh.attrs;
  assert.equal(s.httponly, true, 'gh_session HttpOnly'); assert.equal(r.httponly, true, 'gh_refresh HttpOnly');
  assert.equal((s.samesite || '').toLowerCase(), 'lax', 'gh_session SameSite=Lax');
  assert.equal((r.samesite || '').toLowerCase(), 'strict', 'gh_refresh SameSite=Strict');
  assert.equal(s.path, '/', 'gh_session Path=/');
  assert.equal(r.path, '/v1/auth', 'gh_refresh Path=/v1/auth');
  if (secure) { assert.equal(s.secure, true, 'gh_session Secure'); assert.equal(r.secure, true, 'gh_refresh Secure'); }
  for (const v of [c.gh_session.value, c.gh_refresh.value]) {
    assert.ok(v.length >= 20, 'token too short');
    assert.ok(!res.text.includes(v), 'a cookie token appears in the JSON body');
  }
  remember(c.gh_session.value, c.gh_refresh.value);
  return c;
}

let alice; // { email, password, orgName, session cookie, body }

describe('sign-up', () => {
  test('201 with {user,org,session,csrf_token} and the two cookies', async () => {
    const s = await signup(S());
    const b = expectJson(s.res, 201);
    checkLoginBody(b, { email: s.body.email, orgName: s.body.org_name });
    const c = checkCookies(s.res);
    remember(b.csrf_token);
    alice = { ...s.body, body: b, session: c.gh_session.value };
  });

  test('the session cookie authenticates GET /v1/org', async () => {
    const r = await S().get('/v1/org', { cookies: { gh_session: alice.session } });
    const o = expectJson(r, 200);
    assert.deepEqual(o, alice.body.org);
    assert.equal(o.object, 'org');
  });

  test('GET /v1/org with both cookies (as a browser on /v1/auth would send) works', async () => {
    const r = await S().get('/v1/org', { cookies: { gh_session: alice.session, other: 'x' } });
    assert.equal(expectJson(r, 200).id, alice.body.org.id);
  });

  test('the same email again is 409 conflict, in any case', async () => {
    for (const email of [alice.email, alice.email.toUpperCase(), alice.email.replace(/^./, (c) => c.toUpperCase())]) {
      const r = await S().post('/v1/signup', { email, password: PASSWORD, org_name: 'Dup' });
      expectError(r, 409, 'conflict');
      assert.equal(r.headers['set-cookie'], undefined, 'no cookies on failure');
    }
  });

  test('password length: 9 → 400, 10 → 201, 256 → 201, 257 → 400 (param password)', async () => {
    const mk = (n) => 'p'.repeat(n);
    expectError((await signup(S(), { password: mk(9) })).res, 400, 'invalid_request', { param: 'password' });
    expectJson((await signup(S(), { password: mk(10) })).res, 201);
    expectJson((await signup(S(), { password: mk(256) })).res, 201);
    expectError((await signup(S(), { password: mk(257) })).res, 400, 'invalid_request', { param: 'password' });
    expectError((await signup(S(), { password: '' })).res, 400, 'invalid_request', { param: 'password' });
  });

  test('password length counts characters, not bytes', async () => {
    expectError((await signup(S(), { password: 'é'.repeat(9) })).res, 400, 'invalid_request', { param: 'password' });
    const ok = await signup(S(), { password: 'é'.repeat(256) });
    expectJson(ok.res, 201);
    const l = await S().post('/v1/auth/login', { email: ok.body.email, password: 'é'.repeat(256) });
    expectJson(l, 200);
  });

  test('bad emails are 400 param email', async () => {
    for (const email of ['not-an-email', '', 'a@', '@example.com', 'a b@example.com', 'a@b@example.com', 'x'.repeat(300) + '@example.com']) {
      expectError((await signup(S(), { email })).res, 400, 'invalid_request', { param: 'email' });
    }
  });

  test('missing, empty or non-string org_name is 400 param org_name', async () => {
    const r = await S().post('/v1/signup', { email: uniqueEmail(), password: PASSWORD });
    expectError(r, 400, 'invalid_request', { param: 'org_name' });
    expectError((await signup(S(), { org_name: '' })).res, 400, 'invalid_request', { param: 'org_name' });
    expectError((await signup(S(), { org_name: 42 })).res, 400, 'invalid_request', { param: 'org_name' });
    expectError((await signup(S(), { org_name: null })).res, 400, 'invalid_request', { param: 'org_name' });
  });

  test('sign-up ignores stale cookies and needs no CSRF token', async () => {
    const s = await S().post('/v1/signup', { email: uniqueEmail(), password: PASSWORD, org_name: 'Stale' },
      { cookies: { gh_session: 'stale-garbage', gh_refresh: 'stale' } });
    expectJson(s, 201);
  });

  test('a Unicode org name round-trips verbatim', async () => {
    const name = 'Ünïcødé 🚀 组织 "quoted" \\ back';
    const s = await signup(S(), { org_name: name });
    assert.equal(expectJson(s.res, 201).org.name, name);
    const o = await S().get('/v1/org', { cookies: { gh_session: s.cookies.gh_session.value } });
    assert.equal(expectJson(o, 200).name, name);
  });

  test('each sign-up creates its own org', async () => {
    const s = await signup(S());
    const b = expectJson(s.res, 201);
    assert.notEqual(b.org.id, alice.body.org.id);
    assert.notEqual(b.user.id, alice.body.user.id);
  });
});

describe('login', () => {
  test('200 with the login body and fresh cookies', async () => {
    const r = await S().post('/v1/auth/login', { email: alice.email, password: PASSWORD });
    const b = expectJson(r, 200);
    checkLoginBody(b, { email: alice.email, orgName: alice.org_name });
    const c = checkCookies(r);
    remember(b.csrf_token);
    assert.equal(b.user.id, alice.body.user.id);
    assert.equal(b.org.id, alice.body.org.id);
    assert.notEqual(b.session.id, alice.body.session.id, 'login creates a new session');
    assert.notEqual(c.gh_session.value, alice.session, 'login issues a new token');
    const o = await S().get('/v1/org', { cookies: { gh_session: c.gh_session.value } });
    assert.equal(expectJson(o, 200).id, alice.body.org.id);
  });

  test('a new login does not end the earlier session', async () => {
    const r = await S().get('/v1/org', { cookies: { gh_session: alice.session } });
    assert.equal(expectJson(r, 200).id, alice.body.org.id);
  });

  test('email matching is case-insensitive', async () => {
    const r = await S().post('/v1/auth/login', { email: alice.email.toUpperCase(), password: PASSWORD });
    assert.equal(expectJson(r, 200).user.id, alice.body.user.id);
    checkCookies(r);
  });

  test('wrong password and unknown email: identical 401 invalid_credentials', async () => {
    const a = await S().post('/v1/auth/login', { email: alice.email, password: 'wrong password 123' });
    const b = await S().post('/v1/auth/login', { email: uniqueEmail('ghost'), password: 'wrong password 123' });
    const ea = expectError(a, 401, 'invalid_credentials');
    const eb = expectError(b, 401, 'invalid_credentials');
    assert.deepEqual(Object.keys(ea.error).sort(), Object.keys(eb.error).sort());
    assert.equal(ea.error.message, eb.error.message);
    assert.equal(a.headers['set-cookie'], undefined); assert.equal(b.headers['set-cookie'], undefined);
  });

  test('unknown email takes about as long as a wrong password (no user enumeration by timing)', async () => {
    const s = await signup(S());
    expectJson(s.res, 201);
    const time = async (email) => { const t = process.hrtime.bigint(); await S().post('/v1/auth/login', { email, password: 'wrong password 123' }); return Number(process.hrtime.bigint() - t) / 1e6; };
    const med = (xs) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    const wrong = []; const unknown = [];
    for (let i = 0; i < 4; i++) { wrong.push(await time(s.body.email)); unknown.push(await time(uniqueEmail('ghost'))); }
    assert.ok(med(unknown) >= 0.5 * med(wrong), `unknown email median ${med(unknown).toFixed(1)} ms vs wrong password ${med(wrong).toFixed(1)} ms`);
  });

  test('missing fields are 400 naming the field', async () => {
    expectError(await S().post('/v1/auth/login', { email: alice.email }), 400, 'invalid_request', { param: 'password' });
    expectError(await S().post('/v1/auth/login', { password: PASSWORD }), 400, 'invalid_request', { param: 'email' });
  });

  test('login ignores stale cookies and needs no CSRF token', async () => {
    const r = await S().post('/v1/auth/login', { email: alice.email, password: PASSWORD }, { cookies: { gh_session: 'garbage', gh_refresh: 'garbage' } });
    expectJson(r, 200);
    checkCookies(r);
  });
});

describe('GET /v1/org without valid credentials', () => {
  const cases = {
    'no credentials': {},
    'garbage cookie': { cookies: { gh_session: 'garbage' } },
    'long random cookie': { cookies: { gh_session: 'A'.repeat(43) } },
    'empty cookie': { cookies: { gh_session: '' } },
    'the refresh token used as session cookie': null, // filled at run time
    'Bearer sk_live_<32 junk>': { headers: { Authorization: 'Bearer sk_live_' + 'aB3'.repeat(10) + 'xy' } },
    'Bearer sk_test_<32 junk>': { headers: { Authorization: 'Bearer sk_test_' + 'Zz9'.repeat(10) + 'qq' } },
    'Bearer garbage': { headers: { Authorization: 'Bearer garbage' } },
    'Bearer with nothing': { headers: { Authorization: 'Bearer' } },
    'Basic auth': { headers: { Authorization: 'Basic ' + Buffer.from('a:b').toString('base64') } },
  };
  for (const [label, opts] of Object.entries(cases)) {
    test(`${label} → 401 unauthorized`, async () => {
      let o = opts;
      if (o === null) {
        const l = await S().post('/v1/auth/login', { email: alice.email, password: PASSWORD });
        const c = checkCookies(l);
        o = { cookies: { gh_session: c.gh_refresh.value } };
      }
      expectError(await S().get('/v1/org', o), 401, 'unauthorized');
    });
  }
  test('a bad Authorization header wins over a valid session cookie', async () => {
    const r = await S().get('/v1/org', { cookies: { gh_session: alice.session }, headers: { Authorization: 'Bearer sk_live_' + 'a'.repeat(32) } });
    expectError(r, 401, 'unauthorized');
  });
});

describe('closed sign-up and production cookies', () => {
  test('GATEHOUSE_SIGNUP=closed: sign-up is 403 forbidden, login still works', async () => {
    const closed = await ctx.another({ GATEHOUSE_SIGNUP: 'closed' });
    const r = await closed.post('/v1/signup', { email: uniqueEmail(), password: PASSWORD, org_name: 'Nope' });
    expectError(r, 403, 'forbidden');
    assert.equal(r.headers['set-cookie'], undefined);
    // "forbidden" comes before the body in the order of checks: a bad or
    // missing body is 403 too, not 400/415.
    expectError(await closed.post('/v1/signup', {}), 403, 'forbidden');
    expectError(await closed.request('POST', '/v1/signup', { body: '{', headers: { 'Content-Type': 'application/json' } }), 403, 'forbidden');
    expectError(await closed.request('POST', '/v1/signup', { body: 'x', headers: { 'Content-Type': 'text/plain' } }), 403, 'forbidden');
    const l = await closed.post('/v1/auth/login', { email: alice.email, password: PASSWORD });
    expectJson(l, 200);
    checkCookies(l);
    const { code } = await closed.stop();
    assert.equal(code, 0);
  });

  test('without GATEHOUSE_DEV the cookies are Secure even on loopback', async () => {
    const prod = await ctx.another({ GATEHOUSE_DEV: undefined });
    const l = await prod.post('/v1/auth/login', { email: alice.email, password: PASSWORD });
    expectJson(l, 200);
    checkCookies(l, { secure: true });
    await prod.stop();
  });
});

describe('secrets never logged', () => {
  test('no password, cookie token, CSRF token or DB password in any output line of any server', async () => {
    await new Promise((r) => setTimeout(r, 200)); // let the last log lines arrive
    const dbpw = /postgres:([^@]+)@/.exec(ctx.db.url)[1];
    remember(dbpw, 'é'.repeat(256), 'p'.repeat(256));
    const all = [S(), ...ctx.extra].flatMap((s) => s.lines);
    assert.ok(all.length > 10, 'expected captured log lines');
    for (const secret of secrets) {
      const hit = all.find((l) => l.includes(secret));
      assert.equal(hit, undefined, `a secret (${secret.slice(0, 6)}…) appears in a log line: ${hit?.slice(0, 200)}`);
    }
  });
  test('every request produced a request log line', () => {
    const logged = new Set(S().logs.filter((o) => o.msg === 'request').map((o) => o.request_id));
    const missing = S().responses.filter((r) => !logged.has(r.requestId));
    assert.deepEqual(missing, []);
  });
});

describe('graceful stop', () => {
  test('SIGTERM during a login: the login completes normally and the process exits 0', async () => {
    const srv = await ctx.another({});
    const port = srv.port;
    let answeredAt = 0;
    const inflight = srv.post('/v1/auth/login', { email: alice.email, password: PASSWORD }).then((r) => { answeredAt = Date.now(); return r; });
    await new Promise((r) => setTimeout(r, 15)); // request written and being hashed (Argon2id ~50-100 ms)
    assert.equal(answeredAt, 0, 'login answered before SIGTERM: the test did not catch it in flight');
    srv.proc.kill('SIGTERM');
    const res = await inflight;
    const b = expectJson(res, 200);
    assert.equal(b.user.id, alice.body.user.id);
    checkCookies(res);
    const exit = await Promise.race([srv.exit, new Promise((r) => setTimeout(() => r('timeout'), 15_000))]);
    assert.notEqual(exit, 'timeout', 'process did not exit within 15 s of SIGTERM');
    assert.deepEqual(exit, { code: 0, signal: null });
    // and it no longer accepts connections
    await assert.rejects(new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(); });
      s.on('error', reject);
    }));
  });
});

describe('graceful stop with an idle keep-alive connection', () => {
  test('an idle keep-alive client does not keep the process from exiting 0 within 10 s', async () => {
    const srv = await ctx.another({});
    const sock = net.connect(srv.port, '127.0.0.1');
    sock.on('error', () => {});
    await new Promise((resolve) => sock.once('connect', resolve));
    const got = new Promise((resolve) => sock.once('data', resolve));
    sock.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\n\r\n`);
    assert.match((await got).toString('latin1'), /^HTTP\/1\.1 200/);
    srv.proc.kill('SIGTERM');
    const exit = await Promise.race([srv.exit, new Promise((r) => setTimeout(() => r('timeout'), 10_000))]);
    sock.destroy();
    assert.notEqual(exit, 'timeout', 'still running 10 s after SIGTERM with an idle keep-alive connection open');
    assert.deepEqual(exit, { code: 0, signal: null });
  });
});

describe('global', () => {
  test('no 5xx anywhere and every Request-Id was unique', () => {
    expectNo5xx(S());
    expectUniqueRequestIds(S());
  });
});
