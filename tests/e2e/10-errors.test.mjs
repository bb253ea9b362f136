// The error contract, Request-Id everywhere, routing (404/405), media types,
// request-body validation (400) and the documented order of checks.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  useServer, expectError, expectRequestId, expectJson, expectNo5xx, expectUniqueRequestIds,
  uniqueEmail, PASSWORD, MiB, expectEveryResponseLogged, REQUEST_ID_RE,
} from './harness.mjs';
import http from 'node:http';

const ctx = useServer();
const S = () => ctx.srv;
const signupBody = (over = {}) => ({ email: uniqueEmail('e'), password: PASSWORD, org_name: 'Err Org', ...over });

/** POST /v1/signup with a raw body (Buffer|string) and JSON content type. */
const postRaw = (body, headers = { 'Content-Type': 'application/json' }) => S().request('POST', '/v1/signup', { body, headers });

describe('error body contract', () => {
  test('404 body is exactly {"error":{code,message,request_id}} with matching Request-Id', async () => {
    const r = await S().get('/v1/nope');
    const b = expectError(r, 404, 'not_found');
    assert.ok(!('param' in b.error));
  });

  test('the request log line carries the same request id, method, path and status', async () => {
    const r = await S().get('/v1/nope');
    const id = expectRequestId(r);
    const log = await S().requestLog(id);
    assert.equal(log.method, 'GET');
    assert.equal(log.path, '/v1/nope');
    assert.equal(Number(log.status), 404);
  });

  test('a 400 names the faulty param and its log line matches', async () => {
    const r = await S().post('/v1/signup', signupBody({ email: 'not-an-email' }));
    expectError(r, 400, 'invalid_request', { param: 'email' });
    const log = await S().requestLog(r.json.error.request_id);
    assert.equal(log.method, 'POST'); assert.equal(log.path, '/v1/signup'); assert.equal(Number(log.status), 400);
  });

  test('Request-Id is unique per request, even when the client sends one', async () => {
    const a = await S().get('/healthz', { headers: { 'Request-Id': 'req_clientchosen1' } });
    const b = await S().get('/healthz', { headers: { 'Request-Id': 'req_clientchosen1' } });
    assert.notEqual(expectRequestId(a), expectRequestId(b));
  });
});

test('keep-alive: two requests on one connection get distinct Request-Ids', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const get = () => new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: S().port, path: '/healthz', agent }, (res) => {
      res.resume(); res.on('end', () => resolve({ id: res.headers['request-id'], reused: req.reusedSocket, status: res.statusCode }));
    });
    req.on('error', reject);
  });
  try {
    const a = await get(); const b = await get();
    assert.equal(a.status, 200); assert.equal(b.status, 200);
    assert.equal(b.reused, true, 'server closed a keep-alive connection after one request');
    assert.match(a.id, REQUEST_ID_RE); assert.match(b.id, REQUEST_ID_RE);
    assert.notEqual(a.id, b.id);
  } finally { agent.destroy(); }
});

describe('Request-Id on every response', () => {
  const cases = [
    ['GET', '/healthz'], ['GET', '/readyz'], ['GET', '/metrics'], ['GET', '/v1/nope'], ['GET', '/nope'],
    ['DELETE', '/healthz'], ['GET', '/v1/org'], ['POST', '/v1/auth/login'],
  ];
  for (const [m, p] of cases) {
    test(`${m} ${p}`, async () => {
      const r = await S().request(m, p, m === 'POST' ? { json: { email: 'x@example.com', password: 'wrongwrongwrong' } } : {});
      expectRequestId(r);
      if (r.status >= 400) expectError(r, r.status, r.json?.error?.code);
    });
  }
  test('POST /v1/signup (201)', async () => {
    const r = await S().post('/v1/signup', signupBody());
    expectJson(r, 201);
  });
});

describe('routing', () => {
  test('unknown /v1 path is 404 not_found without credentials', async () => {
    expectError(await S().get('/v1/nope'), 404, 'not_found');
    expectError(await S().request('POST', '/v1/nope', { json: {} }), 404, 'not_found');
    expectError(await S().get('/v1/org/extra/segments/here'), 404, 'not_found');
  });

  test('unknown path outside /v1 is 404 (or the panel), never 5xx', async () => {
    const r = await S().get('/definitely-not-here');
    assert.ok([200, 404].includes(r.status), `status ${r.status}`);
    if (r.status === 404) expectError(r, 404, 'not_found');
  });

  test('DELETE /healthz is 405 with an Allow header naming GET', async () => {
    const r = await S().request('DELETE', '/healthz');
    expectError(r, 405, 'method_not_allowed');
    const allow = r.headers.allow;
    assert.ok(allow, 'Allow header missing');
    const methods = allow.split(',').map((s) => s.trim());
    assert.ok(methods.includes('GET'), `Allow: ${allow}`);
    assert.ok(!methods.includes('DELETE'), `Allow: ${allow}`);
  });

  test('GET /v1/signup is 405 with Allow: POST', async () => {
    const r = await S().get('/v1/signup');
    expectError(r, 405, 'method_not_allowed');
    assert.ok((r.headers.allow || '').split(',').map((s) => s.trim()).includes('POST'), `Allow: ${r.headers.allow}`);
  });

  test('GET /v1/auth/login and PUT /metrics are 405', async () => {
    expectError(await S().get('/v1/auth/login'), 405, 'method_not_allowed');
    const r = await S().request('PUT', '/metrics', { body: 'x', headers: { 'Content-Type': 'text/plain' } });
    expectError(r, 405, 'method_not_allowed');
    assert.ok(r.headers.allow, 'Allow header missing');
  });
});

describe('media type (415)', () => {
  test('text/plain body is 415 unsupported_media_type', async () => {
    const r = await postRaw(JSON.stringify(signupBody()), { 'Content-Type': 'text/plain' });
    expectError(r, 415, 'unsupported_media_type');
  });

  test('a body without any Content-Type is 415', async () => {
    const r = await postRaw(JSON.stringify(signupBody()), {});
    expectError(r, 415, 'unsupported_media_type');
  });

  test('look-alike types are 415', async () => {
    for (const ct of ['application/jsonx', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'text/json']) {
      expectError(await postRaw(JSON.stringify(signupBody()), { 'Content-Type': ct }), 415, 'unsupported_media_type');
    }
  });

  test('application/json; charset=utf-8 is accepted', async () => {
    const r = await postRaw(JSON.stringify(signupBody()), { 'Content-Type': 'application/json; charset=utf-8' });
    expectJson(r, 201);
  });

  test('media type matching is case-insensitive (RFC 9110 §8.3.1)', async () => {
    const r = await postRaw(JSON.stringify(signupBody()), { 'Content-Type': 'Application/JSON;charset=UTF-8' });
    expectJson(r, 201);
  });
});

describe('request body validation (400 invalid_request)', () => {
  const bad = (label, body, param, message) => test(label, async () => {
    const e = expectError(await postRaw(body), 400, 'invalid_request', param === undefined ? {} : { param });
    if (message) assert.match(e.error.message, message);
  });
  bad('empty body', '');
  bad('invalid JSON', '{"email": "a@b.co", ');
  bad('trailing garbage after the object', JSON.stringify(signupBody()) + ' x');
  bad('two JSON documents', JSON.stringify(signupBody()) + JSON.stringify(signupBody()));
  bad('a JSON array instead of an object', JSON.stringify([signupBody()]));
  bad('a JSON string instead of an object', '"hello"');
  bad('null', 'null');
  bad('wrong field type (email: number)', JSON.stringify(signupBody({ email: 123 })), 'email');
  bad('wrong field type (org_name: object)', JSON.stringify(signupBody({ org_name: { a: 1 } })), 'org_name');
  bad('wrong field type (password: array)', JSON.stringify(signupBody({ password: ['x'] })), 'password');
  bad('unknown field names it', JSON.stringify(signupBody({ extra: 1 })), 'extra');
  bad('org_id is never taken from the client', JSON.stringify(signupBody({ org_id: 'org_123' })), 'org_id');
  bad('id is never taken from the client', JSON.stringify(signupBody({ id: 'usr_123' })), 'id');
  bad('missing email', JSON.stringify({ password: PASSWORD, org_name: 'x' }), 'email');
  bad('missing password', JSON.stringify({ email: uniqueEmail(), org_name: 'x' }), 'password');
  bad('missing org_name', JSON.stringify({ email: uniqueEmail(), password: PASSWORD }), 'org_name');
  bad('invalid UTF-8 (0xFF) inside a string', Buffer.concat([
    Buffer.from(`{"email":"${uniqueEmail()}","password":"${PASSWORD}","org_name":"a`), Buffer.from([0xff, 0xfe]), Buffer.from('b"}')]));
  bad('overlong UTF-8 (0xC0 0x80) inside a string', Buffer.concat([
    Buffer.from(`{"email":"${uniqueEmail()}","password":"${PASSWORD}","org_name":"a`), Buffer.from([0xc0, 0x80]), Buffer.from('b"}')]));
  bad('truncated UTF-8 sequence inside a string', Buffer.concat([
    Buffer.from(`{"email":"${uniqueEmail()}","password":"${PASSWORD}","org_name":"a`), Buffer.from([0xe2, 0x82]), Buffer.from('"}')]));
  bad('invalid UTF-8 inside a key', Buffer.concat([
    Buffer.from(`{"email":"${uniqueEmail()}","password":"${PASSWORD}","org_name":"a","`), Buffer.from([0xff]), Buffer.from('":1}')]));
  bad('lone surrogate escape \\ud800 in a string', `{"email":"${uniqueEmail()}","password":"${PASSWORD}","org_name":"a\\ud800b"}`);
  bad('\\u0000 escape inside a string', `{"email":"${uniqueEmail()}","password":"${PASSWORD}","org_name":"a\\u0000b"}`);
  bad('\\u0000 escape inside the password', `{"email":"${uniqueEmail()}","password":"abcdefghij\\u0000klm","org_name":"a"}`);
  bad('\\u0000 escape inside a key', `{"email":"${uniqueEmail()}","password":"${PASSWORD}","org_name":"a","a\\u0000":1}`);
  bad('raw NUL byte inside a string', Buffer.concat([
    Buffer.from(`{"email":"${uniqueEmail()}","password":"${PASSWORD}","org_name":"a`), Buffer.from([0]), Buffer.from('b"}')]));
  bad('raw NUL byte after the object', Buffer.concat([Buffer.from(JSON.stringify(signupBody())), Buffer.from([0])]));
  bad('raw NUL byte before the object', Buffer.concat([Buffer.from([0]), Buffer.from(JSON.stringify(signupBody()))]));
  bad('10 000-deep array nesting', '['.repeat(10000) + ']'.repeat(10000));
  bad('10 000-deep unclosed array nesting', '['.repeat(10000));
  bad('10 000-deep object nesting', '{"a":'.repeat(10000) + '1' + '}'.repeat(10000));
  bad('65 levels of nesting inside an object', `{"email":"${uniqueEmail()}","password":"${PASSWORD}","org_name":"a","x":${'['.repeat(64)}${']'.repeat(64)}}`);
  bad('huge number literal', `{"email":"${uniqueEmail()}","password":"${PASSWORD}","org_name":1${'0'.repeat(5000)}}`, 'org_name', /out of range/);
  bad('integer just beyond 64 bits', `{"email":"${uniqueEmail()}","password":"${PASSWORD}","org_name":9223372036854775808}`, 'org_name', /out of range/);
  bad('negative integer beyond 64 bits', `{"email":"${uniqueEmail()}","password":"${PASSWORD}","org_name":"a","x":-99999999999999999999}`, 'x', /out of range/);
  bad('huge number literal in an otherwise broken body stays "not valid JSON"',
    `{"email":"${uniqueEmail()}","password":"${PASSWORD}","org_name":99999999999999999999,}`, null, /not valid JSON/);
  bad('real number overflow stays "not valid JSON"', `{"email":"${uniqueEmail()}","password":"${PASSWORD}","org_name":1e999}`, null, /not valid JSON/);

  test('the same body well-formed is accepted (the cases above fail for the stated reason)', async () => {
    expectJson(await postRaw(JSON.stringify(signupBody())), 201);
  });

  test('body errors on login too: unknown field, wrong type', async () => {
    expectError(await S().post('/v1/auth/login', { email: uniqueEmail(), password: PASSWORD, remember: true }), 400, 'invalid_request', { param: 'remember' });
    expectError(await S().post('/v1/auth/login', { email: uniqueEmail(), password: 12345678901 }), 400, 'invalid_request', { param: 'password' });
  });
});

describe('order of checks', () => {
  test('size (413) before route: oversized body to an unknown path', async () => {
    const r = await S().request('POST', '/v1/nope', { body: Buffer.alloc(MiB + 1, 0x61), headers: { 'Content-Type': 'application/json' } });
    expectError(r, 413, 'payload_too_large');
  });
  test('size (413) before media type (415)', async () => {
    const r = await S().request('POST', '/v1/signup', { body: Buffer.alloc(MiB + 1, 0x61), headers: { 'Content-Type': 'text/plain' } });
    expectError(r, 413, 'payload_too_large');
  });
  test('route (405) before media type (415)', async () => {
    const r = await S().request('PUT', '/v1/signup', { body: 'x', headers: { 'Content-Type': 'text/plain' } });
    expectError(r, 405, 'method_not_allowed');
  });
  test('route (404) before media type (415)', async () => {
    const r = await S().request('POST', '/v1/nope', { body: 'x', headers: { 'Content-Type': 'text/plain' } });
    expectError(r, 404, 'not_found');
  });
  test('media type (415) before body (400)', async () => {
    const r = await S().request('POST', '/v1/signup', { body: '{not json', headers: { 'Content-Type': 'text/plain' } });
    expectError(r, 415, 'unsupported_media_type');
  });
  test('credentials (401) before body on GET /v1/org with junk body', async () => {
    const r = await S().request('GET', '/v1/org', { body: '{not json', headers: { 'Content-Type': 'text/plain' } });
    expectError(r, 401, 'unauthorized');
  });
});

describe('global', () => {
  test('no 5xx anywhere and every Request-Id was unique', () => {
    expectNo5xx(S());
    expectUniqueRequestIds(S());
  });
  test('every response has a request log line with the same id, status, method and path', () => expectEveryResponseLogged(S()));
});
