// chart.js: a small stacked-bar chart drawn as SVG (no library): one bar per
// time bucket, stacked by outcome, with axis labels, a legend and a <title>
// per bar for pointer users. The numbers are also given as a table by the
// caller (usage.js), which is what screen readers use.
const NS = 'http://www.w3.org/2000/svg';

export const SERIES = [
  { key: 'succeeded', label: 'Succeeded' },
  { key: 'denied', label: 'Denied' },
  { key: 'rate_limited', label: 'Rate limited' },
  { key: 'client_errors', label: 'Client errors' },
];

function s(tag, attrs = {}, text) {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A "nice" axis maximum ≥ max (1, 2, 5 × 10^n). */
function niceMax(max) {
  if (max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

/**
 * stackedBars(buckets, {label(t) → axis text, title}) → <svg>.
 * buckets: [{t, succeeded, denied, rate_limited, client_errors, requests}].
 */
export function stackedBars(buckets, { label, title, desc }) {
  const W = 720; const H = 260;
  const m = { top: 26, right: 12, bottom: 30, left: 48 };
  const iw = W - m.left - m.right; const ih = H - m.top - m.bottom;
  const total = (b) => SERIES.reduce((a, x) => a + (b[x.key] || 0), 0);
  const max = niceMax(Math.max(0, ...buckets.map(total)));
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-labelledby': 'chart-title chart-desc' });
  svg.append(s('title', { id: 'chart-title' }, title), s('desc', { id: 'chart-desc' }, desc));
  const g = s('g', { transform: `translate(${m.left},${m.top})` });
  svg.append(g);
  // Y axis: 0, max/2, max with grid lines.
  for (const v of [0, max / 2, max]) {
    const y = ih - (v / max) * ih;
    g.append(s('line', { x1: 0, x2: iw, y1: y, y2: y, class: 'grid' }));
    g.append(s('text', { x: -6, y: y + 4, class: 'axis', 'text-anchor': 'end' }, Number.isInteger(v) ? String(v) : v.toFixed(1)));
  }
  g.append(s('text', { x: -40, y: -14, class: 'axis' }, 'requests'));
  const n = Math.max(1, buckets.length);
  const bw = iw / n;
  const gap = bw > 6 ? Math.min(4, bw * 0.2) : 0;
  const every = Math.ceil(n / 8); // at most ~8 labels on the x axis
  buckets.forEach((b, i) => {
    const x = i * bw;
    let y = ih;
    const bar = s('g', { class: 'bar', 'data-t': b.t, 'data-total': total(b) });
    bar.append(s('title', {}, `${label(b.t)}: ${SERIES.map((x2) => `${x2.label} ${b[x2.key] || 0}`).join(', ')}`));
    for (const ser of SERIES) {
      const v = b[ser.key] || 0;
      if (!v) continue;
      const h = (v / max) * ih;
      y -= h;
      bar.append(s('rect', { x: x + gap / 2, y, width: Math.max(1, bw - gap), height: h, class: `s-${ser.key}` }));
    }
    g.append(bar);
    if (i % every === 0) g.append(s('text', { x: x + bw / 2, y: ih + 16, class: 'axis', 'text-anchor': 'middle' }, label(b.t)));
  });
  g.append(s('line', { x1: 0, x2: iw, y1: ih, y2: ih, class: 'axis-line' }));
  return svg;
}

/** The legend, as an HTML list (colours from CSS classes). */
export function legend() {
  const ul = document.createElement('ul');
  ul.className = 'legend';
  for (const ser of SERIES) {
    const li = document.createElement('li');
    const sw = document.createElement('span');
    sw.className = `swatch s-${ser.key}`;
    sw.setAttribute('aria-hidden', 'true');
    li.append(sw, ` ${ser.label}`);
    ul.append(li);
  }
  return ul;
}
