// ui.js: small DOM helpers for the pages. Every string from the API goes
// into the page through textContent (el()'s children), never as HTML, so a
// stored "<script>" in a key or application name renders as text.

/**
 * el('button', {class: 'x', type: 'button', onclick: fn}, 'text', child...)
 * Attributes: on<event> → addEventListener; `class`, `for`, `hidden`, boolean
 * true → present; false/null/undefined → absent; anything else setAttribute.
 * Children: strings (as text nodes), nodes, arrays, null (skipped).
 */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else if (v === true) e.setAttribute(k, '');
    else e.setAttribute(k, String(v));
  }
  append(e, children);
  return e;
}

function append(parent, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(parent, c);
    else parent.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

let uid = 0;
export const nextId = (prefix) => `${prefix}-${++uid}`;

/** A labelled input: [label, input]; the input gets a fresh id. */
export function field(labelText, attrs = {}, hint = null) {
  const id = attrs.id || nextId('f');
  const input = el(attrs.tag || 'input', { ...attrs, tag: null, id });
  const parts = [el('label', { for: id }, labelText), input];
  if (hint) {
    const hid = `${id}-hint`;
    input.setAttribute('aria-describedby', hid);
    parts.push(el('p', { class: 'hint', id: hid }, hint));
  }
  return { input, node: el('div', { class: 'field' }, parts) };
}

/** "2026-11-28 12:00 UTC", or the fallback for null. */
export function fmtTime(iso, fallback = '—') {
  if (!iso) return fallback;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function timeEl(iso, fallback = '—') {
  return iso ? el('time', { datetime: iso }, fmtTime(iso)) : fallback;
}

export const daysSince = (iso) => Math.floor((Date.now() - Date.parse(iso)) / 86_400_000);

/**
 * A modal <dialog> (keyboard: focus moves in, Esc closes, focus returns to
 * the opener). onClose runs whenever it closes, however it closes; the
 * dialog then leaves the DOM. Returns the dialog element.
 */
export function openDialog(title, body, { onClose, label } = {}) {
  const opener = document.activeElement;
  const titleId = nextId('dlg-title');
  const dlg = el('dialog', { 'aria-labelledby': titleId, 'data-dialog': label || '' },
    el('h2', { id: titleId }, title), body);
  document.body.append(dlg);
  dlg.addEventListener('close', () => {
    try { onClose?.(dlg); } finally {
      dlg.remove();
      if (opener && opener.isConnected) opener.focus();
    }
  });
  dlg.showModal();
  return dlg;
}

/**
 * Ask to confirm: resolves true for the confirm button, false otherwise.
 */
export function confirmDialog(title, text, confirmLabel, { danger = true } = {}) {
  return new Promise((resolve) => {
    let ok = false;
    const yes = el('button', { type: 'submit', class: danger ? 'danger' : 'primary' }, confirmLabel);
    const form = el('form', { method: 'dialog' },
      el('p', {}, text),
      el('div', { class: 'actions' },
        el('button', { type: 'button', value: 'cancel', onclick: () => dlg.close() }, 'Cancel'), yes));
    form.addEventListener('submit', () => { ok = true; });
    const dlg = openDialog(title, form, { onClose: () => resolve(ok), label: 'confirm' });
    yes.focus();
  });
}

/** A status line ([role=status]) for a page: set(text, kind). */
export function statusLine() {
  const p = el('p', { class: 'status', role: 'status', 'aria-live': 'polite' });
  return {
    node: p,
    set(text, kind = 'info') { p.textContent = text || ''; p.dataset.kind = kind; },
  };
}

/** A table: headers (strings), rows (arrays of cells), caption. */
export function table(caption, headers, rows, { empty = 'Nothing here yet.', className = '' } = {}) {
  if (!rows.length) return el('p', { class: 'empty' }, empty);
  return el('div', { class: 'table-wrap' },
    el('table', { class: className },
      el('caption', { class: caption.startsWith('!') ? 'visually-hidden' : '' }, caption.replace(/^!/, '')),
      el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, rows.map((r) => (r instanceof Node ? r : el('tr', {}, r.map((c) => el('td', {}, c))))))));
}

/** Copy text to the clipboard; resolves to true when it worked. */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
