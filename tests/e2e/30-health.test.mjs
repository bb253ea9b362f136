// /healthz, /readyz, /metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { useServer, expectJson, expectRequestId, expectError, expectNo5xx } from './harness.mjs';

const ctx = useServer();
const S = () => ctx.srv;

/** Sum of all samples of a metric family (any labels). */
function sum(text, name) {
  let total = 0; let seen = false;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m && m[1] === name) { total += Number(m[3]); seen = true; }
  }
  return seen ? total : undefined;
}

test('GET /healthz is 200 {"status":"ok"} with a JSON content type and Request-Id', async () => {
  const r = await S().get('/healthz');
  assert.deepEqual(expectJson(r, 200), { status: 'ok' });
});

test('GET /readyz is 200 {"status":"ready"} once migrated', async () => {
  const r = await S().get('/readyz');
  assert.deepEqual(expectJson(r, 200), { status: 'ready' });
});

test('HEAD-less wrong methods on health routes are 405', async () => {
  expectError(await S().request('POST', '/healthz', { json: {} }), 405, 'method_not_allowed');
  expectError(await S().request('POST', '/readyz', { json: {} }), 405, 'method_not_allowed');
});

test('GET /metrics is Prometheus text 0.0.4 with gatehouse_http_requests_total', async () => {
  const r = await S().get('/metrics');
  assert.equal(r.status, 200);
  expectRequestId(r);
  assert.match(r.headers['content-type'] || '', /^text\/plain;\s*version=0\.0\.4(\s*;\s*charset=utf-8)?$/i, r.headers['content-type']);
  assert.match(r.text, /^# TYPE gatehouse_http_requests_total counter$/m);
  assert.ok(sum(r.text, 'gatehouse_http_requests_total') !== undefined, 'no gatehouse_http_requests_total sample');
});

test('metrics text is well-formed exposition format', async () => {
  const r = await S().get('/metrics');
  for (const line of r.text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    assert.match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? [-+]?(\d+(\.\d*)?([eE][-+]?\d+)?|NaN|[-+]?Inf)( \d+)?$/, `bad metrics line: ${line}`);
  }
  assert.ok(r.text.endsWith('\n'), 'exposition must end with a newline');
});

test('gatehouse_http_requests_total grows with requests', async () => {
  const before = sum((await S().get('/metrics')).text, 'gatehouse_http_requests_total');
  for (let i = 0; i < 5; i++) await S().get('/healthz');
  await S().get('/v1/nope');
  // allow the counter to be updated just after the response is written
  let after = before;
  for (let i = 0; i < 20 && after < before + 6; i++) {
    after = sum((await S().get('/metrics')).text, 'gatehouse_http_requests_total');
    if (after < before + 6) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(after >= before + 6, `counter went from ${before} to ${after}`);
});

test('a 404 is counted under a status-code label (code= or status=)', async () => {
  await S().get('/v1/nope');
  const text = (await S().get('/metrics')).text;
  assert.match(text, /^gatehouse_http_requests_total\{[^}]*(code|status)="404"[^}]*\} [1-9]/m);
});

test('errors raised by the HTTP layer (431) are counted too', async () => {
  const before = sum((await S().get('/metrics')).text, 'gatehouse_http_requests_total');
  const big = await S().get('/healthz', { headers: { 'X-Big': 'a'.repeat(40 * 1024) } });
  assert.equal(big.status, 431);
  await new Promise((r) => setTimeout(r, 100));
  const after = sum((await S().get('/metrics')).text, 'gatehouse_http_requests_total');
  assert.ok(after >= before + 2, `counter went from ${before} to ${after} (431 and /metrics not both counted)`);
});

test('the metrics do not expose unbounded path labels (unknown paths are not labelled verbatim)', async () => {
  await S().get('/v1/zzz-unique-path-marker');
  const text = (await S().get('/metrics')).text;
  assert.ok(!text.includes('zzz-unique-path-marker'), 'a raw request path became a metric label (cardinality explosion)');
});

test('health routes log a request line with their request id', async () => {
  const r = await S().get('/healthz');
  const log = await S().requestLog(expectRequestId(r));
  assert.equal(log.path, '/healthz'); assert.equal(Number(log.status), 200); assert.equal(log.method, 'GET');
});

test('no 5xx', () => expectNo5xx(S()));
