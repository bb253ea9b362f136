// settings.js: Admin → Organization. Reads GET /v1/org and saves name, the
// session idle timeout and the absolute session lifetime with PATCH /v1/org
// (sensitive: the password prompt may come first). Out-of-range values come
// back as 400 naming the field, shown next to it.
import { call, Cancelled } from './api.js';
import { el, field, statusLine } from './ui.js';
import { showFormError, clearFormError } from './errors.js';

export const TITLE = 'Organization';

const human = (s) => {
  if (s % 86400 === 0) return `${s / 86400} day${s === 86400 ? '' : 's'}`;
  if (s % 3600 === 0) return `${s / 3600} hour${s === 3600 ? '' : 's'}`;
  if (s % 60 === 0) return `${s / 60} minute${s === 60 ? '' : 's'}`;
  return `${s} seconds`;
};

export async function render(root, { isCurrent }) {
  const org = await call('GET', '/v1/org');
  if (!isCurrent()) return;
  const status = statusLine();
  const name = field('Organization name', { id: 'org-name-input', name: 'name', value: org.name, required: true, maxlength: 200 });
  const idle = field('Session idle timeout (seconds)', {
    id: 'org-idle', name: 'session_idle_timeout_seconds', type: 'number', min: 2, max: 86400, step: 1, required: true,
    value: org.session_idle_timeout_seconds,
  }, 'A session with no request for this long ends. 300 to 86400 (5 minutes to 1 day).');
  const life = field('Absolute session lifetime (seconds)', {
    id: 'org-lifetime', name: 'session_max_lifetime_seconds', type: 'number', min: 3600, max: 2592000, step: 1, required: true,
    value: org.session_max_lifetime_seconds,
  }, 'A session ends this long after sign-in, active or not. 3600 to 2592000 (1 hour to 30 days).');
  const summary = el('p', { class: 'muted', id: 'org-summary' });
  const showSummary = (o) => {
    summary.textContent = `Sessions end after ${human(o.session_idle_timeout_seconds)} without activity, and ${human(o.session_max_lifetime_seconds)} after sign-in at the latest.`;
  };
  showSummary(org);
  const save = el('button', { type: 'submit', class: 'primary' }, 'Save settings');
  const form = el('form', { id: 'org-form', novalidate: true }, name.node, idle.node, life.node,
    el('p', { class: 'error', role: 'alert', 'data-role': 'form-error' }), save);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFormError(form);
    status.set('');
    const body = {};
    if (name.input.value.trim() !== org.name) body.name = name.input.value.trim();
    for (const [f, k] of [[idle, 'session_idle_timeout_seconds'], [life, 'session_max_lifetime_seconds']]) {
      const v = Number(f.input.value);
      if (!Number.isInteger(v)) return showFormError(form, { message: 'A whole number of seconds.', param: k }, { [k]: f.input });
      if (v !== org[k]) body[k] = v;
    }
    if (!Object.keys(body).length) return status.set('Nothing changed.');
    save.disabled = true;
    try {
      Object.assign(org, await call('PATCH', '/v1/org', body));
      showSummary(org);
      status.set('Settings saved. They apply to existing sessions from their next request.', 'ok');
    } catch (e) {
      if (!(e instanceof Cancelled)) {
        showFormError(form, e, { name: name.input, session_idle_timeout_seconds: idle.input, session_max_lifetime_seconds: life.input });
      }
    } finally {
      save.disabled = false;
    }
  });
  root.append(el('h2', {}, 'Organization settings'), status.node, summary, form);
}
