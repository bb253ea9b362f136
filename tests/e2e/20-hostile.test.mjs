// Hostile input: oversized bodies/URIs/headers, malformed HTTP over raw TCP,
// SQL-injection strings. After each batch the server must still be healthy,
// and no response may ever be a 5xx.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import {
  useServer, expectError, expectJson, expectAlive, expectNo5xx, expectUniqueRequestIds, expectEveryResponseLogged,
  signup, cookies, uniqueEmail, PASSWORD, MiB, parseHttpResponse,
} from './harness.mjs';

const ctx = useServer();
const S = () => ctx.srv;
// Raw requests use the placeholder HOST_HEADER, filled in at send time (the
// port is known only once the server runs).
const host = () => 'HOST_HEADER';
const fill = (d) => d.replaceAll('HOST_HEADER', `Host: 127.0.0.1:${S().port}\r\n`);
const json = { 'Content-Type': 'application/json' };

/** Everything the server writes for `data` until it closes the connection
 *  (closed: false if it was still open after timeoutMs). */
function readUntilClose(port, data, timeoutMs = 5000) {
  return new Promise((resolve) => {
    const chunks = [];
    const sock = net.connect(port, '127.0.0.1', () => sock.write(fill(data)));
    const done = (closed) => { clearTimeout(timer); sock.destroy(); resolve({ bytes: Buffer.concat(chunks), closed }); };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.on('data', (d) => chunks.push(d));
    sock.on('error', () => {});
    sock.on('close', () => done(true));
  });
}

/** The single response in `bytes`: a second status line means the stream
 *  was split into more than one answer (or one answer's head was written
 *  twice). */
function parseOne(bytes) {
  const text = bytes.toString('latin1');
  const lines = text.match(/(^|\r\n)HTTP\/1\.[01] \d{3} /g) || [];
  assert.equal(lines.length, 1, `expected exactly one response, got: ${JSON.stringify(text.slice(0, 600))}`);
  const r = parseHttpResponse(bytes, true);
  assert.ok(r, `incomplete response: ${JSON.stringify(text.slice(0, 300))}`);
  return r;
}

/** A 4xx JSON error with Request-Id (any code), from a raw response. */
function expect4xxJson(r, label) {
  assert.ok(r.status >= 400 && r.status < 500, `${label}: expected 4xx, got ${r.status} ${r.text.slice(0, 200)}`);
  expectError(r, r.status, r.json?.error?.code);
  return r;
}

describe('payload size (413)', () => {
  test('Content-Length body of 1 MiB + 1 is 413 payload_too_large', async () => {
    expectError(await S().request('POST', '/v1/signup', { body: Buffer.alloc(MiB + 1, 0x20), headers: json }), 413, 'payload_too_large');
  });
  test('chunked body over 1 MiB is 413 payload_too_large', async () => {
    const r = await S().request('POST', '/v1/signup', { body: Buffer.alloc(MiB + 4096, 0x20), headers: json, chunked: true });
    expectError(r, 413, 'payload_too_large');
  });
  test('chunked body over 1 MiB in small chunks is 413', async () => {
    const r = await S().request('POST', '/v1/signup', { body: Buffer.alloc(MiB + 10, 0x20), headers: json, chunked: true, chunkSize: 1000 });
    expectError(r, 413, 'payload_too_large');
  });
  test('a declared Content-Length of 10 GB is 413 without sending the body', async () => {
    const r = await S().raw(fill(`POST /v1/signup HTTP/1.1\r\n${host()}Content-Type: application/json\r\nContent-Length: 10000000000\r\n\r\n{`));
    expectError(r, 413, 'payload_too_large');
  });
  // A valid sign-up body padded with JSON whitespace to an exact size.
  const padded = (size) => {
    const j = Buffer.from(JSON.stringify({ email: uniqueEmail('big'), password: PASSWORD, org_name: 'Big' }));
    const b = Buffer.alloc(size, 0x20); j.copy(b, 0); return b;
  };
  test('a valid body of exactly 1 MiB is accepted (201)', async () => {
    expectJson(await S().request('POST', '/v1/signup', { body: padded(MiB), headers: json }), 201);
  });
  test('a valid body of exactly 1 MiB, chunked, is accepted (201)', async () => {
    expectJson(await S().request('POST', '/v1/signup', { body: padded(MiB), headers: json, chunked: true }), 201);
  });
  test('the same valid body padded to 1 MiB + 1 is 413 (Content-Length)', async () => {
    expectError(await S().request('POST', '/v1/signup', { body: padded(MiB + 1), headers: json }), 413, 'payload_too_large');
  });
  test('the same valid body padded to 1 MiB + 1 is 413 (chunked)', async () => {
    expectError(await S().request('POST', '/v1/signup', { body: padded(MiB + 1), headers: json, chunked: true }), 413, 'payload_too_large');
  });
  test('server alive', () => expectAlive(S()));
});

describe('request line and headers (414, 431)', () => {
  test('request line over 8 KiB is 414 uri_too_long', async () => {
    expectError(await S().get('/healthz?x=' + 'a'.repeat(9000)), 414, 'uri_too_long');
    expectError(await S().get('/v1/' + 'a'.repeat(8200)), 414, 'uri_too_long');
  });
  test('a 64 KiB request line is 414 too', async () => {
    expectError(await S().get('/v1/org?q=' + 'b'.repeat(64 * 1024)), 414, 'uri_too_long');
  });
  test('a request line under 8 KiB is served normally', async () => {
    const r = await S().get('/healthz?x=' + 'a'.repeat(7000));
    assert.equal(r.status, 200, r.text);
  });
  test('the largest legal head (8 000-byte request line, 31 KiB of headers) is served', async () => {
    const r = await S().get('/healthz?q=' + 'b'.repeat(7900), { headers: { 'X-Big': 'a'.repeat(31 * 1024) } });
    assert.equal(r.status, 200, r.text);
  });
  test('one 33 KiB header is 431 headers_too_large', async () => {
    expectError(await S().get('/healthz', { headers: { 'X-Big': 'a'.repeat(33 * 1024) } }), 431, 'headers_too_large');
  });
  test('many 1 KiB headers totalling 40 KiB (fewer than 100 fields) are 431', async () => {
    const headers = {};
    for (let i = 0; i < 40; i++) headers[`X-H${i}`] = 'v'.repeat(1024);
    expectError(await S().get('/healthz', { headers }), 431, 'headers_too_large');
  });
  test('a 200 KiB cookie is 431', async () => {
    expectError(await S().get('/v1/org', { cookies: { gh_session: 'c'.repeat(200 * 1024) } }), 431, 'headers_too_large');
  });
  test('101 header fields is 431 headers_too_large', async () => {
    const headers = {};
    for (let i = 0; i < 99; i++) headers[`X-F${i}`] = 'x'; // + Host + Connection = 101
    expectError(await S().get('/healthz', { headers }), 431, 'headers_too_large');
  });
  test('1000 header fields is 431', async () => {
    const headers = {};
    for (let i = 0; i < 1000; i++) headers[`X-F${i}`] = 'x';
    expectError(await S().get('/healthz', { headers }), 431, 'headers_too_large');
  });
  test('exactly 100 header fields is accepted', async () => {
    const headers = {};
    for (let i = 0; i < 98; i++) headers[`X-F${i}`] = 'x'; // + Host + Connection = 100
    const r = await S().get('/healthz', { headers });
    assert.equal(r.status, 200, r.text);
  });
  test('server alive', () => expectAlive(S()));
});

describe('encoded NUL in the request target', () => {
  // libmicrohttpd decodes the path and C strings stop at a NUL: without a
  // check, "/healthz%00x" would be served as "/healthz".
  for (const target of ['/healthz%00x', '/session.js%00.html', '/v1/org%00', '/%00']) {
    test(`${target} is 400 invalid_request`, async () => {
      expectError(await S().get(target), 400, 'invalid_request');
    });
  }
});

describe('malformed HTTP over raw TCP', () => {
  const cases = {
    'HTTP/1.1 without Host': 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n',
    'two Host headers': `GET /healthz HTTP/1.1\r\n${host()}Host: evil.example\r\nConnection: close\r\n\r\n`,
    'header line without a colon': `GET /healthz HTTP/1.1\r\n${host()}NoColonHere\r\nConnection: close\r\n\r\n`,
    'space before the colon': `GET /healthz HTTP/1.1\r\n${host()}X-Bad : 1\r\nConnection: close\r\n\r\n`,
    'non-numeric Content-Length': `POST /v1/signup HTTP/1.1\r\n${host()}Content-Type: application/json\r\nContent-Length: abc\r\nConnection: close\r\n\r\n{}`,
    'negative Content-Length': `POST /v1/signup HTTP/1.1\r\n${host()}Content-Type: application/json\r\nContent-Length: -1\r\nConnection: close\r\n\r\n{}`,
    'conflicting Content-Length headers': `POST /v1/signup HTTP/1.1\r\n${host()}Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\nConnection: close\r\n\r\n{} `,
    'Content-Length and Transfer-Encoding together': `POST /v1/signup HTTP/1.1\r\n${host()}Content-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n`,
    'unknown Transfer-Encoding': `POST /v1/signup HTTP/1.1\r\n${host()}Content-Type: application/json\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\n{}`,
    'invalid chunk size': `POST /v1/signup HTTP/1.1\r\n${host()}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
    'request target without leading slash': `GET healthz HTTP/1.1\r\n${host()}Connection: close\r\n\r\n`,
    'missing HTTP version': `GET /healthz\r\n${host()}\r\n`,
    'lowercase method': `get /healthz HTTP/1.1\r\n${host()}Connection: close\r\n\r\n`,
    'control byte in the request target': `GET /heal\x01thz HTTP/1.1\r\n${host()}Connection: close\r\n\r\n`,
  };
  for (const [label, data] of Object.entries(cases)) {
    test(`${label} gets a 4xx JSON error with Request-Id`, async () => {
      expect4xxJson(await S().raw(fill(data), { label, timeoutMs: 5000 }), label);
    });
  }
  // A request line without any space is the one malformed request that
  // Debian 12's libmicrohttpd 0.9.75 drops inside its parser, before any
  // function we can interpose (docs/decisions.md 23): the connection is
  // closed with nothing written. Accepted here: that, or the contract's
  // error once the library answers; not accepted: a hang, a partial or
  // non-JSON answer, or a server that stops serving.
  test('GARBAGE\\r\\n\\r\\n: a 4xx JSON error, or (libmicrohttpd 0.9.75) an immediate close with nothing written', async () => {
    const { bytes, closed } = await readUntilClose(S().port, 'GARBAGE\r\n\r\n');
    assert.ok(closed, 'the connection must not hang');
    if (bytes.length) expect4xxJson(parseOne(bytes), 'GARBAGE');
    await expectAlive(S());
  });
  // A body whose length is unclear must not be read as the next request
  // (request smuggling): each of these carries a complete second request
  // after its head, on a keep-alive connection. Exactly one answer, the
  // contract's error with a single head, then the server closes.
  const smuggled = () => `GET /healthz HTTP/1.1\r\n${host()}\r\n`;
  const framing = {
    'non-numeric Content-Length': [['Content-Length: abc'], 400],
    'negative Content-Length': [['Content-Length: -1'], 400],
    'Content-Length with a plus sign': [['Content-Length: +5'], 400],
    'Content-Length beyond 64 bits': [['Content-Length: 99999999999999999999999'], 413],
    'two Content-Length headers': [['Content-Length: 0', 'Content-Length: 0'], 400],
    'Content-Length and Transfer-Encoding': [['Content-Length: 0', 'Transfer-Encoding: chunked'], 400],
  };
  for (const [label, [fields, status]] of Object.entries(framing)) {
    test(`${label}: one ${status} JSON answer, the rest of the stream unread, connection closed`, async () => {
      const head = `POST /v1/signup HTTP/1.1\r\n${host()}Content-Type: application/json\r\n${fields.map((f) => `${f}\r\n`).join('')}\r\n`;
      const tail = fields.some((f) => f.startsWith('Transfer')) ? '0\r\n\r\n' : '';
      const { bytes, closed } = await readUntilClose(S().port, head + tail + smuggled());
      assert.ok(closed, `${label}: the connection must be closed after the answer`);
      const r = parseOne(bytes);
      expectError(r, status, status === 413 ? 'payload_too_large' : 'invalid_request');
      assert.equal(r.headers.connection, 'close');
    });
  }
  test('NUL in a header value: rejected with a 4xx JSON error, or replaced (RFC 9110 §5.5), never 5xx', async () => {
    const r = await S().raw(fill(`GET /healthz HTTP/1.1\r\n${host()}X-Nul: a\0b\r\nConnection: close\r\n\r\n`), { label: 'nul', timeoutMs: 5000 });
    if (r.status !== 200) expect4xxJson(r, 'NUL in a header value');
  });
  test('HTTP/1.0 without Host is served normally', async () => {
    const r = await S().raw('GET /healthz HTTP/1.0\r\n\r\n', { label: 'http/1.0', timeoutMs: 5000 });
    assert.deepEqual(expectJson(r, 200), { status: 'ok' });
  });
  test('binary junk gets a 4xx JSON error or a closed connection, never a crash', async () => {
    try {
      const r = await S().raw(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03, 0, 0, 0, 0, 13, 10, 13, 10]), { label: 'tls hello' });
      expect4xxJson(r, 'binary junk');
    } catch (e) {
      assert.match(e.message, /no complete HTTP response/);
    }
  });
  test('a client that disconnects mid-request does not hurt the server', async () => {
    await new Promise((resolve) => {
      const s = net.connect(S().port, '127.0.0.1', () => {
        s.write(fill(`POST /v1/signup HTTP/1.1\r\n${host()}Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"email":`));
        setTimeout(() => { s.destroy(); resolve(); }, 50);
      });
      s.on('error', resolve);
    });
  });
  test('server alive', () => expectAlive(S()));
});

describe('resource exhaustion', () => {
  test('30 idle half-sent connections do not stop other requests', async () => {
    const net = await import('node:net');
    const socks = [];
    try {
      for (let i = 0; i < 30; i++) {
        socks.push(await new Promise((resolve) => {
          const s = net.connect(S().port, '127.0.0.1', () => { s.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: `); resolve(s); });
          s.on('error', () => {});
        }));
      }
      const t = Date.now();
      const r = await S().get('/healthz', { timeoutMs: 5000 });
      assert.equal(r.status, 200);
      assert.ok(Date.now() - t < 2000, `healthz took ${Date.now() - t} ms with idle connections open`);
    } finally { for (const s of socks) s.destroy(); }
  });
  test('50 concurrent requests and 10 concurrent logins: no 5xx other than 503 with Retry-After', async () => {
    const s = await signup(S());
    expectJson(s.res, 201);
    const rs = await Promise.all([
      ...Array.from({ length: 50 }, () => S().get('/healthz')),
      ...Array.from({ length: 10 }, () => S().post('/v1/auth/login', { email: s.body.email, password: PASSWORD })),
    ]);
    for (const r of rs) {
      if (r.status === 503) { expectError(r, 503, 'unavailable'); assert.match(r.headers['retry-after'] || '', /^\d+$/); continue; }
      assert.equal(r.status, 200, r.text);
    }
    // 503 is allowed by the contract under overload; it is not counted as a crash
    S().responses = S().responses.filter((x) => x.status !== 503);
  });
  test('server alive', () => expectAlive(S()));
});

describe('SQL injection strings', () => {
  const injections = ["' OR 1=1 --", '"; DROP TABLE gh.users; --', "x'); DELETE FROM gh.orgs; --", "'||pg_sleep(5)||'"];
  let sessionCookie;
  test('in the signup email: 400 param email', async () => {
    for (const email of injections) {
      const r = await S().post('/v1/signup', { email, password: PASSWORD, org_name: 'Inj' });
      expectError(r, 400, 'invalid_request', { param: 'email' });
    }
  });
  test('in the login email: 401 invalid_credentials (or 400), never 5xx', async () => {
    for (const email of injections) {
      const r = await S().post('/v1/auth/login', { email, password: PASSWORD });
      assert.ok([400, 401].includes(r.status), `${email}: ${r.status} ${r.text}`);
      expectError(r, r.status, r.status === 401 ? 'invalid_credentials' : 'invalid_request');
    }
  });
  test('in the login password: 401 invalid_credentials', async () => {
    const s = await signup(S());
    expectJson(s.res, 201);
    for (const password of ["' OR 1=1 --xx", '"; DROP TABLE gh.users; --']) {
      expectError(await S().post('/v1/auth/login', { email: s.body.email, password }), 401, 'invalid_credentials');
    }
  });
  test('in org_name: stored verbatim, and the data survives', async () => {
    for (const org_name of injections) {
      const s = await signup(S(), { org_name });
      const b = expectJson(s.res, 201);
      assert.equal(b.org.name, org_name);
      sessionCookie = s.cookies.gh_session?.value;
      const o = await S().get('/v1/org', { cookies: { gh_session: sessionCookie } });
      assert.equal(expectJson(o, 200).name, org_name);
      const l = await S().post('/v1/auth/login', { email: s.body.email, password: PASSWORD });
      expectJson(l, 200);
    }
  });
  test('in path ids: 4xx, never 5xx', async () => {
    const paths = ["/v1/org/'%20or%201=1", '/v1/org/%27%3B%20DROP%20TABLE%20gh.users%3B--',
      "/v1/api_keys/'%20or%201=1", '/v1/users/1%20OR%201=1', "/v1/orgs/'%20or%201=1/applications"];
    for (const p of paths) {
      for (const opts of [{}, { cookies: { gh_session: sessionCookie } }]) {
        if (opts.cookies && !p.startsWith('/v1/org/')) continue; // routes not built yet: no session calls
        const r = await S().get(p, opts);
        expect4xxJson(r, p);
      }
    }
  });
  test('in query strings: 4xx or 200, never 5xx', async () => {
    const r = await S().get("/v1/org?id='%20or%201=1--", { cookies: { gh_session: sessionCookie } });
    assert.ok(r.status < 500, `${r.status} ${r.text}`);
  });
  test('in cookies and bearer tokens: 401 unauthorized', async () => {
    expectError(await S().get('/v1/org', { cookies: { gh_session: "' OR 1=1 --" } }), 401, 'unauthorized');
    expectError(await S().get('/v1/org', { headers: { Authorization: "Bearer sk_live_' OR 1=1 --" } }), 401, 'unauthorized');
  });
  test('server alive', () => expectAlive(S()));
});

describe('global', () => {
  test('no 5xx anywhere and every Request-Id was unique', () => {
    expectNo5xx(S());
    expectUniqueRequestIds(S());
  });
  test('every response has a request log line with the same id, status, method and path', () => expectEveryResponseLogged(S()));
});
