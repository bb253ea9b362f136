// members.js: Admin → Members. Lists members and pending invitees
// (GET /v1/users), invites (POST /v1/users: the one-time invitation link is
// shown to pass on), changes roles (PATCH), removes (DELETE), ends one
// user's sessions (POST /v1/users/{id}/force_logout) or everyone's
// (POST /v1/org/force_logout). All of these are sensitive.
import { call, Cancelled } from './api.js';
import * as session from './session.js';
import { el, field, table, timeEl, confirmDialog, statusLine, openDialog, copyText } from './ui.js';
import { messageFor, showFormError, clearFormError } from './errors.js';
import { listAll } from './keys.js';

export const TITLE = 'Members';

export async function render(root, { isCurrent }) {
  const status = statusLine();
  const listBox = el('div', { id: 'members-list' });
  const me = session.current()?.user?.id;

  const reload = async () => {
    const users = await listAll('/v1/users');
    if (!isCurrent()) return;
    listBox.replaceChildren(table('!Members', ['Email', 'Role', 'Status', 'Since', 'Actions'], users.map((u) => {
      const role = el('select', { 'aria-label': `Role of ${u.email}`, 'data-action': 'role' },
        ['admin', 'member'].map((r) => el('option', { value: r, selected: u.role === r }, r)));
      role.addEventListener('change', () => act(async () => {
        await call('PATCH', `/v1/users/${encodeURIComponent(u.id)}`, { role: role.value });
        status.set(`${u.email} is now ${role.value}.`, 'ok');
      }, () => { role.value = u.role; }));
      const isMe = u.id === me;
      return el('tr', { 'data-user-id': u.id },
        el('th', { scope: 'row' }, u.email, isMe ? el('span', { class: 'muted' }, ' (you)') : null),
        el('td', {}, role),
        el('td', {}, el('span', { class: `badge status-${u.status}` }, u.status)),
        el('td', {}, timeEl(u.created_at)),
        el('td', {}, el('div', { class: 'actions-cell' },
          u.status === 'active' ? el('button', { type: 'button', 'data-action': 'force-logout', onclick: () => forceLogout(u) }, 'Force logout') : null,
          el('button', { type: 'button', class: 'danger', 'data-action': 'remove', onclick: () => remove(u) }, 'Remove'))));
    }), { empty: 'No members yet.' }));
  };

  async function act(fn, undo) {
    status.set('');
    try { await fn(); await reload(); } catch (e) {
      undo?.();
      if (!(e instanceof Cancelled)) status.set(messageFor(e), 'error');
    }
  }
  async function forceLogout(u) {
    if (!(await confirmDialog(`Force logout ${u.email}?`, 'Every session of this user ends now, on every server. They can sign in again.', 'Force logout'))) return;
    await act(async () => {
      await call('POST', `/v1/users/${encodeURIComponent(u.id)}/force_logout`);
      status.set(`${u.email} was signed out everywhere.`, 'ok');
    });
  }
  async function remove(u) {
    if (!(await confirmDialog(`Remove ${u.email}?`, 'They lose access at once and their sessions end.', 'Remove member'))) return;
    await act(async () => {
      await call('DELETE', `/v1/users/${encodeURIComponent(u.id)}`);
      status.set(`${u.email} was removed.`, 'ok');
    });
  }
  async function forceLogoutAll() {
    if (!(await confirmDialog('Force logout of everyone?', 'Every session in this organization ends now, yours included: you will have to sign in again.', 'Force logout everyone'))) return;
    try {
      await call('POST', '/v1/org/force_logout');
      await session.resume(); // our own session ended too: back to sign-in
    } catch (e) {
      if (!(e instanceof Cancelled)) status.set(messageFor(e), 'error');
    }
  }

  // Invite form.
  const email = field('Email', { type: 'email', id: 'invite-email', name: 'email', required: true, autocomplete: 'off' });
  const role = el('select', { id: 'invite-role', name: 'role' }, el('option', { value: 'member' }, 'member'), el('option', { value: 'admin' }, 'admin'));
  const send = el('button', { type: 'submit', class: 'primary' }, 'Invite');
  const form = el('form', { id: 'invite-form', class: 'inline-form' }, email.node,
    el('div', { class: 'field' }, el('label', { for: 'invite-role' }, 'Role'), role), send,
    el('p', { class: 'error', role: 'alert', 'data-role': 'form-error' }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFormError(form);
    send.disabled = true;
    try {
      const r = await call('POST', '/v1/users', { email: email.input.value.trim(), role: role.value });
      email.input.value = '';
      showInvitation(r);
      await reload();
    } catch (e) {
      if (!(e instanceof Cancelled)) showFormError(form, e, { email: email.input, role });
    } finally {
      send.disabled = false;
    }
  });

  root.append(
    el('h2', {}, 'Members'), status.node,
    el('h3', {}, 'Invite a member'), form, listBox,
    el('h3', {}, 'Everyone'),
    el('p', {}, el('button', { type: 'button', class: 'danger', id: 'force-logout-all', onclick: forceLogoutAll }, 'Force logout of everyone')));
  await reload();
}

function showInvitation(r) {
  const link = `${location.origin}/#/accept?token=${encodeURIComponent(r.invitation.token)}`;
  const code = el('code', { id: 'invite-link', class: 'secret' }, link);
  const copied = el('span', { class: 'muted', role: 'status' });
  const dlg = openDialog(`Invitation for ${r.user.email}`, el('div', {},
    el('p', {}, 'Send this link to the new member. It works once, until ', timeEl(r.invitation.expires_at), '. It will not be shown again.'),
    el('div', { class: 'secret-row' }, code,
      el('button', { type: 'button', class: 'primary', onclick: async () => { copied.textContent = (await copyText(link)) ? 'Copied.' : 'Select the link and copy it.'; } }, 'Copy')),
    copied,
    el('div', { class: 'actions' }, el('button', { type: 'button', onclick: () => dlg.close() }, 'Done'))),
  { label: 'invitation', onClose: () => { code.textContent = ''; } });
}
