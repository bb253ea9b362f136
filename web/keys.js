// keys.js: Admin → API Keys. Lists the org's keys (GET /v1/api_keys, every
// page of it), generates new ones (POST /v1/api_keys) with the one-time
// secret view, revokes (POST …/revoke) after a confirmation, rotates
// (POST …/rotate) with an optional grace period, and flags keys older than
// 90 days for rotation. Creating, rotating and revoking are sensitive: api.js
// handles the password prompt.
import { call, getMode, Cancelled } from './api.js';
import { el, field, table, timeEl, fmtTime, daysSince, openDialog, confirmDialog, statusLine } from './ui.js';
import { messageFor, showFormError, clearFormError } from './errors.js';
import { scopePicker } from './scopes.js';
import { showSecret } from './secret.js';

export const TITLE = 'API Keys';
const ROTATE_AFTER_DAYS = 90;
const RECOMMENDED_EXPIRY_DAYS = 90;

/** Every item of a list endpoint, following has_more. */
export async function listAll(path, max = 1000) {
  const out = [];
  let after = null;
  for (;;) {
    const sep = path.includes('?') ? '&' : '?';
    const page = await call('GET', `${path}${sep}limit=100${after ? `&starting_after=${encodeURIComponent(after)}` : ''}`);
    out.push(...page.data);
    if (!page.has_more || !page.data.length || out.length >= max) return out;
    after = page.data[page.data.length - 1].id;
  }
}

function keyStatus(k) {
  const now = Date.now();
  if (k.revoked_at && Date.parse(k.revoked_at) <= now) return ['revoked', 'Revoked'];
  if (k.revoked_at) return ['expiring', `Rotated: stops ${fmtTime(k.revoked_at)}`];
  if (k.expires_at && Date.parse(k.expires_at) <= now) return ['expired', 'Expired'];
  return ['active', 'Active'];
}

export async function render(root, { isCurrent }) {
  const status = statusLine();
  const listBox = el('div', { id: 'keys-list' });
  const generate = el('button', { type: 'button', class: 'primary', id: 'generate-key' }, 'Generate New Key');
  root.append(
    el('div', { class: 'page-head' }, el('h2', {}, 'API Keys'), generate),
    el('p', { class: 'muted' }, 'Keys let your programs call the API. Each key sees only its own mode (live or test) and only the scopes it was given. ',
      el('a', { href: '#/usage' }, 'Usage'), ' shows what they do.'),
    status.node, listBox);

  const reload = async () => {
    const keys = await listAll('/v1/api_keys');
    if (!isCurrent()) return;
    listBox.replaceChildren(renderList(keys, { reload, status }));
  };
  generate.addEventListener('click', () => openGenerate({ reload, status }));
  await reload();
}

function renderList(keys, ctx) {
  const rows = keys.map((k) => {
    const [st, stText] = keyStatus(k);
    const age = daysSince(k.created_at);
    const old = age > ROTATE_AFTER_DAYS && st === 'active';
    const name = el('span', { class: 'key-name' }, k.name);
    const actions = [el('a', { href: `#/keys/${encodeURIComponent(k.id)}/usage`, class: 'button-link' }, 'Usage')];
    if (st === 'active') {
      actions.push(
        el('button', { type: 'button', 'data-action': 'rotate', onclick: () => openRotate(k, ctx) }, 'Rotate'),
        el('button', { type: 'button', class: 'danger', 'data-action': 'revoke', onclick: () => revoke(k, ctx) }, 'Revoke'));
    }
    const tr = el('tr', { 'data-key-id': k.id, 'data-status': st },
      el('th', { scope: 'row' }, name),
      el('td', {}, el('span', { class: `badge mode-${k.mode}` }, k.mode)),
      el('td', { class: 'scopes-cell' }, (k.scopes || []).join(' ')),
      el('td', {}, el('code', {}, k.redacted_secret)),
      el('td', {}, `${age} d`, old ? [' ', el('span', { class: 'badge warn', title: `Created more than ${ROTATE_AFTER_DAYS} days ago` }, 'Rotate: older than 90 days')] : null),
      el('td', {}, k.expires_at ? timeEl(k.expires_at) : el('span', { class: 'warn-text' }, 'Never')),
      el('td', {}, k.last_used_at ? [timeEl(k.last_used_at), k.last_used_ip ? el('span', { class: 'muted' }, ` from ${k.last_used_ip}`) : null] : 'Never used'),
      el('td', {}, el('span', { class: `badge status-${st}` }, stText)),
      el('td', {}, el('div', { class: 'actions-cell' }, actions)));
    return tr;
  });
  return table('!API keys', ['Name', 'Mode', 'Scopes', 'Secret', 'Age', 'Expires', 'Last used', 'Status', 'Actions'], rows,
    { empty: 'No API keys yet. Generate New Key to create the first one.', className: 'keys' });
}

function dateIn(days) {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

function openGenerate(ctx) {
  const name = field('Name', { name: 'name', required: true, maxlength: 200, autocomplete: 'off', id: 'key-name' },
    'What uses it, e.g. "ci-deploy" or "axis-import".');
  const picker = scopePicker();
  const modeSel = el('fieldset', { class: 'inline' }, el('legend', {}, 'Mode'),
    ['live', 'test'].map((m) => el('label', { class: 'check', for: `key-mode-${m}` },
      el('input', { type: 'radio', name: 'mode', value: m, id: `key-mode-${m}`, checked: getMode() === m }), ` ${m}`)));
  const expiry = field('Expiry date', { type: 'date', name: 'expires_at', id: 'key-expiry', value: dateIn(RECOMMENDED_EXPIRY_DAYS), min: dateIn(1), required: true },
    `Set an expiry date. Recommended: ${RECOMMENDED_EXPIRY_DAYS} days from today; rotate before then.`);
  const noExpiry = el('input', { type: 'checkbox', id: 'key-no-expiry' });
  const noExpiryWarn = el('p', { class: 'warning', id: 'key-no-expiry-warning', hidden: true, role: 'alert' },
    'Warning: a key without expiry works until someone revokes it. A leaked key stays usable forever. Prefer an expiry date.');
  noExpiry.addEventListener('change', () => {
    expiry.input.disabled = noExpiry.checked;
    expiry.input.required = !noExpiry.checked;
    noExpiryWarn.hidden = !noExpiry.checked;
  });
  const submit = el('button', { type: 'submit', class: 'primary' }, 'Generate key');
  const form = el('form', { id: 'generate-form', novalidate: true },
    name.node, picker.node, modeSel, expiry.node,
    el('label', { class: 'check', for: 'key-no-expiry' }, noExpiry, ' No expiry'), noExpiryWarn,
    el('p', { class: 'error', role: 'alert', 'data-role': 'form-error' }),
    el('div', { class: 'actions' }, el('button', { type: 'button', onclick: () => dlg.close() }, 'Cancel'), submit));

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFormError(form);
    const scopes = picker.selected();
    const body = {
      name: name.input.value.trim(),
      scopes,
      mode: form.querySelector('input[name=mode]:checked')?.value || 'live',
    };
    if (!body.name) return showFormError(form, { message: 'Give the key a name.', param: 'name' }, { name: name.input });
    if (!scopes.length) {
      form.querySelector('[data-role=form-error]').textContent = 'Select at least one scope: only the scopes your integration requires.';
      return picker.focus();
    }
    if (!noExpiry.checked) {
      if (!expiry.input.value) return showFormError(form, { message: 'Set an expiry date, or choose No expiry.', param: 'expires_at' }, { expires_at: expiry.input });
      body.expires_at = `${expiry.input.value}T00:00:00Z`;
    }
    submit.disabled = true;
    try {
      const key = await call('POST', '/v1/api_keys', body);
      dlg.close();
      await showSecret({ title: `Your new key “${key.name}”`, secret: key.secret, label: 'secret' });
      ctx.status.set(`Key “${key.name}” created.`, 'ok');
      await ctx.reload();
    } catch (e) {
      if (e instanceof Cancelled) return;
      showFormError(form, e, { name: name.input, expires_at: expiry.input, scopes: picker.node });
    } finally {
      submit.disabled = false;
    }
  });
  const dlg = openDialog('Generate New Key', form, { label: 'generate' });
  name.input.focus();
}


async function revoke(k, ctx) {
  const ok = await confirmDialog(`Revoke “${k.name}”?`,
    'Programs using this key are refused from the moment it is revoked, on every server. This cannot be undone.', 'Revoke key');
  if (!ok) return;
  try {
    await call('POST', `/v1/api_keys/${encodeURIComponent(k.id)}/revoke`);
    ctx.status.set(`Key “${k.name}” revoked.`, 'ok');
    await ctx.reload();
  } catch (e) {
    if (!(e instanceof Cancelled)) ctx.status.set(messageFor(e), 'error');
  }
}

const GRACE = [
  [0, 'Revoke the old key now'],
  [3600, 'Keep the old key working for 1 hour'],
  [86400, 'Keep the old key working for 24 hours'],
  [604800, 'Keep the old key working for 7 days'],
];

function openRotate(k, ctx) {
  const sel = el('select', { id: 'rotate-grace', name: 'expire_old_in_seconds' },
    GRACE.map(([s, t]) => el('option', { value: s, selected: s === 3600 }, t)));
  const submit = el('button', { type: 'submit', class: 'primary' }, 'Rotate key');
  const form = el('form', { id: 'rotate-form' },
    el('p', {}, 'A new secret is made with the same name, scopes, mode and expiry. Deploy it, then let the old one expire.'),
    el('label', { for: 'rotate-grace' }, 'Grace period for the old key'), sel,
    el('p', { class: 'error', role: 'alert', 'data-role': 'form-error' }),
    el('div', { class: 'actions' }, el('button', { type: 'button', onclick: () => dlg.close() }, 'Cancel'), submit));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFormError(form);
    submit.disabled = true;
    try {
      const key = await call('POST', `/v1/api_keys/${encodeURIComponent(k.id)}/rotate`, { expire_old_in_seconds: Number(sel.value) });
      dlg.close();
      await showSecret({ title: `New secret for “${key.name}”`, secret: key.secret });
      ctx.status.set(`Key “${key.name}” rotated.`, 'ok');
      await ctx.reload();
    } catch (e) {
      if (!(e instanceof Cancelled)) showFormError(form, e, { expire_old_in_seconds: sel });
    } finally {
      submit.disabled = false;
    }
  });
  const dlg = openDialog(`Rotate “${k.name}”`, form, { label: 'rotate' });
  sel.focus();
}
