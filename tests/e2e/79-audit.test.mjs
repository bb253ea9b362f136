// The audit log (api.md, GET /v1/audit_log): every audited action leaves
// its row — actor, credential, target, client IP, the User-Agent sent, the
// response's Request-Id — written with the action; filters and paging;
// admins only (an admin key reads, a member session does not).
// Append-only at the database layer is sql/tests/95 and 97 (pgTAP).
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import {
  useServer, expectError, expectJson, expectNo5xx, expectUniqueRequestIds, signup, psql, cookies,
  RFC3339_UTC_RE, PASSWORD, uniqueEmail,
} from './harness.mjs';

const ctx = useServer({ env: { GATEHOUSE_REAUTH_WINDOW_SECONDS: '600' } });
const S = () => ctx.srv;
const AUD_RE = /^aud_[A-Za-z0-9]{22}$/;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** A header value carrying these UTF-8 bytes (the client writes headers as latin1). */
const utf8 = (s) => Buffer.from(s, 'utf8').toString('latin1');

/** Request options of a session, with a User-Agent to find in the log. */
const as = (who, ua = 'gatehouse-e2e') => ({
  cookies: who.cookie, headers: { 'X-CSRF-Token': who.csrf, 'User-Agent': ua },
});
const bearer = (k) => ({ headers: { Authorization: `Bearer ${k}` } });
const call = (who, method, path, body, ua) =>
  S().request(method, path, { ...as(who, ua), ...(body === undefined ? {} : { json: body }) });

/** A logged-in session from a login/sign-up/accept response. */
function sessionOf(res) {
  const c = cookies(res);
  return {
    cookie: { gh_session: c.gh_session.value }, refresh: c.gh_refresh && c.gh_refresh.value,
    csrf: res.json.csrf_token, sessionId: res.json.session.id, userId: res.json.user.id, org: res.json.org.id,
  };
}

async function login(email, password = PASSWORD, ua = 'gatehouse-e2e') {
  return S().request('POST', '/v1/auth/login', { json: { email, password }, headers: { 'User-Agent': ua } });
}

/** Every entry the admin session sees, newest first. */
async function entries(who = A, query = '') {
  const out = [];
  let after = null;
  for (;;) {
    const q = `limit=100${query ? `&${query}` : ''}${after ? `&starting_after=${after}` : ''}`;
    const j = expectJson(await S().get(`/v1/audit_log?${q}`, as(who)), 200);
    out.push(...j.data);
    if (!j.has_more) return out;
    after = j.data[j.data.length - 1].id;
  }
}

/** The one entry written by the request that answered res. */
async function entryOf(res, who = A) {
  const rid = res.headers['request-id'];
  const found = (await entries(who)).filter((e) => e.request_id === rid);
  assert.equal(found.length, 1, `one audit entry for ${rid}, got ${JSON.stringify(found)}`);
  return found[0];
}

function expectEntry(e, want) {
  assert.equal(e.object, 'audit_entry');
  assert.match(e.id, AUD_RE);
  assert.deepEqual(Object.keys(e), ['object', 'id', 'org_id', 'action', 'actor', 'credential_id', 'target', 'ip',
    'user_agent', 'request_id', 'created_at', 'details']);
  assert.match(e.created_at, RFC3339_UTC_RE);
  assert.equal(e.ip, '127.0.0.1');
  for (const [k, v] of Object.entries(want)) {
    if (k === 'details') assert.deepEqual(e.details, v, 'details');
    else assert.equal(e[k], v, k);
  }
}

let A; // the org's admin: {cookie, csrf, sessionId, userId, org, email}
let B;
let setupDone;
const setup = () => (setupDone ||= (async () => {
  const su = await signup(S());
  assert.equal(su.res.status, 201, su.res.text);
  A = { ...sessionOf(su.res), email: su.body.email };
  const sb = await signup(S());
  B = sessionOf(sb.res);
})());

describe('every audited action leaves its row, with the request that did it', () => {
  before(setup);

  test('sign-up: the new org\'s first entry', async () => {
    const su = await signup(S());
    assert.equal(su.res.status, 201);
    const who = sessionOf(su.res);
    const all = await entries(who);
    assert.equal(all.length, 1);
    expectEntry(all[0], {
      action: 'user.signed_up', org_id: who.org, actor: who.userId, credential_id: who.sessionId, target: who.userId,
      request_id: su.res.headers['request-id'],
    });
  });

  test('login: success and failure (an unknown email has no org: no row)', async () => {
    const ok = await login(A.email, PASSWORD, 'ua-login/1.0');
    assert.equal(ok.status, 200, ok.text);
    const s = sessionOf(ok);
    expectEntry(await entryOf(ok), {
      action: 'login.succeeded', org_id: A.org, actor: A.userId, credential_id: s.sessionId, target: A.userId,
      user_agent: 'ua-login/1.0', request_id: ok.headers['request-id'], details: {},
    });
    A = { ...A, ...s }; // continue with the new (re-authenticated) session

    // Valid UTF-8 is kept; a stray byte (latin1 ü) and control bytes are dropped.
    const bad = await login(A.email, 'wrong password here', `ua-bad/2.0 (${utf8('ünï')}\xfc\x7fcode)`);
    expectError(bad, 401, 'invalid_credentials');
    expectEntry(await entryOf(bad), {
      action: 'login.failed', actor: A.userId, credential_id: null, target: A.userId,
      user_agent: 'ua-bad/2.0 (ünïcode)', details: { reason: 'wrong_password' },
    });

    const nobody = await login(uniqueEmail('nobody'), 'wrong password here');
    expectError(nobody, 401, 'invalid_credentials');
    assert.equal(psql(`SELECT count(*) FROM gh.audit_log WHERE request_id = '${nobody.headers['request-id']}'`, S().db.name), '0');
  });

  test('a long User-Agent is cut to 512 bytes, on a character boundary', async () => {
    const ua = utf8('é'.repeat(400)); // 800 bytes
    const ok = await login(A.email, PASSWORD, ua);
    assert.equal(ok.status, 200);
    A = { ...A, ...sessionOf(ok) };
    const e = await entryOf(ok);
    assert.equal(e.user_agent, 'é'.repeat(256));
  });

  test('re-authentication: success and failure', async () => {
    const ok = await call(A, 'POST', '/v1/auth/reauthenticate', { password: PASSWORD }, 'ua-reauth');
    assert.equal(ok.status, 200, ok.text);
    A.cookie = { gh_session: cookies(ok).gh_session.value }; // new tokens
    expectEntry(await entryOf(ok), {
      action: 'session.reauthenticated', actor: A.userId, credential_id: A.sessionId, target: A.sessionId,
      user_agent: 'ua-reauth', request_id: ok.headers['request-id'],
    });

    const bad = await call(A, 'POST', '/v1/auth/reauthenticate', { password: 'not the password' }, 'ua-reauth-bad');
    expectError(bad, 401, 'invalid_credentials');
    expectEntry(await entryOf(bad), {
      action: 'session.reauthentication_failed', actor: A.userId, credential_id: A.sessionId,
      user_agent: 'ua-reauth-bad', details: { reason: 'wrong_password' },
    });
  });

  test('API keys: created, rotated, revoked', async () => {
    const c = await call(A, 'POST', '/v1/api_keys', { name: 'audited', scopes: ['admin'], mode: 'live' }, 'ua-key');
    const k = expectJson(c, 201);
    expectEntry(await entryOf(c), {
      action: 'api_key.created', actor: A.userId, credential_id: A.sessionId, target: k.id, user_agent: 'ua-key',
    });
    const r = await call(A, 'POST', `/v1/api_keys/${k.id}/rotate`, {}, 'ua-rotate');
    const k2 = expectJson(r, 201);
    expectEntry(await entryOf(r), {
      action: 'api_key.rotated', target: k.id, details: { new_key_id: k2.id, expire_old_in_seconds: 0 },
    });
    const v = await call(A, 'POST', `/v1/api_keys/${k2.id}/revoke`, undefined, 'ua-revoke');
    expectJson(v, 200);
    expectEntry(await entryOf(v), { action: 'api_key.revoked', target: k2.id, actor: A.userId });
  });

  test('org settings change', async () => {
    const res = await call(A, 'PATCH', '/v1/org', { name: 'Audited Org', session_max_lifetime_seconds: 7200 }, 'ua-org');
    expectJson(res, 200);
    expectEntry(await entryOf(res), {
      action: 'org.updated', target: A.org, actor: A.userId,
      details: { fields: ['name', 'session_max_lifetime_seconds'] },
    });
  });

  test('members: invited, joined, re-roled, force logout, removed', async () => {
    const email = uniqueEmail('member');
    const inv = await call(A, 'POST', '/v1/users', { email, role: 'member' }, 'ua-invite');
    const j = expectJson(inv, 201);
    const uid = j.user.id;
    expectEntry(await entryOf(inv), { action: 'user.invited', target: uid, actor: A.userId, details: { role: 'member' } });
    // The invitation token is in no audit entry.
    assert.ok(!JSON.stringify(await entries()).includes(j.invitation.token));

    const acc = await S().request('POST', '/v1/invitations/accept', {
      json: { token: j.invitation.token, password: PASSWORD }, headers: { 'User-Agent': 'ua-accept' },
    });
    assert.equal(acc.status, 200, acc.text);
    const m = sessionOf(acc);
    expectEntry(await entryOf(acc), {
      action: 'user.joined', actor: uid, credential_id: m.sessionId, target: uid, user_agent: 'ua-accept',
    });
    // A member session cannot read the audit log.
    expectError(await S().get('/v1/audit_log', as(m)), 403, 'forbidden');

    const rr = await call(A, 'PATCH', `/v1/users/${uid}`, { role: 'admin' }, 'ua-role');
    expectJson(rr, 200);
    expectEntry(await entryOf(rr), { action: 'user.role_changed', target: uid, details: { role: 'admin' } });

    const fl = await call(A, 'POST', `/v1/users/${uid}/force_logout`, undefined, 'ua-fl');
    assert.equal(fl.status, 204);
    expectEntry(await entryOf(fl), { action: 'session.force_logout', target: uid, actor: A.userId });

    const rm = await call(A, 'DELETE', `/v1/users/${uid}`, undefined, 'ua-rm');
    assert.equal(rm.status, 204);
    expectEntry(await entryOf(rm), { action: 'user.removed', target: uid });
    // Refused (last admin): no entry.
    const last = await call(A, 'DELETE', `/v1/users/${A.userId}`);
    expectError(last, 409, 'conflict');
    assert.ok(!(await entries()).some((e) => e.request_id === last.headers['request-id']));
  });

  test('password change', async () => {
    const res = await call(A, 'POST', '/v1/auth/password', { current_password: PASSWORD, new_password: PASSWORD }, 'ua-pw');
    assert.equal(res.status, 204, res.text);
    expectEntry(await entryOf(res), {
      action: 'password.changed', actor: A.userId, credential_id: A.sessionId, target: A.userId,
    });
  });

  test('refresh-token reuse detection (a replay more than 10 s after rotation)', { timeout: 30_000 }, async () => {
    const li = await login(A.email);
    const s = sessionOf(li);
    const rot = await S().request('POST', '/v1/auth/refresh', { cookies: { gh_refresh: s.refresh } });
    assert.equal(rot.status, 200, rot.text);
    await sleep(11_000);
    const replay = await S().request('POST', '/v1/auth/refresh', {
      cookies: { gh_refresh: s.refresh }, headers: { 'User-Agent': 'ua-thief' },
    });
    expectError(replay, 401, 'unauthorized');
    expectEntry(await entryOf(replay), {
      action: 'session.refresh_reuse_detected', actor: A.userId, credential_id: s.sessionId, target: s.sessionId,
      user_agent: 'ua-thief', request_id: replay.headers['request-id'],
    });
    // Replaying again: the session is already revoked; no second entry.
    const again = await S().request('POST', '/v1/auth/refresh', { cookies: { gh_refresh: s.refresh } });
    assert.equal(again.status, 401);
    assert.ok(!(await entries()).some((e) => e.request_id === again.headers['request-id']));
  });

  test('org force logout (the caller is logged out too)', async () => {
    const res = await call(A, 'POST', '/v1/org/force_logout', undefined, 'ua-org-fl');
    assert.equal(res.status, 204);
    const li = await login(A.email);
    A = { ...A, ...sessionOf(li) };
    expectEntry(await entryOf(res), { action: 'org.force_logout', target: A.org, actor: A.userId, user_agent: 'ua-org-fl' });
  });
});

describe('reading the log', () => {
  before(setup);

  test('newest first; limit, starting_after, has_more', async () => {
    const all = await entries();
    assert.ok(all.length >= 15, `${all.length} entries`);
    assert.ok(all.every((e) => e.org_id === A.org));
    const p1 = expectJson(await S().get('/v1/audit_log?limit=3', as(A)), 200);
    assert.equal(p1.object, 'list');
    assert.equal(p1.has_more, true);
    assert.deepEqual(p1.data.map((e) => e.id), all.slice(0, 3).map((e) => e.id));
    const p2 = expectJson(await S().get(`/v1/audit_log?limit=2&starting_after=${p1.data[2].id}`, as(A)), 200);
    assert.deepEqual(p2.data.map((e) => e.id), all.slice(3, 5).map((e) => e.id));
    const stamps = all.map((e) => e.created_at);
    assert.deepEqual([...stamps].sort().reverse(), stamps);
  });

  test('filters: action, actor, from, to', async () => {
    const all = await entries();
    const byAction = await entries(A, 'action=login.succeeded');
    assert.deepEqual(byAction.map((e) => e.id), all.filter((e) => e.action === 'login.succeeded').map((e) => e.id));
    assert.ok(byAction.length >= 2);
    const member = all.find((e) => e.action === 'user.joined').actor;
    const byActor = await entries(A, `actor=${member}`);
    assert.deepEqual(byActor.map((e) => e.id), all.filter((e) => e.actor === member).map((e) => e.id));
    assert.deepEqual(await entries(A, 'action=nothing.happened'), []);

    const oldest = all[all.length - 1];
    const newest = all[0];
    assert.equal((await entries(A, `from=${oldest.created_at}&to=${newest.created_at}`)).length, all.length,
      'from and to both include the seconds shown');
    assert.deepEqual(await entries(A, 'from=2099-01-01T00:00:00Z'), []);
    assert.deepEqual(await entries(A, 'to=2000-01-01T00:00:00Z'), []);
    const after = await entries(A, `from=${encodeURIComponent(newest.created_at.replace('Z', '+00:00'))}`);
    assert.ok(after.length >= 1 && after.every((e) => e.created_at >= newest.created_at));
    const combined = await entries(A, `action=login.succeeded&actor=${A.userId}&to=${newest.created_at}`);
    assert.deepEqual(combined.map((e) => e.id), byAction.filter((e) => e.actor === A.userId).map((e) => e.id));
  });

  test('bad values are 400 naming the parameter', async () => {
    const bad = [
      ['limit=0', 'limit'], ['limit=abc', 'limit'], ['starting_after=aud_unknown000000000000000', 'starting_after'],
      ['starting_after=evt_x', 'starting_after'], ['action=Login', 'action'], ['action=a.b.c', 'action'],
      ['actor=ses_abc', 'actor'], ['actor=usr_', 'actor'], ['from=yesterday', 'from'], ['to=2026-13-01T00:00:00Z', 'to'],
      ['from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', 'to'],
    ];
    for (const [q, param] of bad) {
      expectError(await S().get(`/v1/audit_log?${q}`, as(A)), 400, 'invalid_request', { param });
    }
  });

  test('an admin key reads (both modes); other keys and other orgs do not see it', async () => {
    const k = expectJson(await call(A, 'POST', '/v1/api_keys', { name: 'reader', scopes: ['admin'], mode: 'test' }), 201);
    const j = expectJson(await S().get('/v1/audit_log?limit=100', bearer(k.secret)), 200);
    assert.ok(j.data.length > 0 && j.data.every((e) => e.org_id === A.org));
    assert.ok(j.data.some((e) => e.action === 'api_key.created' && e.target === k.id));
    const ro = expectJson(await call(A, 'POST', '/v1/api_keys', { name: 'ro', scopes: ['read:leads'], mode: 'live' }), 201);
    expectError(await S().get('/v1/audit_log', bearer(ro.secret)), 403, 'forbidden');
    expectError(await S().get('/v1/audit_log', {}), 401, 'unauthorized');
    // No secret in the log.
    const text = JSON.stringify(await entries());
    assert.ok(!text.includes(k.secret) && !text.includes(ro.secret));
    // B sees only B's.
    const b = expectJson(await S().get('/v1/audit_log?limit=100', as(B)), 200);
    assert.ok(b.data.every((e) => e.org_id === B.org));
    expectError(await S().get(`/v1/audit_log?starting_after=${j.data[0].id}`, as(B)), 400, 'invalid_request',
      { param: 'starting_after' });
  });

  test('no 5xx, unique request ids', () => {
    expectNo5xx(S());
    expectUniqueRequestIds(S());
  });
});
