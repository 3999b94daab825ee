// The right pane: sub-tabs "Results", "Runs" and "Datasets". The results list
// is grouped by day, then by config (eval_name), newest first, and is rebuilt
// from /api/results whenever the server says `results_changed` (no polling).
// It holds a page of the list, filtered on the server: thousands of results
// cost the page what it shows ("Show more" asks for the next page). A result
// whose eval_name another has too is named by its folder as well.
// Text from the server only reaches the DOM through textContent; names are
// shown with control characters escaped (util.js `shown`). An entry with
// `error` is listed with the reason, never hidden; one the server cannot serve
// is greyed and cannot be opened.

import { el, kids, FINAL, fmtNum, fmtInt, resultTime, dayLabel, fmtBytes, fmtAgo, shown } from './util.js';
import { rowsText } from './datasets.js';

/**
 * Can the server serve this result? A result with `error` (a malformed report,
 * one left incomplete) still has its summary and samples; but a folder whose
 * name is not UTF-8 is listed under a lossy name (U+FFFD for the bad bytes)
 * that no request can reach.
 * @param {import('./api.js').ResultEntry} r
 */
export function resultUsable(r) {
  return !(r.error && r.name.includes('\uFFFD'));
}

/** Results asked for at a time. index.html preloads the first ask (`/api/results?limit=200`) and the server draws it (first_paint.rs FIRST_ASK): keep the three in step. */
export const SHOW_STEP = 200;

/** The sub-tab bar and its three sections. */
export class SidePane {
  /**
   * The server draws the pane into the page (server/first_paint.rs): its
   * elements are taken as they are, and built only where it did not.
   * @param {HTMLElement} host
   */
  constructor(host) {
    this.host = host;
    /** @type {Record<string, {button: HTMLElement, box: HTMLElement, count: HTMLElement}>} */
    this.parts = {};
    const bar = /** @type {HTMLElement} */ (host.querySelector(':scope > .side-tabs')
      || host.appendChild(el('div', { class: 'side-tabs', attrs: { role: 'tablist', 'aria-label': 'Right pane' } })));
    for (const [key, label] of [['results', 'Results'], ['runs', 'Runs'], ['datasets', 'Datasets']]) {
      const button = /** @type {HTMLElement} */ (bar.querySelector(`:scope > .side-tab[data-side="${key}"]`)
        || bar.appendChild(el('button', { class: 'side-tab', attrs: { type: 'button', role: 'tab' }, dataset: { side: key } }, label, el('span', { class: 'count' }))));
      button.addEventListener('click', () => this.show(key));
      const box = /** @type {HTMLElement} */ (host.querySelector(`:scope > .side-box[data-side="${key}"]`)
        || host.appendChild(el('div', { class: 'side-box', dataset: { side: key }, hidden: true })));
      this.parts[key] = { button, box, count: /** @type {HTMLElement} */ (button.querySelector('.count')) };
    }
    const saved = localStorage.getItem('devloop.side');
    this.show(saved && this.parts[saved] ? saved : 'results');
  }

  /** @param {string} key */
  show(key) {
    this.current = key;
    for (const [k, p] of Object.entries(this.parts)) {
      p.box.hidden = k !== key;
      p.button.classList.toggle('active', k === key);
      p.button.setAttribute('aria-selected', String(k === key));
    }
    localStorage.setItem('devloop.side', key);
  }

  /** @param {string} key @param {string} text */
  setCount(key, text) { this.parts[key].count.textContent = text ? ' ' + text : ''; }
}

/** The list of results. */
export class ResultsList {
  /**
   * @param {HTMLElement} host
   * @param {{ onOpen: (name: string) => void, onPress?: (name: string) => void, onOpenRun: (id: string) => void, onCount: (text: string) => void,
   *   runStatus: (id: string) => string|undefined, onQuery: () => void }} h
   */
  constructor(host, h) {
    this.h = h;
    /** @type {import('./api.js').ResultEntry[]} the page of the list held, in the server's order (newest first) */
    this.results = [];
    /** How many results pass the filter on the server. */
    this.total = 0;
    this.activeName = '';
    /** @type {Set<string>} */
    this.open = new Set();
    /** How many to ask for: grows with "Show more", back to one step when the filter changes. */
    this.limit = SHOW_STEP;
    // The server's drawing of the list (server/first_paint.rs), marked `data-drawn`, is
    // taken as it is and stays until the first render: what is typed or clicked there counts.
    const drawn = /** @type {HTMLElement|null} */ (host.querySelector(':scope > .result-list[data-drawn]'));
    if (drawn) {
      this.filter = /** @type {HTMLInputElement} */ (host.querySelector(':scope > .side-tools > .side-filter'));
      this.msg = /** @type {HTMLElement} */ (host.querySelector(':scope > .pane-msg'));
      this.list = drawn;
      this.more = /** @type {HTMLElement} */ (host.querySelector(':scope > .result-more'));
    } else {
      this.filter = el('input', { class: 'side-filter', attrs: { type: 'search', placeholder: 'Filter results', 'aria-label': 'Filter results', spellcheck: 'false' } });
      this.msg = el('div', { class: 'pane-msg', hidden: true });
      this.list = el('div', { class: 'result-list', attrs: { 'aria-label': 'Results' } });
      this.more = el('button', { class: 'btn btn-link result-more', text: 'Show more', hidden: true, attrs: { type: 'button' } });
      host.append(el('div', { class: 'side-tools' }, this.filter), this.msg, this.list, this.more);
    }
    /** @type {ReturnType<typeof setTimeout>|undefined} */
    let typing;
    this.filter.addEventListener('input', () => {
      clearTimeout(typing);
      typing = setTimeout(() => { this.limit = SHOW_STEP; this.h.onQuery(); }, 150);
    });
    this.more.addEventListener('click', () => { this.limit += SHOW_STEP; this.h.onQuery(); });
    // One listener for every item, drawn by the server or here.
    /** The result an event on the list is for: none on an unusable item or on its live run's button (that opens the run). @param {Event} e */
    const resultOf = (e) => {
      const t = /** @type {HTMLElement} */ (e.target);
      return t.closest('.result-live') ? undefined : /** @type {HTMLElement|null} */ (t.closest('.result-item:not(.unusable)'))?.dataset.name;
    };
    this.list.addEventListener('click', (e) => {
      const live = /** @type {HTMLElement|null} */ (/** @type {HTMLElement} */ (e.target).closest('.result-live'));
      if (live?.dataset.run) { this.h.onOpenRun(live.dataset.run); return; }
      const name = resultOf(e);
      if (name) this.h.onOpen(name);
    });
    // A press (the main button) asks for what its click will open.
    this.list.addEventListener('pointerdown', (e) => {
      const name = e.button === 0 ? resultOf(e) : undefined;
      if (name) this.h.onPress?.(name);
    });
    this.list.addEventListener('keydown', (e) => {
      const name = e.key === 'Enter' || e.key === ' ' ? resultOf(e) : undefined;
      if (name) { e.preventDefault(); this.h.onOpen(name); }
    });
    this.loaded = false;
  }

  /** What the list asks the server for. @returns {import('./api.js').ResultListQuery} */
  query() { return { limit: this.limit, q: this.filter.value.trim() }; }

  /** @param {import('./api.js').ResultList} page */
  setResults(page) {
    this.results = page.results || [];
    this.total = page.total ?? this.results.length;
    this.loaded = true;
    this.msg.hidden = true;
    this.h.onCount(String(page.all ?? this.total));
    this.render();
  }

  /** @param {string} message */
  setError(message) { this.msg.hidden = false; this.msg.textContent = message; }

  render() {
    if (!this.loaded) return; // until the list is read, the server's drawing (or nothing) stands
    const q = this.filter.value.trim();
    const visible = this.results;
    /** @type {Map<string, Map<string, import('./api.js').ResultEntry[]>>} day → eval_name → results */
    const days = new Map();
    for (const r of visible) {
      const t = resultTime(r);
      const day = t ? dayLabel(t) : 'Undated'; // a folder the server could not even stat (e.g. its name is not UTF-8)
      if (!days.has(day)) days.set(day, new Map());
      const groups = days.get(day);
      const g = groupName(r);
      if (!groups.has(g)) groups.set(g, []);
      groups.get(g).push(r);
    }
    const out = [];
    for (const [day, groups] of days) {
      out.push(el('div', { class: 'day-head', text: day }));
      for (const [g, items] of groups) {
        out.push(el('div', { class: 'group-head', attrs: { title: shown(g) } }, el('span', { class: 'group-name', text: shown(g) }), el('span', { class: 'group-count', text: items.length > 1 ? `×${items.length}` : '' })));
        for (const r of items) out.push(this._item(r));
      }
    }
    // A result that had the keyboard's focus keeps it in the new drawing.
    const a = /** @type {HTMLElement|null} */ (document.activeElement);
    const focused = a && this.list.contains(a) && a.matches('.result-item') ? a.dataset.name : undefined;
    kids(this.list, ...out);
    this.list.removeAttribute('data-drawn');
    if (focused !== undefined) /** @type {HTMLElement|undefined} */ ([...this.list.querySelectorAll('.result-item')].find((x) => /** @type {HTMLElement} */ (x).dataset.name === focused))?.focus();
    if (!visible.length) this.list.append(el('div', { class: 'pane-msg', text: q ? 'No result matches.' : 'No results yet. A run that writes to results/ shows up here by itself.' }));
    this.more.hidden = visible.length >= this.total;
    this.more.textContent = `Show more (${fmtInt(this.total - visible.length)} not shown)`;
  }

  /** @param {import('./api.js').ResultEntry} r */
  _item(r) {
    // A folder without its report whose run has ended will never finish: say so instead of "running".
    // The server says "incomplete" itself; the run's own status may know sooner.
    const runSt = r.run_id ? this.h.runStatus(r.run_id) : undefined;
    const dead = r.status === 'incomplete' || (r.status === 'running' && !!runSt && FINAL.has(runSt));
    const status = dead ? 'incomplete' : r.status;
    const bad = r.status === 'malformed' || !!r.error;
    const usable = resultUsable(r);
    const cls = 'result-item' + (bad ? ' bad' : '') + (usable ? '' : ' unusable') + (this.open.has(r.name) ? ' open' : '') + (this.activeName === r.name ? ' active' : '');
    const t = resultTime(r);
    const time = new Date(t);
    const hm = t ? `${String(time.getHours()).padStart(2, '0')}:${String(time.getMinutes()).padStart(2, '0')}` : '';
    const m = r.summary_metrics || {};
    // An Inspect log's headline is its first scorer's first metric ("match/accuracy").
    const insp = r.kind === 'inspect';
    const headKey = insp ? Object.keys(m)[0] : 'mean_reward';
    const mean = headKey ? m[headKey] : undefined;
    const statusText = status === 'complete' ? '' : status;
    const line1 = el('span', { class: 'result-line' },
      el('span', { class: 'dot rs-' + status }),
      el('span', { class: 'result-time', text: hm }),
      statusText ? el('span', { class: 'result-status rs-' + status, text: statusText, attrs: { title: dead ? `no report.json, and its run ${r.run_id || ''} is ${runSt || 'gone'}` : '' } }) : null,
      el('span', { class: 'result-n', text: insp ? `${fmtInt(r.done_samples ?? 0)}/${r.total_samples != null ? fmtInt(r.total_samples) : '?'} samples` : r.total_samples != null ? `${fmtInt(r.total_samples)} samples` : '' }),
      mean != null ? el('span', { class: 'result-mean', text: fmtNum(mean), attrs: { title: insp ? headKey : 'mean reward' } }) : null);
    const others = Object.entries(m).filter(([k]) => k !== headKey && !(insp && k.endsWith('/stderr'))).map(([k, v]) => `${k.replace(/_reward$/, '')} ${fmtNum(v)}`);
    if (insp && r.model) others.unshift(String(r.model));
    // Two results of one eval are told apart by their folders.
    const folder = r.eval_name_repeats && r.name !== r.eval_name ? el('span', { class: 'result-folder', text: shown(r.name) }) : null;
    const item = el('div', {
      class: cls,
      attrs: {
        role: 'button', tabindex: usable ? '0' : '-1', 'aria-disabled': usable ? null : 'true',
        title: `${shown(r.name)}${r.dataset_path ? ' · ' + shown(r.dataset_path) : ''}${t ? ' · ' + fmtAgo(t) : ''}${r.error ? ' · ' + r.error : ''}`,
      },
      dataset: { name: r.name, status, kind: r.kind || 'rollouts' },
    }, line1, folder,
    others.length ? el('span', { class: 'result-metrics', text: others.join(' · ') }) : null,
    bad ? el('span', { class: 'result-error', text: r.error || 'malformed result' }) : null);
    if ((r.status === 'running' || r.status === 'incomplete' || r.status === 'started') && r.run_id) {
      line1.append(el('button', { class: 'btn btn-link result-live', text: dead ? 'run ↗' : '● live run', attrs: { type: 'button', title: `Open run ${r.run_id}` }, dataset: { run: r.run_id } }));
    }
    return item;
  }
}

/** The config a result belongs to: its eval_name; a result still without a report is named
 * after its folder, so drop the folder's time stamp ("calc_full_20261125_231716_848593"). @param {import('./api.js').ResultEntry} r */
function groupName(r) {
  const g = r.eval_name || r.name;
  return g === r.name ? g.replace(/_\d{8}_\d{6}(?:_\d+)?$/, '') : g;
}

/** The list of datasets. */
export class DatasetsList {
  /** @param {HTMLElement} host @param {{ onOpen: (name: string) => void, onCount: (text: string) => void }} h */
  constructor(host, h) {
    this.h = h;
    /** @type {import('./api.js').DatasetEntry[]} */
    this.datasets = [];
    this.list = el('div', { class: 'dataset-list', attrs: { 'aria-label': 'Datasets' } });
    host.append(this.list);
  }

  /** @param {import('./api.js').DatasetEntry[]} list */
  setDatasets(list) {
    this.datasets = list;
    this.h.onCount(String(list.length));
    kids(this.list, ...list.map((d) => {
      // A dataset with `error` cannot be read by the server: listed with the reason, not opened.
      const attrs = d.error ? { role: 'button', tabindex: '-1', 'aria-disabled': 'true', title: `${shown(d.name)}: ${d.error}` } : { role: 'button', tabindex: '0', title: shown(d.name) };
      const item = el('div', { class: 'dataset-item' + (d.error ? ' bad unusable' : ''), attrs, dataset: { name: d.name } },
        el('span', { class: 'dataset-name', text: shown(d.name) }),
        el('span', { class: 'dataset-sub', text: [d.rows != null ? rowsText(d.rows, d.invalid_rows) : '', fmtBytes(d.size), fmtAgo(d.mtime_ms)].filter(Boolean).join(' · ') }),
        d.error ? el('span', { class: 'result-error', text: d.error }) : null);
      if (d.error) return item;
      item.addEventListener('click', () => this.h.onOpen(d.name));
      item.addEventListener('keydown', (e) => { if (e.key === 'Enter') this.h.onOpen(d.name); });
      return item;
    }));
    if (!list.length) this.list.append(el('div', { class: 'pane-msg', text: 'No datasets in datasets/.' }));
  }
}
