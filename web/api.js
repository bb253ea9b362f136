// api.js: the panel's one way to call the public API (api.md). Builds on
// session.js's apiFetch (cookies, CSRF token, silent refresh) and adds:
// the live/test mode header, JSON in and out, ApiError on failure, and the
// re-authentication step of sensitive actions: a 403
// reauthentication_required opens the password prompt (reauth.js) and, once
// the password is accepted, the original request is sent again.
import { apiFetch, apiError, ApiError } from './session.js';
import { promptPassword } from './reauth.js';

let mode = 'live';
const modeListeners = new Set();

/** 'live' or 'test': sessions act in live mode unless Gatehouse-Mode: test. */
export const getMode = () => mode;
export function setMode(m) {
  mode = m === 'test' ? 'test' : 'live';
  for (const fn of modeListeners) fn(mode);
}
export const onModeChange = (fn) => modeListeners.add(fn);

/** A thrown Cancelled means the user closed the password prompt. */
export class Cancelled extends Error {
  constructor() { super('cancelled'); this.name = 'Cancelled'; }
}

async function once(method, path, json) {
  const headers = {};
  if (mode === 'test') headers['Gatehouse-Mode'] = 'test';
  let res;
  try {
    res = await apiFetch(path, { method, headers, ...(json !== undefined ? { json } : {}) });
  } catch (e) {
    throw new ApiError(0, 'network', e?.name === 'TimeoutError' ? 'The server took too long to answer.' : 'Cannot reach the server.');
  }
  return res;
}

/** call('GET', '/v1/api_keys') → the parsed body (null for 204/202 without
 *  one). Throws ApiError, or Cancelled when re-authentication was refused. */
export async function call(method, path, json) {
  let res = await once(method, path, json);
  if (res.status === 403) {
    const err = await apiError(res.clone());
    if (err.code === 'reauthentication_required') {
      const ok = await promptPassword();
      if (!ok) throw new Cancelled();
      res = await once(method, path, json);
    }
  }
  if (!res.ok) throw await apiError(res);
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

/** A query string from an object, skipping empty values. */
export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}
