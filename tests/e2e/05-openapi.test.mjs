// docs/openapi.yaml against the route table (`gatehouse routes`), both ways:
// every route is documented and every documented operation is a route, with
// the same credentials, scope, sensitivity, /v1/orgs/{org_id}/... variant and
// request body fields.
// The document itself: OpenAPI 3.1, every $ref resolves, operation ids are
// unique, path parameters declared, every operation has a `default` error.
// And the binary serves it: GET /docs/openapi.yaml is this document, GET
// /docs the rendered reference under its Content-Security-Policy.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { createRequire } from 'node:module';
import { BIN, ROOT, requireBinary, useServer, expectRequestId } from './harness.mjs';
import { loadDocument, operations, deref, OPENAPI_PATH, ResponseValidator } from './openapi.mjs';

// Routes of api.md built on other branches (usage, audit log, events,
// webhooks): documented, not yet in this branch's route table.
// Built on other branches; empty this list when merged.
const PENDING = [
];

// Files of the admin panel and of the rendered reference are static assets,
// not API operations: the document describes `/` and `/docs` (the pages) and
// the table's other open rows ending in a file extension are not documented.
const STATIC_FILE = /\.(html|js|css|png|svg|ico|map)$/;

requireBinary();
const gen = spawnSync(BIN, ['routes'], { cwd: ROOT, encoding: 'utf8', timeout: 30_000 });
if (gen.status !== 0) throw new Error(`gatehouse routes failed (${gen.status}): ${gen.stderr}`);
const ROUTES = JSON.parse(gen.stdout);
const doc = loadDocument();
const OPS = operations(doc);
const key = (m, p) => `${m} ${p}`;
const orgForm = (p) => p.replace(/^\/v1\//, '/v1/orgs/{org_id}/');

describe('docs/openapi.yaml covers the route table exactly', () => {
  const documented = new Map(OPS.map((o) => [key(o.method, o.path), o]));
  const tableKeys = new Set();
  for (const r of ROUTES) {
    if (STATIC_FILE.test(r.path) && !r.credentials.length) continue;
    tableKeys.add(key(r.method, r.path));
    if (r.org_path) tableKeys.add(key(r.method, orgForm(r.path)));
  }

  test('every route of `gatehouse routes` (and its /v1/orgs/{org_id}/… form) is documented', () => {
    const missing = [...tableKeys].filter((k) => !documented.has(k));
    assert.deepEqual(missing, [], 'routes missing from docs/openapi.yaml');
  });

  test('every documented operation is a route, or listed in PENDING', () => {
    const pending = new Set(PENDING.flatMap((k) => [k, k.replace(/ \/v1\//, ' /v1/orgs/{org_id}/')]));
    const extra = [...documented.keys()].filter((k) => !tableKeys.has(k) && !pending.has(k));
    assert.deepEqual(extra, [], 'operations of docs/openapi.yaml that are no route (nor PENDING)');
    const merged = PENDING.filter((k) => tableKeys.has(k));
    assert.deepEqual(merged, [], 'PENDING routes that are in the route table now: take them off the list');
    const undocumentedPending = PENDING.filter((k) => !documented.has(k));
    assert.deepEqual(undocumentedPending, [], 'PENDING routes missing from the document');
    for (const k of PENDING) assert.equal(documented.get(k).op['x-gatehouse-pending'], true, `${k}: x-gatehouse-pending`);
    for (const k of tableKeys) assert.ok(!documented.get(k).op['x-gatehouse-pending'], `${k} is built: drop x-gatehouse-pending`);
  });

  test('credentials, scope, sensitivity and org path agree with the table', () => {
    const wrong = [];
    for (const r of ROUTES) {
      const o = documented.get(key(r.method, r.path));
      if (!o) continue;
      const op = o.op;
      const got = {
        credentials: op['x-gatehouse-credentials'],
        scopes: op['x-gatehouse-scope'] ? [op['x-gatehouse-scope']] : [],
        sensitive: !!op['x-gatehouse-sensitive'],
        org_path: !!op['x-gatehouse-org-path'],
      };
      const want = { credentials: r.credentials, scopes: r.scopes, sensitive: r.sensitive, org_path: r.org_path };
      if (JSON.stringify(got) !== JSON.stringify(want)) wrong.push({ route: key(r.method, r.path), documented: got, table: want });
      // The security requirement says the same as the extensions.
      const schemes = new Set((op.security || []).flatMap((req) => Object.keys(req)));
      if (r.credentials.includes('api_key') !== schemes.has('apiKey')) wrong.push({ route: key(r.method, r.path), security: op.security });
      if (r.credentials.includes('session') !== schemes.has('session')) wrong.push({ route: key(r.method, r.path), security: op.security });
      for (const req of op.security || []) {
        if (req.apiKey && JSON.stringify(req.apiKey) !== JSON.stringify(r.scopes)) wrong.push({ route: key(r.method, r.path), apiKeyScopes: req.apiKey });
        if (req.session && r.method !== 'GET' && !('csrfToken' in req)) wrong.push({ route: key(r.method, r.path), csrf: 'unsafe session operation without csrfToken' });
      }
    }
    assert.deepEqual(wrong, [], 'documented authorization differs from the route table');
  });

  test('request bodies are the route table\'s body schemas: same fields, types, required and nullable fields, nothing else', () => {
    const typesOf = (schema) => {
      const sch = deref(doc, schema);
      if (sch.type) return [sch.type].flat();
      const alt = sch.oneOf || sch.anyOf;
      if (alt) return alt.flatMap(typesOf);
      return ['any'];
    };
    const wrong = [];
    for (const r of ROUTES) {
      const o = documented.get(key(r.method, r.path));
      if (!o) continue;
      const rb = o.op.requestBody ? deref(doc, o.op.requestBody) : null;
      const schema = rb ? deref(doc, rb.content['application/json'].schema) : null;
      const where = key(r.method, r.path);
      if (!r.body) {
        // No fields: an empty body or {} only (anything else is 400).
        if (schema && (Object.keys(schema.properties || {}).length || schema.additionalProperties !== false)) wrong.push(`${where}: documents fields the route refuses`);
        continue;
      }
      if (!schema) { wrong.push(`${where}: body not documented`); continue; }
      if (schema.additionalProperties !== false) wrong.push(`${where}: unknown fields are 400, so additionalProperties must be false`);
      const names = r.body.map((f) => f.name).sort();
      if (JSON.stringify(Object.keys(schema.properties).sort()) !== JSON.stringify(names)) wrong.push(`${where}: fields ${Object.keys(schema.properties)} vs ${names}`);
      const required = r.body.filter((f) => f.required).map((f) => f.name).sort();
      if (JSON.stringify([...(schema.required || [])].sort()) !== JSON.stringify(required)) wrong.push(`${where}: required ${schema.required} vs ${required}`);
      if (rb.required !== required.length > 0) wrong.push(`${where}: requestBody.required should be ${required.length > 0}`);
      for (const f of r.body) {
        const p = schema.properties[f.name];
        if (!p) continue;
        const t = typesOf(p);
        const base = [...new Set(t.filter((x) => x !== 'null'))];
        if (f.type === 'any' ? !t.includes('any') : JSON.stringify(base) !== JSON.stringify([f.type])) wrong.push(`${where}: ${f.name} is ${f.type}, documented ${t}`);
        if (f.type !== 'any' && t.includes('null') !== f.nullable) wrong.push(`${where}: ${f.name} nullable ${f.nullable}, documented ${t}`);
      }
    }
    assert.deepEqual(wrong, [], 'documented request bodies differ from the route table');
  });

  test('each /v1/orgs/{org_id}/… operation is its base operation under another URL', () => {
    const diffs = [];
    for (const o of OPS.filter((x) => x.path.startsWith('/v1/orgs/{org_id}/'))) {
      const base = documented.get(key(o.method, o.path.replace('/v1/orgs/{org_id}/', '/v1/')));
      assert.ok(base, `${o.method} ${o.path} has no base operation`);
      assert.equal(o.op['x-gatehouse-org-path-of'], key(base.method, base.path));
      assert.equal(base.op['x-gatehouse-org-path'], true, `${base.method} ${base.path}: x-gatehouse-org-path`);
      assert.ok((o.pathItem.parameters || []).some((p) => deref(doc, p).name === 'org_id'), `${o.path}: org_id parameter`);
      const strip = (op) => {
        const c = { ...op };
        for (const k of ['operationId', 'summary', 'description', 'x-gatehouse-org-path', 'x-gatehouse-org-path-of']) delete c[k];
        return c;
      };
      if (!isDeepStrictEqual(strip(o.op), strip(base.op))) diffs.push(key(o.method, o.path));
    }
    assert.deepEqual(diffs, [], 'org-scoped operations that differ from their base (responses, parameters, body, security)');
  });
});

describe('docs/openapi.yaml is a well-formed OpenAPI 3.1 document', () => {
  test('version, dialect, security schemes', () => {
    assert.equal(doc.openapi, '3.1.0');
    // OpenAPI 3.1's base dialect: JSON Schema 2020-12 plus the OAS vocabulary,
    // which no schema here uses (so ajv's 2020-12 validator reads them all).
    // Swagger UI refuses any other jsonSchemaDialect value.
    assert.equal(doc.jsonSchemaDialect, 'https://spec.openapis.org/oas/3.1/dialect/base');
    const s = doc.components.securitySchemes;
    assert.equal(s.apiKey.scheme, 'bearer');
    assert.deepEqual([s.session.in, s.session.name], ['cookie', 'gh_session']);
    assert.deepEqual([s.csrfToken.in, s.csrfToken.name], ['header', 'X-CSRF-Token']);
    assert.deepEqual([s.refreshCookie.in, s.refreshCookie.name], ['cookie', 'gh_refresh']);
  });

  test('every $ref resolves; operation ids are unique', () => {
    const bad = [];
    const walk = (n) => {
      if (Array.isArray(n)) return n.forEach(walk);
      if (!n || typeof n !== 'object') return;
      if (typeof n.$ref === 'string') { try { deref(doc, { $ref: n.$ref }); } catch (e) { bad.push(e.message); } }
      Object.values(n).forEach(walk);
    };
    walk(doc);
    assert.deepEqual(bad, []);
    const ids = OPS.map((o) => o.op.operationId);
    assert.equal(new Set(ids).size, ids.length, 'duplicate operationId');
    assert.ok(ids.every(Boolean), 'operation without operationId');
  });

  test('path parameters are declared; every operation documents errors and Request-Id', () => {
    const problems = [];
    for (const o of OPS) {
      const params = [...(o.pathItem.parameters || []), ...(o.op.parameters || [])].map((p) => deref(doc, p));
      for (const [, name] of o.path.matchAll(/\{([^}]+)\}/g)) {
        if (!params.some((p) => p.in === 'path' && p.name === name && p.required)) problems.push(`${o.method} ${o.path}: path parameter ${name}`);
      }
      if (!o.op.responses.default) problems.push(`${o.method} ${o.path}: no default response`);
      for (const [status, r] of Object.entries(o.op.responses)) {
        if (!deref(doc, r).headers?.['Request-Id']) problems.push(`${o.method} ${o.path} ${status}: no Request-Id header`);
      }
      if (o.op['x-gatehouse-credentials'].length && !o.op.responses['401']) problems.push(`${o.method} ${o.path}: no 401`);
      if (o.op.requestBody && !o.op.responses['415']) problems.push(`${o.method} ${o.path}: no 415`);
    }
    assert.deepEqual(problems, []);
  });

  test('every object type of api.md has a strict schema', () => {
    const types = ['org', 'user', 'invitation', 'session', 'api_key', 'application', 'review', 'campaign', 'lead', 'contract',
      'contract_execution', 'webhook_endpoint', 'webhook_delivery', 'event', 'audit_entry'];
    const S = doc.components.schemas;
    for (const t of types) {
      const name = t.replace(/(^|_)([a-z])/g, (_, a, b) => b.toUpperCase());
      assert.ok(S[name], `schema ${name}`);
      assert.equal(S[name].additionalProperties, false, `${name}: additionalProperties false`);
      assert.equal(S[name].properties.object.const, t, `${name}.object`);
      assert.ok(S[name].required.includes('id') && S[name].required.includes('object'), `${name}: id and object required`);
    }
    assert.equal(S.Error.additionalProperties, false);
    assert.equal(S.Error.properties.error.additionalProperties, false);
  });
});

// The validator that harness.mjs applies to every response must refuse what
// the document does not allow, or the whole suite's validation means little.
describe('the response validator is strict', () => {
  const v = new ResponseValidator(doc);
  const id = (p) => p + 'A'.repeat(22);
  const key = {
    object: 'api_key', id: id('key_'), org_id: id('org_'), name: 'ci', redacted_secret: 'sk_live_...x7Qa', scopes: ['read:leads'],
    mode: 'live', livemode: true, expires_at: null, revoked_at: null, last_used_at: null, last_used_ip: null, created_at: '2026-11-28T12:00:00Z',
  };
  const resp = (status, body, headers = {}) => {
    const text = body === undefined ? '' : JSON.stringify(body);
    return {
      status, text, body: Buffer.from(text), json: body,
      headers: { 'request-id': 'req_abcdefgh12', ...(body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' }), ...headers },
    };
  };
  const refused = (why, ...args) => assert.throws(() => v.check(...args), { code: 'ERR_OPENAPI_MISMATCH' }, why);

  test('a valid response passes', () => {
    assert.deepEqual(v.check('GET', `/v1/api_keys/${key.id}`, resp(200, key)), { validated: 'getApiKey' });
    assert.deepEqual(v.check('GET', '/v1/api_keys?limit=2', resp(200, { object: 'list', data: [key], has_more: false })), { validated: 'listApiKeys' });
    const err = { error: { code: 'not_found', message: 'No such resource.', request_id: 'req_abcdefgh12' } };
    assert.deepEqual(v.check('GET', `/v1/api_keys/${key.id}`, resp(404, err)), { validated: 'getApiKey' });
  });
  test('a wrong type, a missing field, an unexpected field, a bad id are refused', () => {
    refused('wrong type', 'GET', `/v1/api_keys/${key.id}`, resp(200, { ...key, livemode: 'yes' }));
    const { last_used_ip: _, ...missing } = key;
    refused('missing field', 'GET', `/v1/api_keys/${key.id}`, resp(200, missing));
    refused('unexpected field', 'GET', `/v1/api_keys/${key.id}`, resp(200, { ...key, secret: 'sk_live_' + 'a'.repeat(32) }));
    refused('id prefix', 'GET', `/v1/api_keys/${key.id}`, resp(200, { ...key, id: id('app_') }));
    refused('timestamp with an offset', 'GET', `/v1/api_keys/${key.id}`, resp(200, { ...key, created_at: '2026-11-28T12:00:00+01:00' }));
  });
  test('wrong statuses, codes, headers and bodies are refused', () => {
    refused('undocumented status with a non-error body', 'GET', `/v1/api_keys/${key.id}`, resp(201, key));
    refused('error code of another status', 'GET', `/v1/api_keys/${key.id}`, resp(404, { error: { code: 'forbidden', message: 'x', request_id: 'req_abcdefgh12' } }));
    refused('extra error field', 'GET', '/v1/org', resp(401, { error: { code: 'unauthorized', message: 'x', request_id: 'req_abcdefgh12', detail: 1 } }));
    refused('429 without Retry-After', 'GET', '/v1/org', resp(429, { error: { code: 'rate_limit_exceeded', message: 'x', request_id: 'req_abcdefgh12' } }));
    refused('no Request-Id', 'GET', `/v1/api_keys/${key.id}`, resp(200, key, { 'request-id': undefined }));
    refused('a body on 204', 'DELETE', `/v1/users/${id('usr_')}`, resp(204, {}));
    refused('not JSON', 'GET', '/v1/org', { ...resp(200, undefined), headers: { 'request-id': 'req_abcdefgh12', 'content-type': 'text/html' }, text: '<p>', body: Buffer.from('<p>') });
    refused('a JSON error of an undocumented path must still be an Error', 'GET', '/v1/nope', resp(404, { error: 'nope' }));
  });
});

describe('the binary serves the document and its rendered reference', () => {
  const ctx = useServer();

  test('GET /docs/openapi.yaml is docs/openapi.yaml', async () => {
    const res = await ctx.srv.get('/docs/openapi.yaml');
    assert.equal(res.status, 200);
    expectRequestId(res);
    assert.match(res.headers['content-type'], /^application\/yaml/);
    assert.equal(res.text, fs.readFileSync(OPENAPI_PATH, 'utf8'));
    const YAML = createRequire(import.meta.url)('yaml');
    assert.equal(YAML.parse(res.text).openapi, '3.1.0');
  });

  test('GET /docs is the rendered reference under a strict script policy', async () => {
    const res = await ctx.srv.get('/docs');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'], /^text\/html/);
    const csp = res.headers['content-security-policy'] || '';
    const script = /(?:^|;)\s*script-src ([^;]*)/.exec(csp);
    assert.ok(script, `script-src in ${csp}`);
    assert.equal(script[1].trim(), "'self'", 'scripts from this origin only');
    assert.doesNotMatch(csp, /unsafe-eval/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(res.headers['x-frame-options'], 'DENY');
    // No inline script: every <script> loads a file of ours.
    for (const [, attrs, body] of res.text.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)) {
      assert.match(attrs, /src="\/docs\/[^"]+"/, 'scripts come from /docs/');
      assert.equal(body.trim(), '', 'no inline script');
    }
    const rendered = fs.existsSync(`${ROOT}/node_modules/swagger-ui-dist/swagger-ui-bundle.js`);
    if (!rendered) return; // built without node_modules: the page says so (checked by the test below)
    assert.match(res.text, /<script src="\/docs\/swagger-ui-bundle\.js"><\/script>/);
    for (const [, src] of res.text.matchAll(/(?:src|href)="(\/docs\/[^"]+)"/g)) {
      const r = await ctx.srv.get(src);
      assert.equal(r.status, 200, `${src}`);
      assert.ok(r.body.length > 100, `${src} has content`);
    }
    const js = await ctx.srv.get('/docs/swagger-ui-bundle.js');
    assert.match(js.headers['content-type'], /^text\/javascript/);
    assert.match(js.text, /SwaggerUIBundle/);
  });

  test('GET /docs/nope is 404; POST /docs is 405', async () => {
    const a = await ctx.srv.get('/docs/nope');
    assert.equal(a.status, 404);
    const b = await ctx.srv.request('POST', '/docs');
    assert.equal(b.status, 405);
  });
});
