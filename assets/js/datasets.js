// A dataset's preview: its field names and rows as a table, paged by the
// server (offset/limit; JSONL is never loaded whole). Also the field names of
// datasets for the config editor's "placeholders" panel.

import { api } from './api.js';
import { el, kids, fmtInt, pretty, shown } from './util.js';

/** "3 rows, 1 not valid JSON". @param {number} rows @param {number} [invalid] */
export function rowsText(rows, invalid) {
  return `${fmtInt(rows)} row${rows === 1 ? '' : 's'}${invalid ? `, ${fmtInt(invalid)} not valid JSON` : ''}`;
}

const PAGE = 50;

/** @type {Map<string, Promise<string[]>>} */
const fieldCache = new Map();

/** The field names of a dataset (first page), cached. @param {string} name */
export function datasetFields(name) {
  if (!fieldCache.has(name)) fieldCache.set(name, api.dataset(name, 0, 20).then((p) => p.fields || [], () => []));
  return /** @type {Promise<string[]>} */ (fieldCache.get(name));
}

/** A row the server could not read: `{"_error": "row 3 is not valid JSON: …"}`. @param {any} row */
const isBad = (row) => row && typeof row === 'object' && Object.keys(row).length === 1 && typeof row._error === 'string';

export class DatasetView {
  /** @param {string} name @param {{ onHash: () => void }} h */
  constructor(name, h) {
    this.name = name;
    this.key = 'dataset:' + name;
    this.kind = 'dataset';
    this.h = h;
    this.offset = 0;
    this.head = el('div', { class: 'rv-head' }, el('div', { class: 'rv-head-row' }, el('div', { class: 'rv-head-title' }, el('h2', { class: 'rv-title', text: shown(name) }), el('span', { class: 'rv-name', text: 'dataset' }))));
    this.info = el('div', { class: 'rv-meta' });
    this.table = el('table', { class: 'samples-table ds-table' });
    this.pager = el('div', { class: 'pager' });
    this.root = el('section', { class: 'dataset-view', hidden: true, dataset: { dataset: name } },
      el('div', { class: 'rv-list' }, this.head, this.info, el('div', { class: 'ds-scroll' }, this.table), this.pager));
  }

  title() { return shown(this.name); }
  tip() { return `dataset · ${shown(this.name)}`; }
  status() { return 'complete'; }
  hash() { return `#dataset=${encodeURIComponent(this.name)}`; }

  async open() { await this.load(); }

  async load() {
    try {
      const p = await api.dataset(this.name, this.offset, PAGE);
      fieldCache.set(this.name, Promise.resolve(p.fields || []));
      kids(this.info, el('span', { class: 'rv-meta-item ds-rows' + (p.invalid ? ' bad' : '') }, el('span', { class: 'mono', text: rowsText(p.total, p.invalid) })),
        el('span', { class: 'rv-meta-item' }, el('span', { class: 'dim', text: 'fields ' }), el('span', { class: 'mono ds-fields', text: (p.fields || []).join(', ') })));
      const fields = p.fields || [];
      kids(this.table, 
        el('thead', {}, el('tr', {}, el('th', { class: 'num', text: '#' }), ...fields.map((f) => el('th', { text: f })))),
        el('tbody', {}, ...p.rows.map((row, i) => isBad(row) ? el('tr', { class: 'ds-bad' },
          el('td', { class: 'num dim', text: String(p.offset + i) }),
          // A row the server could not parse: marked, with its reason, not an empty row.
          el('td', { class: 'ds-cell ds-bad-cell', text: `⚠ ${row._error}`, attrs: { colspan: String(Math.max(1, fields.length)) } })) : el('tr', {},
          el('td', { class: 'num dim', text: String(p.offset + i) }),
          ...fields.map((f) => {
            const v = row && typeof row === 'object' ? row[f] : undefined;
            const t = v === undefined ? '' : typeof v === 'string' ? v : pretty(v);
            return el('td', { class: 'ds-cell', text: t.length > 400 ? t.slice(0, 400) + '…' : t, attrs: { title: t.length > 80 ? t.slice(0, 2000) : '' } });
          })))));
      const to = p.offset + p.rows.length;
      this.pager.hidden = p.total <= PAGE;
      kids(this.pager, 
        el('button', { class: 'btn pager-prev', text: '‹ Prev', attrs: { type: 'button' }, disabled: p.offset <= 0, on: { click: () => { this.offset = Math.max(0, this.offset - PAGE); this.load(); } } }),
        el('span', { class: 'pager-label', text: `${fmtInt(p.total ? p.offset + 1 : 0)}–${fmtInt(to)} of ${fmtInt(p.total)}` }),
        el('button', { class: 'btn pager-next', text: 'Next ›', attrs: { type: 'button' }, disabled: to >= p.total, on: { click: () => { this.offset += PAGE; this.load(); } } }));
    } catch (e) {
      kids(this.info, el('div', { class: 'rv-error', text: `Could not read dataset: ${e.message}` }));
    }
  }

  /** @param {boolean} on */
  setActive(on) { this.root.hidden = !on; }
  dispose() { this.root.remove(); }
  closePanels() { return false; }
  focusSearch() {}
  handleKey() { return false; }
}
