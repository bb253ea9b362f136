// A changed absolute session lifetime applies to existing sessions from
// their next request (api.md), on every node.
import { describe, test, before } from 'node:test';
import { useServer, expectError, expectJson, signup, psql } from './harness.mjs';

const ctx = useServer();
const as = (who) => ({ cookies: who.cookie, headers: { 'X-CSRF-Token': who.csrf } });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

describe('session_max_lifetime_seconds', () => {
  let admin, other;
  before(async () => {
    const su = await signup(ctx.srv);
    admin = { cookie: { gh_session: su.cookies.gh_session.value }, csrf: su.json.csrf_token, session: su.json.session.id };
    other = await ctx.another();
  });

  test('shortening it ends an old session at created_at + the new lifetime, on every node', async () => {
    // The session is made to look 3598 s old; a 3600 s lifetime leaves it 2 s.
    psql(`UPDATE gh.sessions SET created_at = now() - interval '3598 seconds' WHERE id = '${admin.session}'`, ctx.srv.db.name);
    expectJson(await other.get('/v1/auth/session', as(admin)), 200); // cached on the second node
    const org = expectJson(await ctx.srv.request('PATCH', '/v1/org', { ...as(admin), json: { session_max_lifetime_seconds: 3600 } }), 200);
    if (org.session_max_lifetime_seconds !== 3600) throw new Error('lifetime not changed');
    const s = expectJson(await other.get('/v1/auth/session', as(admin)), 200);
    const left = Date.parse(s.session.expires_at) - Date.now();
    if (left > 3000) throw new Error(`expires_at not moved: ${s.session.expires_at}`);
    await sleep(Math.max(left, 0) + 1200);
    expectError(await other.get('/v1/auth/session', as(admin)), 401, 'token_expired');
    expectError(await ctx.srv.get('/v1/org', as(admin)), 401, 'token_expired');
  });
});
