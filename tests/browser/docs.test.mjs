// The rendered API reference (/docs, src/http/apidocs.c) in Debian's
// chromium: Swagger UI, compiled into the binary, renders every operation of
// docs/openapi.yaml under the page's Content-Security-Policy without a
// single violation (no inline script or style, no eval, nothing from another
// origin) and without a page error. Screenshot: tests/artifacts/docs.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { ROOT, useServer } from '../e2e/harness.mjs';
import { loadDocument, operations } from '../e2e/openapi.mjs';

const CHROMIUM = process.env.GATEHOUSE_CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = path.join(ROOT, 'tests/artifacts');
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const ctx = useServer();
let browser;

before(async () => {
  assert.ok(fs.existsSync(CHROMIUM), `${CHROMIUM} missing: run \`make deps\` (Debian package chromium)`);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}, { timeout: 60_000 });

after(async () => { await browser?.close(); });

test('/docs renders every operation with no CSP violation', { timeout: 90_000 }, async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems = [];
  await page.exposeFunction('ghViolation', (d) => problems.push(d));
  await page.addInitScript(() => document.addEventListener('securitypolicyviolation',
    (e) => window.ghViolation(`CSP ${e.violatedDirective}: ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`)));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => { if (/Refused to|Content Security Policy/i.test(m.text())) problems.push(`console: ${m.text().slice(0, 200)}`); });
  const off = [];
  page.on('request', (r) => { if (!r.url().startsWith(ctx.srv.base) && !r.url().startsWith('data:')) off.push(r.url()); });

  const res = await page.goto(`${ctx.srv.base}/docs`);
  assert.equal(res.status(), 200);
  await page.waitForSelector('.opblock', { timeout: 30_000 });
  const want = operations(loadDocument()).length;
  assert.equal(await page.locator('.opblock').count(), want, 'one block per documented operation');
  // Swagger UI lists what it could not parse or resolve in .errors-wrapper.
  assert.equal(await page.locator('.errors-wrapper').count(), 0, 'Swagger UI reports errors in the document');
  // Open a few operations and their schemas: the renderer's dynamic parts.
  const blocks = page.locator('.opblock-summary');
  for (const i of [0, 10, 30, 60]) await blocks.nth(i).click();
  const tabs = page.locator('.tablinks[data-name="model"]');
  for (let i = 0; i < Math.min(await tabs.count(), 4); i++) await tabs.nth(i).click();
  await page.waitForTimeout(1000);
  await page.screenshot({ path: path.join(ARTIFACTS, 'docs.png') });
  assert.deepEqual(problems, [], 'CSP violations or page errors on /docs');
  assert.deepEqual(off, [], 'requests to other origins');
  await page.close();
});
