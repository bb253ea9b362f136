// audit.js: Admin → Audit log. GET /v1/audit_log with filters (action,
// actor, from, to), newest first, 50 at a time with "Load more"
// (starting_after). Every value is shown as text.
import { call, qs } from './api.js';
import { el, field, table, timeEl, statusLine } from './ui.js';
import { showFormError, clearFormError } from './errors.js';

export const TITLE = 'Audit log';

/** An id as text, with the member's email when it is a user of the org. */
const who = (emails) => (a) => {
  if (a === null || a === undefined) return '—';
  if (typeof a !== 'string') return JSON.stringify(a);
  return emails.has(a) ? `${emails.get(a)} (${a})` : a;
};
const detailsText = (d) => (d && typeof d === 'object' && Object.keys(d).length ? JSON.stringify(d) : '—');

export async function render(root, { query, isCurrent }) {
  const status = statusLine();
  const action = field('Action', { id: 'audit-action', name: 'action', value: query.get('action') || '', placeholder: 'e.g. api_key.created' });
  const actor = field('Actor', { id: 'audit-actor', name: 'actor', value: query.get('actor') || '', placeholder: 'usr_… or key_…' });
  const from = field('From (date)', { id: 'audit-from', type: 'date', name: 'from', value: query.get('from') || '' });
  const to = field('To (date)', { id: 'audit-to', type: 'date', name: 'to', value: query.get('to') || '' });
  const form = el('form', { id: 'audit-filters', class: 'inline-form' }, action.node, actor.node, from.node, to.node,
    el('button', { type: 'submit', class: 'primary' }, 'Filter'),
    el('p', { class: 'error', role: 'alert', 'data-role': 'form-error' }));
  const listBox = el('div', { id: 'audit-list' });
  const more = el('button', { type: 'button', id: 'audit-more', hidden: true }, 'Load more');
  root.append(el('h2', {}, 'Audit log'), el('p', { class: 'muted' }, 'Every sensitive action, who did it, from where. Append-only.'),
    form, status.node, listBox, more);

  // Actor and target ids are user ids most of the time: show their emails.
  const emails = new Map();
  try {
    const users = await call('GET', '/v1/users?limit=100');
    for (const u of users.data) emails.set(u.id, u.email);
  } catch { /* ids alone, then */ }
  const name = who(emails);
  let rows = [];
  let last = null;
  const filters = () => ({
    action: action.input.value.trim(), actor: actor.input.value.trim(),
    from: from.input.value ? `${from.input.value}T00:00:00Z` : '',
    to: to.input.value ? `${to.input.value}T23:59:59Z` : '',
  });
  const load = async (reset) => {
    clearFormError(form);
    if (reset) { rows = []; last = null; }
    let page;
    try {
      page = await call('GET', `/v1/audit_log${qs({ ...filters(), limit: 50, starting_after: last })}`);
    } catch (e) {
      if (e.status === 404 && !e.param) { listBox.replaceChildren(el('p', { class: 'empty' }, 'The audit log is not available on this server yet.')); return; }
      showFormError(form, e, { action: action.input, actor: actor.input, from: from.input, to: to.input });
      return;
    }
    if (!isCurrent()) return;
    rows.push(...page.data);
    last = rows.length ? rows[rows.length - 1].id : null;
    more.hidden = !page.has_more;
    listBox.replaceChildren(table('!Audit entries', ['When', 'Action', 'Actor', 'Target', 'Details', 'Request'],
      rows.map((a) => [timeEl(a.created_at), el('code', {}, a.action), name(a.actor), name(a.target),
        el('code', { class: 'wrap' }, detailsText(a.details)),
        el('div', { class: 'ctx' },
          el('span', {}, `IP ${a.ip || '—'}`),
          el('span', {}, `Credential ${a.credential_id || '—'}`),
          el('span', { class: 'wrap' }, `User agent ${a.user_agent || '—'}`),
          el('span', {}, `Request ${a.request_id || '—'}`))]),
      { empty: 'No audit entries match these filters.' }));
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); load(true); });
  more.addEventListener('click', () => load(false));
  await load(true);
}
