// Harness self-checks and the command-line interface (migrate, org create).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { cli, freshDatabase, rawRequest, startServer, expectJson, PASSWORD } from './harness.mjs';

describe('harness', () => {
  test('raw client parses content-length and chunked responses', async () => {
    const srv = net.createServer((s) => {
      s.once('data', (d) => {
        if (d.toString().startsWith('GET /chunked')) {
          s.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nRequest-Id: req_abcdefgh\r\n\r\n3\r\n{"a\r\n4\r\n":1}\r\n0\r\n\r\n');
        } else {
          s.end('HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\nSet-Cookie: a=1; HttpOnly\r\nSet-Cookie: b=2\r\n\r\n{}');
        }
      });
    });
    await new Promise((r) => srv.listen(0, '127.0.0.1', r));
    const { port } = srv.address();
    try {
      const a = await rawRequest(port, 'GET /chunked HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.equal(a.status, 200); assert.deepEqual(a.json, { a: 1 }); assert.equal(a.headers['request-id'], 'req_abcdefgh');
      const b = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      assert.equal(b.status, 404); assert.deepEqual(b.headers['set-cookie'], ['a=1; HttpOnly', 'b=2']);
    } finally { srv.close(); }
  });
});

describe('CLI', () => {
  let db;
  before(() => { db = freshDatabase(); });
  after(() => db && db.drop());

  test('gatehouse migrate exits 0 and is idempotent', () => {
    for (const round of [1, 2]) {
      const r = cli(db, ['migrate']);
      assert.equal(r.status, 0, `migrate round ${round} exit ${r.status}\nstdout:${r.stdout}\nstderr:${r.stderr}`);
    }
  });

  test('migrate never prints the database password', () => {
    const r = cli(db, ['migrate']);
    assert.equal(r.status, 0, r.stderr);
    const pw = /postgres:([^@]+)@/.exec(db.url)[1];
    assert.ok(!(r.stdout + r.stderr).includes(pw), 'superuser password appears in migrate output');
  });

  let token;
  test('gatehouse org create prints a one-time invitation token', () => {
    const r = cli(db, ['org', 'create', '--name', 'CLI Org', '--admin-email', 'cli-admin@example.com']);
    assert.equal(r.status, 0, `exit ${r.status}\nstdout:${r.stdout}\nstderr:${r.stderr}`);
    const m = /^invitation_token: (\S+)$/m.exec(r.stdout);
    assert.ok(m, `no "invitation_token: <token>" line in stdout:\n${r.stdout}`);
    token = m[1];
    assert.match(token, /^[A-Za-z0-9_-]{32,}$/, 'token: >= 32 chars of [A-Za-z0-9_-]');
    assert.ok(!r.stderr.includes(token), 'the token must not be logged on stderr');
  });

  test('two org create calls give distinct tokens', () => {
    const r = cli(db, ['org', 'create', '--name', 'CLI Org 2', '--admin-email', 'cli-admin2@example.com']);
    assert.equal(r.status, 0, r.stderr);
    const m = /^invitation_token: (\S+)$/m.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.notEqual(m[1], token);
  });

  test('org create without --name or --admin-email fails with a non-zero exit', () => {
    const a = cli(db, ['org', 'create', '--admin-email', 'x@example.com']);
    assert.notEqual(a.status, 0, `missing --name accepted: ${a.stdout}`);
    assert.doesNotMatch(a.stdout, /invitation_token:/);
    const b = cli(db, ['org', 'create', '--name', 'No Admin']);
    assert.notEqual(b.status, 0, `missing --admin-email accepted: ${b.stdout}`);
    assert.doesNotMatch(b.stdout, /invitation_token:/);
  });

  test('an unknown subcommand fails with a non-zero exit', () => {
    const r = cli(db, ['no-such-command']);
    assert.notEqual(r.status, 0);
  });

  test('serve on an already-migrated database starts and is ready', async () => {
    const srv = await startServer({ db });
    try {
      const r = await srv.get('/readyz');
      assert.deepEqual(expectJson(r, 200), { status: 'ready' });
      // The CLI-created admin is an invitee, not a user with a password yet.
      const l = await srv.post('/v1/auth/login', { email: 'cli-admin@example.com', password: PASSWORD });
      assert.equal(l.status, 401, `login of a not-yet-accepted invitee: ${l.status} ${l.text}`);
    } finally {
      const { code } = await srv.stop();
      assert.equal(code, 0, 'serve exits 0 on SIGTERM');
    }
  });
});
