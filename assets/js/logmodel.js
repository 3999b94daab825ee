// A run's output as lines, never held whole: a bounded cache of line texts
// (a window of about WINDOW lines around what is looked at), the total number
// of lines (the highest lineno seen), and the ability to fetch any line range
// back from the server (GET /api/runs/{id}/log?format=json&after=SEQ&limit=N).
//
// Records are numbered by seq (gapless); each output record names the display
// line it belongs to (lineno). A later record with the same lineno replaces the
// line (a partial line completed, a tqdm redraw), so a line's text is that of its
// record with the highest seq. lineno never decreases as seq grows, which lets a
// sparse list of (lineno, seq) anchors turn "lines a..b" into "records after S".
// Only a line's first record keeps that order, though: a partial line completed,
// or a progress bar redrawn, after other lines began is a later record of an
// earlier line, so an anchor can be wrong; one found wrong is dropped.
//
// Also here: ::group::/::endgroup:: folding, "Clear" (hide lines up to N), and
// the row <-> line mapping the virtualised view needs.

import { api } from './api.js';
import { stripAnsi } from './util.js';

/** Lines kept in memory around the viewport (older or farther ones are evicted). */
export const WINDOW = 50_000;
const PAGE_MAX = 5000;

/**
 * @typedef {{ seq: number, t: number, stream: string, text: string,
 *   partial: boolean, wrap: boolean, plain?: string, lvl?: string }} Line
 * @typedef {{ start: number, end: number|null, name: string, expanded: boolean|null }} Group
 */

export class LogModel {
  /** @param {string} runId @param {() => void} onChange */
  constructor(runId, onChange) {
    this.runId = runId;
    this.onChange = onChange;
    /** @type {Map<number, Line>} */
    this.lines = new Map();
    this.total = 0;
    /** Lines 1..clearedAt are hidden by "Clear" (view only). */
    this.clearedAt = 0;
    /** True once the cache may not hold every line 1..total (tail start or eviction). */
    this.incomplete = false;
    // anchors: sorted by lineno; anchorLine[i] is the lineno of record anchorSeq[i].
    this.anchorLine = [0];
    this.anchorSeq = [0];
    this.lastAnchorLine = 0;
    /** @type {Group[]} sorted by start */
    this.groups = [];
    this.groupsVersion = 0;
    /** @type {{hs: number, he: number}[]|null} */
    this._hidden = null;
    this._hiddenKey = '';
    this.fetching = false;
    /** Lines the server had nothing for (kept so we do not ask again). */
    this.version = 0;
    this.fetchErrors = 0;
    /** Sorted linenos of devloop's own lines (the command line, the exit status, notes). */
    this.devloopLines = [];
    /** Settles once devloop's lines before a tail start are known. @type {Promise<void>} */
    this.devloopReady = Promise.resolve();
  }

  // ---- the program's own line numbers --------------------------------------

  /** @param {number} L */
  _devloopBefore(L) {
    const D = this.devloopLines;
    let lo = 0, hi = D.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (D[m] < L) lo = m + 1; else hi = m; }
    return lo;
  }

  /** @param {number} L */
  noteDevloop(L) {
    const D = this.devloopLines;
    const i = this._devloopBefore(L);
    if (D[i] !== L) { D.splice(i, 0, L); this.version++; }
  }

  /** @param {number} L */
  isDevloop(L) { return this.devloopLines[this._devloopBefore(L)] === L; }

  /** The number the program would give line L (devloop's own lines are not counted); 0 for those. @param {number} L */
  progNo(L) { return this.isDevloop(L) ? 0 : L - this._devloopBefore(L); }

  /** The lineno of the program's line n. @param {number} n */
  lineOfProg(n) {
    let L = n;
    for (const d of this.devloopLines) { if (d <= L) L++; else break; }
    return L;
  }

  // ---- input -------------------------------------------------------------

  /** @param {import('./api.js').OutputRecord} r @param {boolean} [anchor] */
  apply(r, anchor = false) {
    const L = r.lineno;
    if (!(L > 0)) return;
    const prev = this.lines.get(L);
    if (prev && prev.seq >= r.seq) return;
    const text = typeof r.text === 'string' ? r.text : String(r.text ?? '');
    this.lines.set(L, {
      seq: r.seq, t: r.t, stream: r.stream || 'stdout', text,
      partial: !!r.partial, wrap: !!r.wrap,
    });
    if (L > this.total) this.total = L;
    if (r.stream === 'devloop') this.noteDevloop(L);
    if (anchor || L >= this.lastAnchorLine + 256) this.addAnchor(L, r.seq);
    // Group markers (GitHub Actions convention).
    if (text.charCodeAt(0) === 58 /* ':' */ || text.charCodeAt(0) === 27) this._groupMarker(L, text);
    this.version++;
  }

  /** @param {number} L @param {string} text */
  _groupMarker(L, text) {
    const plain = stripAnsi(text).trimEnd();
    if (plain.startsWith('::group::')) {
      if (this.groups.some((g) => g.start === L)) return;
      const g = { start: L, end: null, name: plain.slice(9) || 'group', expanded: null };
      const i = this._groupIndex(L);
      this.groups.splice(i, 0, g);
      // An end seen before its start (pages fetched out of order) is picked up here.
      const pendingEnd = this._orphanEnds?.find((e) => e > L && !this.groups.some((o) => o !== g && o.start > L && o.start < e));
      if (pendingEnd) { g.end = pendingEnd; this._orphanEnds = this._orphanEnds.filter((e) => e !== pendingEnd); }
      this.groupsVersion++;
    } else if (plain === '::endgroup::') {
      // Close the nearest group that starts before this line.
      for (let i = this._groupIndex(L) - 1; i >= 0; i--) {
        const g = this.groups[i];
        if (g.end === L) return;
        if (g.end === null || g.end > L) { g.end = L; this.groupsVersion++; return; }
        break;
      }
      (this._orphanEnds ||= []).push(L);
    }
  }

  /** index of the first group with start >= L */
  _groupIndex(L) {
    let lo = 0, hi = this.groups.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (this.groups[m].start < L) lo = m + 1; else hi = m; }
    return lo;
  }

  /** @param {number} L @param {number} seq */
  addAnchor(L, seq) {
    const A = this.anchorLine;
    let lo = 0, hi = A.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (A[m] < L) lo = m + 1; else hi = m; }
    if (A[lo] === L) { if (seq < this.anchorSeq[lo]) this.anchorSeq[lo] = seq; return; }
    A.splice(lo, 0, L);
    this.anchorSeq.splice(lo, 0, seq);
    if (L > this.lastAnchorLine) this.lastAnchorLine = L;
    if (A.length > 20000) { // thin out: keep every other anchor (never the first)
      this.anchorLine = A.filter((_, i) => i === 0 || i % 2 === 0);
      this.anchorSeq = this.anchorSeq.filter((_, i) => i === 0 || i % 2 === 0);
    }
  }

  /** Forget the cache (before a tail start on a huge run). */
  markIncomplete() { this.incomplete = true; }

  // ---- groups, clear and row mapping --------------------------------------

  /** Hidden line ranges (collapsed groups and closed groups' end markers), clipped to the view. */
  hiddenRanges() {
    const key = `${this.groupsVersion}:${this.clearedAt}:${this.total}`;
    if (this._hidden && this._hiddenKey === key) return this._hidden;
    const out = [];
    let lastEnd = 0;
    for (const g of this.groups) {
      if (g.end === null) continue;
      let hs = g.expanded === true ? g.end : g.start + 1;
      let he = Math.min(g.end, this.total);
      hs = Math.max(hs, this.clearedAt + 1, lastEnd + 1);
      if (he < hs) continue;
      out.push({ hs, he });
      lastEnd = he;
    }
    this._hidden = out;
    this._hiddenKey = key;
    return out;
  }

  rowCount() {
    let n = this.total - this.clearedAt;
    for (const r of this.hiddenRanges()) n -= r.he - r.hs + 1;
    return Math.max(0, n);
  }

  /** @param {number} row 0-based display row → lineno */
  rowToLine(row) {
    let line = this.clearedAt + 1 + row;
    for (const r of this.hiddenRanges()) {
      if (r.hs <= line) line += r.he - r.hs + 1; else break;
    }
    return line;
  }

  /** @param {number} first 0-based row @param {number} count → linenos of consecutive rows */
  rowLines(first, count) {
    const out = [];
    const ranges = this.hiddenRanges();
    let line = this.clearedAt + 1 + first;
    let k = 0;
    for (; k < ranges.length; k++) {
      if (ranges[k].hs <= line) line += ranges[k].he - ranges[k].hs + 1; else break;
    }
    while (out.length < count && line <= this.total) {
      out.push(line);
      line++;
      while (k < ranges.length && ranges[k].hs <= line) { line = Math.max(line, ranges[k].he + 1); k++; }
    }
    return out;
  }

  /** @param {number} L lineno → 0-based row it is shown on (its group's header if folded), -1 if cleared */
  lineToRow(L) {
    if (L <= this.clearedAt) return -1;
    let hidden = 0;
    for (const r of this.hiddenRanges()) {
      if (r.he < L) hidden += r.he - r.hs + 1;
      else if (r.hs <= L) { L = r.hs - 1; break; }
      else break;
    }
    return L - this.clearedAt - 1 - hidden;
  }

  /** @param {number} L @returns {Group|undefined} the group whose header is line L */
  groupAt(L) {
    const i = this._groupIndex(L);
    const g = this.groups[i];
    return g && g.start === L ? g : undefined;
  }

  /** Expand every collapsed group that hides line L. @param {number} L */
  reveal(L) {
    let changed = false;
    for (const g of this.groups) {
      if (g.start >= L) break;
      if (g.end !== null && L <= g.end && g.expanded !== true) { g.expanded = true; changed = true; }
    }
    if (changed) this.groupsVersion++;
    return changed;
  }

  /** @param {Group} g */
  toggleGroup(g) {
    g.expanded = !(g.expanded === true || g.end === null);
    this.groupsVersion++;
  }

  clear() {
    this.clearedAt = this.total;
    this.groupsVersion++;
  }

  // ---- cache window and fetching ------------------------------------------

  /** Evict lines far from `center` once the cache is over its budget. @param {number} center */
  evict(center) {
    if (this.lines.size <= WINDOW * 1.2) return;
    const lo = center - WINDOW / 2, hi = center + WINDOW / 2;
    for (const L of this.lines.keys()) if (L < lo || L > hi) this.lines.delete(L);
    this.incomplete = true;
  }

  /**
   * Make sure lines a..b (inclusive) are cached, fetching a page if not.
   * At most one request at a time; the caller asks again on the next render.
   * @param {number} a @param {number} b
   */
  want(a, b) {
    if (this.fetching) return;
    a = Math.max(1, a); b = Math.min(this.total, b);
    let missing = -1;
    for (let L = a; L <= b; L++) if (!this.lines.has(L)) { missing = L; break; }
    if (missing < 0) return;
    let last = missing;
    for (let L = b; L > missing; L--) if (!this.lines.has(L)) { last = L; break; }
    this._fetchLines(missing, last).catch(() => {});
  }

  /** Best guess of a seq after which line L's records begin (never past them). @param {number} L */
  _seqBefore(L) {
    const A = this.anchorLine, S = this.anchorSeq;
    let lo = 0, hi = A.length; // first anchor with lineno >= L
    while (lo < hi) { const m = (lo + hi) >> 1; if (A[m] < L) lo = m + 1; else hi = m; }
    const i = Math.max(0, lo - 1); // last anchor with lineno < L
    const la = A[i], sa = S[i];
    if (lo >= A.length) return { after: sa, exact: L - la <= 1 };
    const lb = A[lo], sb = S[lo];
    if (L - la <= 1) return { after: sa, exact: true };
    // Interpolate between the anchors, a little early to be safe.
    const est = sa + Math.floor((L - la) * (sb - sa) / Math.max(1, lb - la));
    return { after: Math.max(sa, est - 64), exact: false };
  }

  /** The seq of the last anchor whose line is before L: every record of L comes after it. @param {number} L */
  _safeSeqBelow(L) {
    const A = this.anchorLine;
    let lo = 0, hi = A.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (A[m] < L) lo = m + 1; else hi = m; }
    return this.anchorSeq[Math.max(0, lo - 1)];
  }

  /** Forget the anchors of lines before L at or after seq S (never the first, (0, 0)). @param {number} L @param {number} S */
  _dropAnchorsFrom(L, S) {
    const keep = this.anchorLine.map((l, i) => i === 0 || !(l < L && this.anchorSeq[i] >= S));
    this.anchorLine = this.anchorLine.filter((_, i) => keep[i]);
    this.anchorSeq = this.anchorSeq.filter((_, i) => keep[i]);
  }

  /** @param {number} a @param {number} b */
  async _fetchLines(a, b) {
    this.fetching = true;
    try {
      const want = Math.min(b, a + PAGE_MAX - 1);
      let { after } = this._seqBefore(a);
      for (let tries = 0; tries < 12; tries++) {
        const limit = Math.min(PAGE_MAX, Math.max(500, want - a + 200));
        const page = await api.logPage(this.runId, after, limit);
        const recs = page.records || [];
        let first = 0, lastL = 0, firstSeq = 0;
        for (const r of recs) {
          if (r.type !== 'stdout') continue;
          if (!first) { first = r.lineno; firstSeq = r.seq; }
          lastL = r.lineno;
        }
        if (first && first > a && after > 0) {
          // Overshot (more records per line than estimated): note the anchor, aim earlier.
          this.addAnchor(first, firstSeq);
          let safe = this._safeSeqBelow(a);
          if (safe >= after) {
            // An anchor below line a says line a's records come after `after`, and they do not:
            // its record was a later state of its line (a partial line completed, a progress bar
            // redrawn) written after lines below a began. Without dropping it, every try would
            // start here again and line a would never load.
            this._dropAnchorsFrom(a, after);
            safe = this._safeSeqBelow(a);
          }
          const guess = this._seqBefore(a).after;
          after = guess < after && guess >= safe ? guess : Math.floor((safe + after) / 2);
          continue;
        }
        let r0 = null;
        for (const r of recs) {
          if (r.type !== 'stdout') continue;
          this.apply(r, r0 === null); // an OutputRecord: the type test above narrows it
          r0 = r;
        }
        if (r0) this.addAnchor(r0.lineno, r0.seq);
        if (!recs.length || lastL >= want || page.complete && page.next_after >= page.last_seq) {
          // Whatever the server had nothing for, show as empty rather than asking forever.
          const upto = recs.length ? Math.min(lastL, want) : want;
          for (let L = a; L <= upto; L++) if (!this.lines.has(L)) this.lines.set(L, { seq: 0, t: 0, stream: 'stdout', text: '', partial: false, wrap: false });
          break;
        }
        after = page.next_after ?? (recs.length ? recs[recs.length - 1].seq : after);
      }
      this.fetchErrors = 0;
    } catch (e) {
      this.fetchErrors++;
      await new Promise((r) => setTimeout(r, Math.min(5000, 200 * 2 ** this.fetchErrors)));
    } finally {
      this.fetching = false;
      this.version++;
      this.onChange();
    }
  }

  // ---- text ----------------------------------------------------------------

  /** The plain text of a line (colour codes removed). @param {Line} e */
  static plain(e) {
    if (e.plain === undefined) e.plain = stripAnsi(e.text);
    return e.plain;
  }
}
