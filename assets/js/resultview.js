// One open result: its summary (metrics, reward histogram, statuses, config,
// dataset, run link, "Compare with…") and its samples as a table that the
// server sorts, filters, searches and pages (never all samples at once).
// Opening a sample shows its conversation in place; j/k step through samples.

import { api } from './api.js';
import { renderConversation } from './conversation.js';
import { resultUsable } from './results.js';
import { el, kids, fmtNum, fmtInt, pretty, resultTime, fmtWhen, shown, sortableHeader, deleteWithConfirm } from './util.js';

const PAGE = 100;
/** @type {[string|null, string][]} */
const COLUMNS = [
  ['index', '#'], ['id', 'id'], ['reward', 'reward'], ['status', 'status'], ['turns', 'turns'], [null, 'error'],
];

export class ResultView {
  /**
   * @param {string} name
   * @param {{ onOpenRun: (id: string) => void, onCompare: (a: string, b: string) => void,
   *   results: () => import('./api.js').ResultEntry[], onHash: () => void, onDeleted?: (name: string) => void }} h
   */
  constructor(name, h) {
    this.name = name;
    this.key = 'result:' + name;
    this.kind = 'result';
    this.h = h;
    /** @type {import('./api.js').ResultDetail|null} */
    this.detail = null;
    this.q = { sort: 'index', q: '', status: '', min_reward: '', max_reward: '', has_error: false, offset: 0 };
    /** @type {string|null} */
    this.sampleId = null;
    this.reqSeq = 0;
    this.sampleSeq = 0;
    this._build();
  }

  title() {
    const s = this.detail?.summary;
    if (!s) return shown(this.name);
    const t = new Date(resultTime(s));
    return `${shown(s.eval_name || this.name)} ${String(t.getHours()).padStart(2, '0')}:${String(t.getMinutes()).padStart(2, '0')}`;
  }
  tip() { return `result · ${shown(this.name)}`; }
  status() { return this.detail?.summary?.status || 'loading'; }
  hash() { return `#result=${encodeURIComponent(this.name)}${this.sampleId ? `&sample=${encodeURIComponent(this.sampleId)}` : ''}`; }

  _build() {
    this.heading = el('h2', { class: 'rv-title' });
    this.nameLabel = el('span', { class: 'rv-name', text: shown(this.name) });
    this.badge = el('span', { class: 'badge' });
    this.runLink = el('button', { class: 'btn rv-run', attrs: { type: 'button' }, hidden: true, on: { click: () => this.detail?.run_id && this.h.onOpenRun(this.detail.run_id) } });
    this.compareSel = el('select', { class: 'rv-compare-select', attrs: { 'aria-label': 'Compare with' } });
    this.compareBtn = el('button', { class: 'btn rv-compare', text: 'Compare', attrs: { type: 'button' }, on: { click: () => { if (this.compareSel.value) this.h.onCompare(this.name, this.compareSel.value); } } });
    this.compareSel.addEventListener('change', () => { this.compareBtn.disabled = !this.compareSel.value; });
    // Delete the result folder, after a confirmation.
    const del = deleteWithConfirm({
      title: 'Delete this result folder',
      question: `Delete the result ${shown(this.name)}? Its folder and every file in it are removed.`,
      confirm: 'Delete result',
      extraClass: 'rv-delete-box',
      onConfirm: () => this._doDelete(),
    });
    this.deleteBtn = del.button;
    this.deleteBtn.classList.add('rv-delete');
    this.deleteBox = del.box;
    this.meta = el('div', { class: 'rv-meta' });
    this.errorBox = el('div', { class: 'rv-error', hidden: true, attrs: { role: 'alert' } });
    this.metrics = el('div', { class: 'rv-metrics' });
    this.hist = el('div', { class: 'hist', attrs: { role: 'img', 'aria-label': 'Reward distribution' } });
    this.statuses = el('div', { class: 'rv-statuses' });
    this.config = el('details', { class: 'rv-config' });
    const head = el('div', { class: 'rv-head' },
      el('div', { class: 'rv-head-row' },
        el('div', { class: 'rv-head-title' }, this.heading, this.nameLabel),
        this.badge, el('div', { class: 'spacer' }), this.runLink,
        el('div', { class: 'rv-compare-box' }, this.compareSel, this.compareBtn), this.deleteBtn),
      this.deleteBox, this.meta, this.errorBox,
      el('div', { class: 'rv-summary' }, this.metrics, el('div', { class: 'rv-dist' }, this.hist, this.statuses)),
      this.config);

    // Sample table tools
    this.search = el('input', { class: 'search-input rv-search', attrs: { type: 'search', placeholder: 'Search samples  ( / )', 'aria-label': 'Search samples', spellcheck: 'false' } });
    let timer = 0;
    this.search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => { this.q.q = this.search.value.trim(); this.q.offset = 0; this.loadPage(); }, 200); });
    this.search.addEventListener('keydown', (e) => { if (e.key === 'Escape' && this.search.value) { e.stopPropagation(); this.search.value = ''; this.q.q = ''; this.q.offset = 0; this.loadPage(); } });
    this.statusSel = el('select', { class: 'rv-status-filter', attrs: { 'aria-label': 'Status' } }, el('option', { value: '', text: 'any status' }));
    this.statusSel.addEventListener('change', () => { this.q.status = this.statusSel.value; this.q.offset = 0; this.loadPage(); });
    const num = (ph, label) => el('input', { class: 'num-input', attrs: { type: 'number', step: 'any', placeholder: ph, 'aria-label': label } });
    this.minR = num('min', 'Minimum reward');
    this.maxR = num('max', 'Maximum reward');
    for (const [inp, k] of [[this.minR, 'min_reward'], [this.maxR, 'max_reward']]) {
      inp.addEventListener('change', () => { this.q[k] = inp.value; this.q.offset = 0; this.loadPage(); });
    }
    this.errOnly = el('input', { class: 'rv-has-error', attrs: { type: 'checkbox' } });
    this.errOnly.addEventListener('change', () => { this.q.has_error = this.errOnly.checked; this.q.offset = 0; this.loadPage(); });
    this.countLabel = el('span', { class: 'rv-count' });
    this.tools = el('div', { class: 'rv-tools' },
      this.search, this.statusSel,
      el('label', { class: 'toggle rv-range' }, 'reward', this.minR, '–', this.maxR),
      el('label', { class: 'toggle' }, this.errOnly, ' has error'),
      el('div', { class: 'spacer' }), this.countLabel);

    this.thead = sortableHeader(COLUMNS, (key) => this._sortBy(key));
    /** Columns of the table, for messages that span it. */
    this.ncols = COLUMNS.length;
    this.tbody = el('tbody');
    this.table = el('table', { class: 'samples-table' }, el('thead', {}, this.thead), this.tbody);
    this.pager = el('div', { class: 'pager' });
    this.listPane = el('div', { class: 'rv-list' }, head, this.tools, this.table, this.pager);

    // The open sample
    this.sampleHead = el('div', { class: 'sv-head' });
    this.sampleBody = el('div', { class: 'sv-body' });
    this.samplePane = el('div', { class: 'rv-sample', hidden: true }, this.sampleHead, this.sampleBody);

    this.root = el('section', { class: 'result-view', hidden: true, dataset: { result: this.name } }, this.listPane, this.samplePane);
    // The table header sticks below the (wrapping) tool bar.
    new ResizeObserver(() => this.root.style.setProperty('--tools-h', this.tools.offsetHeight + 'px')).observe(this.tools);
    this._renderSortMarks();
  }

  async open() {
    await Promise.all([this.loadDetail(), this.loadPage()]);
  }

  /** Re-read after the result changed on disk (e.g. a running one gained samples). */
  async refresh() {
    await Promise.all([this.loadDetail(), this.loadPage(true)]);
  }

  async loadDetail() {
    try {
      const [detail, dist] = await Promise.all([api.result(this.name), api.distribution(this.name).catch(() => null)]);
      this.detail = detail;
      this.dist = dist;
      this.errorBox.hidden = true;
      this._renderHead();
    } catch (e) {
      this.errorBox.hidden = false;
      this.errorBox.textContent = `Could not load result: ${e.message}`;
      this.heading.textContent = shown(this.name);
      this.badge.className = 'badge st-failed';
      this.badge.textContent = 'error';
    }
    this.h.onHash();
  }

  _renderHead() {
    const d = /** @type {import('./api.js').ResultDetail} */ (this.detail);
    const s = d.summary || /** @type {Partial<import('./api.js').ResultEntry>} */ ({});
    this.heading.textContent = shown(s.eval_name || this.name);
    this.badge.className = 'badge rs-' + s.status;
    this.badge.textContent = s.status;
    this.badge.dataset.status = s.status;
    if (d.run_id) {
      this.runLink.hidden = false;
      this.runLink.textContent = `Run ${d.run_id} ↗`;
      this.runLink.title = 'Open the run that produced this result';
      this.runLink.dataset.run = d.run_id;
    } else this.runLink.hidden = true;
    const meta = [];
    const t = resultTime(s);
    if (t) meta.push(['time', s.timestamp ? s.timestamp.replace('T', ' ').replace(/\.\d+$/, '') : fmtWhen(t)]);
    meta.push(['dataset', s.dataset_path ? shown(s.dataset_path) : '—']);
    meta.push(['samples', s.total_samples != null ? fmtInt(s.total_samples) : '—']);
    kids(this.meta, ...meta.map(([k, v]) => el('span', { class: 'rv-meta-item' }, el('span', { class: 'dim', text: k + ' ' }), el('span', { class: 'mono', text: v }))));
    if (s.error) { this.errorBox.hidden = false; this.errorBox.textContent = `${s.status === 'malformed' ? 'Malformed' : 'Problem'}: ${s.error}`; }
    // Metrics: all of them, mean reward first.
    const m = Object.entries(s.summary_metrics || {}).sort(([a], [b]) => (a === 'mean_reward' ? -1 : b === 'mean_reward' ? 1 : 0));
    kids(this.metrics, ...m.map(([k, v]) => el('div', { class: 'metric' + (k === 'mean_reward' ? ' main' : ''), dataset: { metric: k } },
      el('div', { class: 'metric-value', text: fmtNum(v) }), el('div', { class: 'metric-name', text: k }))));
    if (!m.length) this.metrics.append(el('div', { class: 'dim', text: s.status === 'running' ? 'Running: no summary yet.' : 'No summary metrics.' }));
    this._renderDist();
    const cfg = d.report && d.report.config;
    this.config.hidden = !cfg;
    if (cfg) kids(this.config, el('summary', { text: 'Config' }), el('pre', { class: 'json', text: pretty(cfg) }));
    this.fillCompare();
  }

  _renderDist() {
    const dist = this.dist;
    if (!dist || !dist.with_reward) { kids(this.hist, ); this.hist.hidden = true; }
    else {
      this.hist.hidden = false;
      const bins = dist.histogram || [];
      const max = Math.max(1, ...bins);
      const lo = Number(dist.min), hi = Number(dist.max);
      const w = (hi - lo) / (bins.length || 1);
      const bars = bins.map((n, i) => el('div', { class: 'hist-bar', attrs: { title: `${fmtNum(lo + i * w)} – ${fmtNum(lo + (i + 1) * w)}: ${n} sample${n === 1 ? '' : 's'}` } },
        el('div', { class: 'hist-fill', style: `height:${(n / max * 100).toFixed(1)}%` })));
      kids(this.hist, 
        el('div', { class: 'hist-bars' }, ...bars),
        el('div', { class: 'hist-axis' }, el('span', { text: fmtNum(lo) }), el('span', { class: 'dim', text: 'reward' }), el('span', { text: fmtNum(hi) })));
    }
    const st = dist ? Object.entries(dist.statuses || {}) : [];
    kids(this.statuses, ...st.map(([k, n]) => el('span', { class: 'chip st-' + (k === 'completed' ? 'succeeded' : k === 'failed' ? 'failed' : 'queued') }, `${k} ${n}`)),
      dist && dist.with_error ? el('span', { class: 'chip st-failed' }, `with error ${dist.with_error}`) : null);
    const cur = this.statusSel.value;
    kids(this.statusSel, el('option', { value: '', text: 'any status' }), ...st.map(([k]) => el('option', { value: k, text: k })));
    this.statusSel.value = st.some(([k]) => k === cur) ? cur : '';
  }

  /** The "Compare with…" choices: results of the same dataset first. */
  fillCompare() {
    const me = this.detail?.summary;
    // An Inspect log compares with Inspect logs, a result folder with result folders.
    const list = this.h.results().filter((r) => r.name !== this.name && r.status !== 'malformed' && resultUsable(r) && (r.kind === 'inspect') === (me?.kind === 'inspect' || this.name.includes('/')));
    const ds = me?.dataset_path || null;
    const same = list.filter((r) => ds && r.dataset_path === ds);
    const other = list.filter((r) => !(ds && r.dataset_path === ds));
    const prev = this.compareSel.value;
    const opt = (r) => el('option', { value: r.name, text: `${shown(r.eval_name)}${r.eval_name_repeats && r.name !== r.eval_name ? ` (${shown(r.name)})` : ''} · ${fmtWhen(resultTime(r))}${r.summary_metrics?.mean_reward != null ? ' · ' + fmtNum(r.summary_metrics.mean_reward) : ''}`, attrs: { title: shown(r.name) } });
    const groups = [];
    if (same.length) groups.push(el('optgroup', { attrs: { label: 'Same dataset' } }, ...same.map(opt)));
    if (other.length) groups.push(el('optgroup', { attrs: { label: same.length ? 'Other results' : 'Results' } }, ...other.map(opt)));
    kids(this.compareSel, el('option', { value: '', text: list.length ? 'Compare with…' : 'nothing to compare' }), ...groups);
    this.compareSel.value = list.some((r) => r.name === prev) ? prev : '';
    this.compareBtn.disabled = !this.compareSel.value;
  }

  /** @param {string} key */
  _sortBy(key) {
    const cur = this.q.sort;
    this.q.sort = cur === key ? '-' + key : cur === '-' + key ? key : (key === 'reward' || key === 'turns' ? '-' + key : key);
    this.q.offset = 0;
    this._renderSortMarks();
    this.loadPage();
  }

  _renderSortMarks() {
    for (const th of this.thead.querySelectorAll('th[data-sort]')) {
      const k = /** @type {HTMLElement} */ (th).dataset.sort;
      const dir = this.q.sort === k ? 'ascending' : this.q.sort === '-' + k ? 'descending' : 'none';
      th.setAttribute('aria-sort', dir);
    }
  }

  /** @param {boolean} [keep] keep the rows while reloading (no flash) */
  async loadPage(keep) {
    const seq = ++this.reqSeq;
    if (!keep) this.table.classList.add('loading');
    const q = this.q;
    try {
      const page = await api.samples(this.name, {
        offset: q.offset, limit: PAGE, sort: q.sort, q: q.q, status: q.status,
        min_reward: q.min_reward, max_reward: q.max_reward, has_error: q.has_error ? 'true' : '',
      });
      if (seq !== this.reqSeq) return;
      this.page = page;
      this._renderRows(page);
    } catch (e) {
      if (seq !== this.reqSeq) return;
      kids(this.tbody, el('tr', {}, el('td', { class: 'rv-table-msg err', text: `Could not load samples: ${e.message}`, attrs: { colspan: String(this.ncols) } })));
    } finally {
      if (seq === this.reqSeq) this.table.classList.remove('loading');
    }
  }

  /**
   * One sample's cells in the table (a subclass shows its own columns).
   * @param {import('./api.js').SampleRow} s
   */
  _rowCells(s) {
    return [
      el('td', { class: 'num dim', text: String(s.index) }),
      el('td', { class: 'mono sid', text: shown(s.id) }),
      el('td', { class: 'num reward ' + (typeof s.reward === 'number' ? (s.reward > 0 ? 'good' : 'bad') : ''), text: fmtNum(s.reward) }),
      el('td', { class: 'status', text: s.status || '' }),
      el('td', { class: 'num', text: s.turns == null ? '' : String(s.turns) }),
      el('td', { class: 'err', attrs: { title: [s.error || s.malformed, s.warning].filter(Boolean).join('\n') } },
        s.malformed ? `malformed: ${s.malformed}` : s.error || '',
        // Read, but from an earlier line than the last (the last one is broken).
        s.warning ? el('span', { class: 'row-warning', text: '⚠ last line broken', attrs: { title: s.warning } }) : null),
    ];
  }

  /** What an empty table says. @param {{all: number}} page */
  _emptyText(page) { return page.all ? 'No sample matches these filters.' : 'No samples yet.'; }

  /** @param {import('./api.js').SamplePage} page */
  _renderRows(page) {
    const rows = page.samples.map((s) => {
      const tr = el('tr', { class: 'srow' + (s.error || s.malformed ? ' has-error' : '') + (s.id === this.sampleId ? ' current' : ''), attrs: { tabindex: '0' }, dataset: { id: s.id } },
        ...this._rowCells(s));
      tr.addEventListener('click', () => this.openSample(s.id));
      tr.addEventListener('keydown', (e) => { if (e.key === 'Enter') this.openSample(s.id); });
      return tr;
    });
    kids(this.tbody, ...rows);
    if (!rows.length) this.tbody.append(el('tr', {}, el('td', { class: 'rv-table-msg', attrs: { colspan: String(this.ncols) }, text: this._emptyText(page) })));
    const filtered = page.total !== page.all;
    this.countLabel.textContent = filtered ? `${fmtInt(page.total)} of ${fmtInt(page.all)} samples` : `${fmtInt(page.all)} samples`;
    const from = page.total ? page.offset + 1 : 0, to = page.offset + page.samples.length;
    const prev = el('button', { class: 'btn pager-prev', text: '‹ Prev', attrs: { type: 'button' }, disabled: page.offset <= 0, on: { click: () => { this.q.offset = Math.max(0, this.q.offset - PAGE); this.loadPage(); } } });
    const next = el('button', { class: 'btn pager-next', text: 'Next ›', attrs: { type: 'button' }, disabled: to >= page.total, on: { click: () => { this.q.offset += PAGE; this.loadPage(); } } });
    this.pager.hidden = page.total <= PAGE && page.offset === 0;
    kids(this.pager, prev, el('span', { class: 'pager-label', text: `${fmtInt(from)}–${fmtInt(to)} of ${fmtInt(page.total)}` }), next);
  }

  // ---- one sample ---------------------------------------------------------------

  /** @param {string} id */
  async openSample(id) {
    this.sampleId = id;
    const seq = ++this.sampleSeq;
    this.listPane.hidden = true;
    this.samplePane.hidden = false;
    kids(this.sampleHead, this._backButton(), el('span', { class: 'sv-id mono', text: shown(id) }), el('span', { class: 'dim', text: 'loading…' }));
    this.h.onHash();
    try {
      // Prev/next follow the table's filters and order.
      const d = await api.sample(this.name, id, this.q);
      if (seq !== this.sampleSeq || this.sampleId !== id) return;
      this.sampleDetail = d;
      this._renderSample(d);
    } catch (e) {
      if (seq !== this.sampleSeq) return;
      kids(this.sampleBody, el('div', { class: 'rv-error', text: `Could not load sample ${shown(id)}: ${e.message}` }));
    }
  }

  _backButton() {
    return el('button', { class: 'btn sv-back', text: '← Samples', attrs: { type: 'button', title: 'Back to the samples (Esc)' }, on: { click: () => this.closeSample() } });
  }

  /** @param {import('./api.js').SampleDetail} d */
  _renderSample(d) {
    const nav = d.nav || /** @type {Partial<import('./api.js').SampleNav>} */ ({});
    const prev = el('button', { class: 'btn sv-prev', text: '‹ k', attrs: { type: 'button', title: 'Previous sample (k)' }, disabled: !nav.prev, on: { click: () => nav.prev && this.openSample(nav.prev) } });
    const next = el('button', { class: 'btn sv-next', text: 'j ›', attrs: { type: 'button', title: 'Next sample (j)' }, disabled: !nav.next, on: { click: () => nav.next && this.openSample(nav.next) } });
    const r = d.row || /** @type {Partial<import('./api.js').SampleRow>} */ ({});
    kids(this.sampleHead, 
      this._backButton(),
      el('span', { class: 'sv-id mono', text: shown(d.id) }),
      el('span', { class: 'sv-reward ' + (typeof r.reward === 'number' ? (r.reward > 0 ? 'good' : 'bad') : ''), text: `reward ${fmtNum(r.reward)}` }),
      r.status ? el('span', { class: 'sv-status dim', text: r.status }) : null,
      el('div', { class: 'spacer' }),
      nav.count ? el('span', { class: 'sv-pos dim', text: `${(nav.position ?? 0) + 1} / ${fmtInt(nav.count)}` }) : null,
      prev, next);
    kids(this.sampleBody,
      r.warning ? el('div', { class: 'sv-warning', attrs: { role: 'note' }, text: `⚠ ${r.warning}` }) : null,
      renderConversation(d));
    this.samplePane.scrollTop = 0;
  }

  closeSample() {
    if (!this.sampleId) return false;
    this.sampleId = null;
    this.samplePane.hidden = true;
    this.listPane.hidden = false;
    if (this.page) this._renderRows(this.page);
    this.h.onHash();
    /** @type {HTMLElement|null} */ (this.tbody.querySelector('tr.current'))?.focus();
    return true;
  }

  // ---- tab protocol ---------------------------------------------------------------

  /** @param {boolean} on */
  setActive(on) { this.root.hidden = !on; }
  dispose() { this.root.remove(); }
  closePanels() {
    if (!this.deleteBox.hidden) { this.deleteBox.hidden = true; return true; }
    return this.closeSample();
  }

  async _doDelete() {
    try {
      await api.deleteResult(this.name);
      this.h.onDeleted?.(this.name);
    } catch (e) {
      this.errorBox.hidden = false;
      this.errorBox.textContent = `Delete failed: ${e.message}`;
    }
  }
  focusSearch() {
    if (this.sampleId) this.closeSample();
    this.search.focus();
    this.search.select();
  }
  /** @param {KeyboardEvent} e */
  handleKey(e) {
    if (!this.sampleId || !this.sampleDetail) return false;
    const nav = this.sampleDetail.nav || {};
    if (e.key === 'j' && nav.next) { this.openSample(nav.next); return true; }
    if (e.key === 'k' && nav.prev) { this.openSample(nav.prev); return true; }
    return false;
  }
}
