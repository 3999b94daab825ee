// Whole-log search as the page uses it (GET /api/runs/{id}/log/search): the
// lines of the whole log that match a text or regular expression and a level,
// counted on the server; any of them fetched by its place among the matches,
// in pages, kept in a small cache. Used both to step through matches and as
// the rows of the log when it shows only matching lines.

import { api } from './api.js';

const PAGE = 200;
const MAX_PAGES = 60;

/**
 * @typedef {{ q: string, regex: boolean, case: boolean, level: string }} SearchParams
 * @typedef {import('./logmodel.js').Line & { lineno: number }} Match
 */

export class LogSearch {
  /** @param {string} runId @param {SearchParams} params @param {() => void} onChange */
  constructor(runId, params, onChange) {
    this.runId = runId;
    this.params = params;
    this.onChange = onChange;
    this.total = 0;
    /** The server has answered at least once. */
    this.ready = false;
    /** The run had ended when the server last answered: the count is final. */
    this.complete = false;
    this.error = '';
    /** @type {Map<number, Match[]>} pages of matches by page number */
    this.pages = new Map();
    /** @type {Map<number, Promise<void>>} pages being fetched */
    this.loading = new Map();
    this.closed = false;
    this.gen = 0;
  }

  /** @param {SearchParams} p */
  same(p) {
    const a = this.params;
    return a.q === p.q && a.regex === p.regex && a.case === p.case && a.level === p.level;
  }

  close() { this.closed = true; }

  /** @param {Record<string, any>} extra */
  async _ask(extra) {
    const p = this.params;
    return api.logSearch(this.runId, { q: p.q, regex: p.regex ? 1 : undefined, case: p.case ? 1 : undefined, level: p.level || undefined, ...extra });
  }

  /**
   * Re-count (the log may have grown). Pages past the old end may have changed: dropped.
   * @param {number} [around] also answer how many matches come before this line
   * @returns {Promise<number|null>} that number
   */
  async refresh(around) {
    const gen = ++this.gen;
    try {
      const r = await this._ask({ limit: 0, around });
      if (this.closed) return null;
      if (gen === this.gen) {
        if (r.total !== this.total) {
          const lastFull = Math.floor(Math.min(this.total, r.total) / PAGE);
          for (const k of [...this.pages.keys()]) if (k >= lastFull) this.pages.delete(k);
        }
        this.total = r.total;
        this.complete = !!r.complete;
      }
      this.error = '';
      this.ready = true;
      this.onChange();
      return typeof r.index === 'number' ? r.index : null;
    } catch (e) {
      if (this.closed) return null;
      this.error = e.message || String(e);
      this.ready = true;
      this.onChange();
      return null;
    }
  }

  /** The match at place i (0-based), if fetched; asks for its page if not. @param {number} i */
  at(i) {
    const k = Math.floor(i / PAGE);
    const page = this.pages.get(k);
    if (page) return page[i - k * PAGE];
    this._fetch(k);
    return undefined;
  }

  /** The match at place i, fetched if need be. @param {number} i @returns {Promise<Match|undefined>} */
  async get(i) {
    const m = this.at(i);
    if (m) return m;
    await this._fetch(Math.floor(i / PAGE));
    return this.pages.get(Math.floor(i / PAGE))?.[i % PAGE];
  }

  /** @param {number} k */
  _fetch(k) {
    if (this.closed) return Promise.resolve();
    let p = this.loading.get(k);
    if (!p) {
      p = this._fetchPage(k).finally(() => this.loading.delete(k));
      this.loading.set(k, p);
    }
    return p;
  }

  /** @param {number} k */
  async _fetchPage(k) {
    try {
      const r = await this._ask({ offset: k * PAGE, limit: PAGE });
      if (this.closed) return;
      /** @type {Match[]} */
      const page = [];
      for (const rec of r.records || []) {
        if (rec.type !== 'stdout') continue;
        page.push({ lineno: rec.lineno, seq: rec.seq, t: rec.t, stream: rec.stream || 'stdout', text: String(rec.text ?? ''), partial: !!rec.partial, wrap: !!rec.wrap });
      }
      if (page.length) this.pages.set(k, page);
      this.total = Math.max(this.total, r.total);
      if (this.pages.size > MAX_PAGES) {
        const first = this.pages.keys().next().value;
        if (first !== undefined && first !== k) this.pages.delete(first);
      }
      this.onChange();
    } catch (e) {
      this.error = e.message || String(e);
      this.onChange();
    }
  }

  /** Place among the matches of a fetched match on line L, or -1. @param {number} L */
  placeOf(L) {
    for (const [k, page] of this.pages) {
      if (!page.length || page[0].lineno > L || page[page.length - 1].lineno < L) continue;
      const i = page.findIndex((m) => m.lineno === L);
      if (i >= 0) return k * PAGE + i;
    }
    return -1;
  }
}

/**
 * A JavaScript regular expression for highlighting what the server matched
 * (the server's syntax is Rust's; what JavaScript cannot read is not highlighted).
 * @param {SearchParams} p @returns {RegExp|null}
 */
export function highlighter(p) {
  if (!p.q) return null;
  const src = p.regex ? p.q : p.q.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  try { return new RegExp(src, p.case ? 'g' : 'gi'); } catch { return null; }
}
