// The OpenAPI document (docs/openapi.yaml) as a response validator for the
// end-to-end suite. harness.mjs passes every response it receives through
// Server.request()/raw() to check(): the request's method and path pick the
// documented operation (path templates matched segment by segment, literal
// segments before parameters), the status picks the response (or `default`),
// and the response must then match it exactly: required headers present and
// of their schema, the documented media type, a JSON body valid against the
// document's schema (ajv, JSON Schema 2020-12, formats checked), and no body
// where none is documented. A mismatch throws, failing the test that made the
// request. Responses to requests that match no operation are still checked
// when they are JSON errors (the shared Error schema); only non-JSON answers
// outside the document (panel files, unparsable raw requests) are skipped.
// Counts go to stderr when the process exits, so a run shows the work done.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const OPENAPI_PATH = path.join(ROOT, 'docs/openapi.yaml');
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

// npm packages of package.json; loaded lazily so that a checkout without
// node_modules fails with a clear message instead of at import time.
const require = createRequire(import.meta.url);
function npm(name) {
  try {
    return require(name);
  } catch (e) {
    throw new Error(`npm package ${name} is missing (run \`npm ci\` or \`make test\`): ${e.message}`);
  }
}

export function loadDocument(file = OPENAPI_PATH) {
  const YAML = npm('yaml');
  return YAML.parse(fs.readFileSync(file, 'utf8'));
}

/** Every operation of the document: {method (upper case), path, op, pathItem}. */
export function operations(doc) {
  const out = [];
  for (const [p, item] of Object.entries(doc.paths || {})) {
    for (const m of METHODS) if (item[m]) out.push({ method: m.toUpperCase(), path: p, op: item[m], pathItem: item });
  }
  return out;
}

/** Follows a local $ref ("#/components/...") to its target. */
export function deref(doc, node) {
  let n = node;
  for (let i = 0; n && n.$ref && i < 10; i++) {
    if (!n.$ref.startsWith('#/')) throw new Error(`only local $refs are supported: ${n.$ref}`);
    n = n.$ref.slice(2).split('/').reduce((o, k) => (o ? o[k.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined), doc);
    if (n === undefined) throw new Error(`unresolved $ref ${node.$ref}`);
  }
  return n;
}

const SCHEMA_ID = 'https://gatehouse.invalid/openapi.json';
// Schema references of the document, rewritten to the ajv schema that holds
// the document's component schemas as $defs.
const rewrite = (v) => JSON.parse(JSON.stringify(v).replace(/"#\/components\/schemas\//g, `"${SCHEMA_ID}#/$defs/`));

export class ResponseValidator {
  constructor(doc = loadDocument()) {
    const Ajv2020 = npm('ajv/dist/2020.js');
    const addFormats = npm('ajv-formats');
    this.doc = doc;
    // strict: unknown keywords or ill-formed schemas in the document are
    // errors, not silently ignored. allowUnionTypes: `type: [string, null]`.
    this.ajv = new (Ajv2020.default || Ajv2020)({ strict: true, allErrors: true, allowUnionTypes: true });
    (addFormats.default || addFormats)(this.ajv);
    this.ajv.addSchema({ $id: SCHEMA_ID, $defs: rewrite(doc.components.schemas) });
    this.compiled = new Map();
    this.routes = operations(doc).map((o) => ({ ...o, segments: o.path.split('/') }));
    this.stats = { operation: 0, errorWithoutOperation: 0, skipped: {} };
  }

  validatorFor(schema) {
    let v = this.compiled.get(schema);
    if (!v) {
      v = this.ajv.compile(rewrite(schema));
      this.compiled.set(schema, v);
    }
    return v;
  }

  /** The path templates matching a concrete path, most literal first. */
  match(urlPath) {
    const segs = urlPath.split('/');
    const hits = [];
    for (const r of this.routes) {
      if (r.segments.length !== segs.length) continue;
      let literal = 0, ok = true;
      for (let i = 0; i < segs.length && ok; i++) {
        const t = r.segments[i];
        if (/^\{[^}]+\}$/.test(t)) ok = segs[i].length > 0;
        else if (t === segs[i]) literal++;
        else ok = false;
      }
      if (ok) hits.push({ ...r, literal });
    }
    return hits.sort((a, b) => b.literal - a.literal);
  }

  skip(reason) {
    this.stats.skipped[reason] = (this.stats.skipped[reason] || 0) + 1;
    return { skipped: reason };
  }

  /** Checks one response to `method target`; throws on a mismatch. */
  check(method, target, res) {
    if (!method || !target || !target.startsWith('/')) return this.skip('unparsable request');
    const urlPath = target.split(/[?#]/)[0];
    const hits = this.match(urlPath);
    // Like the server's router: the most literal template that has the
    // method (GET /v1/leads/import is GET /v1/leads/{id}, not a 405).
    const hit = hits.find((h) => h.method === method.toUpperCase());
    const isJson = /^application\/json\s*(;|$)/i.test(res.headers['content-type'] || '');
    if (!hit) {
      // No documented operation (unknown path, wrong method, hostile bytes):
      // an error must still be the contract's error.
      if (res.status >= 400 && isJson) {
        this.validateBody(this.doc.components.schemas.Error, res, `${method} ${target} (no operation)`);
        this.requireRequestId(res, `${method} ${target} (no operation)`);
        this.stats.errorWithoutOperation++;
        return { validated: 'error' };
      }
      return this.skip(hits.length ? 'method not documented, not a JSON error' : 'path not documented, not a JSON error');
    }
    const label = `${hit.op.operationId} (${hit.method} ${hit.path}) answered ${res.status}`;
    const responses = hit.op.responses || {};
    const rspec = responses[String(res.status)] ?? responses[`${String(res.status)[0]}XX`] ?? responses.default;
    if (!rspec) this.fail(label, `status ${res.status} is not documented`, res);
    const resp = deref(this.doc, rspec);
    for (const [name, h0] of Object.entries(resp.headers || {})) {
      const h = deref(this.doc, h0);
      const value = res.headers[name.toLowerCase()];
      if (value === undefined) {
        if (h.required) this.fail(label, `required header ${name} is missing`, res);
        continue;
      }
      if (!h.schema) continue;
      const v = this.validatorFor(h.schema);
      for (const one of Array.isArray(value) ? value : [value]) {
        if (!v(one)) this.fail(label, `header ${name}: ${JSON.stringify(one)}: ${this.ajv.errorsText(v.errors)}`, res);
      }
    }
    const content = resp.content || null;
    if (!content) {
      if (res.body.length) this.fail(label, `a body where none is documented (${res.body.length} bytes)`, res);
    } else {
      const ctype = (res.headers['content-type'] || '').toLowerCase().replace(/\s+/g, '');
      const key = Object.keys(content).find((k) => k.toLowerCase().replace(/\s+/g, '') === ctype)
        ?? Object.keys(content).find((k) => k.toLowerCase().split(';')[0] === ctype.split(';')[0]);
      if (!key) this.fail(label, `Content-Type ${JSON.stringify(res.headers['content-type'])} is not one of ${Object.keys(content).join(', ')}`, res);
      const schema = content[key].schema;
      if (/json/i.test(key)) {
        this.validateBody(schema, res, label);
      } else if (schema) {
        const v = this.validatorFor(schema);
        if (!v(res.text)) this.fail(label, this.ajv.errorsText(v.errors), res);
      }
    }
    this.stats.operation++;
    return { validated: hit.op.operationId };
  }

  validateBody(schema, res, label) {
    if (res.json === undefined) this.fail(label, 'the body is not JSON', res);
    const v = this.validatorFor(schema);
    if (!v(res.json)) {
      const errs = v.errors.map((e) => `${e.instancePath || '/'} ${e.message}${e.params && Object.keys(e.params).length ? ' ' + JSON.stringify(e.params) : ''}`);
      this.fail(label, `body does not match the document:\n  ${errs.join('\n  ')}`, res);
    }
  }

  requireRequestId(res, label) {
    if (!/^req_[A-Za-z0-9_-]{8,}$/.test(res.headers['request-id'] || '')) this.fail(label, 'no valid Request-Id header', res);
  }

  fail(label, why, res) {
    const err = new Error(`OpenAPI mismatch: ${label}: ${why}\nbody: ${res.text.slice(0, 800)}`);
    err.code = 'ERR_OPENAPI_MISMATCH';
    throw err;
  }

  summary() {
    const s = this.stats;
    const skipped = Object.values(s.skipped).reduce((a, b) => a + b, 0);
    const why = Object.entries(s.skipped).map(([k, v]) => `${v} ${k}`).join(', ');
    return `openapi: ${s.operation + s.errorWithoutOperation} responses validated (${s.operation} against their operation, ${s.errorWithoutOperation} errors of undocumented requests against Error), ${skipped} skipped${why ? ` (${why})` : ''}`;
  }
}

let shared = null;
/** The process-wide validator (compiled once); prints its counts at exit. */
export function responseValidator() {
  if (!shared) {
    shared = new ResponseValidator();
    process.on('exit', () => { process.stderr.write(`${shared.summary()}\n`); });
  }
  return shared;
}
