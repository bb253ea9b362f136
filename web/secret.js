// secret.js: the one-time secret view, shared by API keys (create, rotate)
// and webhook endpoints (create, rotate secret). The secret lives only in
// this dialog's DOM: no storage, no console; closing the dialog (button,
// Esc, sign-out) empties the element and removes the dialog.
import { el, openDialog, copyText } from './ui.js';

/** Resolves when the dialog has closed (and the secret left the DOM). */
export function showSecret({ title, secret, what = 'key', label = 'secret' }) {
  return new Promise((resolve) => {
    const code = el('code', { id: 'secret-value', class: 'secret' }, secret);
    const copied = el('span', { class: 'muted', role: 'status', 'aria-live': 'polite' });
    const copy = el('button', {
      type: 'button', class: 'primary', id: 'secret-copy',
      onclick: async () => {
        const ok = await copyText(code.textContent);
        if (!ok) { // no clipboard permission: select it for Ctrl+C
          const r = document.createRange();
          r.selectNodeContents(code);
          getSelection().removeAllRanges();
          getSelection().addRange(r);
        }
        copied.textContent = ok ? 'Copied.' : 'Selected: press Ctrl+C (⌘C) to copy.';
      },
    }, 'Copy');
    const body = el('div', {},
      el('p', { class: 'warning' }, `Copy the ${what} immediately — it will not be shown again.`),
      el('div', { class: 'secret-row' }, code, copy), copied,
      el('p', {}, `Keep it in an environment variable or a secret store, never in code or in version control.`),
      el('div', { class: 'actions' }, el('button', { type: 'button', id: 'secret-done', onclick: () => dlg.close() }, 'I have copied it')));
    const dlg = openDialog(title, body, {
      label,
      onClose: () => {
        code.textContent = '';
        getSelection()?.removeAllRanges();
        resolve();
      },
    });
    copy.focus();
  });
}
