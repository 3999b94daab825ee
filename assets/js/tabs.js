// The tab bar above the main pane: one tab per open view (a run with its live
// status and a ✓/✗ mark when it finished while not looked at; a result,
// comparison, config or dataset with its kind's glyph and an unsaved mark).

import { el } from './util.js';

/** A run tab's key among the views of main.js. @param {string} id */
export const runKey = (id) => 'run:' + id;

/** The tab key of the comparison of A with B (JSON: names may hold any character). @param {string} a @param {string} b */
export function compareKey(a, b) { return 'compare:' + JSON.stringify([a, b]); }

const KIND_GLYPH = { result: '▤', compare: '⇄', config: '✎', dataset: '▦' };

export class TabBar {
  /**
   * @param {HTMLElement} host
   * @param {{ onSelect: (id: string) => void, onClose: (id: string) => void }} h
   */
  constructor(host, h) {
    this.host = host;
    this.h = h;
    /** @type {Map<string, {tab: HTMLElement, dot: HTMLElement, label: HTMLElement, mark: HTMLElement}>} */
    this.tabs = new Map();
    host.setAttribute('role', 'tablist');
    host.addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight') return;
      const ids = [...this.tabs.keys()];
      const cur = ids.findIndex((id) => this.tabs.get(id).tab === document.activeElement);
      if (cur < 0) return;
      const next = ids[(cur + (e.key === 'ArrowRight' ? 1 : -1) + ids.length) % ids.length];
      this.tabs.get(next).tab.focus();
      this.h.onSelect(next);
    });
  }

  /**
   * @param {string} id the view's key ("run:ID", "result:NAME", …) @param {string} kind
   * @param {Record<string, string>} [data] more data- attributes (a run's tab carries data-run)
   */
  add(id, kind, data = {}) {
    if (this.tabs.has(id)) return;
    const dot = el('span', { class: kind === 'run' ? 'dot' : 'tab-kind kind-' + kind, text: KIND_GLYPH[kind] || '' });
    const label = el('span', { class: 'tab-label' });
    // A run's tab: when it was launched, so runs of one config are told apart.
    const when = el('span', { class: 'tab-when' });
    const mark = el('span', { class: 'tab-mark' });
    const close = el('button', { class: 'tab-close', text: '×', attrs: { type: 'button', title: 'Close tab', 'aria-label': 'Close tab', tabindex: '-1' } });
    const tab = el('div', { class: 'tab', attrs: { role: 'tab', tabindex: '0', 'aria-selected': 'false' }, dataset: { ...data, key: id, kind } }, dot, label, when, mark, close);
    tab.addEventListener('click', (e) => {
      if (/** @type {HTMLElement} */ (e.target).closest('.tab-close')) { e.stopPropagation(); this.h.onClose(id); return; }
      this.h.onSelect(id);
    });
    tab.addEventListener('auxclick', (e) => { if (e.button === 1) this.h.onClose(id); });
    tab.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); this.h.onSelect(id); } });
    this.tabs.set(id, { tab, dot, label, when, mark });
    this.host.append(tab);
  }

  /** @param {string} id */
  remove(id) {
    const t = this.tabs.get(id);
    if (t) { t.tab.remove(); this.tabs.delete(id); }
  }

  /** @param {string|null} id */
  select(id) {
    for (const [tid, t] of this.tabs) {
      const on = tid === id;
      t.tab.classList.toggle('active', on);
      t.tab.setAttribute('aria-selected', String(on));
      // At the next frame: scrolling now would lay out a page still being built.
      if (on) requestAnimationFrame(() => t.tab.scrollIntoView({ block: 'nearest', inline: 'nearest' }));
    }
  }

  /**
   * @param {string} id
   * @param {{ name: string, when?: string, tip?: string, status: string, unseen: string, reconnecting: boolean, dirty?: boolean, kind?: string }} s
   */
  update(id, s) {
    const t = this.tabs.get(id);
    if (!t) return;
    t.label.textContent = s.name;
    t.when.textContent = s.when || '';
    t.when.hidden = !s.when;
    t.tab.classList.toggle('dirty', !!s.dirty);
    if (s.kind && s.kind !== 'run') {
      t.tab.title = `${s.tip || s.name}${s.dirty ? ' · unsaved changes' : ''}`;
      t.tab.dataset.status = s.status;
      t.mark.textContent = s.dirty ? '●' : '';
      t.mark.className = 'tab-mark' + (s.dirty ? ' dirty' : '');
      return;
    }
    t.tab.title = s.tip || s.name;
    t.dot.className = 'dot st-' + s.status + (s.reconnecting ? ' reconnecting' : '');
    t.mark.textContent = s.unseen || '';
    t.tab.classList.toggle('unseen', !!s.unseen);
    t.tab.dataset.status = s.status;
    t.mark.className = 'tab-mark' + (s.unseen ? ' ' + (s.unseen === '✓' ? 'good' : 'bad') : '');
  }
}
