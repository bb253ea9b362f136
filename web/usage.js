// usage.js: Admin → API Keys → Usage. Requests over time by outcome
// (succeeded, denied, rate limited, client errors) for the whole org
// (GET /v1/usage) or one key (GET /v1/api_keys/{id}/usage), for the last
// hour (by minute), day (by hour) or 30 days (by day): a stacked-bar SVG
// chart, the totals, a table of the numbers and a CSV export.
import { call, qs, getMode } from './api.js';
import { el, table, statusLine } from './ui.js';
import { stackedBars, legend, SERIES } from './chart.js';

export const TITLE = 'Usage';

const RANGES = {
  hour: { label: 'Last hour', ms: 3600e3, granularity: 'minute', step: 60e3 },
  day: { label: 'Last 24 hours', ms: 86400e3, granularity: 'hour', step: 3600e3 },
  month: { label: 'Last 30 days', ms: 30 * 86400e3, granularity: 'day', step: 86400e3 },
};

const floorTo = (ms, step) => Math.floor(ms / step) * step;
const iso = (ms) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function bucketLabel(range) {
  return (t) => {
    const d = new Date(t);
    if (range === 'month') return d.toISOString().slice(5, 10);
    return d.toISOString().slice(11, 16);
  };
}

/** Fill missing buckets with zeros so the time axis is even. */
function fill(data, fromMs, toMs, step) {
  const by = new Map(data.map((b) => [floorTo(Date.parse(b.t), step), b]));
  const out = [];
  for (let t = floorTo(fromMs, step); t < toMs; t += step) {
    out.push(by.get(t) || { t: iso(t), requests: 0, succeeded: 0, denied: 0, rate_limited: 0, client_errors: 0 });
  }
  return out;
}

function csv(buckets) {
  const cols = ['t', 'requests', ...SERIES.map((x) => x.key)];
  return [cols.join(','), ...buckets.map((b) => cols.map((c) => (c === 't' ? b.t : Number(b[c] || 0))).join(','))].join('\n') + '\n';
}

export async function render(root, { keyId, query, isCurrent }) {
  const range = RANGES[query.get('range')] ? query.get('range') : 'day';
  let key = null;
  if (keyId) key = await call('GET', `/v1/api_keys/${encodeURIComponent(keyId)}`);
  if (!isCurrent()) return;
  const base = keyId ? `#/keys/${encodeURIComponent(keyId)}/usage` : '#/usage';
  const status = statusLine();
  const heading = key ? el('h2', {}, 'Usage of ', el('span', { class: 'key-name' }, key.name)) : el('h2', {}, 'Usage');
  const tabs = el('div', { class: 'segmented', role: 'group', 'aria-label': 'Time range' },
    Object.entries(RANGES).map(([k, r]) => el('a', { href: `${base}?range=${k}`, class: 'button-link', 'aria-current': k === range ? 'true' : null, 'data-range': k }, r.label)));
  const box = el('div', { id: 'usage-body' });
  root.append(
    el('p', { class: 'crumbs' }, el('a', { href: '#/keys' }, 'API Keys'), ' → ', key ? el('a', { href: '#/usage' }, 'Usage') : 'Usage', key ? [' → ', key.name] : null),
    heading,
    el('p', { class: 'muted' }, key ? `This key's requests (${key.mode} mode).` : `Every request made with this organization's API keys (${getMode()} mode). Counts appear within about 10 seconds.`),
    tabs, status.node, box);

  const r = RANGES[range];
  const to = Date.now();
  const from = floorTo(to - r.ms, r.step);
  const path = key ? `/v1/api_keys/${encodeURIComponent(keyId)}/usage` : '/v1/usage';
  let body;
  try {
    body = await call('GET', path + qs({ from: iso(from), to: iso(to + r.step), granularity: r.granularity }));
  } catch (e) {
    if (e.status === 404 || e.status === 405) {
      box.append(el('p', { class: 'empty' }, 'Usage is not available on this server yet.'));
      return;
    }
    throw e;
  }
  if (!isCurrent()) return;
  const buckets = fill(body.data || [], from, to + 1, r.step);
  const totals = Object.fromEntries(['requests', ...SERIES.map((x) => x.key)].map((k) => [k, buckets.reduce((a, b) => a + (b[k] || 0), 0)]));
  const label = bucketLabel(range);
  const title = `${key ? key.name : 'All keys'}: requests by outcome, ${r.label.toLowerCase()} (UTC)`;

  const download = el('button', {
    type: 'button', id: 'usage-csv',
    onclick: () => {
      const url = URL.createObjectURL(new Blob([csv(buckets)], { type: 'text/csv' }));
      const a = el('a', { href: url, download: `usage-${key ? key.id : 'org'}-${range}.csv` });
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 1000);
    },
  }, 'Export CSV');

  box.append(
    el('dl', { class: 'totals', id: 'usage-totals' },
      el('div', {}, el('dt', {}, 'Requests'), el('dd', { 'data-total': 'requests' }, String(totals.requests))),
      SERIES.map((x) => el('div', {}, el('dt', {}, x.label), el('dd', { 'data-total': x.key }, String(totals[x.key]))))),
    el('figure', { class: 'chart-box' }, stackedBars(buckets, { label, title, desc: `Total ${totals.requests} requests: ${SERIES.map((x) => `${x.label.toLowerCase()} ${totals[x.key]}`).join(', ')}.` }),
      el('figcaption', {}, legend())),
    el('p', { class: 'empty', hidden: totals.requests !== 0 }, 'No requests in this period.'),
    el('p', {}, download),
    el('details', {}, el('summary', {}, 'The numbers'),
      table(title, ['Time (UTC)', 'Requests', ...SERIES.map((x) => x.label)],
        buckets.filter((b) => b.requests || SERIES.some((x) => b[x.key])).map((b) => [`${b.t}`, String(b.requests || 0), ...SERIES.map((x) => String(b[x.key] || 0))]),
        { empty: 'No requests in this period.' })));
  status.set('');
}
