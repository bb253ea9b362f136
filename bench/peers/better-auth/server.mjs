// bench/peers/better-auth/server.mjs: the peer of bench/peer_better_auth.sh.
//
// better-auth (email + password) with its API-key plugin (@better-auth/api-key),
// storing in PostgreSQL through the `pg` package, on Node's own http server.
// Configuration is the library's default except what a benchmark must change:
// the global and per-key rate limits are off (the plugin's default is 10
// requests per key per day), and no telemetry.
//
//   GET  /verify                  x-api-key: <key>  -> auth.api.verifyApiKey
//   *    /api/auth/*              better-auth's own handler (get-session, ...)
//
// Environment: PORT, PGHOST (socket dir), PGUSER, PGPASSWORD, PGDATABASE,
// BETTER_AUTH_SECRET; SETUP_OUT=<file>: on start, migrate, create a user
// and an API key, write {"key": ..., "cookie": ...} there.
import http from 'node:http';
import { writeFileSync } from 'node:fs';
import pg from 'pg';
import { betterAuth } from 'better-auth';
import { toNodeHandler } from 'better-auth/node';
import { getMigrations } from 'better-auth/db/migration';
import { apiKey } from '@better-auth/api-key';

const port = Number(process.env.PORT);
const baseURL = `http://127.0.0.1:${port}`;

const options = {
  baseURL,
  secret: process.env.BETTER_AUTH_SECRET,
  database: new pg.Pool({ max: Number(process.env.PG_POOL_MAX || 10) }),
  emailAndPassword: { enabled: true },
  rateLimit: { enabled: false },
  telemetry: { enabled: false },
  trustedOrigins: [baseURL],
  plugins: [apiKey({ rateLimit: { enabled: false } })],
};
const auth = betterAuth(options);

if (process.env.SETUP_OUT) {
  const { runMigrations } = await getMigrations(options);
  await runMigrations();
  const email = `bench-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`;
  const { headers, response } = await auth.api.signUpEmail({
    body: { email, password: 'correct horse battery staple', name: 'Bench' },
    returnHeaders: true,
  });
  const setCookie = headers.getSetCookie ? headers.getSetCookie() : [headers.get('set-cookie')];
  const cookie = setCookie
    .map((c) => c.split(';')[0])
    .filter((c) => c.includes('session_token'))
    .join('; ');
  const key = await auth.api.createApiKey({ body: { userId: response.user.id, name: 'bench' } });
  writeFileSync(process.env.SETUP_OUT, JSON.stringify({ key: key.key, cookie }) + '\n');
}

const authHandler = toNodeHandler(auth);

function send(res, status, obj) {
  const body = JSON.stringify(obj);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer(async (req, res) => {
  try {
    if (req.method === 'GET' && req.url === '/verify') {
      const key = req.headers['x-api-key'];
      if (!key) return send(res, 401, { valid: false });
      const r = await auth.api.verifyApiKey({ body: { key } });
      if (!r.valid) return send(res, 401, { valid: false, error: r.error?.code });
      return send(res, 200, { valid: true, user_id: r.key.referenceId, key_id: r.key.id });
    }
    if (req.url.startsWith('/api/auth/')) return authHandler(req, res);
    send(res, 404, { error: 'not_found' });
  } catch (e) {
    console.error(e);
    if (!res.headersSent) send(res, 500, { error: 'internal' });
  }
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => console.error(`better-auth peer listening on ${baseURL}`));
