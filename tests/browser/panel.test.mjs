// Browser tests of the admin panel's pages (web/): sign-up, sign-in, API
// Keys (generate with scopes and expiry, the secret once, revoke, rotate),
// the password prompt of sensitive actions, organization settings (idle
// timeout enforced), members (invitation accepted in a second browser
// context, force logout), stored XSS and CSP, and — when the binary has
// their routes (branches usage, events, webhooks) — Usage, Webhooks and the
// Audit log. Debian's chromium driven by playwright-core against a real
// `gatehouse serve` on a fresh database. See tests/browser/README.md.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, useServer, signup, uniqueEmail, PASSWORD, psql } from '../e2e/harness.mjs';
import {
  launch, Watch, openPanel, signIn, waitSignedIn, waitSignedOut, nav, shot, nodeLogin, api, hasRoute, sleep,
} from './lib.mjs';

const ctx = useServer({ env: { GATEHOUSE_DEV: '1' } });
const S = () => ctx.srv;
const watch = new Watch();
let browser;

const HAS_USAGE = () => hasRoute('GET', '/v1/api_keys/{id}/usage') && hasRoute('GET', '/v1/usage');
const HAS_WEBHOOKS = () => hasRoute('POST', '/v1/webhook_endpoints');
const HAS_AUDIT = () => hasRoute('GET', '/v1/audit_log');

before(async () => { browser = await launch(); }, { timeout: 60_000 });
after(async () => { await browser?.close(); });

async function newPage(base = S().base) {
  const context = watch.attach(await browser.newContext({ baseURL: base }));
  return { context, page: await context.newPage() };
}

const isoDate = (days) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

/** Fill and submit Generate New Key; returns the secret dialog's text. */
async function generateKey(page, { name, scopes, expiry, mode }) {
  await page.click('#generate-key');
  await page.waitForSelector('dialog[data-dialog=generate]');
  // Nothing selected by default.
  assert.deepEqual(await page.$$eval('#scopes input[type=checkbox]:checked', (l) => l.length), 0, 'no scope selected by default');
  await page.fill('#key-name', name);
  for (const s of scopes) await page.check(`#scope-${s.replace(':', '-')}`);
  if (mode) await page.check(`#key-mode-${mode}`);
  if (expiry) await page.fill('#key-expiry', expiry);
  await page.click('#generate-form button[type=submit]');
}

async function readSecret(page) {
  await page.waitForSelector('dialog[data-dialog=secret] #secret-value', { timeout: 15_000 });
  const secret = await page.textContent('#secret-value');
  assert.match(await page.textContent('dialog[data-dialog=secret]'), /it will not be shown again/);
  assert.match(await page.textContent('dialog[data-dialog=secret]'), /environment variable or a secret store, never in code/);
  return secret;
}

async function closeSecret(page) {
  const handle = await page.$('#secret-value');
  await page.click('#secret-done');
  await page.waitForSelector('dialog[data-dialog=secret]', { state: 'detached' });
  // The detached element itself was emptied too.
  assert.equal(await handle.evaluate((e) => e.textContent), '', 'secret element emptied on close');
}

const keyRow = (page, name) => page.locator('tr[data-key-id]', { has: page.locator('.key-name', { hasText: name }) });

describe('admin panel: pages', { concurrency: 1 }, () => {
  let admin; // {email, password, org_name}
  let main; // {context, page} signed in as admin
  let key; // {name, secret, id}
  let appKey; // the secret of the key with the hostile name, made in (d)

  test('(a) panel files: every module served with the CSP; first-load script under 200 KB', { timeout: 30_000 }, async () => {
    let scriptBytes = 0;
    for (const f of fs.readdirSync(path.join(ROOT, 'web')).filter((n) => !n.endsWith('.md'))) {
      const r = await S().get(`/${f}`);
      assert.equal(r.status, 200, `/${f}: ${r.status}`);
      assert.match(r.headers['content-security-policy'], /script-src 'self'/, f);
      assert.doesNotMatch(r.headers['content-security-policy'], /unsafe-inline|unsafe-eval/, f);
      assert.match(r.headers['content-security-policy'], /frame-ancestors 'none'/, f);
      assert.equal(r.headers['x-frame-options'], 'DENY', f);
      if (f.endsWith('.js')) {
        scriptBytes += r.body.length;
        assert.doesNotMatch(r.text, /\.innerHTML\s*=|insertAdjacentHTML|\beval\(|new Function\(|\b(localStorage|sessionStorage)\s*\.|console\.log\(/, `${f}: no innerHTML, eval, web storage or console.log`);
      }
    }
    assert.ok(scriptBytes < 200 * 1024, `first-load script ${scriptBytes} bytes`);
    // Every module is preloaded by index.html (no import waterfall).
    const html = fs.readFileSync(path.join(ROOT, 'web/index.html'), 'utf8');
    const missing = fs.readdirSync(path.join(ROOT, 'web')).filter((f) => f.endsWith('.js') && f !== 'app.js')
      .filter((f) => !html.includes(`<link rel="modulepreload" href="/${f}">`));
    assert.deepEqual(missing, [], 'modules without a modulepreload link');
    console.log(`# (a) first-load script: ${scriptBytes} bytes`);
  });

  test('(b) sign up, sign out, sign in by Enter: navigation shows API Keys, empty state', { timeout: 60_000 }, async () => {
    admin = { email: uniqueEmail('admin'), password: PASSWORD, org_name: 'Panel Org' };
    const { context, page } = await newPage();
    await openPanel(page, '#/signup');
    await page.waitForSelector('#signup-view', { state: 'visible' });
    // A too-short password: the API's 400 names the field, shown next to it.
    await page.fill('#signup-org', admin.org_name);
    await page.fill('#signup-email', admin.email);
    await page.fill('#signup-password', 'short');
    await page.evaluate(() => { document.getElementById('signup-password').removeAttribute('minlength'); });
    await page.click('#signup-form button[type=submit]');
    await page.waitForSelector('#signup-password-error', { timeout: 10_000 });
    await page.fill('#signup-password', admin.password);
    await page.click('#signup-form button[type=submit]');
    await waitSignedIn(page);
    await page.waitForSelector('#page[data-page="keys"] .empty');
    assert.match(await page.textContent('#page'), /No API keys yet/);
    await page.click('#signout');
    await waitSignedOut(page);
    await shot(page, 'panel-sign-in.png');

    await page.locator('#email').pressSequentially(admin.email);
    await page.locator('#password').pressSequentially(admin.password);
    await page.locator('#password').press('Enter');
    await waitSignedIn(page);
    assert.equal(await page.textContent('#user-email'), admin.email);
    // The password does not stay in the (hidden) sign-in form all session.
    assert.equal(await page.inputValue('#password'), '');
    const links = await page.$$eval('nav a', (l) => l.map((a) => a.textContent));
    assert.deepEqual(links, ['API Keys', 'Usage', 'Organization', 'Members', 'Webhooks', 'Audit log']);
    assert.ok(await page.isVisible('#mode-switch'), 'the mode switch is visible');
    main = { context, page };
    watch.expectClean();
  });

  test('(c) generate a key with two scopes and an expiry; the secret once; it works; gone after reload', { timeout: 60_000 }, async () => {
    const { page } = main;
    const expiry = isoDate(30);
    // Validation in the dialog: no scope selected is refused before any call.
    await page.click('#generate-key');
    await page.fill('#key-name', 'nothing');
    await page.click('#generate-form button[type=submit]');
    assert.match(await page.textContent('#generate-form [data-role=form-error]'), /at least one scope/);
    // The recommended default expiry, and the warning for none.
    assert.equal(await page.inputValue('#key-expiry'), isoDate(90));
    await page.check('#key-no-expiry');
    assert.ok(await page.isVisible('#key-no-expiry-warning'));
    await page.uncheck('#key-no-expiry');
    await page.keyboard.press('Escape');
    await page.waitForSelector('dialog[data-dialog=generate]', { state: 'detached' });

    await generateKey(page, { name: 'ci-deploy', scopes: ['read:leads', 'write:leads'], expiry });
    await shot(page, 'panel-key-secret.png');
    const secret = await readSecret(page);
    assert.match(secret, /^sk_live_[A-Za-z0-9]{32}$/);

    // The secret works against the API, from the test (Node's fetch).
    const me = await api(S().base, secret, 'GET', '/v1/me');
    assert.equal(me.status, 200, me.text);
    assert.deepEqual(me.body.scopes.sort(), ['read:leads', 'write:leads']);
    const lead = await api(S().base, secret, 'POST', '/v1/leads', { email: 'lead@example.com', name: 'Lead' });
    assert.equal(lead.status, 201, lead.text);
    assert.equal((await api(S().base, secret, 'GET', '/v1/leads')).status, 200);
    assert.equal((await api(S().base, secret, 'GET', '/v1/campaigns')).status, 403, 'a scope it was not given');
    const listed = await api(S().base, secret, 'GET', '/v1/api_keys');
    assert.equal(listed.status, 403);

    await closeSecret(page);
    // Listed, with its details, and never the secret.
    const row = keyRow(page, 'ci-deploy');
    await row.waitFor();
    const text = await row.textContent();
    assert.match(text, /live/);
    assert.match(text, /read:leads write:leads|write:leads read:leads/);
    assert.match(text, new RegExp(expiry));
    assert.match(text, /Active/);
    assert.match(text, /sk_live_\.\.\./);
    assert.ok(!(await page.content()).includes(secret), 'secret left the DOM');
    key = { name: 'ci-deploy', secret, id: await row.getAttribute('data-key-id') };

    await page.reload();
    await waitSignedIn(page);
    await keyRow(page, 'ci-deploy').waitFor();
    assert.ok(!(await page.content()).includes(secret), 'no secret after reload');
    assert.equal(await page.$('#secret-value'), null);
    assert.deepEqual(await page.evaluate(() => [localStorage.length, sessionStorage.length]), [0, 0]);
    assert.ok(!watch.console.some((t) => t.includes(secret)), 'secret never logged to the console');
    await shot(page, 'panel-api-keys.png');
    watch.expectClean();
  });

  test('(d) stored XSS in a key name renders as text; CSP blocks an injected inline script', { timeout: 60_000 }, async () => {
    const { page } = main;
    const evil = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>';
    await generateKey(page, { name: evil, scopes: ['read:applications', 'write:applications'], expiry: isoDate(10) });
    appKey = await readSecret(page);
    await closeSecret(page);
    // An application with the same name, made with the key through the API.
    const app = await api(S().base, appKey, 'POST', '/v1/applications', { name: evil, data: {}, metadata: {} });
    assert.equal(app.status, 201, app.text);
    await page.reload();
    await waitSignedIn(page);
    const row = keyRow(page, 'onerror');
    await row.waitFor();
    assert.equal(await row.locator('.key-name').textContent(), evil, 'the name is shown as text');
    assert.equal(await row.locator('img, script').count(), 0, 'no element made from the name');
    await sleep(300);
    assert.equal(await page.evaluate(() => window.__xss), undefined);
    // An inline script injected into the page is refused by the CSP.
    const before = watch.problems.length;
    const outcome = await page.evaluate(() => new Promise((resolve) => {
      document.addEventListener('securitypolicyviolation', (e) => resolve(`blocked:${e.violatedDirective}`), { once: true });
      const s = document.createElement('script');
      s.textContent = 'window.__inline = 1';
      document.body.append(s);
      setTimeout(() => resolve(window.__inline === 1 ? 'ran' : 'silent'), 2000);
    }));
    assert.match(outcome, /^blocked:script-src/);
    assert.equal(await page.evaluate(() => window.__inline), undefined);
    await sleep(200);
    watch.problems.splice(before); // the violation this test caused on purpose
    watch.expectClean();
  });

  test('(e) usage chart shows the requests the test made with the key', { timeout: 90_000, skip: !HAS_USAGE() && 'needs GET /v1/usage and /v1/api_keys/{id}/usage (branch usage)' }, async () => {
    const { page } = main;
    for (let i = 0; i < 6; i++) assert.equal((await api(S().base, key.secret, 'GET', '/v1/leads')).status, 200);
    await api(S().base, key.secret, 'GET', '/v1/campaigns'); // denied: no scope
    await page.goto(`/#/keys/${key.id}/usage?range=hour`);
    let total = 0;
    const t0 = Date.now();
    while (Date.now() - t0 < 30_000) {
      await page.waitForSelector('#usage-totals', { timeout: 15_000 });
      total = Number(await page.textContent('#usage-totals [data-total=requests]'));
      if (total >= 10) break; // 1 + 3 + 1 requests in (c), 7 here
      await sleep(2000);
      await page.reload();
      await waitSignedIn(page);
    }
    assert.ok(total >= 10, `usage total ${total}`);
    assert.ok(Number(await page.textContent('#usage-totals [data-total=succeeded]')) >= 9);
    assert.ok(Number(await page.textContent('#usage-totals [data-total=denied]')) >= 1);
    assert.ok(await page.locator('svg.chart rect').count() >= 1, 'bars drawn');
    await shot(page, 'panel-usage-key.png');
    // The numbers as a table, and as CSV.
    assert.ok(await page.locator('#usage-body details table tbody tr').count() >= 1);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#usage-csv')]);
    const csv = fs.readFileSync(await download.path(), 'utf8').trim().split('\n');
    assert.equal(csv[0], 't,requests,succeeded,denied,rate_limited,client_errors');
    const sum = csv.slice(1).reduce((a, line) => a + Number(line.split(',')[1]), 0);
    assert.equal(sum, total, 'the CSV has the same requests as the totals');
    await page.goto('/#/usage?range=day');
    await page.waitForSelector('#usage-totals');
    assert.ok(Number(await page.textContent('#usage-totals [data-total=requests]')) >= 10);
    await shot(page, 'panel-usage.png');
    watch.expectClean();
  });

  test('(f) rotate (revoke the old now): the new secret works, the old is refused', { timeout: 60_000 }, async () => {
    const { page } = main;
    await page.goto('/#/keys');
    const row = keyRow(page, 'onerror');
    await row.waitFor();
    const oldName = await row.locator('.key-name').textContent();
    assert.ok(appKey, 'needs (d)');
    assert.equal((await api(S().base, appKey, 'GET', '/v1/applications')).status, 200);
    await row.locator('button[data-action=rotate]').click();
    await page.selectOption('#rotate-grace', '0');
    await page.click('#rotate-form button[type=submit]');
    const secret = await readSecret(page);
    assert.match(secret, /^sk_live_/);
    await closeSecret(page);
    assert.equal((await api(S().base, secret, 'GET', '/v1/applications')).status, 200);
    assert.equal((await api(S().base, appKey, 'GET', '/v1/applications')).status, 401, 'the old secret is refused');
    const rows = page.locator('tr[data-key-id]', { has: page.locator('.key-name', { hasText: 'onerror' }) });
    await page.waitForFunction(() => document.querySelectorAll('tr[data-status=revoked]').length >= 1);
    assert.equal(await rows.count(), 2, `old and new key named ${oldName}`);
    watch.expectClean();
  });

  test('(g) revoke with confirmation; the API refuses the key', { timeout: 60_000 }, async () => {
    const { page } = main;
    const row = keyRow(page, 'ci-deploy');
    await row.locator('button[data-action=revoke]').click();
    await page.waitForSelector('dialog[data-dialog=confirm]');
    await shot(page, 'panel-key-revoke.png');
    await page.click('dialog[data-dialog=confirm] button[type=submit]');
    await page.waitForSelector(`tr[data-key-id="${key.id}"][data-status=revoked]`);
    const r = await api(S().base, key.secret, 'GET', '/v1/leads');
    assert.equal(r.status, 401, r.text);
    assert.equal(r.body.error.code, 'unauthorized');
    watch.expectClean();
  });

  test('(h) after the re-authentication window, a sensitive action asks for the password, then goes on', { timeout: 60_000 }, async () => {
    // A second node on the same database with a 2 s window.
    const node = await ctx.another({ GATEHOUSE_DEV: '1', GATEHOUSE_REAUTH_WINDOW_SECONDS: '2' });
    const { context, page } = await newPage(node.base);
    await openPanel(page);
    await signIn(page, admin.email, admin.password);
    await page.waitForSelector('#page[data-page="keys"] :is(table, .empty)');
    await sleep(3500); // > the 2 s window, also with whole-second timestamps
    await generateKey(page, { name: 'after-window', scopes: ['read:contracts', 'write:contracts'], expiry: isoDate(5) });
    await page.waitForSelector('dialog[data-dialog=reauth] #reauth-password', { timeout: 10_000 });
    assert.match(await page.textContent('dialog[data-dialog=reauth]'), /confirm your password/i);
    await shot(page, 'panel-reauth-prompt.png');
    await page.fill('#reauth-password', 'not the password');
    await page.press('#reauth-password', 'Enter');
    await page.waitForFunction(() => /wrong password/i.test(document.getElementById('reauth-error')?.textContent || ''));
    await page.fill('#reauth-password', admin.password);
    await page.press('#reauth-password', 'Enter');
    // The original action continued: the key was made.
    const secret = await readSecret(page);
    assert.match(secret, /^sk_live_/);
    await closeSecret(page);
    await keyRow(page, 'after-window').waitFor();
    const calls = node.logs.filter((o) => o.msg === 'request' && ['/v1/api_keys', '/v1/auth/reauthenticate'].includes(o.path) && o.method === 'POST')
      .map((o) => `${o.path} ${o.status}`);
    assert.deepEqual(calls, ['/v1/api_keys 403', '/v1/auth/reauthenticate 401', '/v1/auth/reauthenticate 200', '/v1/api_keys 201']);
    // Cancelling the prompt abandons the action.
    await sleep(3500); // > the 2 s window, also with whole-second timestamps
    await keyRow(page, 'after-window').locator('button[data-action=revoke]').click();
    await page.click('dialog[data-dialog=confirm] button[type=submit]');
    const revoked = await node.waitForLog((o) => o.msg === 'request' && o.method === 'POST' && /\/revoke$/.test(o.path), 10_000);
    assert.equal(revoked.status, 403, 'the revoke after the window is refused first');
    await page.waitForSelector('dialog[data-dialog=reauth]', { timeout: 10_000 });
    await page.keyboard.press('Escape');
    await page.waitForSelector('dialog[data-dialog=reauth]', { state: 'detached' });
    assert.equal(await keyRow(page, 'after-window').getAttribute('data-status'), 'active');
    await context.close();
    watch.expectClean();
  });

  test('(i) members: invite, accept in a second context, change role, force logout sends it to sign-in', { timeout: 90_000 }, async () => {
    const { page } = main;
    await nav(page, 'Members', 'members');
    const email = uniqueEmail('member');
    await page.fill('#invite-email', email);
    await page.selectOption('#invite-role', 'member');
    await page.click('#invite-form button[type=submit]');
    await page.waitForSelector('#invite-link');
    const link = await page.textContent('#invite-link');
    assert.match(link, /#\/accept\?token=/);
    await page.click('dialog[data-dialog=invitation] .actions button');
    const row = page.locator(`tr:has-text("${email}")`);
    await row.waitFor();
    assert.match(await row.textContent(), /invited/);

    // The invitee, in another browser context.
    const other = await newPage();
    await other.page.goto(new URL(link).hash ? `/${new URL(link).hash}` : link);
    await other.page.waitForSelector('#accept-view', { state: 'visible', timeout: 15_000 });
    await shot(other.page, 'panel-accept-invitation.png');
    await other.page.fill('#accept-password', PASSWORD);
    await other.page.fill('#accept-confirm', PASSWORD);
    await other.page.click('#accept-form button[type=submit]');
    await waitSignedIn(other.page);
    assert.equal(await other.page.textContent('#user-email'), email);
    assert.doesNotMatch(await other.page.evaluate(() => location.hash), /token/);
    // A member sees the admin pages refused with a message, not a crash.
    await other.page.waitForSelector('#page .error');
    assert.match(await other.page.textContent('#page .error'), /permission/);

    // The admin makes them admin, then ends their sessions.
    await page.reload();
    await waitSignedIn(page);
    await page.locator(`tr:has-text("${email}") select[data-action=role]`).selectOption('admin');
    await page.waitForFunction(() => /is now admin/.test(document.querySelector('#page .status')?.textContent || ''));
    await page.locator(`tr:has-text("${email}") button[data-action=force-logout]`).click();
    await page.click('dialog[data-dialog=confirm] button[type=submit]');
    await page.waitForFunction(() => /signed out everywhere/.test(document.querySelector('#page .status')?.textContent || ''));
    await shot(page, 'panel-members.png');
    // The first context's next request lands it on sign-in.
    await nav(other.page, 'Organization', 'settings').catch(() => {});
    await waitSignedOut(other.page);
    assert.match(await other.page.textContent('#signin-error'), /session has ended/i);
    await other.context.close();
    // Remove them, confirmed: gone from the list.
    await page.locator(`tr:has-text("${email}") button[data-action=remove]`).click();
    await page.click('dialog[data-dialog=confirm] button[type=submit]');
    await page.waitForFunction((e) => !document.querySelector('#members-list')?.textContent.includes(e), email);
    watch.expectClean();
  });

  test('(j) change the idle timeout and see it enforced', { timeout: 60_000 }, async () => {
    const s = await signup(S());
    assert.equal(s.res.status, 201);
    const { context, page } = await newPage();
    await openPanel(page, '#/settings');
    await signIn(page, s.body.email, s.body.password);
    await page.waitForSelector('#org-form');
    assert.equal(await page.inputValue('#org-idle'), '3600');
    // Out of range: the API's 400 names the field; shown next to it.
    await page.fill('#org-idle', '1');
    await page.click('#org-form button[type=submit]');
    await page.waitForSelector('#org-idle-error');
    await page.fill('#org-idle', '3');
    await page.click('#org-form button[type=submit]');
    await page.waitForFunction(() => /Settings saved/.test(document.querySelector('#page .status')?.textContent || ''));
    await shot(page, 'panel-settings.png');
    assert.equal((await api(S().base, await nodeLogin(S().base, s.body.email, s.body.password), 'GET', '/v1/org')).body.session_idle_timeout_seconds, 3);
    await sleep(5500); // idle: over 3 s, also with whole-second timestamps
    await nav(page, 'API Keys', 'keys').catch(() => {});
    await waitSignedOut(page);
    assert.match(await page.textContent('#signin-error'), /session has ended/i);
    await context.close();
    watch.expectClean();
  });

  test('(k) test mode: the switch is visible and marks the page; new keys default to test', { timeout: 30_000 }, async () => {
    const { page } = main;
    await page.goto('/#/keys');
    await page.waitForSelector('#page[data-page="keys"] table');
    await page.check('#mode-switch');
    assert.ok(await page.isVisible('#mode-banner'));
    assert.ok(await page.evaluate(() => document.body.classList.contains('test-mode')));
    await page.click('#generate-key');
    assert.ok(await page.isChecked('#key-mode-test'), 'test is the default mode in test mode');
    await page.keyboard.press('Escape');
    await page.waitForSelector('dialog[data-dialog=generate]', { state: 'detached' });
    await generateKey(page, { name: 'sandbox', scopes: ['read:campaigns', 'write:campaigns'], expiry: isoDate(7) });
    const secret = await readSecret(page);
    assert.match(secret, /^sk_test_/);
    await closeSecret(page);
    assert.match(await keyRow(page, 'sandbox').textContent(), /test/);
    await shot(page, 'panel-test-mode.png');
    await page.uncheck('#mode-switch');
    assert.ok(!(await page.isVisible('#mode-banner')));
    watch.expectClean();
  });

  test('(l) keyboard: Tab reaches the actions, Enter opens a dialog with the focus inside, Esc returns it', { timeout: 60_000 }, async () => {
    const { page } = main;
    await page.goto('/#/keys');
    await page.waitForSelector('#page[data-page="keys"] table');
    const tabTo = async (pred, max = 40) => {
      for (let i = 0; i < max; i++) {
        await page.keyboard.press('Tab');
        if (await page.evaluate(pred)) return;
      }
      assert.fail(`not reached by Tab: ${pred}`);
    };
    await page.evaluate(() => document.activeElement?.blur());
    await tabTo(() => document.activeElement?.id === 'generate-key');
    await page.keyboard.press('Enter');
    await page.waitForSelector('dialog[data-dialog=generate]');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'key-name');
    // Every control of the dialog has a label.
    const unlabelled = await page.$$eval('dialog input, dialog select', (l) => l.filter((i) => !i.labels?.length).map((i) => i.id || i.name));
    assert.deepEqual(unlabelled, []);
    await page.keyboard.press('Escape');
    await page.waitForSelector('dialog[data-dialog=generate]', { state: 'detached' });
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'generate-key');
    // The navigation, by keyboard.
    await page.evaluate(() => document.activeElement?.blur());
    await tabTo(() => document.activeElement?.textContent === 'Members');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#page[data-page="members"] #invite-form');
    const unlabelledPage = await page.$$eval('#page input, #page select', (l) => l.filter((i) => !i.labels?.length && !i.getAttribute('aria-label')).map((i) => i.id || i.name));
    assert.deepEqual(unlabelledPage, []);
    watch.expectClean();
  });

  test('(m) a key older than 90 days is flagged for rotation; a throttled sign-in says when to try again', { timeout: 60_000 }, async () => {
    const s = await signup(S());
    assert.equal(s.res.status, 201);
    const sess = await nodeLogin(S().base, s.body.email, s.body.password);
    const made = await api(S().base, sess, 'POST', '/v1/api_keys', { name: 'legacy-export', scopes: ['read:leads'], mode: 'live' });
    assert.equal(made.status, 201, made.text);
    psql(`UPDATE gh.api_keys SET created_at = now() - interval '100 days' WHERE id = '${made.body.id}'`, ctx.db.name);
    const { context, page } = await newPage();
    await openPanel(page);
    await signIn(page, s.body.email, s.body.password);
    const row = keyRow(page, 'legacy-export');
    await row.waitFor();
    assert.match(await row.textContent(), /100 d/);
    assert.match(await row.textContent(), /Rotate: older than 90 days/);
    assert.match(await row.textContent(), /Never/, 'no expiry is pointed out');
    await page.click('#signout');
    await waitSignedOut(page);
    // Ten wrong passwords lock the account's logins: 429 with Retry-After.
    for (let i = 0; i < 10; i++) {
      const r = await fetch(`${S().base}/v1/auth/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: s.body.email, password: `wrong password ${i}` }) });
      assert.equal(r.status, 401);
    }
    await page.fill('#email', s.body.email);
    await page.fill('#password', s.body.password);
    await page.press('#password', 'Enter');
    await page.waitForFunction(() => /try again in \d+ s/.test(document.getElementById('signin-error').textContent));
    assert.equal(await page.getAttribute('body', 'data-session'), 'signed-out');
    await context.close();
    watch.expectClean();
  });

  test('(n) force logout of everyone sends every session of the org, the caller included, to sign-in', { timeout: 60_000 }, async () => {
    const s = await signup(S());
    assert.equal(s.res.status, 201);
    const a = await newPage();
    const b = await newPage();
    for (const x of [a, b]) { await openPanel(x.page, '#/members'); await signIn(x.page, s.body.email, s.body.password); }
    await a.page.waitForSelector('#force-logout-all');
    await a.page.click('#force-logout-all');
    await a.page.click('dialog[data-dialog=confirm] button[type=submit]');
    await waitSignedOut(a.page);
    await nav(b.page, 'API Keys', 'keys').catch(() => {});
    await waitSignedOut(b.page);
    await a.context.close();
    await b.context.close();
    watch.expectClean();
  });

  test('(o) webhook endpoint creation: secret once, listed', { timeout: 60_000, skip: !HAS_WEBHOOKS() && 'needs POST /v1/webhook_endpoints (branch webhooks)' }, async () => {
    const { page } = main;
    await nav(page, 'Webhooks', 'webhooks');
    await page.click('#add-endpoint');
    await page.fill('#endpoint-url', 'http://127.0.0.1:9/hooks');
    await page.fill('#endpoint-description', 'CRM sync');
    await page.click('#endpoint-form button[type=submit]');
    const secret = await readSecret(page);
    assert.match(secret, /^whsec_/);
    await closeSecret(page);
    await page.waitForSelector('article[data-endpoint-id] .endpoint-url');
    assert.equal(await page.textContent('article[data-endpoint-id] .endpoint-url'), 'http://127.0.0.1:9/hooks');
    // An event after the endpoint exists: an application made with the
    // admin's session. Its delivery (to a closed port) is listed, with its
    // status, and can be sent again.
    const sess = await nodeLogin(S().base, admin.email, admin.password);
    assert.equal((await api(S().base, sess, 'POST', '/v1/applications', { name: 'hooked', data: {}, metadata: {} })).status, 201);
    const toggle = page.locator('article[data-endpoint-id] button[data-action=deliveries]');
    const t0 = Date.now();
    for (;;) {
      await toggle.click(); // open
      await page.waitForSelector('article[data-endpoint-id] .deliveries :is(table, .empty, .error)');
      if (await page.locator('article[data-endpoint-id] .deliveries table').count()) break;
      assert.ok(Date.now() - t0 < 30_000, 'a delivery is listed within 30 s');
      await toggle.click(); // close
      await sleep(1000);
    }
    assert.match(await page.textContent('article[data-endpoint-id] .deliveries tbody tr'), /no response|\d{3}/);
    await shot(page, 'panel-webhooks.png');
    await page.locator('article[data-endpoint-id] .deliveries button[data-action=redeliver]').first().click();
    await page.waitForFunction(() => /queued for delivery again/.test(document.querySelector('#page .status')?.textContent || ''));
    // Rotate the signing secret: a new one, shown once.
    await page.click('article[data-endpoint-id] button[data-action=rotate-secret]');
    await page.click('dialog[data-dialog=confirm] button[type=submit]');
    const rotated = await readSecret(page);
    assert.match(rotated, /^whsec_/);
    assert.notEqual(rotated, secret);
    await closeSecret(page);
    // Delete, confirmed: the empty state.
    await page.click('article[data-endpoint-id] button[data-action=delete]');
    await page.click('dialog[data-dialog=confirm] button[type=submit]');
    await page.waitForSelector('#webhooks-list .empty');
    watch.expectClean();
  });

  test('(p) audit log lists the key creation and filters by action', { timeout: 60_000, skip: !HAS_AUDIT() && 'needs GET /v1/audit_log (branch events)' }, async () => {
    const { page } = main;
    await nav(page, 'Audit log', 'audit');
    await page.waitForSelector('#audit-list :is(table, .empty)');
    await page.fill('#audit-action', 'api_key.created');
    const before = await page.locator('#audit-list tbody tr').count();
    assert.ok(before >= 1, 'entries before filtering');
    await page.click('#audit-filters button[type=submit]');
    // Only api_key.created rows once the filtered answer is drawn.
    await page.waitForFunction(() => {
      const cells = [...document.querySelectorAll('#audit-list tbody tr td:nth-child(2)')].map((x) => x.textContent);
      return cells.length >= 1 && cells.every((a) => a === 'api_key.created');
    }, null, { timeout: 15_000 });
    const n = await page.locator('#audit-list tbody tr').count();
    assert.ok(n < before, `filtered ${n} of ${before}`);
    await shot(page, 'panel-audit-log.png');
    watch.expectClean();
  });
});
