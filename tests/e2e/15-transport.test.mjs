// Transport (api.md, "Transport"): TLS served by Gatehouse itself (1.2 and
// 1.3 only, HSTS, certificate reload on SIGHUP), trusted proxies and their
// X-Forwarded-* headers, and 403 https_required for plain HTTP from a
// non-loopback peer — the latter from a real non-loopback address in a
// network namespace made by the test (skipped, with the reason, where
// namespaces cannot be created).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { randomBytes, X509Certificate } from 'node:crypto';
import {
  freshDatabase, startServer, expectError, expectRequestId, rawRequest, signup, withApiKeyChecksums, fakeApiKeys,
} from './harness.mjs';

const HSTS = 'max-age=63072000; includeSubDomains';

function makeCert(dir, name) {
  const key = path.join(dir, `${name}.key`); const cert = path.join(dir, `${name}.crt`);
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name}`,
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return { key, cert, pem: fs.readFileSync(cert, 'utf8') };
}

/** One HTTPS request on a fresh TLS connection; resolves status, headers, peer cert fingerprint, protocol. */
function httpsGet(port, ca, target, opts = {}) {
  return new Promise((resolve, reject) => {
    let secure = false;
    const sock = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca, ...opts }, () => {
      secure = true;
      sock.write(`GET ${target} HTTP/1.1\r\nHost: localhost:${port}\r\nConnection: close\r\n\r\n`);
    });
    let buf = '';
    sock.setEncoding('latin1');
    sock.on('data', (d) => { buf += d; });
    sock.on('error', reject);
    sock.on('close', () => { if (!secure) reject(new Error('no TLS handshake')); });
    sock.on('end', () => {
      if (!secure) { reject(new Error('no TLS handshake')); return; }
      const [head, body] = buf.split('\r\n\r\n');
      const lines = head.split('\r\n');
      const headers = {};
      for (const l of lines.slice(1)) { const i = l.indexOf(':'); headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim(); }
      resolve({
        status: Number(lines[0].split(' ')[1]), headers, body,
        fingerprint: sock.getPeerX509Certificate?.()?.fingerprint256 ?? fingerprintOf(sock.getPeerCertificate(true)),
        protocol: sock.getProtocol(),
        group: sock.getEphemeralKeyInfo()?.name,
      });
    });
  });
}
function fingerprintOf(c) { return c && c.fingerprint256; }

describe('TLS served by Gatehouse', () => {
  let dir; let db; let srv; let a; let b;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-tls-'));
    a = makeCert(dir, 'first'); b = makeCert(dir, 'second');
    fs.copyFileSync(a.cert, path.join(dir, 'live.crt')); fs.copyFileSync(a.key, path.join(dir, 'live.key'));
    db = freshDatabase();
    srv = await startServer({ db, env: { GATEHOUSE_TLS_CERT: path.join(dir, 'live.crt'), GATEHOUSE_TLS_KEY: path.join(dir, 'live.key') } });
  }, { timeout: 90_000 });
  after(async () => {
    if (srv) await srv.stop();
    if (db) db.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('serves HTTPS with a verified certificate, HSTS and Request-Id', async () => {
    const r = await httpsGet(srv.port, a.pem, '/healthz');
    assert.equal(r.status, 200);
    assert.equal(r.headers['strict-transport-security'], HSTS);
    assert.match(r.headers['request-id'], /^req_/);
    assert.equal(r.fingerprint, new X509Certificate(a.pem).fingerprint256);
    // TLS 1.3 with the key share the client sent first (X25519): preferring
    // another group would cost every handshake a HelloRetryRequest.
    assert.equal(r.protocol, 'TLSv1.3');
    assert.equal(r.group, 'X25519');
    const log = await srv.waitForLog((o) => o.msg === 'listening');
    assert.equal(log.tls, true);
  });

  test('also with curl --cacert (TLS 1.3 and 1.2), and a 401 is still JSON over TLS', async () => {
    for (const v of ['--tlsv1.3', '--tlsv1.2']) {
      const args = ['-sS', '--cacert', a.cert, v, '-o', '/dev/null', '-w', '%{http_code}', `https://localhost:${srv.port}/healthz`];
      if (v === '--tlsv1.2') args.splice(4, 0, '--tls-max', '1.2');
      const r = spawnSync('curl', args, { encoding: 'utf8' });
      assert.equal(r.stdout, '200', `${v}: ${r.stderr}`);
    }
    const r = spawnSync('curl', ['-sS', '--cacert', a.cert, '-H', 'Authorization: Bearer sk_live_nope', `https://localhost:${srv.port}/v1/me`], { encoding: 'utf8' });
    assert.equal(JSON.parse(r.stdout).error.code, 'unauthorized');
  });

  test('early errors over TLS carry HSTS too: 414, 431, and the ones libmicrohttpd raises itself', async () => {
    const raw = (head) => new Promise((resolve, reject) => {
      const sock = tls.connect({ host: '127.0.0.1', port: srv.port, servername: 'localhost', ca: a.pem }, () => sock.write(head));
      let buf = '';
      sock.setEncoding('latin1');
      sock.on('data', (d) => { buf += d; });
      sock.on('error', reject);
      sock.on('end', () => {
        const [h] = buf.split('\r\n\r\n');
        const headers = {};
        for (const l of h.split('\r\n').slice(1)) { const i = l.indexOf(':'); headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim(); }
        resolve({ status: Number(h.split(' ')[1]), headers });
      });
    });
    const host = `Host: localhost:${srv.port}\r\n`;
    const many = Array.from({ length: 110 }, (_, i) => `X-F${i}: x\r\n`).join('');
    for (const [want, head] of [
      [414, `GET /${'a'.repeat(9000)} HTTP/1.1\r\n${host}Connection: close\r\n\r\n`],
      [431, `GET /healthz HTTP/1.1\r\n${host}${many}Connection: close\r\n\r\n`],
      // libmicrohttpd's own page (replaced by mhd_errors.c). Every case is
      // small enough to be read whole: a request the server stops reading
      // ends in a reset that can swallow the answer before the client sees it.
      [400, `POST /v1/signup HTTP/1.1\r\n${host}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n`],
    ]) {
      const r = await raw(head);
      assert.equal(r.status, want, head.slice(0, 40));
      assert.equal(r.headers['strict-transport-security'], HSTS, `${want} without HSTS`);
      assert.match(r.headers['request-id'], /^req_/);
    }
    await srv.waitForLog((o) => o.msg === 'request' && o.source === 'libmicrohttpd' && o.status === 400);
  });

  test('TLS 1.1 and 1.0 are refused', async () => {
    // The client offers them with every cipher (security level 0), so only
    // the server can be what refuses.
    for (const maxVersion of ['TLSv1.1', 'TLSv1']) {
      await assert.rejects(httpsGet(srv.port, a.pem, '/healthz', { minVersion: 'TLSv1', maxVersion, ciphers: 'ALL:@SECLEVEL=0' }),
        `${maxVersion} accepted`);
    }
  });

  test('plain HTTP on the TLS port gets no HTTP answer', async () => {
    await assert.rejects(rawRequest(srv.port, `GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n`, { timeoutMs: 3000 }));
  });

  test('SIGHUP loads a renewed certificate for new connections; a broken one is refused and the old one kept', async () => {
    // Broken first: the key does not match the certificate.
    fs.copyFileSync(b.cert, path.join(dir, 'live.crt'));
    srv.proc.kill('SIGHUP');
    await srv.waitForLog((o) => /reload failed/.test(o.msg || ''));
    let r = await httpsGet(srv.port, a.pem, '/healthz');
    assert.equal(r.fingerprint, new X509Certificate(a.pem).fingerprint256, 'old certificate kept');
    // Now the matching pair.
    fs.copyFileSync(b.key, path.join(dir, 'live.key'));
    srv.proc.kill('SIGHUP');
    await srv.waitForLog((o) => /certificate reloaded/.test(o.msg || ''));
    r = await httpsGet(srv.port, b.pem, '/healthz');
    assert.equal(r.status, 200);
    assert.equal(r.fingerprint, new X509Certificate(b.pem).fingerprint256, 'new certificate served');
    assert.equal(srv.proc.exitCode, null, 'still running');
  });

  test('a certificate without its key refuses to start', async () => {
    const bad = await startServer({ db, env: { GATEHOUSE_TLS_CERT: a.cert, GATEHOUSE_TLS_KEY: b.key } }).then(
      (s) => { s.stop(); return null; }, (e) => e);
    assert.ok(bad, 'a server with a mismatched key started');
    assert.match(String(bad.message), /does not match/);
  });
});

describe('trusted proxies and X-Forwarded-*', () => {
  let db; let plain; let proxied;
  before(async () => {
    db = freshDatabase();
    plain = await startServer({ db });
    proxied = await startServer({ db, env: { GATEHOUSE_TRUSTED_PROXIES: '127.0.0.1/32' } });
  }, { timeout: 90_000 });
  after(async () => {
    for (const s of [plain, proxied]) if (s) await s.stop();
    if (db) db.drop();
  });

  test('from an untrusted peer, X-Forwarded-* are ignored (client IP, HTTPS)', async () => {
    const r = await plain.get('/healthz', { headers: { 'X-Forwarded-For': '203.0.113.9', 'X-Forwarded-Proto': 'https' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers['strict-transport-security'], undefined);
    const line = await plain.requestLog(expectRequestId(r));
    assert.equal(line.ip, '127.0.0.1');
  });

  test('from a trusted proxy, the client is the right-most untrusted X-Forwarded-For entry, and https counts', async () => {
    const r = await proxied.get('/healthz', { headers: { 'X-Forwarded-For': '6.6.6.6, 203.0.113.9, 127.0.0.1', 'X-Forwarded-Proto': 'https' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers['strict-transport-security'], HSTS);
    const line = await proxied.requestLog(expectRequestId(r));
    assert.equal(line.ip, '203.0.113.9');
  });

  test('a proxy that adds its own X-Forwarded-* line after the client\'s: the proxy\'s line counts', async () => {
    const raw = (lines) => proxied.raw(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${proxied.port}\r\n${lines.map((l) => `${l}\r\n`).join('')}Connection: close\r\n\r\n`);
    // The client claims HTTPS and an address; the proxy's own lines say otherwise.
    let r = await raw(['X-Forwarded-Proto: https', 'X-Forwarded-Proto: http', 'X-Forwarded-For: 6.6.6.6', 'X-Forwarded-For: 203.0.113.9']);
    assert.equal(r.status, 200);
    assert.equal(r.headers['strict-transport-security'], undefined, 'the client\'s "https" line was believed');
    let line = await proxied.requestLog(expectRequestId(r));
    assert.equal(line.ip, '203.0.113.9', 'the client\'s X-Forwarded-For line was believed');
    r = await raw(['X-Forwarded-Proto: http', 'X-Forwarded-Proto: https']);
    assert.equal(r.headers['strict-transport-security'], HSTS);
    // A line too long to be a real chain is not believed at all.
    r = await raw([`X-Forwarded-For: ${'10.0.0.1, '.repeat(500)}203.0.113.9`]);
    line = await proxied.requestLog(expectRequestId(r));
    assert.equal(line.ip, '127.0.0.1');
  });

  test('a trusted proxy forwarding plain HTTP: no HSTS (loopback peers are served)', async () => {
    const r = await proxied.get('/healthz', { headers: { 'X-Forwarded-Proto': 'http' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers['strict-transport-security'], undefined);
  });

  test('the whole of 127.0.0.0/8 is loopback', async () => {
    const r = await new Promise((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.1', port: plain.port, localAddress: '127.0.0.2' }, () => {
        s.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      });
      let buf = ''; s.setEncoding('latin1');
      s.on('data', (d) => { buf += d; }); s.on('end', () => resolve(buf)); s.on('error', reject);
    });
    assert.match(r, /^HTTP\/1\.1 200 /);
  });

  test('a malformed GATEHOUSE_TRUSTED_PROXIES refuses to start, naming the entry', async () => {
    const e = await startServer({ db, env: { GATEHOUSE_TRUSTED_PROXIES: '10.0.0.0/8, 10.0.0.1/8' } }).then(
      (s) => { s.stop(); return null; }, (err) => err);
    assert.ok(e, 'started anyway');
    assert.match(String(e.message), /10\.0\.0\.1\/8/);
  });
});

// A non-loopback peer: a veth pair between the host and a namespace of our own.
function netnsSetup() {
  const id = randomBytes(3).toString('hex');
  const ns = `ghns${id}`; const host = `ghh${id}`; const peer = `ghp${id}`;
  const octet = 1 + (parseInt(id, 16) % 250);
  const hostIp = `10.231.${octet}.1`; const nsIp = `10.231.${octet}.2`;
  const steps = [
    ['netns', 'add', ns],
    ['link', 'add', host, 'type', 'veth', 'peer', 'name', peer],
    ['link', 'set', peer, 'netns', ns],
    ['addr', 'add', `${hostIp}/30`, 'dev', host],
    ['link', 'set', host, 'up'],
    ['-n', ns, 'addr', 'add', `${nsIp}/30`, 'dev', peer],
    ['-n', ns, 'link', 'set', peer, 'up'],
    ['-n', ns, 'link', 'set', 'lo', 'up'],
  ];
  const cleanup = () => {
    spawnSync('ip', ['link', 'del', host]);
    spawnSync('ip', ['netns', 'del', ns]);
  };
  for (const s of steps) {
    const r = spawnSync('ip', s, { encoding: 'utf8' });
    if (r.status !== 0) { cleanup(); return { skip: `cannot create a network namespace (ip ${s.join(' ')}: ${(r.stderr || r.error || '').toString().trim()})` }; }
  }
  return { ns, hostIp, nsIp, cleanup };
}

function curlInNs(ns, url, headers = []) {
  const args = ['netns', 'exec', ns, 'curl', '-sS', '--max-time', '10', '-D', '-'];
  for (const h of headers) args.push('-H', h);
  args.push(url);
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const [head, body] = r.stdout.split('\r\n\r\n');
  const headers2 = {};
  for (const l of head.split('\r\n').slice(1)) { const i = l.indexOf(':'); headers2[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim(); }
  return { status: Number(head.split(' ')[1]), headers: headers2, json: JSON.parse(body || 'null') };
}

// Many plain-HTTP requests from the namespace, by a Node process inside it:
// phases one after the other, the requests of a phase `concurrency` at a
// time, each on its own connection. Returns [{label, status, code, id}].
const BURST_SCRIPT = `
const http = require('node:http');
const { url, phases, concurrency } = JSON.parse(process.env.GH_BURST);
const one = (headers) => new Promise((resolve) => {
  const req = http.get(url, { headers, agent: false }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (d) => { body += d; });
    res.on('end', () => {
      let code = null;
      try { code = JSON.parse(body).error.code; } catch { code = 'unparsed: ' + body.slice(0, 80); }
      resolve({ status: res.statusCode, code, id: res.headers['request-id'] });
    });
  });
  req.on('error', (e) => resolve({ status: 0, code: String(e.message) }));
});
(async () => {
  const out = [];
  for (const phase of phases) {
    let next = 0;
    const worker = async () => {
      while (next < phase.length) {
        const p = phase[next++];
        out.push({ label: p.label, ...(await one(p.headers)) });
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }
  process.stdout.write(JSON.stringify(out));
})();
`;
// Asynchronous: a synchronous spawn would stop this process from reading the
// server's log, whose pipe would fill and stall the server.
function burstInNs(ns, url, phases, concurrency) {
  return new Promise((resolve, reject) => {
    const p = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', BURST_SCRIPT], {
      env: { ...process.env, GH_BURST: JSON.stringify({ url, phases, concurrency }) }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = ''; let err = '';
    p.stdout.setEncoding('utf8').on('data', (d) => { out += d; });
    p.stderr.setEncoding('utf8').on('data', (d) => { err += d; });
    const timer = setTimeout(() => p.kill('SIGKILL'), 60_000);
    p.on('error', reject);
    p.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`burst in ${ns} exited ${code}: ${err}`));
      else resolve(JSON.parse(out));
    });
  });
}

const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

describe('plain HTTP from a non-loopback peer (network namespace)', () => {
  const net0 = netnsSetup();
  const skip = net0.skip || false;
  if (skip) console.log(`# skipped: ${skip}`);
  let db; let srv; let trusting; let local; let admin; let key;
  before(async () => {
    if (skip) return;
    db = freshDatabase();
    srv = await startServer({ db, env: { GATEHOUSE_LISTEN: `${net0.hostIp}:0` } });
    trusting = await startServer({ db, env: { GATEHOUSE_LISTEN: `${net0.hostIp}:0`, GATEHOUSE_TRUSTED_PROXIES: `${net0.nsIp}/32` } });
    // A node on loopback (same database) to create a real key and read the audit log.
    local = await startServer({ db });
    const su = await signup(local);
    admin = { Cookie: `gh_session=${su.cookies.gh_session.value}`, 'X-CSRF-Token': su.json.csrf_token };
    const k = await local.post('/v1/api_keys', { name: 'leaky', scopes: ['read:applications'], mode: 'live' }, { headers: admin });
    assert.equal(k.status, 201, k.text);
    key = k.json;
  }, { timeout: 90_000 });
  after(async () => {
    for (const s of [srv, trusting, local]) if (s) await s.stop();
    if (db) db.drop();
    if (!skip) net0.cleanup();
  });
  // The api_key.sent_over_http entries of one key, read through the loopback
  // node; waits (up to 5 s) until there are at least `atLeast`.
  async function auditedOverHttp(keyId, atLeast = 0) {
    for (let i = 0; ; i++) {
      const log = await local.get(`/v1/audit_log?action=api_key.sent_over_http&actor=${keyId}`, { headers: admin });
      assert.equal(log.status, 200, log.text);
      if (log.json.data.length >= atLeast || i >= 50) return log.json.data;
      await sleep(100);
    }
  }

  test('is refused with 403 https_required before the credential is looked at', { skip }, async () => {
    for (const target of ['/healthz', '/v1/me']) {
      const r = curlInNs(net0.ns, `http://${net0.hostIp}:${srv.port}${target}`,
        ['Authorization: Bearer sk_live_0000000000000000000000000000000000']);
      assert.equal(r.status, 403, target);
      assert.equal(r.json.error.code, 'https_required');
      assert.match(r.headers['request-id'], /^req_/);
    }
    // Logged as such, with the client's address; the key was never looked up (no 401).
    const line = await srv.waitForLog((o) => o.msg === 'request' && o.error === 'https_required' && o.path === '/v1/me');
    assert.equal(line.ip, net0.nsIp);
    await srv.waitForLog((o) => /credential sent over plain HTTP/.test(o.msg || ''));
  });

  test('a real key sent that way is refused the same, and audited in its org (not revoked)', { skip }, async () => {
    const r = curlInNs(net0.ns, `http://${net0.hostIp}:${srv.port}/v1/me`,
      [`Authorization: Bearer ${key.secret}`, 'User-Agent: leaky-client/1.0']);
    assert.equal(r.status, 403);
    assert.equal(r.json.error.code, 'https_required');
    // Written by the listener's thread after its next poll (audit/overhttp.c), not by the request.
    const data = await auditedOverHttp(key.id, 1);
    assert.equal(data.length, 1);
    const e = data[0];
    assert.equal(e.actor, key.id);
    assert.equal(e.credential_id, key.id);
    assert.equal(e.ip, net0.nsIp);
    assert.equal(e.user_agent, 'leaky-client/1.0');
    assert.equal(e.request_id, r.headers['request-id']);
    assert.equal(JSON.stringify(e).includes(key.secret), false, 'no secret in the audit entry');
    // Not revoked: the key still works where HTTPS (or loopback) is used.
    const me = await local.get('/v1/me', { headers: { Authorization: `Bearer ${key.secret}` } });
    assert.equal(me.status, 200);
  });

  test('a flood of keys over plain HTTP: the same 403 each time, one audit per key and minute, bounded work and log', { skip }, async (ctx) => {
    // A key of its own: the previous test's key is already among this node's recent keys.
    const k = await local.post('/v1/api_keys', { name: 'leaky-again', scopes: ['read:applications'], mode: 'live' }, { headers: admin });
    assert.equal(k.status, 201, k.text);
    const real = k.json;
    // The fakes cost nothing to make: the test's checksum is the server's.
    assert.deepEqual(withApiKeyChecksums([real.secret.slice(0, 34)]), [real.secret]);
    const fakes = fakeApiKeys(Array.from({ length: 400 }, (_, i) => (i % 2 ? 'live' : 'test')));
    const bearer = (secret) => ({ Authorization: `Bearer ${secret}`, 'User-Agent': 'flood/1.0' });
    const flood = [
      ...fakes.map((f) => ({ label: 'fake', headers: bearer(f) })),
      ...Array.from({ length: 100 }, () => ({ label: 'real', headers: bearer(real.secret) })),
      ...Array.from({ length: 20 }, () => ({ label: 'other', headers: { Authorization: 'Basic Zm9vOmJhcg==' } })),
    ].sort(() => Math.random() - 0.5);
    const from = srv.logs.length;
    const t0 = Date.now();
    // The real key first, alone (it must get through), then the flood, 16 connections at a time.
    const res = await burstInNs(net0.ns, `http://${net0.hostIp}:${srv.port}/v1/me`,
      [[{ label: 'first', headers: bearer(real.secret) }], flood], 16);
    const seconds = (Date.now() - t0) / 1000;
    assert.equal(res.length, 1 + flood.length);
    for (const r of res) {
      assert.equal(r.status, 403, JSON.stringify(r));
      assert.equal(r.code, 'https_required', JSON.stringify(r));
    }
    // The real key: one entry, for its first request, and no more within the minute.
    const first = res.find((r) => r.label === 'first');
    let data = await auditedOverHttp(real.id, 1);
    assert.equal(data.length, 1, 'the real key is audited (promptly)');
    await sleep(1000); // several more polls of the listener: nothing else is written
    data = await auditedOverHttp(real.id);
    assert.equal(data.length, 1, `one audit entry per key and minute, not ${data.length}`);
    assert.equal(data[0].request_id, first.id);
    assert.equal(data[0].ip, net0.nsIp);
    assert.equal(data[0].user_agent, 'flood/1.0');
    // The log: a warning for each request handled one by one, the others
    // counted in summary lines (at most one a second); every request is in one or the other.
    const tally = () => {
      const lines = srv.logs.slice(from);
      const single = lines.filter((o) => /^credential sent over plain HTTP/.test(o.msg || ''));
      const sums = lines.filter((o) => o.msg === 'credentials sent over plain HTTP, not logged one by one');
      const repeated = sums.reduce((n, o) => n + o.repeated, 0);
      const suppressed = sums.reduce((n, o) => n + o.suppressed, 0);
      return { lines, single: single.length, sums: sums.length, repeated, suppressed };
    };
    for (let i = 0; i < 50; i++) {
      const t = tally();
      if (t.single + t.repeated + t.suppressed >= res.length) break;
      await sleep(100);
    }
    const t = tally();
    ctx.diagnostic(`${res.length} requests in ${seconds} s: ${t.single} warning lines, ${t.sums} summaries (${t.repeated} repeated, ${t.suppressed} suppressed)`);
    assert.equal(t.single + t.repeated + t.suppressed, res.length, JSON.stringify({ ...t, lines: undefined }));
    assert.equal(t.repeated, 100, 'the real key again: counted, not logged');
    assert.ok(t.suppressed > 0, 'beyond the budget: counted, not logged');
    // Budget: 20 a second, burst 50 (audit/overhttp.c).
    const bound = 50 + 20 * Math.ceil(seconds + 1.5);
    assert.ok(t.single >= 1 && t.single <= bound, `${t.single} warning lines for ${res.length} requests in ${seconds} s (bound ${bound})`);
    assert.ok(t.sums <= Math.ceil(seconds) + 3, `${t.sums} summary lines in ${seconds} s`);
    const warns = t.lines.filter((o) => o.level === 'warn');
    assert.equal(warns.length, t.single + t.sums, warns.map((o) => o.msg).join('\n'));
    // No secret in the log.
    const text = srv.lines.join('\n');
    assert.equal(text.includes(real.secret), false);
    for (const f of fakes) assert.equal(text.includes(f.slice(8)), false);
  });

  test('claiming X-Forwarded-Proto: https does not help an untrusted peer', { skip }, async () => {
    const r = curlInNs(net0.ns, `http://${net0.hostIp}:${srv.port}/healthz`, ['X-Forwarded-Proto: https']);
    assert.equal(r.status, 403);
    assert.equal(r.json.error.code, 'https_required');
  });

  test('a trusted proxy forwarding HTTPS is served (with HSTS); forwarding HTTP is refused', { skip }, async () => {
    let r = curlInNs(net0.ns, `http://${net0.hostIp}:${trusting.port}/healthz`, ['X-Forwarded-Proto: https', 'X-Forwarded-For: 198.51.100.4']);
    assert.equal(r.status, 200);
    assert.equal(r.headers['strict-transport-security'], HSTS);
    const line = await trusting.waitForLog((o) => o.msg === 'request' && o.ip === '198.51.100.4');
    assert.equal(line.status, 200);
    r = curlInNs(net0.ns, `http://${net0.hostIp}:${trusting.port}/healthz`, ['X-Forwarded-Proto: http']);
    assert.equal(r.status, 403);
    assert.equal(r.json.error.code, 'https_required');
    r = curlInNs(net0.ns, `http://${net0.hostIp}:${trusting.port}/healthz`);
    assert.equal(r.status, 403);
    // The client's own "https" line before the proxy's "http" one.
    r = curlInNs(net0.ns, `http://${net0.hostIp}:${trusting.port}/healthz`, ['X-Forwarded-Proto: https', 'X-Forwarded-Proto: http']);
    assert.equal(r.status, 403);
    assert.equal(r.json.error.code, 'https_required');
  });

  test('HTTPS comes first in the order of checks: an oversized request line or head is 403 https_required, not 414/431', { skip }, async () => {
    let r = curlInNs(net0.ns, `http://${net0.hostIp}:${srv.port}/${'a'.repeat(9000)}`);
    assert.equal(r.status, 403);
    assert.equal(r.json.error.code, 'https_required');
    const many = Array.from({ length: 110 }, (_, i) => `X-F${i}: x`);
    r = curlInNs(net0.ns, `http://${net0.hostIp}:${srv.port}/healthz`, many);
    assert.equal(r.status, 403);
    assert.equal(r.json.error.code, 'https_required');
    assert.equal(r.headers.connection, 'close');
  });
});
