// `gatehouse webhook rekey`: a new webhook.key, every endpoint's secret
// re-sealed under it, the old key kept as webhook.key.previous; deliveries
// go on with the same signing secret, from nodes with the new files and
// from a node still holding only the old key file (it reads the old
// webhook.key, which the re-sealed rows no longer open, so it must not be
// what delivers: it is stopped before). A second rekey rotates again.
// Runs on a copy of the shared state directory (same pepper and runtime
// password), so the other test files keep their key.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { freshDatabase, startServer, signup, cli, psql } from './harness.mjs';
import { startReceiver } from './webhook-receiver.mjs';

describe('webhook key rotation', () => {
  let db; let stateDir; let rx; let srv; let admin; let secret; let endpointId;
  const env = () => ({ GATEHOUSE_STATE_DIR: stateDir });
  const as = () => ({ headers: { Cookie: `gh_session=${admin.cookie}`, 'X-CSRF-Token': admin.csrf } });
  const read = (f) => fs.readFileSync(path.join(stateDir, f));

  before(async () => {
    db = freshDatabase();
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-rekey-state-'));
    for (const f of fs.readdirSync(db.stateDir)) {
      if (!f.startsWith('.') && fs.statSync(path.join(db.stateDir, f)).isFile()) fs.copyFileSync(path.join(db.stateDir, f), path.join(stateDir, f));
    }
    fs.rmSync(path.join(stateDir, 'webhook.key.previous'), { force: true });
    rx = await startReceiver();
    srv = await startServer({ db, env: env() });
    const su = await signup(srv);
    admin = { cookie: su.cookies.gh_session.value, csrf: su.json.csrf_token };
    const ep = await srv.post('/v1/webhook_endpoints', { url: rx.url('/rekey'), events: ['application.created'] }, as());
    assert.equal(ep.status, 201, ep.text);
    secret = ep.json.secret;
    endpointId = ep.json.id;
  }, { timeout: 90_000 });
  after(async () => {
    if (srv) await srv.stop();
    if (rx) await rx.close();
    if (db) db.drop();
    if (stateDir) fs.rmSync(stateDir, { recursive: true, force: true });
  });

  /** Creates an application; resolves with its delivery, verified with the endpoint's secret. */
  async function deliveredAndValid() {
    const app = await srv.post('/v1/applications', { name: 'rk' }, as());
    assert.equal(app.status, 201, app.text);
    const l = await rx.waitFor('/rekey', (list) => list.some((d) => d.body.includes(app.json.id)), 15_000);
    const d = l.find((x) => x.body.includes(app.json.id));
    new Webhook(secret).verify(d.body, {
      'webhook-id': d.headers['webhook-id'], 'webhook-timestamp': d.headers['webhook-timestamp'], 'webhook-signature': d.headers['webhook-signature'],
    });
    return d;
  }
  const sealed = () => psql(`SELECT encode(secret_ct, 'hex') FROM gh.webhook_endpoints`, db.name);

  test('before: delivered and signed with the endpoint secret', async () => {
    await deliveredAndValid();
  });

  test('rekey: new webhook.key, the old one kept as previous, the row re-sealed; deliveries go on', async () => {
    const k0 = read('webhook.key');
    const before0 = sealed();
    await srv.stop();
    srv = null;
    const r = cli(db, ['webhook', 'rekey'], env());
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /rotated: .*1 endpoint/);
    const k1 = read('webhook.key');
    assert.equal(k1.length, 32);
    assert.notDeepEqual(k1, k0, 'a new key');
    assert.deepEqual(read('webhook.key.previous'), k0, 'the old key kept as previous');
    assert.notEqual(sealed(), before0, 'the secret was re-sealed');
    assert.equal((fs.statSync(path.join(stateDir, 'webhook.key')).mode & 0o777), 0o600);

    srv = await startServer({ db, env: env() });
    await deliveredAndValid();
  });

  test('a row still sealed with the previous key is delivered (change-over), repaired by rekey, then rotated', async () => {
    // As after a rekey whose COMMIT failed: the files moved on, the row is
    // sealed with what is now webhook.key.previous.
    const k1 = read('webhook.key');
    await srv.stop();
    srv = null;
    const kx = Buffer.from(Array.from({ length: 32 }, (_, i) => (i * 37 + 11) % 256));
    fs.writeFileSync(path.join(stateDir, 'webhook.key'), kx, { mode: 0o600 });
    fs.writeFileSync(path.join(stateDir, 'webhook.key.previous'), k1, { mode: 0o600 });
    srv = await startServer({ db, env: env() });
    await deliveredAndValid(); // opened with webhook.key.previous
    await srv.stop();
    srv = null;

    const r1 = cli(db, ['webhook', 'rekey'], env());
    assert.equal(r1.status, 0, r1.stderr);
    assert.match(r1.stdout, /repaired: 1 endpoint/);
    assert.deepEqual(read('webhook.key'), kx, 'a repair does not rotate');
    assert.deepEqual(read('webhook.key.previous'), k1);
    const r2 = cli(db, ['webhook', 'rekey'], env());
    assert.equal(r2.status, 0, r2.stderr);
    assert.match(r2.stdout, /rotated/);
    assert.deepEqual(read('webhook.key.previous'), kx, 'only now is k1 dropped: nothing is sealed with it');
    srv = await startServer({ db, env: env() });
    await deliveredAndValid();
  });

  test('a node with neither key cannot open the secret: nothing is sent signed wrongly', async () => {
    await srv.stop();
    srv = null;
    const other = fs.mkdtempSync(path.join(os.tmpdir(), 'gh-rekey-other-'));
    try {
      for (const f of ['pepper', 'app-db-password']) fs.copyFileSync(path.join(stateDir, f), path.join(other, f));
      fs.writeFileSync(path.join(other, 'webhook.key'), Buffer.alloc(32, 7), { mode: 0o600 });
      srv = await startServer({ db, env: { GATEHOUSE_STATE_DIR: other } });
      const n = rx.on('/rekey').length;
      const app = await srv.post('/v1/applications', { name: 'nokey' }, as());
      assert.equal(app.status, 201);
      // The attempt is recorded as failed (and retried later), never sent.
      let attempt;
      for (let i = 0; i < 60 && !attempt; i++) {
        const l = await srv.get(`/v1/webhook_endpoints/${endpointId}/deliveries`, as());
        assert.equal(l.status, 200, l.text);
        attempt = l.json.data.find((d) => d.error === 'secret unreadable');
        if (!attempt) await new Promise((r) => setTimeout(r, 250));
      }
      assert.ok(attempt, 'an attempt recorded as "secret unreadable"');
      assert.equal(attempt.status_code, null);
      assert.ok(attempt.next_retry_at, 'and scheduled again');
      assert.equal(rx.on('/rekey').length, n, 'nothing delivered without the key');
      await srv.stop();
      srv = null;
    } finally {
      fs.rmSync(other, { recursive: true, force: true });
    }
    srv = await startServer({ db, env: env() });
  });
});
