// GET /v1/auth/check as the target of nginx's auth_request in front of a
// dummy upstream, with Debian's real nginx (the configuration is the one in
// docs/integrators.md, with ports filled in).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { useServer, expectJson, signup, mistype } from './harness.mjs';

const ctx = useServer();
let upstream, upstreamPort, nginxDir, nginxPort, key, scopeless, adminCookie;

const freePort = () => new Promise((res) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); });
});

function nginxConf(gh) {
  return `
worker_processes 1;
pid ${nginxDir}/nginx.pid;
error_log ${nginxDir}/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${nginxDir}/body;
  proxy_temp_path ${nginxDir}/proxy;
  fastcgi_temp_path ${nginxDir}/fastcgi;
  uwsgi_temp_path ${nginxDir}/uwsgi;
  scgi_temp_path ${nginxDir}/scgi;
  server {
    listen 127.0.0.1:${nginxPort};
    location /leads/ {
      auth_request /_gatehouse_check;
      auth_request_set $gh_org $upstream_http_gatehouse_org_id;
      auth_request_set $gh_live $upstream_http_gatehouse_livemode;
      auth_request_set $gh_scopes $upstream_http_gatehouse_scopes;
      auth_request_set $gh_cred $upstream_http_gatehouse_credential_id;
      proxy_set_header Gatehouse-Org-Id $gh_org;
      proxy_set_header Gatehouse-Livemode $gh_live;
      proxy_set_header Gatehouse-Scopes $gh_scopes;
      proxy_set_header Gatehouse-Credential-Id $gh_cred;
      proxy_set_header Authorization "";
      proxy_pass http://127.0.0.1:${upstreamPort};
    }
    location = /_gatehouse_check {
      internal;
      proxy_pass http://127.0.0.1:${gh}/v1/auth/check?scope=read:leads;
      proxy_pass_request_body off;
      proxy_set_header Content-Length "";
      proxy_set_header Authorization $http_authorization;
      proxy_set_header Cookie $http_cookie;
    }
  }
}`;
}

async function setUp() {
  upstreamPort = await freePort();
  nginxPort = await freePort();
  upstream = http.createServer((req, res) => {
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ upstream: true, headers: req.headers }));
  }).listen(upstreamPort, '127.0.0.1');
  const su = await signup(ctx.srv);
  const cookie = { cookies: { gh_session: su.cookies.gh_session.value }, headers: { 'X-CSRF-Token': su.json.csrf_token } };
  key = expectJson(await ctx.srv.post('/v1/api_keys', { name: 'proxy', scopes: ['read:leads'], mode: 'live' }, cookie), 201);
  scopeless = expectJson(await ctx.srv.post('/v1/api_keys', { name: 'other', scopes: ['read:contracts'], mode: 'live' }, cookie), 201);
  nginxDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-nginx-'));
  fs.writeFileSync(path.join(nginxDir, 'nginx.conf'), nginxConf(ctx.srv.port));
  const r = spawnSync('nginx', ['-c', path.join(nginxDir, 'nginx.conf'), '-e', path.join(nginxDir, 'error.log')], { encoding: 'utf8' });
  assert.equal(r.status, 0, `nginx failed to start: ${r.stderr}`);
  return cookie;
}

function tearDown() {
  try { process.kill(Number(fs.readFileSync(path.join(nginxDir, 'nginx.pid'), 'utf8')), 'SIGTERM'); } catch { /* */ }
  upstream?.close();
}

const viaNginx = (headers = {}) => fetch(`http://127.0.0.1:${nginxPort}/leads/1`, { headers });

describe('nginx auth_request → /v1/auth/check', () => {
  before(async () => { adminCookie = await setUp(); });
  after(tearDown);
  test('a key with the scope reaches the upstream, which learns the org, mode, scopes and key', async () => {
    const r = await viaNginx({ Authorization: `Bearer ${key.secret}` });
    assert.equal(r.status, 200);
    const b = await r.json();
    assert.equal(b.upstream, true);
    assert.equal(b.headers['gatehouse-org-id'], key.org_id);
    assert.equal(b.headers['gatehouse-livemode'], 'true');
    assert.equal(b.headers['gatehouse-scopes'], 'read:leads');
    assert.equal(b.headers['gatehouse-credential-id'], key.id);
    assert.equal(b.headers.authorization, undefined, 'the key is not forwarded upstream');
  });
  test('no credential: 401 from nginx, the upstream is not reached', async () => {
    assert.equal((await viaNginx()).status, 401);
  });
  test('a key without the scope: 403', async () => {
    assert.equal((await viaNginx({ Authorization: `Bearer ${scopeless.secret}` })).status, 403);
  });
  test('a mistyped key: 401; a revoked key: 401 at once', async () => {
    assert.equal((await viaNginx({ Authorization: `Bearer ${mistype(key.secret)}` })).status, 401);
    expectJson(await ctx.srv.post(`/v1/api_keys/${key.id}/revoke`, undefined, adminCookie), 200);
    assert.equal((await viaNginx({ Authorization: `Bearer ${key.secret}` })).status, 401);
  });
});
