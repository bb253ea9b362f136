// scopes.js: the scope picker of Generate New Key, grouped by platform
// (api.md "Scopes"). Nothing is selected by default: select only the scopes
// your integration requires.
import { el, nextId } from './ui.js';

export const GROUPS = [
  { title: 'Applications and reviews', scopes: ['read:applications', 'write:applications', 'read:reviews', 'write:reviews'] },
  { title: 'Axis campaigns and leads', scopes: ['read:campaigns', 'write:campaigns', 'read:leads', 'write:leads'] },
  { title: 'Contracts', scopes: ['read:contracts', 'write:contracts'] },
  { title: 'Admin', scopes: ['admin'], note: 'Full access: reads keys, users, usage, events and the audit log, and implies every scope above.' },
];

/** {node, selected(): string[], focus()} */
export function scopePicker() {
  const boxes = [];
  const legendId = nextId('scopes');
  const node = el('fieldset', { class: 'scopes', id: 'scopes', 'aria-describedby': `${legendId}-hint` },
    el('legend', { id: legendId }, 'Scopes'),
    el('p', { class: 'hint', id: `${legendId}-hint` }, 'Select only the scopes your integration requires.'),
    GROUPS.map((g) => el('fieldset', { class: 'scope-group' },
      el('legend', {}, g.title),
      g.note ? el('p', { class: 'hint' }, g.note) : null,
      g.scopes.map((s) => {
        const id = `scope-${s.replace(':', '-')}`;
        const box = el('input', { type: 'checkbox', id, name: 'scopes', value: s });
        boxes.push(box);
        return el('label', { for: id, class: 'check' }, box, ` ${s}`);
      }))));
  return {
    node,
    selected: () => boxes.filter((b) => b.checked).map((b) => b.value),
    focus: () => boxes[0].focus(),
  };
}
