// A login racing a password change (migration 0014, docs: src/auth/README.md
// "Refresh, logout, re-authentication, password").
//
// Login reads the password hash (gh.login_lookup), verifies Argon2id on the
// hashing pool (tens of milliseconds), then creates the session
// (gh.session_create). A login with the OLD password that has read the hash
// before a password change, and creates its session after the change has
// committed, must be refused (401 invalid_credentials): the change ends
// every other session of the user, and a session proved by the replaced
// password is one of them.
//
// The interleaving is staged, not hoped for: a psql transaction locks
// gh.users (EXCLUSIVE: plain reads such as the look-up go on, the creation's
// row lock waits) and gh.sessions (SHARE: an INSERT waits), so the login
// stops between its look-up and its session; once it is seen waiting in
// pg_locks, the same transaction changes the password through
// gh.session_change_password, as POST /v1/auth/password does, and commits.
// The login then resumes with the hash it has already verified.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  useServer, expectError, expectJson, signup, cookies, psql, ROOT, PG_DIR, PASSWORD,
} from './harness.mjs';

const ctx = useServer();
const S = () => ctx.srv;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A psql session fed through stdin, holding its transaction open between
 *  writes. */
function holder(db) {
  const p = spawn('scripts/pg.sh', ['psql', '-d', db, '-v', 'ON_ERROR_STOP=1', '-qtA'], {
    cwd: ROOT, env: { ...process.env, GATEHOUSE_PG_DIR: PG_DIR, GATEHOUSE_PG_FAST: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  p.stdout.on('data', (d) => { out += d; });
  p.stderr.on('data', (d) => { out += d; });
  const exited = new Promise((resolve) => p.on('exit', (code) => resolve(code)));
  return {
    send: (sql) => p.stdin.write(sql + '\n'),
    async end() { p.stdin.end(); const code = await exited; return { code, out }; },
    kill: () => { try { p.kill('SIGKILL'); } catch { /* gone */ } },
  };
}

/** Polls a query on a connection of its own until it answers `want`. */
async function until(sql, db, want, what, ms = 15_000) {
  const end = Date.now() + ms;
  for (;;) {
    const got = psql(sql, db);
    if (got === want) return;
    if (Date.now() > end) assert.fail(`${what}: still ${JSON.stringify(got)} after ${ms} ms`);
    await sleep(20);
  }
}

describe('login vs password change', () => {
  test('a login whose password was replaced after its look-up gets no session (401 invalid_credentials)', async () => {
    const srv = S(); const db = ctx.db.name;
    // The user, signed up: this session will change the password.
    const su = await signup(srv);
    assert.equal(su.res.status, 201, su.res.text);
    const email = su.body.email; const changer = su.json.session.id;
    // A second account only to get a genuine Argon2id hash of the new password.
    const NEW = 'a brand new passphrase 42';
    const other = await signup(srv, { password: NEW });
    assert.equal(other.res.status, 201, other.res.text);
    const newHashOf = `(SELECT password_hash FROM gh.users WHERE id = '${other.json.user.id}')`;

    const rels = `('gh.users'::regclass, 'gh.sessions'::regclass)`;
    const h = holder(db);
    let login;
    try {
      h.send(`BEGIN; LOCK TABLE gh.users IN EXCLUSIVE MODE; LOCK TABLE gh.sessions IN SHARE MODE;`);
      await until(`SELECT count(*) FROM pg_locks WHERE granted AND relation IN ${rels}
                     AND mode IN ('ExclusiveLock', 'ShareLock')`, db, '2', 'the holder\'s locks');
      // The login with the current (soon old) password: it looks up, verifies,
      // and then waits for a lock inside the session's creation.
      login = srv.post('/v1/auth/login', { email, password: PASSWORD });
      await until(`SELECT count(*) > 0 FROM pg_locks WHERE NOT granted AND relation IN ${rels}`, db, 't',
                  'the login waiting to create its session');
      // The password change commits while the login waits.
      h.send(`SELECT count(*) FROM gh.sessions s, gh.session_change_password(s.access_hash, ${newHashOf})
               WHERE s.id = '${changer}';`);
      h.send('COMMIT;');
      const { code, out } = await h.end();
      assert.equal(code, 0, `holder psql failed: ${out}`);
    } finally {
      h.kill();
    }
    const res = await login;
    if (res.status === 200) {
      const me = await srv.get('/v1/me', { cookies: { gh_session: cookies(res).gh_session?.value } });
      assert.fail(`the login with the replaced password got a session (200; its cookie then answered ${me.status})`);
    }
    expectError(res, 401, 'invalid_credentials');
    assert.equal(psql(`SELECT count(*) FROM gh.sessions s JOIN gh.users u ON u.id = s.user_id
                        WHERE lower(u.email) = lower('${email}') AND s.id <> '${changer}'`, db), '0',
                 'no session was created for the refused login');
    // The change itself happened: the old password is refused, the new one
    // logs in, and the changing session lives on.
    expectError(await srv.post('/v1/auth/login', { email, password: PASSWORD }), 401, 'invalid_credentials');
    expectJson(await srv.post('/v1/auth/login', { email, password: NEW }), 200);
    expectJson(await srv.get('/v1/auth/session', { cookies: { gh_session: su.cookies.gh_session.value } }), 200);
  });
});
