// Rate limits shared through Redis (REDIS_URL): two nodes on one database
// and one Redis enforce ONE limit per key, per session and per account;
// Redis killed mid-test → requests are still served, limited by each node's
// in-process store, the outage logged once and counted in /metrics; Redis
// back → shared limiting resumes. Also: a malformed REDIS_URL stops the
// start, and the Redis password and the emails never leave the process.
//
// The file starts its own Debian redis-server (--save '' --appendonly no,
// with a password, database 3) on a free loopback port. Limits are small
// (key=1/10, session=1/10) so that bursts are a few requests.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import os from 'node:os';
import { spawn, spawnSync } from 'node:child_process';
import {
  freshDatabase, startServer, expectError, expectJson, expectNo5xx, signup, uniqueEmail, PASSWORD,
} from './harness.mjs';

const REDIS_BIN = process.env.GATEHOUSE_REDIS_SERVER || '/usr/bin/redis-server';
const REDIS_PASSWORD = 'rl-' + Math.random().toString(36).slice(2) + '-secret';
const LIMITS = 'key=1/10,session=1/10';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const bearer = (k) => ({ headers: { Authorization: `Bearer ${k}` } });

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

/** One PING on a fresh connection: true once Redis answers (+PONG, or an
 *  error such as NOAUTH: it is up either way). */
function redisAnswers(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    const done = (v) => { sock.destroy(); resolve(v); };
    sock.setTimeout(500, () => done(false));
    sock.once('error', () => done(false));
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.once('data', (d) => done(/^[+-]/.test(d.toString())));
  });
}

class Redis {
  constructor(port) { this.port = port; this.proc = null; this.output = []; }
  async start() {
    this.proc = spawn(REDIS_BIN, [
      '--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--requirepass', REDIS_PASSWORD, '--dir', os.tmpdir(),
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    // Never outlive the test file, whatever happens to it.
    const proc = this.proc;
    process.once('exit', () => { try { proc.kill('SIGKILL'); } catch { /* gone */ } });
    for (const s of [this.proc.stdout, this.proc.stderr]) s.on('data', (d) => this.output.push(d.toString()));
    this.exited = new Promise((res) => this.proc.once('exit', res));
    for (let i = 0; i < 100; i++) {
      if (await redisAnswers(this.port)) return;
      if (this.proc.exitCode !== null) break;
      await sleep(50);
    }
    throw new Error(`redis-server did not start on ${this.port}:\n${this.output.join('')}`);
  }
  async kill() {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGKILL');
      await this.exited;
    }
  }
  /** redis-cli against database 3; returns stdout lines. */
  cli(...args) {
    const r = spawnSync('redis-cli', ['-p', String(this.port), '-a', REDIS_PASSWORD, '--no-auth-warning', '-n', '3', ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`redis-cli ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.split('\n').filter(Boolean);
  }
}

/** A metric's value in a node's /metrics text (NaN if absent). */
async function metric(srv, name) {
  const r = await srv.get('/metrics');
  assert.equal(r.status, 200);
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(r.text);
  return m ? Number(m[1]) : NaN;
}

/** Sequential requests alternating between nodes; returns the responses. */
async function alternate(nodes, n, path, opts) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const srv = nodes[i % nodes.length];
    const res = await srv.get(path, opts);
    out.push({ node: i % nodes.length, res });
  }
  return out;
}

const remaining = (res) => Number(/;r=(\d+);/.exec(res.headers.ratelimit || '')?.[1]);

describe('rate limits shared through Redis', () => {
  let redis, db, A, B, url, admin, keys = {};
  before(async () => {
    redis = new Redis(await freePort());
    await redis.start();
    url = `redis://:${encodeURIComponent(REDIS_PASSWORD)}@127.0.0.1:${redis.port}/3`;
    db = freshDatabase();
    const env = { REDIS_URL: url, GATEHOUSE_RATE_LIMITS: LIMITS };
    A = await startServer({ db, env });
    B = await startServer({ db, env });
    const su = await signup(A);
    admin = { cookies: { gh_session: su.cookies.gh_session.value }, headers: { 'X-CSRF-Token': su.json.csrf_token } };
    for (const name of ['split', 'outage', 'poll', 'back']) {
      const r = await A.post('/v1/api_keys', { name, scopes: ['read:leads'], mode: 'live' }, admin);
      keys[name] = expectJson(r, 201).secret;
    }
  }, { timeout: 90_000 });

  after(async () => {
    for (const s of [A, B]) if (s) await s.stop().catch(() => {});
    if (redis) await redis.kill();
    if (db) db.drop();
  }, { timeout: 60_000 });

  test('both nodes say Redis is reachable', async () => {
    for (const s of [A, B]) {
      await s.waitForLog((o) => o.msg === 'redis reachable: rate limits are shared through it' && o.db === 3);
      assert.equal(await metric(s, 'gatehouse_ratelimit_redis_up'), 1);
      assert.equal(await metric(s, 'gatehouse_ratelimit_redis_errors_total'), 0);
    }
  });

  test('a key burst split across two nodes is one limit (burst 10 in all, not 10 per node)', async () => {
    const res = await alternate([A, B], 24, '/v1/me', bearer(keys.split));
    const ok = res.filter((x) => x.res.status === 200);
    for (const x of res) if (x.res.status !== 200) expectError(x.res, 429, 'rate_limit_exceeded');
    // 10 at once, plus at most a refill or two at 1/s while the requests run.
    assert.ok(ok.length >= 10 && ok.length <= 12, `${ok.length} of 24 passed across both nodes`);
    assert.ok(ok.filter((x) => x.node === 0).length >= 4 && ok.filter((x) => x.node === 1).length >= 4, 'both nodes served');
    // One counter: the remaining count goes down across the nodes.
    const r = ok.map((x) => remaining(x.res));
    assert.equal(r[0], 9);
    for (let i = 1; i < 8; i++) assert.ok(r[i] <= r[i - 1], `remaining went up between nodes: ${r}`);
    for (const x of ok) assert.equal(x.res.headers['ratelimit-policy'], '"key";q=10;w=10');
    const refused = res.find((x) => x.res.status === 429).res;
    assert.ok(Number(refused.headers['retry-after']) >= 1);
    assert.match(refused.headers.ratelimit, /^"key";r=0;t=\d+$/);
    // One stored value per limit, in the namespace, expiring.
    const k = redis.cli('--scan', '--pattern', 'gh:rl:key:*');
    assert.equal(k.length, 1, `keys: ${k}`);
    assert.match(k[0], /^gh:rl:key:key_[A-Za-z0-9]+$/);
    const ttl = Number(redis.cli('PTTL', k[0])[0]);
    assert.ok(ttl > 0 && ttl <= 10_000, `PTTL ${ttl}`);
  });

  test('a session burst split across two nodes is one limit', async () => {
    const email = uniqueEmail('ses');
    const su = await signup(A, { email });
    const c = { cookies: { gh_session: su.cookies.gh_session.value } };
    const res = await alternate([A, B], 20, '/v1/auth/session', c);
    const ok = res.filter((x) => x.res.status === 200);
    assert.ok(ok.length >= 10 && ok.length <= 12, `${ok.length} of 20 passed across both nodes`);
    assert.equal(ok[0].res.headers['ratelimit-policy'], '"session";q=10;w=10');
    assert.ok(res.some((x) => x.res.status === 429));
  });

  test('login throttle: 10 failures on node A → the account is refused on node B too; keys are hashed', async () => {
    const victim = await signup(A);
    const bystander = await signup(A);
    for (let i = 0; i < 10; i++) {
      const f = await A.post('/v1/auth/login', { email: victim.body.email, password: `wrong ${i}` });
      expectError(f, 401, 'invalid_credentials');
      // The account window's headers, from Redis's count.
      assert.equal(f.headers['ratelimit-policy'], '"login-account";q=10;w=900');
      assert.match(f.headers.ratelimit, new RegExp(`^"login-account";r=${9 - i};t=\\d+$`));
    }
    const r = await B.post('/v1/auth/login', { email: victim.body.email, password: PASSWORD });
    expectError(r, 429, 'rate_limit_exceeded');
    const ra = Number(r.headers['retry-after']);
    assert.ok(ra >= 1 && ra <= 900, `Retry-After ${ra}`);
    assert.equal(r.headers['ratelimit-policy'], '"login-account";q=10;w=900');
    assert.equal(r.headers.ratelimit, `"login-account";r=0;t=${ra}`);
    // Other accounts are not throttled.
    const ok = await B.post('/v1/auth/login', { email: bystander.body.email, password: PASSWORD });
    expectJson(ok, 200);
    assert.equal(ok.headers['ratelimit-policy'], '"login-account";q=10;w=900');
    assert.equal(ok.headers.ratelimit, '"login-account";r=10;t=900');
    // No email, user id or address in clear: keyed hashes only.
    const th = redis.cli('--scan', '--pattern', 'gh:th:*');
    assert.ok(th.some((k) => k.startsWith('gh:th:acct:')) && th.some((k) => k.startsWith('gh:th:ip:')), `keys: ${th}`);
    for (const k of th) assert.match(k, /^gh:th:(acct|ip):[0-9a-f]{32}$/);
    // The address's attempts are one count too: 10 on A + 2 on B (sign-ups
    // are not login attempts).
    const ipKeys = th.filter((k) => k.startsWith('gh:th:ip:'));
    assert.equal(ipKeys.length, 1);
    assert.equal(redis.cli('GET', ipKeys[0])[0], '12');
    assert.equal(redis.cli('GET', th.find((k) => k.startsWith('gh:th:acct:')))[0], '10');
    const all = redis.cli('--scan').join('\n');
    for (const s of [victim.body.email, bystander.body.email, '127.0.0.1', '@']) assert.ok(!all.includes(s), `${s} in a Redis key`);
    for (const k of th) {
      const ttl = Number(redis.cli('PTTL', k)[0]);
      assert.ok(ttl > 0 && ttl <= 900_000, `${k} PTTL ${ttl}`);
    }
  });

  test('Redis killed: requests are still served, limited in-process per node; logged once, counted', async () => {
    const errorsBefore = await metric(A, 'gatehouse_ratelimit_redis_errors_total');
    await redis.kill();
    const t0 = Date.now();
    // Spread over ~2.5 s so that the retry (once a second) happens a few times.
    const onA = [];
    for (let i = 0; i < 30; i++) {
      onA.push(await A.get('/v1/me', bearer(keys.outage)));
      await sleep(80);
    }
    for (const r of onA) assert.ok(r.status === 200 || r.status === 429, `status ${r.status}`);
    const okA = onA.filter((r) => r.status === 200).length;
    // Node A's own limit: burst 10 plus ~1/s refill over the ~3 s (more on a
    // slow machine), far from the 30 sent.
    assert.ok(okA >= 10 && okA <= 17, `${okA} of 30 passed on node A during the outage`);
    assert.ok(onA.slice(0, 10).every((r) => r.status === 200), 'the first requests of the outage are served');
    assert.match(onA[0].headers.ratelimit, /^"key";r=9;t=\d+$/, 'in-process limit, a whole burst');
    // Node B limits on its own during the outage.
    const onB = [];
    for (let i = 0; i < 10; i++) onB.push(await B.get('/v1/me', bearer(keys.outage)));
    assert.ok(onB.filter((r) => r.status === 200).length >= 9, 'node B has its own burst during the outage');
    assert.ok(Date.now() - t0 < 15_000, 'a dead Redis stalls nothing');

    const errors = (await metric(A, 'gatehouse_ratelimit_redis_errors_total')) - errorsBefore;
    assert.ok(errors >= 1, 'the error counter increased');
    assert.ok(errors <= 8, `${errors} failed Redis attempts for 30 requests in ~3 s: not retried once a second`);
    assert.ok(await metric(A, 'gatehouse_ratelimit_redis_fallbacks_total') >= 30);
    assert.equal(await metric(A, 'gatehouse_ratelimit_redis_up'), 0);
    const warns = A.logs.filter((o) => o.msg === "redis unavailable: rate limits fall back to this node's in-process store");
    assert.equal(warns.length, 1, 'one warning per outage, not one per request');
    assert.equal(warns[0].level, 'warn');
    // Logins are served too (the throttle falls back as well).
    const who = await signup(B);
    const login = await B.post('/v1/auth/login', { email: who.body.email, password: PASSWORD });
    expectJson(login, 200);
    assert.match(login.headers.ratelimit, /^"login-account";r=10;t=\d+$/, 'in-process account window');
  });

  test('Redis back: both nodes reconnect within about a second and share limits again', async () => {
    await redis.start();
    const deadline = Date.now() + 10_000;
    for (;;) {
      await A.get('/v1/me', bearer(keys.poll));
      await B.get('/v1/me', bearer(keys.poll));
      if ((await metric(A, 'gatehouse_ratelimit_redis_up')) === 1 && (await metric(B, 'gatehouse_ratelimit_redis_up')) === 1) break;
      assert.ok(Date.now() < deadline, 'nodes did not reconnect to Redis within 10 s');
      await sleep(200);
    }
    // Info lines are flushed every 50 ms: give them a moment.
    await sleep(300);
    for (const s of [A, B]) {
      const up = s.logs.filter((o) => o.msg === 'redis reachable: rate limits are shared through it');
      assert.equal(up.length, 2, 'logged at start and once on recovery');
    }
    const res = await alternate([A, B], 24, '/v1/me', bearer(keys.back));
    const ok = res.filter((x) => x.res.status === 200);
    assert.ok(ok.length >= 10 && ok.length <= 12, `${ok.length} of 24 passed across both nodes after recovery`);
    assert.equal(redis.cli('--scan', '--pattern', 'gh:rl:key:*').length >= 1, true);
  });

  test('no secret in any log: the Redis password, the URL', async () => {
    for (const s of [A, B]) {
      for (const line of s.lines) {
        assert.ok(!line.includes(REDIS_PASSWORD), `Redis password logged: ${line}`);
        assert.ok(!line.includes('redis://'), `REDIS_URL logged: ${line}`);
      }
      expectNo5xx(s);
    }
  });

  test('a malformed REDIS_URL stops the start with the setting named, the password not echoed', async () => {
    for (const bad of [`redis://:${REDIS_PASSWORD}@127.0.0.1:notaport/0`, 'http://127.0.0.1:6379', `redis://u@127.0.0.1:${redis.port}`]) {
      let err = null;
      try {
        const s = await startServer({ db, env: { REDIS_URL: bad } });
        await s.stop();
      } catch (e) { err = e; }
      assert.ok(err, `started with REDIS_URL=${bad.replace(REDIS_PASSWORD, '***')}`);
      assert.match(err.message, /invalid setting REDIS_URL: /);
      assert.match(err.message, /code 1, signal null/);
      assert.doesNotMatch(err.message, /AddressSanitizer|runtime error|Segmentation/, 'a clean exit, not a crash');
      assert.ok(!err.message.includes(REDIS_PASSWORD), 'password echoed');
    }
  });
});
