// reauth.js: the password prompt of sensitive actions. When the API answers
// 403 reauthentication_required (the session's re-authentication is older
// than the server's window), api.js calls promptPassword(); the user types
// the password, POST /v1/auth/reauthenticate runs (session.js), and the
// original action continues. The password is never kept after the call.
import { reauthenticate } from './session.js';
import { el, openDialog } from './ui.js';
import { messageFor } from './errors.js';

let pending = null; // one prompt at a time, shared by concurrent actions

/** Resolves true once re-authenticated, false when the user cancels. */
export function promptPassword() {
  if (!pending) pending = ask().finally(() => { pending = null; });
  return pending;
}

function ask() {
  return new Promise((resolve) => {
    let ok = false;
    const input = el('input', { id: 'reauth-password', type: 'password', autocomplete: 'current-password', required: true });
    const error = el('p', { class: 'error', role: 'alert', id: 'reauth-error' });
    const submit = el('button', { type: 'submit', class: 'primary' }, 'Confirm');
    const form = el('form', { id: 'reauth-form' },
      el('p', {}, 'For your security, confirm your password to continue. This action is sensitive and your last sign-in is not recent enough.'),
      el('label', { for: 'reauth-password' }, 'Password'), input, error,
      el('div', { class: 'actions' },
        el('button', { type: 'button', onclick: () => dlg.close() }, 'Cancel'), submit));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      error.textContent = '';
      submit.disabled = true;
      try {
        await reauthenticate(input.value);
        ok = true;
        dlg.close();
      } catch (e) {
        error.textContent = e.code === 'invalid_credentials' ? 'Wrong password. Try again.' : messageFor(e);
        input.select();
      } finally {
        submit.disabled = false;
      }
    });
    const dlg = openDialog('Confirm your password', form, {
      label: 'reauth',
      onClose: () => { input.value = ''; resolve(ok); },
    });
    input.focus();
  });
}
