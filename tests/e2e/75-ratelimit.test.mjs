// Per-credential rate limits (GCRA) with the IETF RateLimit headers; 429
// with Retry-After; each key on its own; failed authentication spends no
// quota. Limits are made small (GATEHOUSE_RATE_LIMITS) so the test is fast.
import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, expectError, expectJson, signup, mistype } from './harness.mjs';

const ctx = useServer({ env: { GATEHOUSE_RATE_LIMITS: 'key=1/5,session=1/8' } });
const as = (who) => ({ cookies: who.cookie, headers: { 'X-CSRF-Token': who.csrf } });
const bearer = (k) => ({ headers: { Authorization: `Bearer ${k}` } });

describe('rate limits', () => {
  let admin, k1, k2;
  before(async () => {
    const su = await signup(ctx.srv);
    admin = { cookie: { gh_session: su.cookies.gh_session.value }, csrf: su.json.csrf_token };
    const mk = async () => expectJson(await ctx.srv.post('/v1/api_keys', { name: 'rl', scopes: ['read:leads'], mode: 'live' }, as(admin)), 201).secret;
    k1 = await mk();
    k2 = await mk();
  });

  test('a key: the burst passes with RateLimit headers, then 429 with Retry-After; another key is unaffected', async () => {
    const res = await Promise.all(Array.from({ length: 12 }, () => ctx.srv.get('/v1/me', bearer(k1))));
    const ok = res.filter((r) => r.status === 200), limited = res.filter((r) => r.status === 429);
    assert.ok(ok.length >= 5 && ok.length <= 7, `burst of 5 at 1/s: ${ok.length} passed`);
    assert.ok(limited.length >= 5, `${limited.length} refused`);
    for (const r of ok) {
      assert.equal(r.headers['ratelimit-policy'], '"key";q=5;w=5');
      assert.match(r.headers.ratelimit, /^"key";r=\d+;t=\d+$/);
    }
    for (const r of limited) {
      expectError(r, 429, 'rate_limit_exceeded');
      assert.ok(Number(r.headers['retry-after']) >= 1, 'Retry-After >= 1');
      assert.match(r.headers.ratelimit, /^"key";r=0;t=\d+$/);
    }
    expectJson(await ctx.srv.get('/v1/me', bearer(k2)), 200);
  });

  test('requests that fail authentication spend no quota and carry no limit headers', async () => {
    const bad = mistype(k2);
    for (let i = 0; i < 10; i++) {
      const r = await ctx.srv.get('/v1/me', bearer(bad));
      expectError(r, 401, 'unauthorized');
      assert.equal(r.headers.ratelimit, undefined);
    }
    await new Promise((r) => setTimeout(r, 1100));
    expectJson(await ctx.srv.get('/v1/me', bearer(k2)), 200);
  });

  test('a session has its own limit, named session', async () => {
    const res = await Promise.all(Array.from({ length: 14 }, () => ctx.srv.get('/v1/auth/session', as(admin))));
    const ok = res.filter((r) => r.status === 200);
    // The two key creations above spent part of the burst, refilled since at 1/s.
    assert.ok(ok.length >= 6 && ok.length <= 10, `burst of 8: ${ok.length} passed`);
    assert.equal(ok[0].headers['ratelimit-policy'], '"session";q=8;w=8');
    assert.ok(res.some((r) => r.status === 429));
  });
});
