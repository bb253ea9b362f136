// app.js: the panel's entry point. Wires index.html to the session module
// (sign-in, sign-up, invitation acceptance, sign-out, the view switch on
// every session change, here or in another tab), the live/test mode switch,
// and the hash router that renders the admin pages into #page:
//   #/keys  #/keys/<id>/usage  #/usage  #/settings  #/members  #/webhooks  #/audit
// Signed out: #/signin (default), #/signup, #/accept?token=<invitation token>.
import * as session from './session.js';
import { setMode, getMode } from './api.js';
import { showFormError, clearFormError, messageFor } from './errors.js';
import * as keys from './keys.js';
import * as usage from './usage.js';
import * as settings from './settings.js';
import * as members from './members.js';
import * as webhooks from './webhooks.js';
import * as audit from './audit.js';

const $ = (id) => document.getElementById(id);

const SIGNED_OUT_MESSAGES = {
  expired: 'Your session has ended. Please sign in again.',
  network: 'Lost contact with the server. Please sign in again.',
};

const PAGES = { keys, usage, settings, members, webhooks, audit };
const SIGNED_OUT_VIEWS = ['signin-view', 'signup-view', 'accept-view'];

let shown = null; // 'signed-in' | 'signed-out'
let renderSeq = 0;

/** The hash as {name, params, query}: "#/keys/key_1/usage" → keys/usage. */
function parseHash() {
  const h = location.hash.replace(/^#\/?/, '');
  const [path, q = ''] = h.split('?');
  const parts = path.split('/').filter(Boolean);
  const query = new URLSearchParams(q);
  if (parts[0] === 'keys' && parts[2] === 'usage') return { name: 'usage', params: { keyId: parts[1] }, query };
  return { name: parts[0] || '', params: {}, query };
}

// ------------------------------------------------------------ signed in

function showAccount(s) {
  $('user-email').textContent = s.user?.email ?? '';
  $('org-name').textContent = s.org?.name ?? '';
  $('user-role').textContent = s.role ?? '';
  const exp = s.session?.access_expires_at ?? '';
  const t = $('access-expires');
  t.textContent = exp;
  t.dateTime = exp;
}

async function renderPage() {
  if (shown !== 'signed-in') return;
  let { name, params, query } = parseHash();
  if (name === 'accept') {
    // An invitation link opened while signed in: it is for another account.
    const p = document.createElement('p');
    p.className = 'empty';
    p.textContent = `You are signed in as ${session.current()?.user?.email ?? 'another user'}. Sign out first, then open the invitation link again to accept it.`;
    $('page').replaceChildren(p);
    $('page').dataset.page = 'accept';
    return;
  }
  if (!PAGES[name]) {
    // Sign-in, sign-up and accept links land on the first page.
    history.replaceState(null, '', '#/keys');
    ({ name, params, query } = parseHash());
  }
  for (const a of document.querySelectorAll('nav a[data-nav]')) {
    if (a.dataset.nav === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const seq = ++renderSeq;
  const page = $('page');
  page.replaceChildren();
  page.dataset.page = name;
  const mod = PAGES[name];
  document.title = `${mod.TITLE} · Gatehouse`;
  try {
    await mod.render(page, { ...params, query, isCurrent: () => seq === renderSeq && shown === 'signed-in' });
  } catch (e) {
    if (seq !== renderSeq) return;
    const p = document.createElement('p');
    p.className = 'error';
    p.setAttribute('role', 'alert');
    p.textContent = messageFor(e);
    page.append(p);
  }
}

// ------------------------------------------------------------ signed out

function showSignedOut(reason) {
  const { name, query } = parseHash();
  let view = 'signin-view';
  if (name === 'signup') view = 'signup-view';
  else if (name === 'accept' && query.get('token')) view = 'accept-view';
  for (const v of SIGNED_OUT_VIEWS) $(v).hidden = v !== view;
  $('page').replaceChildren();
  if (view === 'signin-view') {
    $('password').value = '';
    if (reason !== undefined) $('signin-error').textContent = SIGNED_OUT_MESSAGES[reason] || '';
    document.title = 'Sign in · Gatehouse';
    $('email').focus();
  } else if (view === 'signup-view') {
    document.title = 'Create an organization · Gatehouse';
    $('signup-org').focus();
  } else {
    document.title = 'Accept invitation · Gatehouse';
    $('accept-password').focus();
  }
}

function render(s, reason) {
  $('loading').hidden = true;
  document.body.dataset.session = s ? 'signed-in' : 'signed-out';
  $('mode-bar').hidden = !s;
  $('mode-banner').hidden = !s || getMode() !== 'test';
  if (s) {
    showAccount(s);
    if (shown === 'signed-in') return; // a refresh: the page stays as it is
    shown = 'signed-in';
    for (const v of SIGNED_OUT_VIEWS) $(v).hidden = true;
    $('signedin-view').hidden = false;
    renderPage();
  } else {
    shown = 'signed-out';
    $('signedin-view').hidden = true;
    // Whatever a page had open (a secret, a password prompt) goes away.
    for (const d of document.querySelectorAll('dialog')) d.close();
    showSignedOut(reason);
  }
}

// ------------------------------------------------------------ forms

function loginMessage(e) {
  if (e.code === 'invalid_credentials') return 'Wrong email or password.';
  if (e.status === 429) return `Too many attempts. Please try again in ${e.retryAfter ?? 60} s.`;
  if (e instanceof session.ApiError) return e.message;
  return 'Cannot reach the server. Please try again.';
}

async function submitting(form, fn) {
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  try { await fn(); } finally { button.disabled = false; }
}

$('signin-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  $('signin-error').textContent = '';
  submitting(ev.target, async () => {
    try {
      await session.login($('email').value.trim(), $('password').value);
      // Signed in: the password leaves the page (the form is only hidden
      // for the whole session otherwise), as sign-up and re-auth do.
      $('password').value = '';
    } catch (e) {
      $('signin-error').textContent = loginMessage(e);
      $('password').select();
    }
  });
});

$('signup-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const form = ev.target;
  clearFormError(form);
  submitting(form, async () => {
    try {
      await session.signup($('signup-email').value.trim(), $('signup-password').value, $('signup-org').value.trim());
      $('signup-password').value = '';
      location.hash = '#/keys';
    } catch (e) {
      if (e.code === 'forbidden') e.message = 'Sign-up is closed on this server. Ask an admin for an invitation.';
      if (e.code === 'forbidden' || e.code === 'conflict') { form.querySelector('[data-role=form-error]').textContent = e.message; return; }
      showFormError(form, e, { email: $('signup-email'), password: $('signup-password'), org_name: $('signup-org') });
    }
  });
});

$('accept-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const form = ev.target;
  clearFormError(form);
  if ($('accept-password').value !== $('accept-confirm').value) {
    form.querySelector('[data-role=form-error]').textContent = 'The two passwords differ.';
    return;
  }
  submitting(form, async () => {
    try {
      await session.acceptInvitation(parseHash().query.get('token'), $('accept-password').value);
      $('accept-password').value = '';
      $('accept-confirm').value = '';
      history.replaceState(null, '', '#/keys'); // the token leaves the address bar
      renderPage();
    } catch (e) {
      if (e.param === 'token') e.param = null, e.message = 'This invitation is unknown, already used or expired. Ask an admin for a new one.';
      showFormError(form, e, { password: $('accept-password') });
    }
  });
});

$('signout').addEventListener('click', () => session.logout());

// The skip link moves the focus; it must not change the hash (the router's).
$('skip-link').addEventListener('click', (ev) => {
  ev.preventDefault();
  const target = shown === 'signed-in' ? $('page') : document.querySelector('main section:not([hidden]) input');
  target?.focus();
});

// ------------------------------------------------------------ mode switch

$('mode-switch').addEventListener('change', (ev) => {
  setMode(ev.target.checked ? 'test' : 'live');
  document.body.classList.toggle('test-mode', getMode() === 'test');
  $('mode-banner').hidden = getMode() !== 'test';
  renderPage();
});

addEventListener('hashchange', () => {
  if (shown === 'signed-in') renderPage().then(() => { if (!document.querySelector('dialog')) $('page').focus({ preventScroll: true }); });
  else if (shown === 'signed-out') showSignedOut();
});

session.onChange(render);
session.resume();
