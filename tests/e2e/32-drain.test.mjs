// The SIGTERM grace period (GATEHOUSE_SHUTDOWN_GRACE_SECONDS): the server
// keeps answering, but with "Connection: close" and a failing /readyz, so
// that a proxy moves its traffic away before the listening socket closes;
// then it stops as usual (exit 0). Without the setting it stops at once.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { freshDatabase, startServer, expectJson, expectError } from './harness.mjs';

describe('shutdown grace period', () => {
  let db;
  before(() => { db = freshDatabase(); });
  after(() => { if (db) db.drop(); });

  test('drains for the grace period, then exits 0', async () => {
    const srv = await startServer({ db, env: { GATEHOUSE_SHUTDOWN_GRACE_SECONDS: '2' } });
    let r = await srv.get('/healthz', { headers: { Connection: 'keep-alive' } });
    assert.equal(r.status, 200);
    assert.notEqual((r.headers.connection || '').toLowerCase(), 'close', 'not draining yet');
    expectJson(await srv.get('/readyz'), 200);
    const t0 = Date.now();
    srv.proc.kill('SIGTERM');
    await srv.waitForLog((o) => o.msg === 'draining');
    r = await srv.get('/healthz', { headers: { Connection: 'keep-alive' } });
    assert.equal(r.status, 200, 'still serving while draining');
    assert.equal((r.headers.connection || '').toLowerCase(), 'close');
    const ready = await srv.get('/readyz');
    expectError(ready, 503, 'unavailable');
    assert.ok(Number(ready.headers['retry-after']) >= 1);
    const { code } = await srv.exit;
    assert.equal(code, 0);
    const took = Date.now() - t0;
    assert.ok(took >= 1800, `stopped after ${took} ms, before the 2 s grace`);
  });

  test('a second SIGTERM cuts the grace period short', async () => {
    const srv = await startServer({ db, env: { GATEHOUSE_SHUTDOWN_GRACE_SECONDS: '60' } });
    const t0 = Date.now();
    srv.proc.kill('SIGTERM');
    await srv.waitForLog((o) => o.msg === 'draining');
    srv.proc.kill('SIGTERM');
    const { code } = await srv.exit;
    assert.equal(code, 0);
    assert.ok(Date.now() - t0 < 10_000);
  });

  test('without the setting, SIGTERM stops at once', async () => {
    const srv = await startServer({ db });
    const t0 = Date.now();
    srv.proc.kill('SIGTERM');
    const { code } = await srv.exit;
    assert.equal(code, 0);
    assert.ok(Date.now() - t0 < 5_000);
    assert.ok(!srv.logs.some((o) => o.msg === 'draining'));
  });
});
