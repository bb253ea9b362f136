// Browser tests of the admin panel's sign-in and silent refresh (web/,
// served from the binary by src/http/static.c): Debian's chromium driven by
// playwright-core, against a real `gatehouse serve` on a fresh database
// (tests/e2e/harness.mjs), with a 4 s access-token lifetime so that several
// refresh cycles fit in a few seconds. See tests/browser/README.md.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT, useServer, signup, cookies as parseCookies, expectRequestId } from '../e2e/harness.mjs';

const TTL_S = 4;
const CHROMIUM = process.env.GATEHOUSE_CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = path.join(ROOT, 'tests/artifacts');
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
  + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";
// Flags of .library's c.md: the closed network refuses Chromium's own
// background connections, so they are switched off.
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const ctx = useServer({ env: { GATEHOUSE_DEV: '1', GATEHOUSE_ACCESS_TTL_SECONDS: String(TTL_S) } });
const S = () => ctx.srv;

let browser;
let account; // {email, password, org_name} of the user created in (b)
const problems = []; // CSP violations and uncaught page errors, from every page

before(async () => {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} missing: run \`make deps\` (Debian package chromium)`);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  // playwright-core gives every launch a fresh, empty --user-data-dir.
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}, { timeout: 60_000 });

after(async () => { await browser?.close(); });

// ---------------------------------------------------------------- helpers

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function newContext() {
  const context = await browser.newContext({ baseURL: S().base });
  context.on('page', watchPage);
  return context;
}

function watchPage(page) {
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) problems.push(`CSP: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
}

/** Open the panel; resolves once the page has decided what to show. */
async function openPanel(page) {
  const res = await page.goto('/');
  await page.waitForSelector('body[data-session]', { timeout: 10_000 });
  return res;
}

const state = (page) => page.getAttribute('body', 'data-session');
const expiry = (page) => page.textContent('#access-expires');
const sessionCookie = async (context) => (await context.cookies()).find((c) => c.name === 'gh_session')?.value;

async function signIn(page, email, password) {
  await page.locator('#email').pressSequentially(email);
  await page.locator('#password').pressSequentially(password);
  await page.locator('#password').press('Enter');
}

async function waitSignedIn(page, timeout = 10_000) {
  await page.waitForSelector('body[data-session="signed-in"]', { timeout });
  await page.waitForSelector('#signedin-view', { state: 'visible', timeout: 1000 });
}

async function waitSignedOut(page, timeout) {
  await page.waitForSelector('body[data-session="signed-out"]', { timeout });
  await page.waitForSelector('#signin-view', { state: 'visible', timeout: 1000 });
  await page.waitForSelector('input[type="email"]', { state: 'visible', timeout: 1000 });
}

/** A signed-in context and page of `account`. */
async function signedInPage() {
  const context = await newContext();
  const page = await context.newPage();
  await openPanel(page);
  await signIn(page, account.email, account.password);
  await waitSignedIn(page);
  return { context, page };
}

/** The request log lines of the server for a path, from index `from` on. */
const logged = (p, from = 0) => S().logs.slice(from).filter((o) => o.msg === 'request' && o.path === p);

function expectNoProblems() {
  assert.deepEqual(problems, [], 'CSP violations or page errors');
}

// ---------------------------------------------------------------- tests

describe('admin panel: sign-in and silent refresh', { concurrency: 1 }, () => {
  let main; // {context, page} signed in by (b), used by (c) and (d)

  test('(a) GET / is the sign-in page with a strict CSP and no framing', { timeout: 30_000 }, async () => {
    const r = await S().get('/');
    assert.equal(r.status, 200, r.text.slice(0, 200));
    expectRequestId(r);
    assert.match(r.headers['content-type'], /^text\/html; charset=utf-8$/);
    assert.equal(r.headers['content-security-policy'], CSP);
    assert.equal(r.headers['x-frame-options'], 'DENY');
    assert.equal(r.headers['referrer-policy'], 'no-referrer');
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.match(r.headers['cache-control'], /no-store|no-cache/);
    const html = r.text;
    assert.match(html, /<input[^>]*type="email"/);
    assert.match(html, /<input[^>]*type="password"/);
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'every <script> has a src');
    assert.doesNotMatch(html, /<script[^>]*>[^<]+<\/script>/i, 'no inline script body');
    assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline event handlers');
    assert.doesNotMatch(html, /\sstyle=/i, 'no inline styles');
    for (const d of ['script-src', 'default-src']) {
      const v = CSP.split(';').find((x) => x.trim().startsWith(d));
      assert.doesNotMatch(v, /unsafe-inline|unsafe-eval/);
    }

    // The other panel files: their types and the same headers.
    const types = { '/app.js': /^text\/javascript/, '/session.js': /^text\/javascript/, '/app.css': /^text\/css/,
      '/index.html': /^text\/html/ };
    for (const [p, type] of Object.entries(types)) {
      const a = await S().get(p);
      assert.equal(a.status, 200, p);
      assert.match(a.headers['content-type'], type, p);
      assert.equal(a.headers['content-security-policy'], CSP, p);
      assert.equal(a.headers['x-frame-options'], 'DENY', p);
    }
    // Nothing but the embedded files: never the source tree, never outside it.
    for (const p of ['/web/index.html', '/../etc/passwd', '/%2e%2e/etc/passwd', '/app.js/', '/app.js/..',
      '//etc/passwd', '/Makefile', '/src/http/static.c', '/.git/config', '/favicon.ico']) {
      const a = await S().get(p);
      assert.ok([404, 400].includes(a.status), `${p}: ${a.status}`);
      assert.doesNotMatch(a.text, /root:|\[core\]|#include|^<!doctype/im, p);
    }

    const context = await newContext();
    const page = await context.newPage();
    const res = await openPanel(page);
    const h = res.headers();
    assert.equal(h['content-security-policy'], CSP);
    assert.equal(h['x-frame-options'], 'DENY');
    assert.equal(await state(page), 'signed-out');
    assert.ok(await page.isVisible('input[type="email"]'));
    assert.ok(await page.isVisible('input[type="password"]'));
    assert.ok(await page.isVisible('form#signin-form'));
    await context.close();
    expectNoProblems();
  });

  test('(b) sign in by typing and Enter; the signed-in view shows the user', { timeout: 30_000 }, async () => {
    const s = await signup(S());
    assert.equal(s.res.status, 201, s.res.text);
    account = s.body;

    const context = await newContext();
    const page = await context.newPage();
    await openPanel(page);
    // A wrong password first: the error line, still on the sign-in view.
    await signIn(page, account.email, 'not the password');
    await page.waitForFunction(() => document.getElementById('signin-error').textContent.length > 0);
    assert.match(await page.textContent('#signin-error'), /wrong email or password/i);
    assert.equal(await state(page), 'signed-out');

    await page.locator('#email').fill('');
    await page.locator('#password').fill('');
    await signIn(page, account.email, account.password);
    await waitSignedIn(page);
    assert.equal(await page.textContent('#user-email'), account.email);
    assert.equal(await page.textContent('#org-name'), account.org_name);
    const exp = await expiry(page);
    assert.ok(Date.parse(exp) > Date.now(), `access_expires_at ${exp} in the future`);
    assert.ok(Date.parse(exp) <= Date.now() + (TTL_S + 2) * 1000, `access_expires_at ${exp} within the test TTL`);

    const jar = Object.fromEntries((await context.cookies()).map((c) => [c.name, c]));
    assert.ok(jar.gh_session && jar.gh_session.httpOnly && jar.gh_session.sameSite === 'Lax' && jar.gh_session.path === '/');
    assert.ok(jar.gh_refresh && jar.gh_refresh.httpOnly && jar.gh_refresh.sameSite === 'Strict'
      && jar.gh_refresh.path === '/v1/auth');
    // The page keeps nothing in web storage, and cannot read the cookies.
    assert.deepEqual(await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie]), [0, 0, '']);

    await page.screenshot({ path: path.join(ARTIFACTS, 'panel-signed-in.png') });
    main = { context, page };
    expectNoProblems();
  });

  test('(c) the access token rotates without a reload, ahead of its expiry', { timeout: 30_000 }, async () => {
    assert.ok(main, 'needs (b)');
    const { context, page } = main;
    await page.evaluate(() => { window.ghNoReloadMarker = 42; });
    const from = S().logs.length;
    const seen = [{ exp: await expiry(page), cookie: await sessionCookie(context), at: Date.now() }];
    const t0 = Date.now();
    while (Date.now() - t0 < 10_500) {
      await sleep(200);
      assert.equal(await state(page), 'signed-in', 'signed in all along');
      const exp = await expiry(page);
      const cookie = await sessionCookie(context);
      const last = seen[seen.length - 1];
      if (exp !== last.exp) {
        assert.ok(Date.parse(exp) > Date.parse(last.exp), `expiry moves forward: ${last.exp} → ${exp}`);
        // The refresh came before the old token expired (200 ms polling slack).
        assert.ok(Date.now() < Date.parse(last.exp) + 250, `refreshed at ${new Date().toISOString()}, after ${last.exp}`);
        seen.push({ exp, cookie, at: Date.now() });
      }
    }
    const rotations = seen.length - 1;
    assert.ok(rotations >= 2, `access_expires_at moved ${rotations} times in 10 s: ${JSON.stringify(seen)}`);
    assert.equal(new Set(seen.map((x) => x.cookie)).size, seen.length, `gh_session changed at every refresh: ${JSON.stringify(seen)}`);
    assert.equal(await page.evaluate(() => window.ghNoReloadMarker), 42, 'no page reload');
    // (A freshly opened page's first refresh, with no cookie, is a 401: not counted.)
    const refreshes = logged('/v1/auth/refresh', from);
    assert.ok(refreshes.length >= rotations && refreshes.every((o) => o.status === 200),
      `refresh statuses: ${refreshes.map((o) => o.status)}`);
    expectNoProblems();
  });

  test('(d) a logout of all sessions from another client signs the page out', { timeout: 30_000 }, async () => {
    assert.ok(main, 'needs (b)');
    const { context, page } = main;
    assert.equal(await state(page), 'signed-in');
    // A second login of the same user, from Node, with its own cookie.
    const login = await fetch(`${S().base}/v1/auth/login`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: account.email, password: account.password }),
    });
    assert.equal(login.status, 200);
    const body = await login.json();
    const other = parseCookies({ headers: { 'set-cookie': login.headers.getSetCookie() } });
    assert.ok(other.gh_session?.value && body.csrf_token);
    const out = await fetch(`${S().base}/v1/auth/logout`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Cookie: `gh_session=${other.gh_session.value}`, 'X-CSRF-Token': body.csrf_token },
      body: JSON.stringify({ all: true }),
    });
    assert.equal(out.status, 204, await out.text());
    const t0 = Date.now();
    // Within one refresh cycle (at most TTL - 1 s away) plus slack.
    await waitSignedOut(page, TTL_S * 1000 + 1500);
    const took = Date.now() - t0;
    assert.match(await page.textContent('#signin-error'), /session has ended/i);
    await page.screenshot({ path: path.join(ARTIFACTS, 'panel-signed-out.png') });
    // It stays signed out: no timer left behind.
    await sleep(TTL_S * 1000);
    assert.equal(await state(page), 'signed-out');
    const jar = await context.cookies();
    console.log(`# (d) signed out ${took} ms after logout {all:true}; cookies left: ${jar.map((c) => c.name).join(',') || 'none'}`);
    await context.close();
    main = null;
    expectNoProblems();
  });

  test('(e) a refresh that cannot reach the server: one retry, then the sign-in view', { timeout: 30_000 }, async () => {
    const { context, page } = await signedInPage();
    const attempts = [];
    page.on('requestfailed', (r) => { if (r.url().endsWith('/v1/auth/refresh')) attempts.push(Date.now()); });
    const before = logged('/v1/auth/refresh').length;
    await context.setOffline(true);
    await waitSignedOut(page, TTL_S * 1000 + 3000);
    assert.match(await page.textContent('#signin-error'), /lost contact/i);
    assert.equal(attempts.length, 2, `two refresh attempts (one retry), saw ${attempts.length}`);
    assert.ok(attempts[1] - attempts[0] >= 800, `retry after a delay: ${attempts[1] - attempts[0]} ms`);
    assert.equal(logged('/v1/auth/refresh').length, before, 'nothing reached the server');
    await page.screenshot({ path: path.join(ARTIFACTS, 'panel-network-lost.png') });
    await context.setOffline(false);
    await context.close();
    expectNoProblems();
  });

  test('(g) a page opened after the access token expired refreshes first, then resumes', { timeout: 30_000 }, async () => {
    const { context, page } = await signedInPage();
    const exp = await expiry(page);
    await page.close(); // no page left to refresh
    await sleep(Math.max(0, Date.parse(exp) - Date.now()) + 1200);
    const from = S().logs.length;
    const again = await context.newPage();
    await openPanel(again);
    await waitSignedIn(again, 1000);
    assert.equal(await again.textContent('#user-email'), account.email);
    assert.ok(Date.parse(await expiry(again)) > Date.parse(exp), 'a new access token');
    const calls = S().logs.slice(from).filter((o) => o.msg === 'request' && o.path.startsWith('/v1/auth/'))
      .map((o) => `${o.method} ${o.path} ${o.status}`);
    assert.deepEqual(calls.slice(0, 3), ['GET /v1/auth/session 401', 'POST /v1/auth/refresh 200', 'GET /v1/auth/session 200']);
    await context.close();
    expectNoProblems();
  });

  test('(f) two tabs keep refreshing without logging each other out', { timeout: 40_000 }, async () => {
    const { context, page: tab1 } = await signedInPage();
    const tab2 = await context.newPage();
    await openPanel(tab2);
    await waitSignedIn(tab2); // resumed from the shared cookies
    const from = S().logs.length;
    const first = [await expiry(tab1), await expiry(tab2)];
    const moves = [new Set([first[0]]), new Set([first[1]])];
    const t0 = Date.now();
    while (Date.now() - t0 < 12_000) {
      await sleep(250);
      for (const [i, tab] of [tab1, tab2].entries()) {
        assert.equal(await state(tab), 'signed-in', `tab ${i + 1} signed in at ${Date.now() - t0} ms`);
        moves[i].add(await expiry(tab));
      }
    }
    for (const [i, m] of moves.entries()) assert.ok(m.size >= 3, `tab ${i + 1}: expiry moved ${m.size - 1} times`);
    const refreshes = logged('/v1/auth/refresh', from);
    assert.ok(refreshes.every((o) => o.status === 200), `refresh statuses: ${refreshes.map((o) => o.status)}`);
    // Coordinated: about one refresh per cycle for both tabs, not one each.
    const cycles = Math.ceil(12 / (TTL_S - 1));
    assert.ok(refreshes.length <= cycles + 1, `${refreshes.length} refreshes in 12 s for two tabs (≤ ${cycles + 1})`);
    console.log(`# (f) ${refreshes.length} refreshes and ${logged('/v1/auth/session', from).length} session checks in 12 s, two tabs`);
    // Signing out in one tab signs out the other.
    await tab1.click('#signout');
    await waitSignedOut(tab1, 5000);
    await waitSignedOut(tab2, 5000);
    await context.close();
    expectNoProblems();
  });
});
