// End-to-end harness for Gatehouse: a shared throwaway PostgreSQL cluster
// (scripts/pg.sh, dir var/test-e2e), one fresh database per test file, the
// real `build/gatehouse` binary, and a raw HTTP/1.1 client over `net` so that
// tests control every byte sent and see every byte received.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { responseValidator } from './openapi.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = process.env.GATEHOUSE_BIN || path.join(ROOT, 'build/gatehouse');
export const PG_DIR = process.env.GATEHOUSE_E2E_PG_DIR || 'var/test-e2e';
export const REQUEST_ID_RE = /^req_[A-Za-z0-9_-]{8,}$/;
export const RFC3339_UTC_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
export const MiB = 1024 * 1024;

const pgEnv = () => ({ ...process.env, GATEHOUSE_PG_DIR: PG_DIR, GATEHOUSE_PG_FAST: '1' });

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', timeout: 120_000, ...opts });
  if (r.error) throw r.error;
  return r;
}

// ---------------------------------------------------------------- database

let superUrl = null;

/** Start the shared cluster (idempotent; serialised with flock so that test
 *  files running in parallel processes never race on initdb/pg_ctl). `-o`:
 *  the postmaster that pg.sh starts must not inherit the lock's descriptor,
 *  or the lock would be held for as long as the cluster runs. */
export function ensureCluster() {
  if (superUrl) return superUrl;
  fs.mkdirSync(path.join(ROOT, 'var'), { recursive: true });
  const lock = path.join(ROOT, 'var/test-e2e.lock');
  const r = run('flock', ['-o', lock, 'scripts/pg.sh', 'start'], { env: pgEnv() });
  if (r.status !== 0) throw new Error(`pg.sh start failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  const u = run('scripts/pg.sh', ['url'], { env: pgEnv() });
  if (u.status !== 0) throw new Error(`pg.sh url failed:\n${u.stderr}`);
  superUrl = u.stdout.trim();
  return superUrl;
}

export function psql(sql, db) {
  const args = ['psql', '-v', 'ON_ERROR_STOP=1', '-qtAc', sql];
  if (db) args.splice(1, 0, '-d', db);
  const r = run('scripts/pg.sh', args, { env: pgEnv() });
  if (r.status !== 0) throw new Error(`psql failed: ${sql}\n${r.stderr}`);
  return r.stdout.trim();
}

/** A fresh database gh_<random>. The state dir (pepper, runtime-role
 *  password) is one per cluster: database roles are cluster-wide, so every
 *  server on the cluster must agree on gatehouse_app's password, as the
 *  nodes of one deployment do. */
export function freshDatabase() {
  const base = ensureCluster();
  const name = 'gh_' + randomBytes(6).toString('hex');
  // pg.sh psql connects to db "gatehouse"; CREATE DATABASE works from there.
  psql(`CREATE DATABASE ${name}`);
  const url = base.replace(/\/gatehouse\?/, `/${name}?`);
  assert.notEqual(url, base, `unexpected URL shape from pg.sh url: ${base}`);
  const stateDir = path.join(ROOT, PG_DIR + '-state');
  fs.mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  return {
    name, url, stateDir,
    drop() {
      if (process.env.GATEHOUSE_E2E_KEEP === '1') return;
      try { psql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`); } catch { /* best effort */ }
    },
  };
}

/** Environment for the binary (serve / migrate / org create). */
export function gatehouseEnv(db, extra = {}) {
  const env = {
    PATH: process.env.PATH, HOME: process.env.HOME || '/root', LANG: 'C.UTF-8',
    DATABASE_URL: db.url,
    GATEHOUSE_STATE_DIR: db.stateDir,
    GATEHOUSE_LISTEN: '127.0.0.1:0',
    GATEHOUSE_DEV: '1',
    ...extra,
  };
  for (const [k, v] of Object.entries(env)) if (v === undefined || v === null) delete env[k];
  return env;
}

export function requireBinary() {
  if (!fs.existsSync(BIN)) throw new Error(`${BIN} does not exist: run \`make\` first`);
}

/** Run the CLI synchronously. */
export function cli(db, args, extraEnv = {}) {
  requireBinary();
  return run(BIN, args, { env: gatehouseEnv(db, extraEnv), timeout: 60_000 });
}

// ---------------------------------------------------------------- servers

const live = new Set();
process.on('exit', () => { for (const p of live) try { p.kill('SIGKILL'); } catch { /* gone */ } });

/**
 * Start `gatehouse serve`. Returns a Server with: port, logs (parsed JSON
 * objects), lines (raw stdout+stderr lines), responses (every response seen
 * through the helpers), request()/raw()/waitForLog()/stop().
 */
export async function startServer({ db, env = {}, timeoutMs = 30_000 } = {}) {
  requireBinary();
  const proc = spawn(BIN, ['serve'], {
    cwd: ROOT, env: gatehouseEnv(db, env), stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(proc);
  const srv = new Server(proc, db);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`server did not log "listening" within ${timeoutMs} ms; output:\n${srv.lines.join('\n')}`));
    }, timeoutMs);
    srv._onLog = (o) => {
      if (o && o.msg === 'listening' && typeof o.listen === 'string') {
        const m = /:(\d+)$/.exec(o.listen);
        if (m) { srv.port = Number(m[1]); clearTimeout(timer); resolve(); }
      }
    };
    proc.once('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`server exited (code ${code}, signal ${sig}) before listening; output:\n${srv.lines.join('\n')}`));
    });
  }).catch((e) => { try { proc.kill('SIGKILL'); } catch { /* */ } throw e; });
  srv._onLog = null;
  return srv;
}

class Server {
  constructor(proc, db) {
    this.proc = proc; this.db = db; this.port = 0;
    this.lines = []; this.logs = []; this.responses = [];
    this.exit = new Promise((res) => proc.once('exit', (code, signal) => { live.delete(proc); res({ code, signal }); }));
    this._waiters = new Set();
    for (const stream of [proc.stdout, proc.stderr]) {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (d) => {
        buf += d;
        let i;
        while ((i = buf.indexOf('\n')) >= 0) { this._line(buf.slice(0, i)); buf = buf.slice(i + 1); }
      });
      stream.on('end', () => { if (buf) this._line(buf); buf = ''; });
    }
  }
  _line(line) {
    this.lines.push(line);
    let o = null;
    try { o = JSON.parse(line); } catch { /* non-JSON line: kept in lines only */ }
    if (o && typeof o === 'object') this.logs.push(o);
    if (this._onLog) this._onLog(o);
    for (const w of this._waiters) w();
  }
  get base() { return `http://127.0.0.1:${this.port}`; }

  /** Wait for a parsed log line satisfying pred. */
  waitForLog(pred, timeoutMs = 5000) {
    const found = this.logs.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const w = () => { const f = this.logs.find(pred); if (f) { done(); resolve(f); } };
      const timer = setTimeout(() => { done(); reject(new Error(`no matching log line within ${timeoutMs} ms; last lines:\n${this.lines.slice(-20).join('\n')}`)); }, timeoutMs);
      const done = () => { clearTimeout(timer); this._waiters.delete(w); };
      this._waiters.add(w);
    });
  }
  requestLog(requestId, timeoutMs) {
    return this.waitForLog((o) => o.msg === 'request' && o.request_id === requestId, timeoutMs);
  }

  /** Raw bytes in, parsed response out (see rawRequest). */
  async raw(data, opts = {}) {
    const res = await rawRequest(this.port, data, opts);
    this.responses.push({ label: opts.label || String(data).slice(0, 60), status: res.status, requestId: res.headers['request-id'] });
    // Hostile bytes are validated too when their request line names a
    // documented operation (or when the answer is a JSON error).
    const first = (Array.isArray(data) ? data[0] : data) ?? '';
    const m = /^([A-Z]+) (\S+) HTTP\/1\.[01]\r?\n/.exec(Buffer.isBuffer(first) ? first.toString('latin1') : String(first));
    responseValidator().check(m && m[1], m && m[2], res);
    return res;
  }

  /** A well-formed HTTP/1.1 request. opts: headers, body (string|Buffer),
   *  json (object -> body with application/json), cookies ({name: value}),
   *  chunked (send body with Transfer-Encoding: chunked). */
  async request(method, target, opts = {}) {
    const headers = { Host: `127.0.0.1:${this.port}`, Connection: 'close', ...(opts.headers || {}) };
    let body = opts.body;
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
    }
    if (opts.cookies) headers.Cookie = Object.entries(opts.cookies).map(([k, v]) => `${k}=${v}`).join('; ');
    if (typeof body === 'string') body = Buffer.from(body, 'utf8');
    const parts = [];
    if (body !== undefined && opts.chunked) {
      headers['Transfer-Encoding'] = 'chunked';
    } else if (body !== undefined && !Object.keys(headers).some((k) => k.toLowerCase() === 'content-length')) {
      headers['Content-Length'] = String(body.length);
    }
    let head = `${method} ${target} HTTP/1.1\r\n`;
    for (const [k, v] of Object.entries(headers)) {
      for (const vv of Array.isArray(v) ? v : [v]) head += `${k}: ${vv}\r\n`;
    }
    head += '\r\n';
    parts.push(Buffer.from(head, 'latin1'));
    if (body !== undefined) {
      if (opts.chunked) {
        const size = opts.chunkSize || 64 * 1024;
        for (let i = 0; i < body.length; i += size) {
          const c = body.subarray(i, i + size);
          parts.push(Buffer.from(c.length.toString(16) + '\r\n', 'latin1'), c, Buffer.from('\r\n'));
        }
        parts.push(Buffer.from('0\r\n\r\n'));
      } else {
        parts.push(body);
      }
    }
    // Large bodies: give the server a moment to answer from the headers alone
    // (a declared Content-Length over the limit) before uploading.
    const pause = body !== undefined && body.length > 64 * 1024 ? 20 : 0;
    const res = await rawRequest(this.port, parts, { pauseAfterHeadMs: pause, ...opts });
    this.responses.push({ label: `${method} ${target.slice(0, 80)}`, status: res.status, requestId: res.headers['request-id'] });
    // Every response must match docs/openapi.yaml (throws otherwise).
    responseValidator().check(method, target, res);
    return res;
  }
  get(target, opts) { return this.request('GET', target, opts); }
  post(target, json, opts = {}) { return this.request('POST', target, { ...opts, json }); }

  /** SIGTERM, wait for exit (SIGKILL after timeoutMs). Resolves {code, signal}. */
  async stop(timeoutMs = 15_000) {
    if (this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGTERM');
      const t = setTimeout(() => { try { this.proc.kill('SIGKILL'); } catch { /* */ } }, timeoutMs);
      const r = await this.exit; clearTimeout(t); return r;
    }
    return this.exit;
  }
}

// ---------------------------------------------------------------- raw HTTP

/**
 * Send `data` (string | Buffer | array of them, written in order) on a fresh
 * TCP connection and parse the first HTTP response. Write errors (EPIPE,
 * ECONNRESET: a server that answers early and closes) are tolerated as long
 * as a response arrived. Resolves {status, reason, headers, headerList, body,
 * text, json, rawHead}; rejects if the connection ends without a response.
 * pauseAfterHeadMs: wait this long after the first part (the head) before
 * sending the rest, as a client waiting for an early answer would.
 */
export function rawRequest(port, data, { timeoutMs = 15_000, pauseAfterHeadMs = 0 } = {}) {
  const parts = (Array.isArray(data) ? data : [data]).map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p));
  return new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    let buf = Buffer.alloc(0);
    let settled = false;
    let ended = false;
    const finish = (err) => {
      if (settled) return;
      const parsed = parseHttpResponse(buf, ended);
      if (parsed) { settled = true; clearTimeout(timer); sock.destroy(); resolve(parsed); return; }
      if (err || ended) {
        settled = true; clearTimeout(timer); sock.destroy();
        reject(new Error(`no complete HTTP response (${err ? err.code || err.message : 'connection closed'}); received ${buf.length} bytes: ${JSON.stringify(buf.subarray(0, 300).toString('latin1'))}`));
      }
    };
    const timer = setTimeout(() => { ended = true; finish(new Error(`timeout after ${timeoutMs} ms`)); }, timeoutMs);
    sock.on('data', (d) => { buf = Buffer.concat([buf, d]); finish(); });
    sock.on('end', () => { ended = true; finish(); });
    sock.on('close', () => { ended = true; finish(new Error('closed')); });
    sock.on('error', (e) => {
      // A write error with the response already (partly) received: keep reading
      // what is there; parse with what we have.
      ended = true; finish(e);
    });
    sock.on('connect', async () => {
      for (const [i, p] of parts.entries()) {
        // Like curl: stop uploading once the server has started to answer
        // (e.g. an early 413), so its answer is not lost to a reset.
        if (sock.destroyed || settled || buf.length > 0) return;
        const ok = sock.write(p);
        if (!ok) await new Promise((r) => { sock.once('drain', r); sock.once('close', r); });
        if (i === 0 && pauseAfterHeadMs) await new Promise((r) => setTimeout(r, pauseAfterHeadMs));
      }
    });
  });
}

/** One HTTP/1.x response from the start of `buf`; null while incomplete
 *  (`ended`: the peer has closed, so a body without a length is complete). */
export function parseHttpResponse(buf, ended) {
  const he = buf.indexOf('\r\n\r\n');
  if (he < 0) return null;
  const rawHead = buf.subarray(0, he).toString('latin1');
  const [statusLine, ...hl] = rawHead.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/.exec(statusLine);
  if (!m) throw new Error(`bad status line: ${JSON.stringify(statusLine)}`);
  const headers = {}; const headerList = [];
  for (const line of hl) {
    const i = line.indexOf(':');
    const k = line.slice(0, i).trim().toLowerCase(); const v = line.slice(i + 1).trim();
    headerList.push([k, v]);
    if (k === 'set-cookie') (headers[k] ||= []).push(v);
    else headers[k] = k in headers ? `${headers[k]}, ${v}` : v;
  }
  const status = Number(m[1]);
  let rest = buf.subarray(he + 4);
  let body;
  if (status === 204 || status === 304 || (status >= 100 && status < 200)) body = Buffer.alloc(0);
  else if (/chunked/i.test(headers['transfer-encoding'] || '')) {
    const out = []; let off = 0;
    for (;;) {
      const le = rest.indexOf('\r\n', off);
      if (le < 0) return null;
      const size = parseInt(rest.subarray(off, le).toString('latin1'), 16);
      if (Number.isNaN(size)) throw new Error('bad chunk size in response');
      if (size === 0) break;
      if (rest.length < le + 2 + size + 2) return null;
      out.push(rest.subarray(le + 2, le + 2 + size)); off = le + 2 + size + 2;
    }
    body = Buffer.concat(out);
  } else if (headers['content-length'] !== undefined) {
    const n = Number(headers['content-length']);
    if (rest.length < n) return null;
    body = rest.subarray(0, n);
  } else {
    if (!ended) return null;
    body = rest;
  }
  const text = body.toString('utf8');
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status, reason: m[2] || '', headers, headerList, body, text, json, rawHead };
}

// ---------------------------------------------------------------- per file

/** Register before/after hooks that start a server on a fresh database and
 *  stop it (and drop the database) at the end, even on failure. The returned
 *  object is filled in before the first test runs. */
export function useServer(opts = {}) {
  const ctx = { srv: null, db: null, extra: [] };
  before(async () => {
    ctx.db = freshDatabase();
    ctx.srv = await startServer({ db: ctx.db, ...opts });
  }, { timeout: 90_000 });
  after(async () => {
    for (const s of [ctx.srv, ...ctx.extra]) if (s) await s.stop().catch(() => {});
    if (ctx.db) ctx.db.drop();
  }, { timeout: 60_000 });
  /** Start another server on the same database (same state dir). */
  ctx.another = async (env = {}) => {
    const s = await startServer({ db: ctx.db, env });
    ctx.extra.push(s);
    return s;
  };
  return ctx;
}

// ---------------------------------------------------------------- assertions

export function expectRequestId(res) {
  const id = res.headers['request-id'];
  assert.ok(id, `missing Request-Id header (status ${res.status}); head:\n${res.rawHead}`);
  assert.match(id, REQUEST_ID_RE, 'Request-Id format');
  return id;
}

export function expectJsonType(res) {
  assert.match(res.headers['content-type'] || '', /^application\/json(\s*;|$)/i, `JSON content type expected, got ${res.headers['content-type']}`);
}

/** Assert the exact error contract. opts.param: expected param (string), or
 *  null for "must be absent"; undefined = not checked. Returns the body. */
export function expectError(res, status, code, opts = {}) {
  const ctx = `${res.status} body=${JSON.stringify(res.text.slice(0, 300))}`;
  assert.equal(res.status, status, `status; body: ${ctx}`);
  expectJsonType(res);
  const id = expectRequestId(res);
  assert.ok(res.json && typeof res.json === 'object' && !Array.isArray(res.json), `body is not a JSON object: ${ctx}`);
  assert.deepEqual(Object.keys(res.json), ['error'], `top-level keys: ${ctx}`);
  const e = res.json.error;
  assert.equal(typeof e, 'object', ctx);
  for (const k of Object.keys(e)) assert.ok(['code', 'message', 'request_id', 'param'].includes(k), `unexpected error key ${k}: ${ctx}`);
  assert.equal(e.code, code, `code; body: ${ctx}`);
  assert.equal(typeof e.message, 'string'); assert.ok(e.message.length > 0, 'empty message');
  assert.equal(e.request_id, id, 'body request_id must equal the Request-Id header');
  if ('param' in e) assert.equal(typeof e.param, 'string', 'param must be a string');
  if (opts.param === null) assert.ok(!('param' in e), `param should be absent: ${ctx}`);
  else if (opts.param !== undefined) assert.equal(e.param, opts.param, `param; body: ${ctx}`);
  return res.json;
}

/** Assert a success status with a JSON body; returns the parsed body. */
export function expectJson(res, status) {
  assert.equal(res.status, status, `status; body: ${res.text.slice(0, 400)}`);
  expectJsonType(res);
  expectRequestId(res);
  assert.ok(res.json !== undefined, `body is not JSON: ${res.text.slice(0, 200)}`);
  return res.json;
}

/** Parse Set-Cookie headers into {name: {value, attrs: {lowercased: value|true}}}. */
export function cookies(res) {
  const out = {};
  for (const sc of res.headers['set-cookie'] || []) {
    const [nv, ...attrs] = sc.split(';');
    const i = nv.indexOf('=');
    const c = { value: nv.slice(i + 1).trim(), attrs: {}, raw: sc };
    for (const a of attrs) {
      const j = a.indexOf('=');
      if (j < 0) c.attrs[a.trim().toLowerCase()] = true;
      else c.attrs[a.slice(0, j).trim().toLowerCase()] = a.slice(j + 1).trim();
    }
    out[nv.slice(0, i).trim()] = c;
  }
  return out;
}

/** A server still alive and well: GET /healthz is 200. */
export async function expectAlive(srv) {
  assert.equal(srv.proc.exitCode, null, `server exited: ${srv.lines.slice(-20).join('\n')}`);
  const r = await srv.get('/healthz');
  assert.equal(r.status, 200, `healthz after hostile input: ${r.status} ${r.text}`);
}

/** No response seen so far (through the helpers) and no request log line was 5xx. */
export function expectNo5xx(srv) {
  const bad = srv.responses.filter((r) => r.status >= 500);
  assert.deepEqual(bad, [], 'responses with status >= 500');
  const badLogs = srv.logs.filter((o) => o.msg === 'request' && Number(o.status) >= 500);
  assert.deepEqual(badLogs, [], 'request log lines with status >= 500');
}

/** Every response seen has a request log line with its Request-Id, status,
 *  method and path (waits briefly for lines written after the response). */
export async function expectEveryResponseLogged(srv) {
  await new Promise((r) => setTimeout(r, 200));
  const byId = new Map(srv.logs.filter((o) => o.msg === 'request').map((o) => [o.request_id, o]));
  const missing = srv.responses.filter((r) => !byId.has(r.requestId));
  assert.deepEqual(missing, [], 'responses without a request log line');
  const wrong = srv.responses.filter((r) => Number(byId.get(r.requestId).status) !== r.status)
    .map((r) => ({ ...r, logged: byId.get(r.requestId).status }));
  assert.deepEqual(wrong, [], 'request log status differs from the response status');
  // method/path may be null when the request line could not be parsed, but
  // the fields are part of every request log line.
  const incomplete = srv.responses.map((r) => byId.get(r.requestId))
    .filter((o) => !('method' in o) || !('path' in o));
  assert.deepEqual(incomplete, [], 'request log lines without the method/path fields');
}

/** Every response seen had a distinct Request-Id. */
export function expectUniqueRequestIds(srv) {
  const ids = srv.responses.map((r) => r.requestId);
  assert.ok(ids.every(Boolean), `responses without Request-Id: ${JSON.stringify(srv.responses.filter((r) => !r.requestId))}`);
  assert.equal(new Set(ids).size, ids.length, 'Request-Id values must be unique');
}

export const uniqueEmail = (tag = 'u') => `${tag}-${randomBytes(5).toString('hex')}@example.com`;
export const PASSWORD = 'correct horse battery staple';

// A token with its last character changed for certain: appending a fixed
// letter instead flakes once in ~60 runs, when the random token already ends
// with it and the "mistyped" token is the real one.
export const mistype = (s) => s.slice(0, -1) + (s.endsWith('a') ? 'b' : 'a');

export async function signup(srv, over = {}) {
  const body = { email: uniqueEmail(), password: PASSWORD, org_name: 'Acme ' + randomBytes(3).toString('hex'), ...over };
  const res = await srv.post('/v1/signup', body);
  return { res, body, json: res.json, cookies: cookies(res) };
}

// API keys with a valid checksum that no database knows (src/auth/apikey.h:
// "sk_live_" + 26 random base62 + the first 32 bits of BLAKE2b-256 over the
// first 34 characters, as 6 base62). The checksum is public, so anyone can
// make these. BLAKE2b-256 comes from Python's hashlib: Node's crypto has
// BLAKE2b only with a 64-byte digest, which is a different function, and
// the project writes no crypto of its own.
const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const CHECKSUMS_PY = `
import hashlib, sys
B62 = '${B62}'
for head in sys.stdin.read().split():
    v = int.from_bytes(hashlib.blake2b(head.encode(), digest_size=32).digest()[:4], 'big')
    out = ''
    for _ in range(6):
        out = B62[v % 62] + out
        v //= 62
    print(head + out)
`;
/** Each 34-character key head with its 6-character checksum appended. */
export function withApiKeyChecksums(heads) {
  const r = spawnSync('python3', ['-c', CHECKSUMS_PY], { input: heads.join('\n'), encoding: 'utf8' });
  assert.equal(r.status, 0, `python3: ${r.stderr || r.error}`);
  const keys = r.stdout.trim().split('\n');
  assert.equal(keys.length, heads.length);
  return keys;
}
/** Well-formed keys (valid checksums) that no database holds, one per mode given. */
export function fakeApiKeys(modes) {
  return withApiKeyChecksums(modes.map((m) => `sk_${m}_` + [...randomBytes(26)].map((b) => B62[b % 62]).join('')));
}
