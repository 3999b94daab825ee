// One open result: its summary (metrics, a histogram of the reward or any
// reward component, statuses, config, dataset, run link, "Compare with…") and
// its samples as a table that the server sorts, filters (a filter expression
// such as `reward > 0.5 and turns < 3`), searches and pages (never all
// samples at once). A histogram bar or a status chip sets the filter; the
// filter, sort and search live in the URL. Arrow keys move between rows;
// opening a sample shows its conversation in place; j/k step through samples.

import { api, ApiError, askAhead } from './api.js';
import { renderConversation } from './conversation.js';
import { resultUsable } from './results.js';
import { el, kids, fmtNum, fmtInt, pretty, resultTime, fmtWhen, shown, sortableHeader, deleteWithConfirm, trackHeight } from './util.js';

const PAGE = 100;
/** A row's least height (px): how many rows a screen holds, for a view's first page. */
const ROW_PX = 24;

/** @typedef {[Record<string, any>, ...(Node|string|null|undefined|false)[]]} Cell a table cell: `el('td', …)`'s arguments */

/** How many characters a cell shows. @param {Cell} c */
function cellLength([props, ...children]) {
  let n = props.text ? String(props.text).length : 0;
  for (const k of children) if (k) n += (typeof k === 'string' ? k : k.textContent || '').length;
  return n;
}

/** A field as a filter names it: a plain word, or `under["any key"]`. @param {string} name @param {string} under */
export function fieldRef(name, under) {
  return /^[A-Za-z_][\w-]*$/.test(name) && !['and', 'or', 'not', 'true', 'false', 'null'].includes(name) ? name : `${under}[${JSON.stringify(name)}]`;
}

/** A reward's parts worth showing beside it: two or more (one part is the reward). @template T @param {T[]} parts */
function shownParts(parts) { return parts.length > 1 ? parts : []; }

/** The filter a histogram bar stands for: its range, the last one closed. @param {string} ref @param {number} lo @param {number} hi @param {boolean} last */
export function binFilter(ref, lo, hi, last) {
  if (lo === hi) return `${ref} == ${lo}`;
  return `${ref} >= ${+lo.toPrecision(12)} and ${ref} ${last ? '<=' : '<'} ${+hi.toPrecision(12)}`;
}

/** A view's table query when it opens. */
const FIRST_QUERY = { sort: 'index', q: '', filter: '', offset: 0 };

/** The samples API's query for the table's query `q`. @param {typeof FIRST_QUERY} q */
const pageQuery = (q) => ({ offset: q.offset, limit: PAGE, sort: q.sort, q: q.q, filter: q.filter });

/**
 * Ask for what a result's view reads first (its detail, distribution and first
 * page), for the view to take when it opens: a press on the result in the list.
 * @param {string} name
 */
export function askFirstAhead(name) {
  askAhead(() => api.askOpening(name, pageQuery(FIRST_QUERY)));
}

export class ResultView {
  /**
   * @param {string} name
   * @param {{ onOpenRun: (id: string) => void, onCompare: (a: string, b: string) => void,
   *   results: () => import('./api.js').ResultEntry[], onHash: (push?: boolean) => void, onDeleted?: (name: string) => void }} h
   */
  constructor(name, h) {
    this.name = name;
    this.key = 'result:' + name;
    this.kind = 'result';
    this.h = h;
    /** @type {import('./api.js').ResultDetail|null} */
    this.detail = null;
    this.q = { ...FIRST_QUERY };
    /** @type {import('./api.js').Distribution|null} the histogram and statuses; `of` is the number charted, kept on refresh */
    this.dist = null;
    /** @type {string[]} reward components, a column each */
    this.components = [];
    /** @type {string|null} */
    this.sampleId = null;
    this.reqSeq = 0;
    this.sampleSeq = 0;
    /** @type {(() => void)|null} adds the rows of the first page held back until it showed */
    this._restOfRows = null;
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
  hash() {
    /** @type {[string, string][]} */
    const p = [['result', this.name], ['filter', this.q.filter], ['sort', this.q.sort === 'index' ? '' : this.q.sort], ['q', this.q.q], ['sample', this.sampleId || '']];
    return '#' + p.filter(([, v]) => v).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
  }

  /**
   * Take the table's state from a URL (Back, a shared link): filter, sort,
   * search and the open sample.
   * @param {URLSearchParams} h
   */
  setState(h) {
    const want = { filter: h.get('filter') || '', sort: h.get('sort') || 'index', q: h.get('q') || '' };
    if (want.filter !== this.q.filter || want.sort !== this.q.sort || want.q !== this.q.q) {
      Object.assign(this.q, want, { offset: 0 });
      this.filterInput.value = want.filter;
      this.search.value = want.q;
      this._renderSortMarks();
      this.loadPage();
    }
    const sample = h.get('sample');
    if (sample && sample !== this.sampleId) this.openSample(sample, false);
    else if (!sample && this.sampleId) this.closeSample(false);
    else this.h.onHash(false);
  }

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
    this.search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(() => { this.q.q = this.search.value.trim(); this.q.offset = 0; this.loadPage(); this.h.onHash(); }, 200); });
    this.search.addEventListener('keydown', (e) => { if (e.key === 'Escape' && this.search.value) { e.stopPropagation(); this.search.value = ''; this.q.q = ''; this.q.offset = 0; this.loadPage(); this.h.onHash(); } });
    // The filter applies on Enter (or leaving the box), not on every key: half an expression is an error.
    this.filterInput = el('input', { class: 'search-input rv-filter', attrs: { type: 'text', placeholder: 'Filter: reward > 0.5 and turns < 3', 'aria-label': 'Filter expression', spellcheck: 'false', autocomplete: 'off' } });
    this.filterInput.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') { e.preventDefault(); this.setFilter(this.filterInput.value); }
      else if (e.key === 'Escape' && this.filterInput.value) { e.stopPropagation(); this.setFilter(''); }
    });
    this.filterInput.addEventListener('change', () => this.setFilter(this.filterInput.value));
    this.filterHelp = el('span', { class: 'rv-filter-help dim', text: '?', attrs: { tabindex: '0', role: 'note' } });
    this.filterError = el('div', { class: 'rv-filter-error', hidden: true, attrs: { role: 'alert' } });
    this.countLabel = el('span', { class: 'rv-count' });
    this.tools = el('div', { class: 'rv-tools' },
      this.search, el('div', { class: 'rv-filter-box' }, this.filterInput, this.filterHelp),
      el('div', { class: 'spacer' }), this.countLabel, this.filterError);
    this._renderFilterHelp();

    this.thead = el('tr');
    /** Columns of the table, for messages that span it. */
    this.ncols = 0;
    this._columns();
    this.tbody = el('tbody');
    // One listener for every row a page draws: a sample's row opens it.
    const rowOf = (/** @type {Event} */ e) => /** @type {HTMLElement|null} */ (/** @type {HTMLElement} */ (e.target).closest('tr.srow'));
    this.tbody.addEventListener('click', (e) => { const tr = rowOf(e); if (tr) this.openSample(/** @type {string} */ (tr.dataset.id)); });
    this.tbody.addEventListener('keydown', (e) => {
      const tr = e.key === 'Enter' ? rowOf(e) : null;
      if (tr) this.openSample(/** @type {string} */ (tr.dataset.id));
      else this._rowKey(e);
    });
    const thead = el('thead', {}, this.thead);
    this.table = el('table', { class: 'samples-table' }, thead, this.tbody);
    this.pager = el('div', { class: 'pager' });
    this.listPane = el('div', { class: 'rv-list' }, head, this.tools, this.table, this.pager);

    // The open sample
    this.sampleHead = el('div', { class: 'sv-head' });
    this.sampleBody = el('div', { class: 'sv-body' });
    this.samplePane = el('div', { class: 'rv-sample', hidden: true }, this.sampleHead, this.sampleBody);

    this.root = el('section', { class: 'result-view', hidden: true, dataset: { result: this.name } }, this.listPane, this.samplePane);
    // The table header sticks below the (wrapping) tool bar.
    trackHeight(this.tools, thead, '--tools-h');
    this._renderSortMarks();
  }

  /** The table's header: the fixed columns with a sortable one per reward component. */
  _columns() {
    /** @type {[string|null, string][]} */
    const cols = [['index', '#'], ['id', 'id'], ['reward', 'reward'],
      ...this.components.map((c) => /** @type {[string|null, string]} */ ([c, c])),
      ['status', 'status'], ['turns', 'turns'], [null, 'error']];
    const row = sortableHeader(cols, (key) => this._sortBy(key));
    for (const c of this.components) row.querySelector(`th[data-sort="${CSS.escape(c)}"]`)?.classList.add('col-component');
    this.thead.replaceWith(row);
    this.thead = row;
    this.ncols = cols.length;
    this._renderSortMarks();
  }

  /** Keys whose first sort is high to low: more is what one looks for. @param {string} key */
  _descFirst(key) { return key === 'reward' || key === 'turns' || this.components.includes(key); }

  /** How a filter names field `name` of this kind of result (components, or Inspect's scorers). @param {string} name */
  _fieldRef(name) { return fieldRef(name, 'components'); }

  /** The fields a filter can name, for the help. */
  _filterFields() {
    return ['reward', ...this.components, 'turns', 'status', 'error', 'id', 'index', 'metadata.…'];
  }

  _renderFilterHelp() {
    this.filterHelp.title = [
      'Filter the samples; Enter applies it, Esc clears it.',
      `Fields: ${this._filterFields().join(', ')}`,
      'Compare with == != < <= > >=, match text with ~ "regex"; join with and / or / not and ( ).',
      'Examples: reward > 0.5 and turns < 3 · metadata.difficulty == "hard" · error ~ "timeout" · not error',
    ].join('\n');
  }

  /** Filter the table by `expr` (empty for none). @param {string} expr */
  setFilter(expr) {
    expr = expr.trim();
    this.filterInput.value = expr;
    if (expr === this.q.filter && this.filterError.hidden) return;
    this.q.filter = expr;
    this.q.offset = 0;
    this.loadPage();
    this._markChips();
    this.h.onHash();
  }

  /** Arrow keys move between rows; at a page's edge, to the next or previous page. @param {KeyboardEvent} e */
  _rowKey(e) {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const tr = /** @type {HTMLElement} */ (e.target).closest('tr.srow');
    if (!tr) return;
    e.preventDefault();
    this._restOfRows?.();
    const down = e.key === 'ArrowDown';
    const next = /** @type {HTMLElement|null} */ (down ? tr.nextElementSibling : tr.previousElementSibling);
    if (next && next.classList.contains('srow')) { next.focus(); return; }
    const p = this.page;
    if (!p) return;
    if (down && p.offset + p.samples.length < p.total) { this.q.offset += PAGE; this.loadPage().then(() => this._focusRow('first')); }
    else if (!down && p.offset > 0) { this.q.offset = Math.max(0, this.q.offset - PAGE); this.loadPage().then(() => this._focusRow('last')); }
  }

  /**
   * Rows to add after the view has shown its first ones. Until then a hidden
   * row holds each column's longest text, so the columns are as wide as with
   * every row in and nothing moves when they come.
   * @param {import('./api.js').SampleRow[]} rest @param {Cell[][]} cells theirs
   */
  _holdRest(rest, cells) {
    const sizer = el('tr', { class: 'sizer', attrs: { 'aria-hidden': 'true' } });
    for (let c = 0; c < cells[0].length; c++) {
      let widest = cells[0][c];
      for (const row of cells) if (cellLength(row[c]) > cellLength(widest)) widest = row[c];
      // A copy of any element in it: the cell's row takes the element itself.
      const [props, ...children] = widest;
      sizer.append(el('td', props, ...children.map((k) => k instanceof Node ? k.cloneNode(true) : k)));
    }
    this.tbody.append(sizer);
    this._restOfRows = () => {
      this._restOfRows = null;
      sizer.replaceWith(...rest.map((s, i) => this._row(s, cells[i])));
    };
    if (!this.root.hidden) this._addRestSoon();
  }

  /** After the next frame is drawn: the rows held back (if still wanted). */
  _addRestSoon() {
    const add = this._restOfRows;
    if (add) requestAnimationFrame(() => setTimeout(() => { if (this._restOfRows === add) add(); }, 0));
  }

  /** @param {'first'|'last'} which */
  _focusRow(which) {
    this._restOfRows?.();
    const rows = this.tbody.querySelectorAll('tr.srow');
    /** @type {HTMLElement|undefined} */ (rows[which === 'first' ? 0 : rows.length - 1])?.focus();
  }

  /** The first read: detail, distribution and first page in one answer. */
  async open() {
    const first = api.opening(this.name, pageQuery(this.q));
    await Promise.all([this.loadDetail(first), this.loadPage(false, first.samples)]);
  }

  /** Re-read after the result changed on disk (e.g. a running one gained samples). */
  async refresh() {
    await Promise.all([this.loadDetail(), this.loadPage(true)]);
  }

  /**
   * The detail and the distribution charted (`of`, kept on refresh), asked
   * for unless given (the view's first read); a chart that fails is none.
   * @param {{result: Promise<import('./api.js').ResultDetail>, distribution: Promise<import('./api.js').Distribution>}} [asked]
   */
  async loadDetail(asked = { result: api.result(this.name), distribution: api.distribution(this.name, this.dist?.of) }) {
    try {
      const [detail, dist] = await Promise.all([asked.result, asked.distribution.catch(() => null)]);
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
    if (!dist || !dist.with_value) { kids(this.hist); this.hist.hidden = true; }
    else {
      this.hist.hidden = false;
      const of = dist.of || 'reward';
      const ref = this._fieldRef(of);
      const bins = dist.histogram || [];
      const lo = Number(dist.min), hi = Number(dist.max);
      const n = (k) => `${k} sample${k === 1 ? '' : 's'}`;
      /** @type {HTMLElement[]} */
      let bars;
      let axis;
      if (lo === hi) {
        // One value: one bar, named by that value, not a range of width zero.
        const total = bins.reduce((a, b) => a + b, 0);
        bars = [this._bar(`${of} = ${fmtNum(lo)}: ${n(total)}`, 100, `${ref} == ${lo}`)];
        axis = el('div', { class: 'hist-axis one' }, el('span', { text: `${of} = ${fmtNum(lo)} for every sample that has one` }));
      } else {
        const max = Math.max(1, ...bins);
        const w = (hi - lo) / (bins.length || 1);
        bars = bins.map((k, i) => {
          const a = lo + i * w, b = i === bins.length - 1 ? hi : lo + (i + 1) * w;
          return this._bar(`${fmtNum(a)} – ${fmtNum(b)}: ${n(k)}`, k / max * 100, k ? binFilter(ref, a, b, i === bins.length - 1) : '');
        });
        axis = el('div', { class: 'hist-axis' }, el('span', { text: fmtNum(lo) }), el('span', { class: 'dim', text: of }), el('span', { text: fmtNum(hi) }));
      }
      // What to chart: the reward, turns, or any reward component.
      const numbers = dist.numbers || ['reward'];
      const pick = el('select', { class: 'hist-of', attrs: { 'aria-label': 'Chart' } }, ...numbers.map((k) => el('option', { value: k, text: k })));
      pick.value = of;
      pick.addEventListener('change', () => this.chart(pick.value));
      kids(this.hist, numbers.length > 1 ? pick : null, el('div', { class: 'hist-bars' }, ...bars), axis);
      this.hist.setAttribute('aria-label', `Distribution of ${of}`);
    }
    const st = dist ? Object.entries(dist.statuses || {}) : [];
    const chip = (label, cls, expr) => el('button', { class: 'chip ' + cls, text: label, attrs: { type: 'button', title: `Show only these (${expr})` }, dataset: { filter: expr }, on: { click: () => this.setFilter(this.q.filter === expr ? '' : expr) } });
    kids(this.statuses, ...st.map(([k, c]) => chip(`${k} ${c}`, 'st-' + (k === 'completed' ? 'succeeded' : k === 'failed' ? 'failed' : 'queued'), k === 'malformed' ? 'malformed' : k === 'unknown' ? 'status == null' : `status == ${JSON.stringify(k)}`)),
      dist && dist.with_error ? chip(`with error ${dist.with_error}`, 'st-failed', 'error') : null);
    this._markChips();
  }

  /** A histogram bar; a click filters the table to its range. @param {string} tip @param {number} pct @param {string} expr */
  _bar(tip, pct, expr) {
    const b = el('button', { class: 'hist-bar', attrs: { type: 'button', title: expr ? `${tip} · click to show only these` : tip, tabindex: expr ? '0' : '-1' }, dataset: { filter: expr } },
      el('div', { class: 'hist-fill', style: `height:${pct.toFixed(1)}%` }));
    if (expr) b.addEventListener('click', () => this.setFilter(this.q.filter === expr ? '' : expr));
    else b.disabled = true;
    return b;
  }

  /** The chip or bar whose filter is the table's shows it. */
  _markChips() {
    for (const c of this.root.querySelectorAll('.rv-statuses .chip, .hist-bar')) {
      const on = !!this.q.filter && /** @type {HTMLElement} */ (c).dataset.filter === this.q.filter;
      c.classList.toggle('on', on);
      c.setAttribute('aria-pressed', String(on));
    }
  }

  /** Chart another number (a component, turns). @param {string} of */
  async chart(of) {
    try { this.dist = await api.distribution(this.name, of); } catch { /* keep the last chart */ }
    this._renderDist();
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
    this.q.sort = cur === key ? '-' + key : cur === '-' + key ? key : (this._descFirst(key) ? '-' + key : key);
    this.q.offset = 0;
    this._renderSortMarks();
    this.loadPage();
    this.h.onHash();
  }

  _renderSortMarks() {
    for (const th of this.thead.querySelectorAll('th[data-sort]')) {
      const k = /** @type {HTMLElement} */ (th).dataset.sort;
      const dir = this.q.sort === k ? 'ascending' : this.q.sort === '-' + k ? 'descending' : 'none';
      th.setAttribute('aria-sort', dir);
    }
  }

  /**
   * @param {boolean} [keep] keep the rows while reloading (no flash)
   * @param {Promise<import('./api.js').SamplePage>} [asked] the page, asked for unless given (the view's first read)
   */
  async loadPage(keep, asked = api.samples(this.name, pageQuery(this.q))) {
    const seq = ++this.reqSeq;
    if (!keep) this.table.classList.add('loading');
    try {
      const page = await asked;
      if (seq !== this.reqSeq) return;
      this.page = page;
      this.filterError.hidden = true;
      this.filterInput.classList.remove('bad');
      this._renderRows(page);
    } catch (e) {
      if (seq !== this.reqSeq) return;
      // A filter the server cannot read: say why beside the box and keep the rows shown.
      if (e instanceof ApiError && e.status === 400 && /^filter: /.test(e.message)) {
        this.filterError.hidden = false;
        this.filterError.textContent = e.message.replace(/^filter: /, '');
        this.filterInput.classList.add('bad');
        return;
      }
      kids(this.tbody, el('tr', {}, el('td', { class: 'rv-table-msg err', text: `Could not load samples: ${e.message}`, attrs: { colspan: String(this.ncols) } })));
    } finally {
      if (seq === this.reqSeq) this.table.classList.remove('loading');
    }
  }

  /**
   * One sample's cells in the table, each as `el('td', …)`'s arguments (a
   * subclass shows its own columns): the rows held back are drawn from these
   * only when they are added, and their columns sized from them before.
   * @param {import('./api.js').SampleRow} s
   * @returns {Cell[]}
   */
  _rowCells(s) {
    return [
      [{ class: 'num dim', text: String(s.index) }],
      [{ class: 'mono sid', text: shown(s.id) }],
      [{ class: 'num reward ' + (typeof s.reward === 'number' ? (s.reward > 0 ? 'good' : 'bad') : ''), text: fmtNum(s.reward) }],
      ...this.components.map((c) => {
        const v = s.components?.[c];
        return /** @type {Cell} */ ([{ class: 'num component', text: v == null ? '' : fmtNum(v), dataset: { component: c } }]);
      }),
      [{ class: 'status', text: s.status || '' }],
      [{ class: 'num', text: s.turns == null ? '' : String(s.turns) }],
      [{ class: 'err', attrs: { title: [s.error || s.malformed, s.warning].filter(Boolean).join('\n') } },
        s.malformed ? `malformed: ${s.malformed}` : s.error || '',
        // Read, but from an earlier line than the last (the last one is broken).
        s.warning ? el('span', { class: 'row-warning', text: '⚠ last line broken', attrs: { title: s.warning } }) : null],
    ];
  }

  /** A sample's row. @param {import('./api.js').SampleRow} s @param {Cell[]} cells */
  _row(s, cells) {
    return el('tr', { class: 'srow' + (s.error || s.malformed ? ' has-error' : '') + (s.id === this.sampleId ? ' current' : ''), attrs: { tabindex: '0' }, dataset: { id: s.id } },
      ...cells.map((c) => el('td', ...c)));
  }

  /** What an empty table says. @param {{all: number}} page */
  _emptyText(page) { return page.all ? 'No sample matches these filters.' : 'No samples yet.'; }

  /** @param {import('./api.js').SamplePage} page */
  _renderRows(page) {
    // A column per reward component, set when the table's components change.
    // A reward of one part is that part: its column would repeat the reward.
    const comps = shownParts(page.components || []);
    if (comps.join('\n') !== this.components.join('\n')) {
      this.components = comps;
      this._columns();
      this._renderFilterHelp();
    }
    const cells = page.samples.map((s) => this._rowCells(s));
    this._restOfRows = null;
    // Into an empty table (a view's first page): the rows a screen holds,
    // the rest once that is painted. A table's layout grows faster than its
    // rows (here 100 rows took ~3× what 40 did), and a new view shows when
    // its rows are in. Rows replacing rows in view are drawn at once, so the
    // scroll position holds.
    const n = page.samples.length;
    const first = this.tbody.firstChild ? n : Math.min(n, Math.ceil(window.innerHeight / ROW_PX));
    kids(this.tbody, ...page.samples.slice(0, first).map((s, i) => this._row(s, cells[i])));
    if (n > first) this._holdRest(page.samples.slice(first), cells.slice(first));
    if (!n) this.tbody.append(el('tr', {}, el('td', { class: 'rv-table-msg', attrs: { colspan: String(this.ncols) }, text: this._emptyText(page) })));
    // With a filter or search on, the count says so even when every sample matches.
    const filtered = page.total !== page.all || !!this.q.filter || !!this.q.q;
    this.countLabel.textContent = filtered ? `${fmtInt(page.total)} of ${fmtInt(page.all)} samples` : `${fmtInt(page.all)} sample${page.all === 1 ? '' : 's'}`;
    const from = page.total ? page.offset + 1 : 0, to = page.offset + page.samples.length;
    const prev = el('button', { class: 'btn pager-prev', text: '‹ Prev', attrs: { type: 'button' }, disabled: page.offset <= 0, on: { click: () => { this.q.offset = Math.max(0, this.q.offset - PAGE); this.loadPage(); } } });
    const next = el('button', { class: 'btn pager-next', text: 'Next ›', attrs: { type: 'button' }, disabled: to >= page.total, on: { click: () => { this.q.offset += PAGE; this.loadPage(); } } });
    this.pager.hidden = page.total <= PAGE && page.offset === 0;
    kids(this.pager, prev, el('span', { class: 'pager-label', text: `${fmtInt(from)}–${fmtInt(to)} of ${fmtInt(page.total)}` }), next);
  }

  // ---- one sample ---------------------------------------------------------------

  /**
   * Show sample `id` in place of the table. Opening one from the table adds
   * a browser history entry; stepping with j/k replaces it, so Back returns
   * to the table.
   * @param {string} id @param {boolean} [push]
   */
  async openSample(id, push = true) {
    this.sampleId = id;
    const seq = ++this.sampleSeq;
    // Asked first: the page's own work below (the pane, the URL) overlaps the request.
    // Prev/next follow the table's filters and order.
    const asked = api.sample(this.name, id, this.q);
    asked.catch(() => {});
    this.listPane.hidden = true;
    this.samplePane.hidden = false;
    kids(this.sampleHead, this._backButton(), el('span', { class: 'sv-id mono', text: shown(id) }), el('span', { class: 'dim', text: 'loading…' }));
    this.h.onHash(push);
    try {
      const d = await asked;
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
    const prev = el('button', { class: 'btn sv-prev', text: '‹ k', attrs: { type: 'button', title: 'Previous sample (k)' }, disabled: !nav.prev, on: { click: () => nav.prev && this.openSample(nav.prev, false) } });
    const next = el('button', { class: 'btn sv-next', text: 'j ›', attrs: { type: 'button', title: 'Next sample (j)' }, disabled: !nav.next, on: { click: () => nav.next && this.openSample(nav.next, false) } });
    const r = d.row || /** @type {Partial<import('./api.js').SampleRow>} */ ({});
    kids(this.sampleHead, 
      this._backButton(),
      el('span', { class: 'sv-id mono', text: shown(d.id) }),
      el('span', { class: 'sv-reward ' + (typeof r.reward === 'number' ? (r.reward > 0 ? 'good' : 'bad') : ''), text: `reward ${fmtNum(r.reward)}` }),
      // Every part of the reward, so a total is never read without what made it.
      ...shownParts(Object.entries(r.components || {})).map(([k, v]) => el('span', { class: 'sv-component mono', dataset: { component: k }, text: `${k} ${fmtNum(v)}` })),
      r.status ? el('span', { class: 'sv-status dim', text: r.status }) : null,
      el('div', { class: 'spacer' }),
      nav.count ? el('span', { class: 'sv-pos dim', text: `${(nav.position ?? 0) + 1} / ${fmtInt(nav.count)}` }) : null,
      prev, next);
    kids(this.sampleBody,
      r.warning ? el('div', { class: 'sv-warning', attrs: { role: 'note' }, text: `⚠ ${r.warning}` }) : null,
      renderConversation(d));
    this.samplePane.scrollTop = 0;
  }

  /** Back to the table; a history entry unless the URL asked for it. @param {boolean} [push] */
  closeSample(push = true) {
    if (!this.sampleId) return false;
    this.sampleId = null;
    this.samplePane.hidden = true;
    this.listPane.hidden = false;
    if (this.page) this._renderRows(this.page);
    this._restOfRows?.();
    this.h.onHash(push);
    /** @type {HTMLElement|null} */ (this.tbody.querySelector('tr.current'))?.focus();
    return true;
  }

  // ---- tab protocol ---------------------------------------------------------------

  /** @param {boolean} on */
  setActive(on) {
    this.root.hidden = !on;
    if (on) this._addRestSoon();
  }
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
    if (e.key === 'j' && nav.next) { this.openSample(nav.next, false); return true; }
    if (e.key === 'k' && nav.prev) { this.openSample(nav.prev, false); return true; }
    return false;
  }
}
