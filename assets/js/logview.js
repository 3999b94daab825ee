// The virtualised log: a fixed row height, a tall spacer, and only the rows in
// view (plus a margin) in the DOM, reused from frame to frame. Renders at most
// once per animation frame, and only the rows whose line changed.
// Also: follow mode (pauses when the user scrolls up), line links, search
// highlighting, group folding, optional timestamps.

import { AnsiUp } from '../vendor/ansi_up.js';
import { LogModel } from './logmodel.js';
import { el, fmtClock, stripAnsi } from './util.js';

const ROW_H = 18;          // px; must match .log-row height in style.css
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

/** Wrap occurrences of `needle` (lower-case) in the text nodes of `root` with <mark>. */
function markMatches(root, needle) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n);
  for (const node of nodes) {
    const text = node.data;
    const low = text.toLowerCase();
    let i = low.indexOf(needle);
    if (i < 0) continue;
    const frag = document.createDocumentFragment();
    let pos = 0;
    while (i >= 0) {
      if (i > pos) frag.append(text.slice(pos, i));
      frag.append(el('mark', { text: text.slice(i, i + needle.length) }));
      pos = i + needle.length;
      i = low.indexOf(needle, pos);
    }
    if (pos < text.length) frag.append(text.slice(pos));
    node.replaceWith(frag);
  }
}

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
    this.query = '';
    /** @type {number[]} */
    this.matches = [];
    this.matchIndex = -1;
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
    this.root = el('div', { class: 'log' + (this.showTime ? ' show-time' : '') }, this.scroller, this.empty, this.jump);

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

  clear() {
    this.model.clear();
    this.setQuery(this.query);
    this._setFollow(true);
    this.invalidate();
  }

  /** Geometry of the scroll area. */
  _geom() {
    const rows = this.model.rowCount();
    const full = rows * ROW_H;
    const H = Math.min(full, MAX_SPACER);
    const vh = this.scroller.clientHeight || 1;
    const ratio = H > vh ? (full - vh) / (H - vh) : 1;
    return { rows, full, H, vh, ratio };
  }

  /**
   * Scroll so that line L is in view (a third from the top), highlighted.
   * @param {number} L @param {{highlight?: boolean}} [o]
   */
  scrollToLine(L, o = {}) {
    if (this.model.reveal(L)) this.optsVersion++;
    if (o.highlight !== false) { this.targetLine = L; this.optsVersion++; }
    this._setFollow(false);
    const row = this.model.lineToRow(L);
    if (row < 0) return;
    const g = this._geom();
    this.spacer.style.height = g.H + 'px';
    const y = (row * ROW_H - g.vh / 3) / g.ratio;
    this.scroller.scrollTop = Math.max(0, y);
    this.render();
  }

  /** @param {string} q */
  setQuery(q) {
    this.query = q;
    this.matches = q ? this.model.search(q) : [];
    if (this.matchIndex >= this.matches.length) this.matchIndex = this.matches.length ? 0 : -1;
    this.optsVersion++;
    this.invalidate();
    return this.matches.length;
  }

  /** Go to the next (+1) or previous (-1) match. @param {1|-1} dir */
  step(dir) {
    if (!this.matches.length) return;
    if (this.matchIndex < 0) {
      // Start from the viewport: first match at/after the top row (or before, going back).
      const top = this.model.rowToLine(this._firstRow());
      let i = this.matches.findIndex((L) => L >= top);
      if (dir < 0) i = (i < 0 ? this.matches.length : i) - 1;
      this.matchIndex = i < 0 ? (dir > 0 ? 0 : this.matches.length - 1) : i;
    } else {
      this.matchIndex = (this.matchIndex + dir + this.matches.length) % this.matches.length;
    }
    this.scrollToLine(this.matches[this.matchIndex], { highlight: false });
    this.optsVersion++;
    this.render();
  }

  _firstRow() {
    const g = this._geom();
    return Math.floor(this.scroller.scrollTop * g.ratio / ROW_H);
  }

  /** Lineno at the middle of the viewport (for cache eviction). */
  centerLine() {
    if (this.follow) return this.model.total;
    const g = this._geom();
    return this.model.rowToLine(Math.floor((this.scroller.scrollTop * g.ratio + g.vh / 2) / ROW_H));
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
    const start = Math.max(0, first - MARGIN_ROWS);
    const count = Math.ceil(g.vh / ROW_H) + 1 + MARGIN_ROWS + (first - start);
    const top = st - (firstF - first) * ROW_H - (first - start) * ROW_H;
    this.layer.style.transform = `translateY(${top}px)`;
    const lines = m.rowLines(start, count);

    // Fetch what is not cached (at most one request in flight), then drop what is far away.
    if (lines.length) m.want(lines[0], lines[lines.length - 1]);
    m.evict(this.centerLine());

    this.empty.hidden = g.rows > 0;
    if (!g.rows) this.empty.textContent = m.clearedAt ? 'Cleared. New output will appear here.' : this.loading ? 'Loading output…' : this.ended ? 'No output.' : 'Waiting for output…';

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

  /** @param {HTMLElement & {_key?: string}} row @param {number} L */
  _renderRow(row, L) {
    const m = this.model;
    const e = m.lines.get(L);
    const grp = m.groupAt(L);
    const cur = this.matchIndex >= 0 ? this.matches[this.matchIndex] : 0;
    const key = `${L}|${e ? e.seq : -1}|${this.optsVersion}|${grp ? `${grp.end}:${grp.expanded}` : ''}|${cur === L}`;
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

    const ln = el('a', { class: 'ln', text: String(L), attrs: { href: `#run=${encodeURIComponent(this.runId)}&line=${L}`, tabindex: '-1' } });
    const tx = el('span', { class: 'tx' });
    const parts = [ln];
    if (this.showTime) parts.push(el('span', { class: 'ts', text: e && e.t ? fmtClock(e.t) : '' }));
    if (!e) {
      tx.textContent = '…';
    } else if (grp) {
      const n = grp.end === null ? '' : ` (${grp.end - grp.start - 1} lines)`;
      tx.append(el('span', { class: 'grp-toggle', attrs: { role: 'button', title: 'Fold / unfold' }, text: grp.end === null || grp.expanded === true ? '▾ ' : '▸ ' }),
        el('span', { class: 'grp-name', text: grp.name }), el('span', { class: 'grp-count', text: n }));
    } else {
      tx.innerHTML = lineHtml(e.text); // escaped by ansi_up
      if (this.query && LogModel.low(e).includes(this.query.toLowerCase())) markMatches(tx, this.query.toLowerCase());
    }
    parts.push(tx);
    row.replaceChildren(...parts);
  }
}
