// The virtualised log: a fixed row height, a tall spacer, and only the rows in
// view (plus a margin) in the DOM, reused from frame to frame. Renders at most
// once per animation frame, and only the rows whose line changed.
// Also: follow mode (pauses when the user scrolls up), line links, search
// highlighting, group folding, optional timestamps.

import { AnsiUp } from '../vendor/ansi_up.js';
import { LogModel } from './logmodel.js';
import { LogSearch, highlighter } from './logsearch.js';
import { el, fmtClock, stripAnsi } from './util.js';

const ROW_H = 18;          // px; must match .log-row height (--row-h in style.css)
const MARGIN_ROWS = 30;    // rows rendered above and below the viewport
const MAX_SPACER = 8_000_000; // px; beyond this, scroll position is scaled

const ansi = new AnsiUp();
ansi.use_classes = true;   // named colours get classes, themed in CSS
ansi.escape_html = true;   // never let log text become markup

/** ANSI → HTML for one line, with no colour state carried over from another line. @param {string} text */
function lineHtml(text) {
  if (text.indexOf('\x1b') === -1) return ansi.escape_txt_for_html(text);
  ansi.fg = ansi.bg = null;
  ansi.bold = ansi.faint = ansi.italic = ansi.underline = false;
  ansi._buffer = '';
  const html = ansi.ansi_to_html(text);
  ansi._buffer = '';
  return html;
}

const RE_ERR = /\b(?:ERROR|FAILED|FATAL|CRITICAL|Traceback)\b/;
const RE_WARN = /\bWARN(?:ING)?\b/;
const RE_OK = /\b(?:SUCCESS|PASSED)\b/;
/** @param {import('./logmodel.js').Line} e */
function level(e) {
  if (e.lvl === undefined) {
    const p = stripAnsi(e.text);
    e.lvl = RE_ERR.test(p) ? 'err' : RE_WARN.test(p) ? 'warn' : RE_OK.test(p) ? 'ok' : '';
  }
  return e.lvl;
}

/** Wrap what `re` (global) matches in the text nodes of `root` with <mark>. @param {HTMLElement} root @param {RegExp} re */
function markMatches(root, re) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n);
  for (const node of nodes) {
    const text = node.data;
    re.lastIndex = 0;
    let m = re.exec(text);
    if (!m) continue;
    const frag = document.createDocumentFragment();
    let pos = 0;
    for (; m; m = re.exec(text)) {
      if (m[0] === '') { re.lastIndex++; continue; }
      if (m.index > pos) frag.append(text.slice(pos, m.index));
      frag.append(el('mark', { text: m[0] }));
      pos = m.index + m[0].length;
    }
    if (pos < text.length) frag.append(text.slice(pos));
    node.replaceWith(frag);
  }
}

/** How often a live run's search is counted again while output arrives. */
const SEARCH_REFRESH_MS = 1000;

export class LogView {
  /**
   * @param {LogModel} model
   * @param {{ runId: string, onFollowChange?: (follow: boolean) => void }} opts
   */
  constructor(model, opts) {
    this.model = model;
    this.runId = opts.runId;
    this.onFollowChange = opts.onFollowChange || (() => {});
    this.follow = true;
    this.showTime = localStorage.getItem('devloop.timestamps') === '1';
    /** @type {import('./logsearch.js').SearchParams} */
    this.params = { q: '', regex: false, case: false, level: '' };
    this.onlyMatching = false;
    /** @type {LogSearch|null} the matches of the search box (stepped through with next/previous) */
    this.nav = null;
    /** @type {LogSearch|null} when filtering (a level, or only matching lines): the rows shown */
    this.rows = null;
    /** @type {RegExp|null} */
    this.hl = null;
    this.matchIndex = -1;
    /** The line of the current match. */
    this.curLine = 0;
    this.onSearchChange = () => {};
    this.wrap = localStorage.getItem('devloop.wrap') === '1';
    /** @type {Map<number, import('./logsearch.js').Match>} the filtered rows on screen, by line */
    this.filtered = new Map();
    this._stepping = Promise.resolve();
    this.targetLine = 0;
    this.optsVersion = 0;
    this.active = false;
    this.dirty = true;
    this.frame = 0;
    this.ended = false;
    this.loading = true;
    /** @type {Map<number, HTMLElement>} rows on screen, by the line they show */
    this.byLine = new Map();
    /** @type {HTMLElement[]} hidden rows kept for reuse */
    this.spare = [];

    this.spacer = el('div', { class: 'log-spacer' });
    this.layer = el('div', { class: 'log-rows' });
    this.scroller = el('div', { class: 'log-scroll', attrs: { tabindex: '0', 'aria-label': 'Run output' } }, this.spacer, this.layer);
    this.empty = el('div', { class: 'log-empty', text: 'Waiting for output…' });
    this.jump = el('button', { class: 'jump-latest', text: '↓ Jump to latest', attrs: { type: 'button' }, hidden: true, on: { click: () => this.jumpToLatest() } });
    this.root = el('div', { class: 'log' + (this.showTime ? ' show-time' : '') + (this.wrap ? ' wrap' : '') }, this.scroller, this.empty, this.jump);

    this.scroller.addEventListener('scroll', () => this._onScroll(), { passive: true });
    this.scroller.addEventListener('wheel', (e) => { if (e.deltaY < 0 && this.follow) this._setFollow(false); }, { passive: true });
    this.layer.addEventListener('click', (e) => this._onClick(e));
    new ResizeObserver(() => this.invalidate()).observe(this.scroller);
  }

  /** Ask for a render on the next animation frame (at most one per frame). */
  invalidate() {
    this.dirty = true;
    if (!this.active || this.frame) return;
    this.frame = requestAnimationFrame(() => { this.frame = 0; if (this.dirty) this.render(); });
  }

  /** @param {boolean} on */
  setActive(on) {
    this.active = on;
    if (on) this.invalidate();
  }

  /** @param {boolean} f */
  _setFollow(f) {
    if (this.follow === f) return;
    this.follow = f;
    this.jump.hidden = f;
    this.onFollowChange(f);
  }

  _onScroll() {
    const s = this.scroller;
    const atBottom = s.scrollHeight - s.clientHeight - s.scrollTop <= 4;
    if (atBottom !== this.follow) this._setFollow(atBottom);
    this.invalidate();
  }

  /** @param {MouseEvent} e */
  _onClick(e) {
    const t = /** @type {HTMLElement} */ (e.target);
    const tog = t.closest('.grp-toggle');
    if (tog) {
      const row = /** @type {HTMLElement} */ (tog.closest('.log-row'));
      const g = this.model.groupAt(Number(row.dataset.line));
      if (g) { this.model.toggleGroup(g); this.invalidate(); }
    }
  }

  jumpToLatest() {
    this._setFollow(true);
    this.render();
  }

  toTop() {
    this._setFollow(false);
    this.scroller.scrollTop = 0;
    this.invalidate();
  }

  /** @param {boolean} on */
  setShowTime(on) {
    this.showTime = on;
    localStorage.setItem('devloop.timestamps', on ? '1' : '0');
    this.root.classList.toggle('show-time', on);
    this.optsVersion++;
    this.invalidate();
  }

  /** Long lines wrap (rows then scroll by whole lines) or scroll sideways. @param {boolean} on */
  setWrap(on) {
    this.wrap = on;
    localStorage.setItem('devloop.wrap', on ? '1' : '0');
    this.root.classList.toggle('wrap', on);
    this.invalidate();
  }

  clear() {
    this.model.clear();
    this._setFollow(true);
    this.invalidate();
  }

  /** Geometry of the scroll area. */
  _geom() {
    const rows = this.rows ? this.rows.total : this.model.rowCount();
    const full = rows * ROW_H;
    const H = Math.min(full, MAX_SPACER);
    const vh = this.scroller.clientHeight || 1;
    const ratio = H > vh ? (full - vh) / (H - vh) : 1;
    return { rows, full, H, vh, ratio };
  }

  /**
   * Scroll so that line L is in view (a third from the top), highlighted.
   * When filtering, the first shown line at or after L.
   * @param {number} L @param {{highlight?: boolean}} [o]
   */
  async scrollToLine(L, o = {}) {
    if (o.highlight !== false) { this.targetLine = L; this.optsVersion++; }
    this._setFollow(false);
    let row;
    if (this.rows) {
      const rows = this.rows;
      row = rows.placeOf(L);
      if (row < 0) row = (await rows.refresh(L)) ?? -1;
      if (rows !== this.rows) return;
    } else {
      if (this.model.reveal(L)) this.optsVersion++;
      row = this.model.lineToRow(L);
    }
    if (row < 0) return;
    this._setFollow(false);
    const g = this._geom();
    this.spacer.style.height = g.H + 'px';
    const y = this.wrap ? (row - 3) * ROW_H / g.ratio : (row * ROW_H - g.vh / 3) / g.ratio;
    this.scroller.scrollTop = Math.max(0, y);
    this.render();
  }

  /** Go to the program's line n (as numbered in the gutter). @param {number} n */
  async gotoProgLine(n) {
    const m = this.model;
    await m.devloopReady;
    const L = Math.max(1, Math.min(m.lineOfProg(n), Math.max(1, m.total)));
    return this.scrollToLine(L);
  }

  /**
   * Search the whole log (on the server), and filter what is shown: a level
   * (errors, warnings, stderr) and, with `onlyMatching`, the search.
   * @param {import('./logsearch.js').SearchParams} params @param {boolean} onlyMatching
   */
  setSearch(params, onlyMatching) {
    const p = { ...params };
    const wasFiltered = !!this.rows;
    const center = this.follow ? 0 : this.centerLine();
    this.params = p;
    this.onlyMatching = onlyMatching;
    this.hl = highlighter(p);
    const changed = () => { this.optsVersion++; this.invalidate(); this.onSearchChange(); };
    const navP = p.q ? p : null;
    if (!navP) { this.nav?.close(); this.nav = null; }
    else if (!this.nav || !this.nav.same(navP)) {
      this.nav?.close();
      this.nav = new LogSearch(this.runId, navP, changed);
      this.nav.refresh();
      this.matchIndex = -1;
      this.curLine = 0;
    }
    const rowsP = p.level || (onlyMatching && p.q) ? { ...p, q: onlyMatching ? p.q : '' } : null;
    const oldRows = this.rows;
    if (!rowsP) this.rows = null;
    else if (this.nav && this.nav.same(rowsP)) this.rows = this.nav;
    else if (!this.rows || !this.rows.same(rowsP)) {
      this.rows = new LogSearch(this.runId, rowsP, changed);
      this.rows.refresh();
    }
    if (oldRows && oldRows !== this.rows && oldRows !== this.nav) oldRows.close();
    if (!navP) { this.matchIndex = -1; this.curLine = 0; }
    // Keep the place: the line at the middle stays in view when a filter comes or goes.
    if (!!this.rows !== wasFiltered || oldRows !== this.rows) {
      this.filtered.clear();
      if (!this.follow && center > 0) this.scrollToLine(center, { highlight: false });
    }
    changed();
  }

  /** New output arrived: a live run's searches are counted again (at most once a second). */
  outputArrived() {
    if (!this.nav && !this.rows) return;
    if (this._refreshTimer) return;
    this._refreshTimer = setTimeout(() => {
      this._refreshTimer = 0;
      this.nav?.refresh();
      if (this.rows && this.rows !== this.nav) this.rows.refresh();
    }, SEARCH_REFRESH_MS);
  }

  /** The line at the top of the view. */
  _topLine() {
    const r = this._firstRow();
    if (!this.rows) return this.model.rowToLine(r);
    return this.rows.at(r)?.lineno ?? 0;
  }

  /** Go to the next (+1) or previous (-1) match, anywhere in the log. @param {1|-1} dir */
  step(dir) {
    this._stepping = this._stepping.then(() => this._step(dir)).catch(() => {});
    return this._stepping;
  }

  /** @param {1|-1} dir */
  async _step(dir) {
    const s = this.nav;
    if (!s) return;
    if (!s.ready) await s.refresh();
    if (s !== this.nav || !s.total) return;
    let i;
    if (this.matchIndex < 0) {
      // Start from the view: the first match at/after the top line (or before it, going back).
      const before = (await s.refresh(this._topLine() || 1)) ?? 0;
      if (s !== this.nav || !s.total) return;
      i = dir > 0 ? before : before - 1;
    } else {
      i = this.matchIndex + dir;
    }
    i = ((i % s.total) + s.total) % s.total;
    const m = await s.get(i);
    if (!m || s !== this.nav) return;
    this.matchIndex = i;
    this.curLine = m.lineno;
    this.optsVersion++;
    this.onSearchChange();
    await this.scrollToLine(m.lineno, { highlight: false });
  }

  _firstRow() {
    const g = this._geom();
    return Math.floor(this.scroller.scrollTop * g.ratio / ROW_H);
  }

  /** Lineno at the middle of the viewport (for cache eviction). */
  centerLine() {
    if (this.follow) return this.model.total;
    const g = this._geom();
    const row = Math.floor((this.scroller.scrollTop * g.ratio + g.vh / 2) / ROW_H);
    if (this.rows) return this.rows.at(row)?.lineno ?? this.model.total;
    return this.model.rowToLine(row);
  }

  render() {
    this.dirty = false;
    if (!this.active) return;
    const m = this.model;
    const g = this._geom();
    this.spacer.style.height = g.H + 'px';
    if (this.follow) this.scroller.scrollTop = g.H; // clamps to the bottom
    const st = this.scroller.scrollTop;
    const firstF = st * g.ratio / ROW_H;
    const first = Math.floor(firstF);
    let start, count;
    const fit = Math.ceil(g.vh / ROW_H) + 1;
    if (this.wrap) {
      // Rows are as tall as their text: the layer is the viewport, scrolled by
      // whole rows, its rows from the top, or, at the end, up from the bottom.
      const atEnd = this.follow || first + fit - 1 >= g.rows;
      start = atEnd ? Math.max(0, g.rows - fit) : first;
      count = fit;
      this.layer.style.transform = `translateY(${st}px)`;
      this.layer.style.height = g.vh + 'px';
      this.layer.classList.toggle('bottom', atEnd && g.rows * ROW_H > g.vh);
    } else {
      start = Math.max(0, first - MARGIN_ROWS);
      count = fit + MARGIN_ROWS + (first - start);
      const top = st - (firstF - first) * ROW_H - (first - start) * ROW_H;
      this.layer.style.transform = `translateY(${top}px)`;
      this.layer.style.height = '';
    }
    let lines;
    if (this.rows) {
      const rows = this.rows;
      lines = [];
      this.filtered.clear();
      for (let i = start; i < Math.min(rows.total, start + count); i++) {
        const mt = rows.at(i);
        if (mt) { lines.push(mt.lineno); this.filtered.set(mt.lineno, mt); } else lines.push(-(i + 1));
      }
    } else {
      lines = m.rowLines(start, count);
      // Fetch what is not cached (at most one request in flight).
      if (lines.length) m.want(lines[0], lines[lines.length - 1]);
    }
    // Drop what is far away.
    m.evict(this.centerLine());

    this.empty.hidden = g.rows > 0;
    if (!g.rows) {
      this.empty.textContent = this.rows
        ? (this.rows.error ? `Search failed: ${this.rows.error}` : !this.rows.ready ? 'Searching the whole log…' : 'No lines match.')
        : m.clearedAt ? 'Cleared. New output will appear here.' : this.loading ? 'Loading output…' : this.ended ? 'No output.' : 'Waiting for output…';
    }

    this.root.style.setProperty('--ln-ch', String(Math.max(4, String(m.total).length)));
    this._placeRows(lines);
  }

  /**
   * Show `lines` as the rows of the layer, in order. A row that already shows one
   * of these lines is kept as it is (only moved), so following a live run or
   * scrolling re-renders just the rows that come into view.
   * @param {number[]} lines
   */
  _placeRows(lines) {
    const prev = this.byLine;
    /** @type {Map<number, HTMLElement>} */
    const next = new Map();
    const want = new Set(lines);
    /** @type {HTMLElement[]} */
    const free = [];
    for (const [L, row] of prev) if (!want.has(L)) free.push(row);
    for (const row of this.spare) free.push(row);
    this.spare = [];
    let cursor = this.layer.firstChild;
    for (const L of lines) {
      let row = prev.get(L);
      if (!row) {
        row = free.pop() || el('div', { class: 'log-row' });
        row.hidden = false;
      }
      next.set(L, row);
      if (row === cursor) cursor = cursor.nextSibling;
      else this.layer.insertBefore(row, cursor);
      this._renderRow(row, L);
    }
    // Unused rows: keep a few hidden for reuse, drop the rest (the DOM stays bounded).
    for (const row of free) {
      if (this.spare.length < 40) { row.hidden = true; row._key = ''; this.spare.push(row); }
      else row.remove();
    }
    this.byLine = next;
  }

  /** @param {HTMLElement & {_key?: string}} row @param {number} L a lineno, or -(place+1) of a filtered row not fetched yet */
  _renderRow(row, L) {
    const m = this.model;
    const e = L < 0 ? undefined : this.rows ? (this.filtered.get(L) || m.lines.get(L)) : m.lines.get(L);
    const grp = this.rows || L < 0 ? undefined : m.groupAt(L);
    const cur = this.matchIndex >= 0 ? this.curLine : 0;
    const key = `${L}|${e ? e.seq : -1}|${this.optsVersion}|${grp ? `${grp.end}:${grp.expanded}` : ''}|${cur === L}|${m.devloopLines.length}`;
    if (row._key === key) return;
    row._key = key;
    row.dataset.line = String(L);
    let cls = 'log-row';
    if (!e) cls += ' missing';
    else {
      if (e.stream === 'stderr') cls += ' stderr';
      else if (e.stream === 'devloop') cls += ' sys';
      const lv = level(e);
      if (lv) cls += ' lvl-' + lv;
      if (e.partial) cls += ' partial';
      if (e.wrap) cls += ' wrapped';
    }
    if (grp) cls += ' grp' + (grp.end === null || grp.expanded === true ? ' open' : '');
    if (L === this.targetLine) cls += ' target';
    if (cur === L) cls += ' match-current';
    row.className = cls;

    const sys = L > 0 && (e ? e.stream === 'devloop' : m.isDevloop(L));
    const n = L > 0 && !sys ? m.progNo(L) : 0;
    const ln = el('a', { class: 'ln', text: n ? String(n) : '', attrs: n ? { href: `#run=${encodeURIComponent(this.runId)}&line=${n}`, tabindex: '-1' } : { 'aria-hidden': 'true' } });
    const tx = el('span', { class: 'tx' });
    const parts = [ln];
    if (this.showTime) parts.push(el('span', { class: 'ts', text: e && e.t ? fmtClock(e.t) : '' }));
    if (!e) {
      tx.textContent = '…';
    } else if (grp) {
      const count = grp.end === null ? '' : ` (${grp.end - grp.start - 1} lines)`;
      tx.append(el('span', { class: 'grp-toggle', attrs: { role: 'button', title: 'Fold / unfold' }, text: grp.end === null || grp.expanded === true ? '▾ ' : '▸ ' }),
        el('span', { class: 'grp-name', text: grp.name }), el('span', { class: 'grp-count', text: count }));
    } else {
      tx.innerHTML = lineHtml(e.text); // escaped by ansi_up
      if (this.hl) {
        this.hl.lastIndex = 0;
        if (this.hl.test(LogModel.plain(e))) markMatches(tx, this.hl);
      }
    }
    parts.push(tx);
    row.replaceChildren(...parts);
  }
}
