// Two results side by side (GET /api/compare): their metrics with the change,
// then per-sample rewards next to each other, changed samples first. Clicking
// a pair shows both conversations next to each other; j/k step through pairs.

import { api } from './api.js';
import { renderConversation } from './conversation.js';
import { compareKey } from './tabs.js';
import { el, kids, fmtNum, fmtInt, resultTime, fmtWhen, shown, trackHeight } from './util.js';

const SHOW_STEP = 500;

export class CompareView {
  /**
   * @param {string} a @param {string} b
   * @param {{ onOpenResult: (name: string, sample?: string) => void, onHash: (push?: boolean) => void }} h
   */
  constructor(a, b, h) {
    this.a = a;
    this.b = b;
    this.key = compareKey(a, b);
    this.kind = 'compare';
    this.h = h;
    /** @type {import('./api.js').Comparison|null} */
    this.data = null;
    /** @type {string|null} */
    this.pairId = null;
    this.limit = SHOW_STEP;
    this.pairSeq = 0;
    this.changedOnly = false;
    this._build();
  }

  title() { return this.data ? `${shown(this.data.a.eval_name)} ⇄ ${shown(this.data.b.eval_name)}` : 'compare'; }
  tip() { return `compare · ${shown(this.a)} ⇄ ${shown(this.b)}`; }
  status() { return this.data ? 'complete' : 'loading'; }
  hash() { return `#compare=${encodeURIComponent(this.a)}&with=${encodeURIComponent(this.b)}${this.pairId ? `&sample=${encodeURIComponent(this.pairId)}` : ''}`; }

  _build() {
    this.head = el('div', { class: 'cv-head' });
    this.metrics = el('table', { class: 'cv-metrics' });
    this.note = el('div', { class: 'cv-note', hidden: true });
    this.changedBox = el('input', { class: 'cv-changed-only', attrs: { type: 'checkbox' } });
    this.changedBox.addEventListener('change', () => { this.changedOnly = this.changedBox.checked; this._renderPairs(); });
    this.count = el('span', { class: 'rv-count' });
    this.tbody = el('tbody');
    this.more = el('button', { class: 'btn btn-link', text: 'Show more', hidden: true, attrs: { type: 'button' }, on: { click: () => { this.limit += SHOW_STEP; this._renderPairs(); } } });
    this.thA = el('th', { class: 'num', text: 'A' });
    this.thB = el('th', { class: 'num', text: 'B' });
    const thead = el('thead', {}, el('tr', {}, el('th', { text: 'sample' }), this.thA, this.thB, el('th', { class: 'num', text: 'Δ' }), el('th', { text: '' })));
    const tools = el('div', { class: 'rv-tools' }, el('label', { class: 'toggle' }, this.changedBox, ' changed only'), el('div', { class: 'spacer' }), this.count);
    this.listPane = el('div', { class: 'rv-list cv-list' },
      this.head, this.note, this.metrics,
      tools,
      el('table', { class: 'samples-table cv-table' },
        thead,
        this.tbody),
      this.more);
    this.pairHead = el('div', { class: 'sv-head' });
    this.pairBody = el('div', { class: 'cv-pair' });
    this.pairPane = el('div', { class: 'rv-sample', hidden: true }, this.pairHead, this.pairBody);
    this.root = el('section', { class: 'compare-view', hidden: true, dataset: { a: this.a, b: this.b } }, this.listPane, this.pairPane);
    trackHeight(tools, thead, '--tools-h');
    trackHeight(this.pairHead, this.pairBody, '--sv-head-h');
  }

  async open() {
    try {
      this.data = await api.compare(this.a, this.b);
      this._render();
    } catch (e) {
      kids(this.head, el('div', { class: 'rv-error', text: `Could not compare: ${e.message}` }));
    }
    this.h.onHash();
  }

  refresh() { return this.open(); }

  _render() {
    const d = /** @type {import('./api.js').Comparison} */ (this.data);
    const side = (letter, r) => {
      const link = el('button', { class: 'btn btn-link cv-open', text: shown(r.name), attrs: { type: 'button', title: 'Open this result' }, on: { click: () => this.h.onOpenResult(r.name) } });
      return el('div', { class: 'cv-side cv-' + letter.toLowerCase() },
        el('span', { class: 'cv-letter', text: letter }),
        el('div', { class: 'cv-side-main' },
          el('div', { class: 'cv-eval', text: shown(r.eval_name) }),
          el('div', { class: 'cv-sub' }, link, el('span', { class: 'dim', text: ` · ${fmtWhen(resultTime(r))} · ${r.status}` }))));
    };
    kids(this.head, el('h2', { class: 'rv-title', text: 'Comparison' }), el('div', { class: 'cv-sides' }, side('A', d.a), side('B', d.b)));
    this.thA.textContent = 'A · ' + shown(d.a.eval_name);
    this.thB.textContent = 'B · ' + shown(d.b.eval_name);
    this.note.hidden = d.same_dataset;
    this.note.textContent = `Different datasets (${shown(d.a.dataset_path) || '?'} vs ${shown(d.b.dataset_path) || '?'}): samples are matched by id.`;
    const keys = [...new Set([...Object.keys(d.a.summary_metrics || {}), ...Object.keys(d.b.summary_metrics || {})])];
    kids(this.metrics, 
      el('thead', {}, el('tr', {}, el('th', { text: 'metric' }), el('th', { class: 'num', text: 'A' }), el('th', { class: 'num', text: 'B' }), el('th', { class: 'num', text: 'Δ' }))),
      el('tbody', {}, ...keys.map((k) => {
        const va = d.a.summary_metrics?.[k], vb = d.b.summary_metrics?.[k];
        const delta = typeof va === 'number' && typeof vb === 'number' ? vb - va : null;
        return el('tr', {}, el('td', { text: k }), el('td', { class: 'num', text: fmtNum(va) }), el('td', { class: 'num', text: fmtNum(vb) }),
          el('td', { class: 'num delta ' + (delta ? (delta > 0 ? 'good' : 'bad') : ''), text: delta == null ? '' : (delta > 0 ? '+' : '') + fmtNum(delta) }));
      })));
    this.metrics.hidden = !keys.length;
    this._renderPairs();
  }

  _pairs() {
    const d = this.data;
    if (!d) return [];
    return this.changedOnly ? d.pairs.filter((p) => p.changed) : d.pairs;
  }

  _renderPairs() {
    const d = this.data;
    if (!d) return;
    const pairs = this._pairs();
    this.count.textContent = `${fmtInt(d.changed)} changed of ${fmtInt(d.pairs.length)}`;
    const rows = pairs.slice(0, this.limit).map((p) => {
      const tr = el('tr', { class: 'srow' + (p.changed ? ' changed' : '') + (p.id === this.pairId ? ' current' : ''), attrs: { tabindex: '0' }, dataset: { id: p.id } },
        el('td', { class: 'mono sid', text: shown(p.id) }),
        el('td', { class: 'num reward ' + cls(p.a), text: fmtNum(p.a) }),
        el('td', { class: 'num reward ' + cls(p.b), text: fmtNum(p.b) }),
        el('td', { class: 'num delta ' + (p.delta ? (p.delta > 0 ? 'good' : 'bad') : ''), text: p.delta == null ? (p.changed ? 'only in ' + (p.a == null ? 'B' : 'A') : '') : (p.delta > 0 ? '+' : '') + fmtNum(p.delta) }),
        el('td', { class: 'dim', text: p.changed ? 'changed' : '' }));
      tr.addEventListener('click', () => this.openPair(p.id));
      tr.addEventListener('keydown', (e) => { if (e.key === 'Enter') this.openPair(p.id); });
      return tr;
    });
    kids(this.tbody, ...rows);
    this.more.hidden = pairs.length <= this.limit;
  }

  /** A pair in place of the list; a browser history entry unless `push` is false. @param {string} id @param {boolean} [push] */
  async openPair(id, push = true) {
    this.pairId = id;
    const seq = ++this.pairSeq;
    this.listPane.hidden = true;
    this.pairPane.hidden = false;
    this._renderPairHead();
    kids(this.pairBody, el('div', { class: 'dim pad', text: 'loading…' }));
    this.h.onHash(push);
    const load = (name) => api.sample(name, id).then((x) => ({ ok: true, x }), (e) => ({ ok: false, e }));
    const [ra, rb] = await Promise.all([load(this.a), load(this.b)]);
    if (seq !== this.pairSeq) return;
    const col = (letter, name, r) => el('div', { class: 'cv-col cv-' + letter.toLowerCase(), dataset: { side: letter } },
      el('div', { class: 'cv-col-head' },
        el('span', { class: 'cv-letter', text: letter }),
        el('span', { class: 'cv-eval', text: shown(letter === 'A' ? this.data?.a.eval_name || name : this.data?.b.eval_name || name) }),
        r.ok ? el('span', { class: 'sv-reward ' + cls(r.x.row?.reward), text: `reward ${fmtNum(r.x.row?.reward)}` }) : null,
        el('div', { class: 'spacer' }),
        el('button', { class: 'btn btn-small', text: 'Open ↗', attrs: { type: 'button', title: 'Open this sample in its result' }, on: { click: () => this.h.onOpenResult(name, id) } })),
      r.ok ? renderConversation(r.x, { compact: true }) : el('div', { class: 'dim pad', text: r.e && r.e.status === 404 ? `Not in this result.` : `Could not load: ${r.e?.message}` }));
    kids(this.pairBody, col('A', this.a, ra), col('B', this.b, rb));
    this.pairPane.scrollTop = 0;
  }

  _renderPairHead() {
    const pairs = this._pairs();
    const i = pairs.findIndex((p) => p.id === this.pairId);
    const p = pairs[i];
    const prev = el('button', { class: 'btn sv-prev', text: '‹ k', attrs: { type: 'button', title: 'Previous pair (k)' }, disabled: i <= 0, on: { click: () => this.step(-1) } });
    const next = el('button', { class: 'btn sv-next', text: 'j ›', attrs: { type: 'button', title: 'Next pair (j)' }, disabled: i < 0 || i >= pairs.length - 1, on: { click: () => this.step(1) } });
    kids(this.pairHead, 
      el('button', { class: 'btn sv-back', text: '← Pairs', attrs: { type: 'button', title: 'Back to the list (Esc)' }, on: { click: () => this.closePair() } }),
      el('span', { class: 'sv-id mono', text: shown(this.pairId) }),
      p ? el('span', { class: 'dim', text: `A ${fmtNum(p.a)} → B ${fmtNum(p.b)}${p.changed ? ' · changed' : ''}` }) : null,
      el('div', { class: 'spacer' }),
      i >= 0 ? el('span', { class: 'sv-pos dim', text: `${i + 1} / ${pairs.length}` }) : null,
      prev, next);
  }

  /** @param {number} dir */
  step(dir) {
    const pairs = this._pairs();
    const i = pairs.findIndex((p) => p.id === this.pairId);
    const p = pairs[i + dir];
    if (p) this.openPair(p.id, false);
  }

  /** @param {boolean} [push] */
  closePair(push = true) {
    if (!this.pairId) return false;
    this.pairId = null;
    this.pairPane.hidden = true;
    this.listPane.hidden = false;
    this._renderPairs();
    this.h.onHash(push);
    return true;
  }

  /** @param {boolean} on */
  setActive(on) { this.root.hidden = !on; }
  dispose() { this.root.remove(); }
  closePanels() { return this.closePair(); }
  focusSearch() {}
  /** @param {KeyboardEvent} e */
  handleKey(e) {
    if (!this.pairId) return false;
    if (e.key === 'j') { this.step(1); return true; }
    if (e.key === 'k') { this.step(-1); return true; }
    return false;
  }
}

/** @param {number|null|undefined} v */
function cls(v) { return typeof v === 'number' ? (v > 0 ? 'good' : 'bad') : 'none'; }
