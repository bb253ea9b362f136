// app.js: wires the panel page (index.html) to the session module: the
// sign-in form, the signed-in view, and the view switch on every session
// change (sign-in, refresh, sign-out, here or in another tab).
import * as session from './session.js';

const $ = (id) => document.getElementById(id);

const SIGNED_OUT_MESSAGES = {
  expired: 'Your session has ended. Please sign in again.',
  network: 'Lost contact with the server. Please sign in again.',
};

function showSignedIn(s) {
  $('user-email').textContent = s.user?.email ?? '';
  $('org-name').textContent = s.org?.name ?? '';
  const exp = s.session?.access_expires_at ?? '';
  const t = $('access-expires');
  t.textContent = exp;
  t.dateTime = exp;
  $('signin-view').hidden = true;
  $('signedin-view').hidden = false;
  document.title = 'Gatehouse';
}

function showSignIn(reason) {
  $('signedin-view').hidden = true;
  $('signin-view').hidden = false;
  $('password').value = '';
  $('signin-error').textContent = SIGNED_OUT_MESSAGES[reason] || '';
  document.title = 'Sign in · Gatehouse';
  $('email').focus();
}

function render(s, reason) {
  $('loading').hidden = true;
  document.body.dataset.session = s ? 'signed-in' : 'signed-out';
  if (s) showSignedIn(s);
  else showSignIn(reason);
}

function loginMessage(e) {
  if (e.code === 'invalid_credentials') return 'Wrong email or password.';
  if (e.status === 429) return 'Too many attempts. Please wait a moment and try again.';
  if (e instanceof session.ApiError) return e.message;
  return 'Cannot reach the server. Please try again.';
}

$('signin-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const button = ev.target.querySelector('button');
  $('signin-error').textContent = '';
  button.disabled = true;
  try {
    await session.login($('email').value.trim(), $('password').value);
  } catch (e) {
    $('signin-error').textContent = loginMessage(e);
    $('password').select();
  } finally {
    button.disabled = false;
  }
});

$('signout').addEventListener('click', () => session.logout());

session.onChange(render);
session.resume();
