// A local webhook receiver for the end-to-end tests (85, 86): a Node http
// server on 127.0.0.1 that records every delivery (path, headers, raw body,
// arrival time) and answers per path from a script: `/ok` → 200, `/gone` →
// 410, `/flaky-<n>` → 500 for the first n requests of that path, then 200,
// `/slow` → 200 after 20 s (beyond the 15 s timeout), `/delay-<ms>` → 200
// after ms milliseconds, anything else → 200.
// Also: emitting an event for an org, through the API when the server writes
// events itself (events branch merged), else with SQL.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { psql } from './harness.mjs';

export async function startReceiver() {
  const got = [];
  const counts = new Map();
  const waiters = new Set();
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = req.url;
      const n = (counts.get(path) || 0) + 1;
      counts.set(path, n);
      got.push({ path, headers: req.headers, body, at: Date.now(), n });
      for (const w of waiters) w();
      let m;
      if (path === '/gone') { res.writeHead(410); res.end(); return; }
      if ((m = /^\/flaky-(\d+)/.exec(path)) && n <= Number(m[1])) { res.writeHead(500); res.end('no'); return; }
      if (path === '/slow') { setTimeout(() => { res.writeHead(200); res.end(); }, 20_000); return; }
      if ((m = /^\/delay-(\d+)/.exec(path))) { setTimeout(() => { res.writeHead(200); res.end(); }, Number(m[1])); return; }
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  return {
    port, got,
    url: (p) => `http://127.0.0.1:${port}${p}`,
    on: (path) => got.filter((g) => g.path === path),
    /** Resolves with the deliveries at `path` once pred(list) holds. */
    waitFor(path, pred = (l) => l.length > 0, timeoutMs = 10_000) {
      const check = () => { const l = got.filter((g) => g.path === path); return pred(l) ? l : null; };
      const now = check();
      if (now) return Promise.resolve(now);
      return new Promise((resolve, reject) => {
        const w = () => { const l = check(); if (l) { done(); resolve(l); } };
        const t = setTimeout(() => { done(); reject(new Error(`receiver: condition on ${path} not met within ${timeoutMs} ms (${got.filter((g) => g.path === path).length} deliveries there)`)); }, timeoutMs);
        const done = () => { clearTimeout(t); waiters.delete(w); };
        waiters.add(w);
      });
    },
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
  };
}

const B62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export const newId = (prefix) => prefix + Array.from(randomBytes(22), (b) => B62[b % 62]).join('');

/** Inserts n events of (org, livemode) with SQL, as the events outbox would
 *  (one statement: one fan-out). Returns their ids in order. */
export function insertEvents(dbName, org, livemode, n = 1, type = 'application.created') {
  const ids = Array.from({ length: n }, () => newId('evt_'));
  const rows = ids.map((id, i) => `('${id}', '${org}', ${livemode}, '${type}', '{"object": {"object": "application", "id": "app_sql${i}", "n": ${i}}}')`);
  psql(`INSERT INTO gh.events (id, org_id, livemode, type, data) VALUES ${rows.join(', ')}`, dbName);
  return ids;
}
