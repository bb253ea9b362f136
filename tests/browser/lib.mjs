// Shared helpers of the panel's browser tests (not a test file itself):
// chromium launch flags, page watching (CSP violations, page errors, and
// every console message, so that a test can check no secret was logged),
// sign-in, and calls to the API from Node with a session's cookies.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { chromium } from 'playwright-core';
import { ROOT, BIN, cookies as parseCookies } from '../e2e/harness.mjs';

export const CHROMIUM = process.env.GATEHOUSE_CHROMIUM || '/usr/bin/chromium';
export const ARTIFACTS = path.join(ROOT, 'tests/artifacts');
// The closed network refuses Chromium's own background connections: off.
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function launch() {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} missing: run \`make deps\` (Debian package chromium)`);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

let routeList = null;
/** Whether the binary under test has this route (`gatehouse routes`, JSON):
 *  pages built on APIs of other branches skip their tests without it. */
export function hasRoute(method, p) {
  if (!routeList) {
    const r = spawnSync(BIN, ['routes'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0) throw new Error(`gatehouse routes: ${r.stderr}`);
    routeList = JSON.parse(r.stdout);
  }
  return routeList.some((x) => x.method === method && x.path === p);
}

/** Collects, for every page of a context: CSP violations, page errors, console text. */
export class Watch {
  constructor() { this.problems = []; this.console = []; }
  attach(context) {
    context.on('page', (page) => {
      page.on('console', (m) => {
        this.console.push(m.text());
        if (/Content Security Policy/i.test(m.text())) this.problems.push(`CSP: ${m.text()}`);
      });
      page.on('pageerror', (e) => this.problems.push(`page error: ${e.message}`));
    });
    return context;
  }
  expectClean() { assert.deepEqual(this.problems, [], 'CSP violations or page errors'); }
}

export async function openPanel(page, hash = '') {
  const res = await page.goto(`/${hash}`);
  await page.waitForSelector('body[data-session]', { timeout: 15_000 });
  return res;
}

export async function signIn(page, email, password) {
  await page.locator('#email').fill(email);
  await page.locator('#password').fill(password);
  await page.locator('#password').press('Enter');
  await waitSignedIn(page);
}

export async function waitSignedIn(page, timeout = 15_000) {
  await page.waitForSelector('body[data-session="signed-in"]', { timeout });
  await page.waitForSelector('#signedin-view', { state: 'visible', timeout: 2000 });
}

export async function waitSignedOut(page, timeout = 15_000) {
  await page.waitForSelector('body[data-session="signed-out"]', { timeout });
  await page.waitForSelector('input[type="email"]', { state: 'visible', timeout: 2000 });
}

/** Go to a page of the panel by its navigation link, and wait for it. */
export async function nav(page, label, name) {
  await page.getByRole('link', { name: label, exact: true }).first().click();
  await page.waitForSelector(`#page[data-page="${name}"]`, { timeout: 10_000 });
}

export const shot = (page, name) => page.screenshot({ path: path.join(ARTIFACTS, name), fullPage: true });

/** Log in from Node: {cookie, csrf, body} for API calls with that session. */
export async function nodeLogin(base, email, password) {
  const r = await fetch(`${base}/v1/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email, password }),
  });
  assert.equal(r.status, 200, await r.clone().text());
  const body = await r.json();
  const c = parseCookies({ headers: { 'set-cookie': r.headers.getSetCookie() } });
  return { cookie: `gh_session=${c.gh_session.value}`, csrf: body.csrf_token, body };
}

/** An API call from Node with a session (from nodeLogin) or a key ("sk_…"). */
export async function api(base, cred, method, p, json) {
  const headers = {};
  if (typeof cred === 'string') headers.Authorization = `Bearer ${cred}`;
  else if (cred) { headers.Cookie = cred.cookie; headers['X-CSRF-Token'] = cred.csrf; }
  if (json !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(`${base}${p}`, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
  const text = await r.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  return { status: r.status, body, text };
}
