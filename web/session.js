/**
 * session.js: the admin panel's browser session and its silent refresh.
 *
 * The tokens themselves are HttpOnly cookies set by the server (gh_session,
 * the access token, Path=/; gh_refresh, the rotating refresh token,
 * Path=/v1/auth): this code never sees them. It keeps in memory only, never
 * in localStorage or sessionStorage, the signed-in state
 *   { user, org, role, session: {id, access_expires_at, ...}, csrfToken }
 * A reloaded page starts with no state and asks the server (resume()).
 *
 * Exports
 *   login(email, password)  POST /v1/auth/login; resolves to the state, or
 *                           throws an ApiError (401 invalid_credentials, 429...).
 *   signup(email, password, orgName), acceptInvitation(token, password)
 *                           POST /v1/signup, /v1/invitations/accept: the same.
 *   reauthenticate(password) POST /v1/auth/reauthenticate (sensitive actions).
 *   resume()                on page load: GET /v1/auth/session; a 401 gets one
 *                           refresh (the access cookie may have expired while
 *                           the page was closed) and one more try. Resolves to
 *                           the state, or null (signed out).
 *   refresh()               rotates the tokens now (POST /v1/auth/refresh),
 *                           coordinated with the other tabs; true when fresh,
 *                           false when it failed and the tab is signed out.
 *   logout({all})           POST /v1/auth/logout (all: every session of the
 *                           user); the tab is signed out whatever the answer.
 *   apiFetch(path, opts)    fetch() for the API: same-origin credentials,
 *                           X-CSRF-Token on unsafe methods, opts.json as a
 *                           JSON body; a 401 token_expired gets one refresh and
 *                           one retry; a 401 unauthorized, or a token_expired
 *                           that stays, signs the tab out.
 *   current()               the state, or null.
 *   onChange(fn)            fn(state|null, reason) after every change; reason
 *                           is 'signed-in', 'resumed', 'refreshed', or for
 *                           null: 'signed-out', 'expired' (the server said 401),
 *                           'network' (the refresh could not reach it).
 *                           Returns the function that unsubscribes.
 *   refreshDelay(exp, now)  when to refresh (ms from now), for tests.
 *   ApiError                {status, code, message, param, retryAfter} of an
 *                           error answer; apiError(res) builds one.
 *
 * Schedule. After sign-in, resume and each refresh, a timer fires at 80% of
 * the time left until access_expires_at, and never later than 1 s before
 * it. A tab that was hidden or asleep re-checks when it becomes visible or
 * the network comes back (timers do not run in a sleeping machine). The
 * server's clock is learnt from the Date header when it differs from ours
 * by more than Date's 1 s resolution allows.
 *
 * Failure. A network error (or a 5xx/429) gets one retry after 1 s; a second
 * failure, or a 401, signs the tab out: the state is dropped and onChange
 * listeners render the sign-in view.
 *
 * Tabs. All tabs share the cookies, so they must not rotate the refresh
 * token in parallel (the server forgives a replay inside 10 s; this code
 * does not count on that). A refresh runs under the Web Lock 'gh-refresh':
 * one tab at a time. The tab that refreshed tells the others through the
 * BroadcastChannel 'gh-session', and they adopt the new expiry and CSRF token
 * and reschedule. A tab that waited for the lock first checks whether the
 * expiry moved meanwhile; when other tabs exist it also asks the server
 * (GET /v1/auth/session presents the shared, possibly new, access cookie),
 * since the other tab's message may not have arrived yet. Sign-in and
 * sign-out are broadcast too, so every tab shows the same view.
 */

const LOCK = 'gh-refresh';
const CHANNEL = 'gh-session';
const SHARE = 0.8; // refresh at this fraction of the time left
const MIN_LEAD_MS = 1000; // ...and at least this long before expiry
const RETRY_DELAY_MS = 1000; // after a network error, one retry after this
const FETCH_TIMEOUT_MS = 10000;
const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

let state = null;
let timer = 0;
let inflight = null; // this tab's refresh, shared by concurrent callers
let skewMs = 0; // server clock minus ours, when it matters
let peers = false; // another tab of the panel has been heard from
const listeners = new Set();

export class ApiError extends Error {
  constructor(status, code, message, { param = null, retryAfter = null } = {}) {
    super(message || code || `HTTP ${status}`);
    this.name = 'ApiError';
    this.status = status;
    this.code = code || null;
    this.param = param; // the field at fault, for invalid_request
    this.retryAfter = retryAfter; // seconds, from Retry-After (429, 503)
  }
}

export const current = () => state;

export function onChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function refreshDelay(expiresAtMs, nowMs) {
  const left = expiresAtMs - nowMs;
  return Math.max(0, Math.min(left * SHARE, left - MIN_LEAD_MS));
}

// ------------------------------------------------------------------ state

function setState(next, reason) {
  state = next;
  schedule();
  for (const fn of listeners) {
    try { fn(state, reason); } catch (e) { console.error(e); }
  }
}

function fromBody(b) {
  return { user: b.user, org: b.org, role: b.role ?? null, session: b.session, csrfToken: b.csrf_token };
}

const expiryMs = (s) => Date.parse(s?.session?.access_expires_at) - skewMs;
const later = (a, b) => Date.parse(a) > Date.parse(b);

function schedule() {
  clearTimeout(timer);
  timer = 0;
  if (!state) return;
  const exp = expiryMs(state);
  if (!Number.isFinite(exp)) return;
  timer = setTimeout(() => { timer = 0; refresh(); }, refreshDelay(exp, Date.now()));
}

function noteServerTime(res) {
  const d = Date.parse(res.headers.get('Date') || '');
  if (!Number.isFinite(d)) return;
  const s = d - Date.now(); // in (-1000, 0] for equal clocks
  skewMs = s > 1000 || s < -2000 ? s : 0;
}

// ------------------------------------------------------------------ tabs

const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(CHANNEL) : null;
const tell = (msg) => { try { channel?.postMessage(msg); } catch { /* closing */ } };

if (channel) {
  channel.onmessage = ({ data: m }) => {
    if (!m || typeof m !== 'object') return;
    peers = true;
    if (m.type === 'hello') tell({ type: 'here' });
    else if (m.type === 'signed-in' && m.state) setState(m.state, 'signed-in');
    else if (m.type === 'refreshed' && m.state && state
             && (!state.session?.id || state.session.id === m.state.session?.id)
             && later(m.state.session?.access_expires_at, state.session?.access_expires_at)) {
      setState({ ...state, session: m.state.session, csrfToken: m.state.csrfToken ?? state.csrfToken }, 'refreshed');
    } else if (m.type === 'signed-out' && state) setState(null, m.reason || 'signed-out');
  };
  tell({ type: 'hello' });
}

if (typeof document !== 'undefined') {
  // Timers stop while the machine sleeps and are throttled in hidden tabs:
  // recompute the delay (0 when overdue) when the tab is back.
  document.addEventListener('visibilitychange', () => { if (!document.hidden) schedule(); });
  addEventListener('online', () => schedule());
}

// ------------------------------------------------------------------ HTTP

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function send(path, { method = 'GET', headers, json, ...rest } = {}) {
  const h = new Headers(headers || {});
  const m = method.toUpperCase();
  if (UNSAFE.has(m) && state?.csrfToken) h.set('X-CSRF-Token', state.csrfToken);
  let body = rest.body;
  if (json !== undefined) {
    body = JSON.stringify(json);
    h.set('Content-Type', 'application/json');
  }
  return fetch(path, {
    cache: 'no-store', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    ...rest, method: m, headers: h, body, credentials: 'same-origin',
  });
}

export async function apiError(res) {
  let e = {};
  try { e = (await res.json())?.error || {}; } catch { /* not JSON */ }
  const ra = Number.parseInt(res.headers.get('Retry-After') || '', 10);
  return new ApiError(res.status, e.code, e.message,
    { param: e.param ?? null, retryAfter: Number.isFinite(ra) ? ra : null });
}

/** GET /v1/auth/session: the body, or null for a 401; throws otherwise. */
async function fetchSession() {
  const res = await send('/v1/auth/session');
  if (res.status === 401) return null;
  if (!res.ok) throw await apiError(res);
  noteServerTime(res);
  return res.json();
}

// ------------------------------------------------------------------ API

export const login = (email, password) => establish('/v1/auth/login', { email, password });
export const signup = (email, password, orgName) =>
  establish('/v1/signup', { email, password, org_name: orgName });
export const acceptInvitation = (token, password) => establish('/v1/invitations/accept', { token, password });

/** Sign-up, login and invitation accept answer with the same login body. */
async function establish(path, json) {
  const res = await send(path, { method: 'POST', json });
  if (!res.ok) throw await apiError(res);
  noteServerTime(res);
  const s = fromBody(await res.json());
  // The login body has no role; GET /v1/auth/session has (best effort).
  try { s.role = (await fetchSession())?.role ?? null; } catch { /* shown without */ }
  setState(s, 'signed-in');
  tell({ type: 'signed-in', state: s });
  return s;
}

export async function resume() {
  try {
    let b = await fetchSession();
    if (!b) {
      if (!(await refresh())) return null;
      b = state ? null : await fetchSession(); // a waiting tab may have adopted it
      if (!b && !state) { setState(null, 'expired'); return null; }
    }
    if (b) setState(fromBody(b), 'resumed');
    return state;
  } catch (e) {
    console.warn('gatehouse: resume failed', e);
    setState(null, 'network');
    return null;
  }
}

export function refresh() {
  if (!inflight) {
    const seen = state?.session?.access_expires_at;
    const run = () => refreshLocked(seen);
    inflight = (navigator.locks ? navigator.locks.request(LOCK, run) : run()).finally(() => { inflight = null; });
  }
  return inflight;
}

async function refreshLocked(seen) {
  // Another tab rotated while this one waited for the lock, and said so.
  if (seen && state && later(state.session?.access_expires_at, seen)) return true;
  // ...or rotated and its message is still on the way: the cookie jar is
  // shared, so the server knows.
  if (peers && seen) {
    try {
      const b = await fetchSession();
      if (b && later(b.session?.access_expires_at, seen)) {
        setState(fromBody(b), 'refreshed');
        return true;
      }
    } catch { /* go on and refresh */ }
  }
  for (let attempt = 1; ; attempt++) {
    let res = null;
    try {
      res = await send('/v1/auth/refresh', { method: 'POST' });
    } catch { /* network error, timeout */ }
    if (res && res.ok) {
      await adoptRenewed(res);
      return true;
    }
    if (res && res.status === 401) {
      tell({ type: 'signed-out', reason: 'expired' });
      setState(null, 'expired');
      return false;
    }
    if (attempt >= 2) {
      setState(null, 'network');
      return false;
    }
    await sleep(RETRY_DELAY_MS);
  }
}

/** POST /v1/auth/reauthenticate: new tokens (cookies) and a fresh
 *  reauthenticated_at; the other tabs adopt the new expiry. Throws an
 *  ApiError (401 invalid_credentials: the session lives on; 429). */
export async function reauthenticate(password) {
  const res = await apiFetch('/v1/auth/reauthenticate', { method: 'POST', json: { password } });
  if (!res.ok) throw await apiError(res);
  await adoptRenewed(res);
}

/** After a refresh or re-authentication answered 2xx: the new expiry and
 *  CSRF token, here and in the other tabs. */
async function adoptRenewed(res) {
  noteServerTime(res);
  const b = await res.json();
  if (!state) return;
  const s = { ...state, session: { ...state.session, ...b.session }, csrfToken: b.csrf_token ?? state.csrfToken };
  setState(s, 'refreshed');
  tell({ type: 'refreshed', state: s });
}

export async function logout({ all = false } = {}) {
  try {
    await apiFetch('/v1/auth/logout', all ? { method: 'POST', json: { all: true } } : { method: 'POST' });
  } catch { /* signed out here all the same */ }
  tell({ type: 'signed-out', reason: 'signed-out' });
  setState(null, 'signed-out');
}

export async function apiFetch(path, opts = {}) {
  let res = await send(path, opts);
  if (res.status !== 401 || !state) return res;
  let code = (await apiError(res.clone())).code;
  if (code === 'token_expired') {
    if (!(await refresh())) return res; // signed out by the failed refresh
    res = await send(path, opts);
    if (res.status !== 401) return res;
    code = (await apiError(res.clone())).code;
  }
  // Other 401s (invalid_credentials of a wrong password) leave the session be.
  if ((code === 'unauthorized' || code === 'token_expired') && state) setState(null, 'expired');
  return res;
}
