// webhooks.js: Admin → Webhooks. Endpoints of the current mode
// (GET /v1/webhook_endpoints), creation with an event filter and the
// one-time signing secret (POST, sensitive), secret rotation (POST
// …/rotate_secret, sensitive; the old secret keeps signing for 24 h),
// deletion (DELETE, sensitive), and per endpoint the recent deliveries
// (GET …/deliveries) with their status and a Redeliver button
// (POST /v1/events/{id}/redeliver).
import { call, Cancelled, getMode } from './api.js';
import { el, field, table, timeEl, confirmDialog, statusLine, openDialog } from './ui.js';
import { messageFor, showFormError, clearFormError } from './errors.js';
import { listAll } from './keys.js';
import { showSecret } from './secret.js';

export const TITLE = 'Webhooks';

export const EVENT_TYPES = [
  'api_key.created', 'api_key.rotated', 'api_key.revoked', 'session.force_logout', 'user.invited', 'user.removed',
  'org.updated', 'application.created', 'application.updated', 'application.deleted', 'review.requested',
  'review.updated', 'review.completed', 'review.deleted', 'campaign.created', 'campaign.updated', 'campaign.deleted',
  'lead.created', 'lead.updated', 'lead.deleted', 'contract.created', 'contract.updated', 'contract.deployed',
  'contract.executed',
];

export async function render(root, { isCurrent }) {
  const status = statusLine();
  const listBox = el('div', { id: 'webhooks-list' });
  const add = el('button', { type: 'button', class: 'primary', id: 'add-endpoint' }, 'Add endpoint');
  root.append(el('div', { class: 'page-head' }, el('h2', {}, 'Webhooks'), add),
    el('p', { class: 'muted' }, `Endpoints receive this organization's ${getMode()}-mode events, signed per the Standard Webhooks specification.`),
    status.node, listBox);

  let endpoints;
  try {
    endpoints = await listAll('/v1/webhook_endpoints');
  } catch (e) {
    if (e.status === 404 || e.status === 405) { listBox.append(el('p', { class: 'empty' }, 'Webhooks are not available on this server yet.')); add.disabled = true; return; }
    throw e;
  }
  const reload = async () => {
    endpoints = await listAll('/v1/webhook_endpoints');
    if (isCurrent()) draw();
  };
  const ctx = { status, reload };
  const draw = () => listBox.replaceChildren(endpoints.length
    ? el('div', {}, endpoints.map((w) => endpointCard(w, ctx)))
    : el('p', { class: 'empty' }, 'No webhook endpoints yet. Add one to be told when keys, members or your data change.'));
  add.addEventListener('click', () => openCreate(ctx));
  draw();
}

function endpointCard(w, ctx) {
  const deliveries = el('div', { class: 'deliveries' });
  const showDeliveries = el('button', { type: 'button', 'data-action': 'deliveries', 'aria-expanded': 'false' }, 'Recent deliveries');
  showDeliveries.addEventListener('click', async () => {
    const open = showDeliveries.getAttribute('aria-expanded') === 'true';
    showDeliveries.setAttribute('aria-expanded', String(!open));
    if (open) return deliveries.replaceChildren();
    await loadDeliveries(w, deliveries, ctx);
  });
  return el('article', { class: 'card', 'data-endpoint-id': w.id },
    el('h3', {}, el('code', { class: 'endpoint-url' }, w.url), ' ', el('span', { class: `badge status-${w.status}` }, w.status)),
    w.description ? el('p', {}, w.description) : null,
    el('p', { class: 'muted' }, 'Events: ', (w.events || []).join(', ') || '—', ' · created ', timeEl(w.created_at)),
    el('div', { class: 'actions-cell' }, showDeliveries,
      el('button', { type: 'button', 'data-action': 'rotate-secret', onclick: () => rotate(w, ctx) }, 'Rotate secret'),
      el('button', { type: 'button', class: 'danger', 'data-action': 'delete', onclick: () => remove(w, ctx) }, 'Delete')),
    deliveries);
}

async function loadDeliveries(w, box, ctx) {
  box.replaceChildren(el('p', { class: 'muted' }, 'Loading…'));
  try {
    const page = await call('GET', `/v1/webhook_endpoints/${encodeURIComponent(w.id)}/deliveries?limit=20`);
    box.replaceChildren(table(`Recent deliveries to ${w.url}`, ['When', 'Event', 'Attempt', 'Status', 'Error', 'Latency', 'Next retry', ''],
      page.data.map((d) => {
        const ok = d.status_code >= 200 && d.status_code < 300;
        return [timeEl(d.created_at), el('code', {}, d.event_id), String(d.attempt),
          el('span', { class: `badge ${ok ? 'status-active' : 'status-revoked'}` }, d.status_code === null || d.status_code === undefined ? 'no response' : String(d.status_code)),
          d.error || '—',
          d.latency_ms === null || d.latency_ms === undefined ? '—' : `${d.latency_ms} ms`,
          timeEl(d.next_retry_at),
          el('button', { type: 'button', 'data-action': 'redeliver', onclick: () => redeliver(d, ctx) }, 'Redeliver')];
      }), { empty: 'No deliveries yet.' }));
  } catch (e) {
    box.replaceChildren(el('p', { class: 'error' }, messageFor(e)));
  }
}

async function redeliver(d, ctx) {
  try {
    await call('POST', `/v1/events/${encodeURIComponent(d.event_id)}/redeliver`);
    ctx.status.set(`Event ${d.event_id} queued for delivery again.`, 'ok');
  } catch (e) {
    if (!(e instanceof Cancelled)) ctx.status.set(messageFor(e), 'error');
  }
}

async function rotate(w, ctx) {
  if (!(await confirmDialog('Rotate the signing secret?', 'A new secret signs every delivery from now on; the old one keeps signing too for 24 hours, so you can deploy the new one.', 'Rotate secret', { danger: false }))) return;
  try {
    const r = await call('POST', `/v1/webhook_endpoints/${encodeURIComponent(w.id)}/rotate_secret`);
    await showSecret({ title: 'New signing secret', secret: r.secret, what: 'signing secret' });
  } catch (e) {
    if (!(e instanceof Cancelled)) ctx.status.set(messageFor(e), 'error');
  }
}

async function remove(w, ctx) {
  if (!(await confirmDialog('Delete this endpoint?', 'No event is delivered to it afterwards.', 'Delete endpoint'))) return;
  try {
    await call('DELETE', `/v1/webhook_endpoints/${encodeURIComponent(w.id)}`);
    ctx.status.set('Endpoint deleted.', 'ok');
    await ctx.reload();
  } catch (e) {
    if (!(e instanceof Cancelled)) ctx.status.set(messageFor(e), 'error');
  }
}

function openCreate(ctx) {
  const url = field('Endpoint URL', { id: 'endpoint-url', type: 'url', name: 'url', required: true, placeholder: 'https://example.com/webhooks/gatehouse' },
    'An https:// URL on the public internet.');
  const desc = field('Description (optional)', { id: 'endpoint-description', name: 'description', maxlength: 500 });
  const all = el('input', { type: 'checkbox', id: 'events-all', checked: true });
  const boxes = EVENT_TYPES.map((t) => el('input', { type: 'checkbox', name: 'events', value: t, id: `event-${t}`, disabled: true }));
  all.addEventListener('change', () => { for (const b of boxes) b.disabled = all.checked; });
  const events = el('fieldset', { id: 'endpoint-events', class: 'events' }, el('legend', {}, 'Events to send'),
    el('label', { class: 'check', for: 'events-all' }, all, ' Every event'),
    el('div', { class: 'event-grid' }, boxes.map((b) => el('label', { class: 'check', for: b.id }, b, ` ${b.value}`))));
  const submit = el('button', { type: 'submit', class: 'primary' }, 'Add endpoint');
  const form = el('form', { id: 'endpoint-form', novalidate: true }, url.node, desc.node, events,
    el('p', { class: 'error', role: 'alert', 'data-role': 'form-error' }),
    el('div', { class: 'actions' }, el('button', { type: 'button', onclick: () => dlg.close() }, 'Cancel'), submit));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearFormError(form);
    const body = { url: url.input.value.trim(), events: all.checked ? ['*'] : boxes.filter((b) => b.checked).map((b) => b.value) };
    if (desc.input.value.trim()) body.description = desc.input.value.trim();
    if (!body.events.length) return showFormError(form, { message: 'Choose at least one event, or every event.', param: 'events' }, { events });
    submit.disabled = true;
    try {
      const w = await call('POST', '/v1/webhook_endpoints', body);
      dlg.close();
      await showSecret({ title: 'Endpoint signing secret', secret: w.secret, what: 'signing secret' });
      ctx.status.set('Endpoint added.', 'ok');
      await ctx.reload();
    } catch (e) {
      if (!(e instanceof Cancelled)) showFormError(form, e, { url: url.input, description: desc.input, events });
    } finally {
      submit.disabled = false;
    }
  });
  const dlg = openDialog('Add a webhook endpoint', form, { label: 'endpoint' });
  url.input.focus();
}
