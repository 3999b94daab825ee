// One Inspect AI log (a name holding "/", e.g. "logs/2026-…_arith_….eval"):
// the result view with Inspect's columns (id, epoch, every scorer, target,
// input, tokens, time, error), still sorted, filtered, searched and paged by
// the server; and an opened sample as its conversation beside the events
// transcript, one line per event, folded by kind (model calls with tokens and
// time, tool calls with their results and errors, scores, errors, retries).
// Text reaches the DOM through textContent; Markdown comes sanitised from
// the server (conversation.js).

import { renderMessages } from './conversation.js';
import { ResultView, fieldRef } from './resultview.js';
import { el, kids, fmtNum, fmtInt, pretty, shown, sortableHeader, fmtDuration } from './util.js';

/** Kinds shown when a transcript opens; the rest are a click away. */
const SHOWN_KINDS = new Set(['model', 'tool', 'score', 'error', 'retry', 'limit', 'logger']);
const KIND_ORDER = ['model', 'tool', 'score', 'error', 'retry', 'limit', 'logger', 'info', 'span', 'state', 'init'];

/** True for the names of Inspect logs: only they hold a "/". @param {string} name */
export function isInspectLog(name) { return name.includes('/'); }

/** A score value as text: "C", 0.5, {a: 1}. @param {any} v */
function scoreText(v) {
  if (v == null) return '';
  if (typeof v === 'number') return fmtNum(v);
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Good, bad or neither, for colour. @param {any} v */
function scoreClass(v) {
  if (v === 'C' || v === true || v === 1) return 'good';
  if (v === 'I' || v === false || v === 0) return 'bad';
  if (v === 'P') return 'part';
  return '';
}

/** @param {number|null|undefined} s seconds */
function fmtSecs(s) {
  return s == null ? '' : fmtDuration(s * 1000);
}

export class InspectView extends ResultView {
  /** @param {string} name @param {ConstructorParameters<typeof ResultView>[1]} h */
  constructor(name, h) {
    super(name, h);
    this.root.classList.add('inspect-view');
    /** @type {string[]} */
    this.scorers = [];
    /** @type {Set<string>} */
    this.kindsOn = new Set(SHOWN_KINDS);
  }

  tip() { return `Inspect log · ${shown(this.name)}`; }

  /** @param {string} key */
  _descFirst(key) { return key === 'reward' || key === 'tokens' || key === 'time' || (this.scorers || []).includes(key); }

  /**
   * A charted number as a filter names it: a scorer by the number its chart
   * counts (`C` is 1), so a bar of letter grades filters too.
   * @param {string} name
   */
  _fieldRef(name) {
    return (this.scorers || []).includes(name) ? `scores[${JSON.stringify(name)}].number` : fieldRef(name, 'scores');
  }

  _filterFields() {
    return ['reward', ...(this.scorers || []), 'scores.NAME.answer', 'tokens', 'time', 'messages', 'status', 'error', 'limit', 'target', 'input', 'epoch', 'sample_id'];
  }

  _renderHead() {
    super._renderHead();
    const s = this.detail?.summary || {};
    const extra = [
      ['task', s.task], ['model', s.model],
      ['done', s.total_samples != null ? `${fmtInt(s.done_samples ?? 0)} / ${fmtInt(s.total_samples)}` : fmtInt(s.done_samples ?? 0)],
      ['epochs', s.epochs > 1 ? String(s.epochs) : ''],
    ].filter(([, v]) => v);
    this.meta.prepend(...extra.map(([k, v]) => el('span', { class: 'rv-meta-item' }, el('span', { class: 'dim', text: k + ' ' }), el('span', { class: 'mono', text: String(v) }))));
    // The config of an Inspect log is its eval spec and plan.
    const rep = this.detail?.report;
    if (rep && rep.eval) {
      this.config.hidden = false;
      kids(this.config, el('summary', { text: 'Eval spec and plan' }), el('pre', { class: 'json', text: pretty({ eval: rep.eval, plan: rep.plan, stats: rep.stats }) }));
    }
    if (s.status === 'error' && rep?.error?.traceback) {
      this.errorBox.hidden = false;
      kids(this.errorBox, el('b', { text: 'Error: ' }), String(s.error || ''), el('details', {}, el('summary', { text: 'Traceback' }), el('pre', { class: 'json', text: rep.error.traceback })));
    }
  }

  /** The header: a sortable column per scorer (the first is the headline score, "reward"). */
  _columns() {
    const scorers = this.scorers || [];
    /** @type {[string|null, string][]} */
    const cols = [['index', '#'], ['id', 'id'], ['epoch', 'epoch'],
      ...scorers.map((s, i) => /** @type {[string|null, string]} */ ([i === 0 ? 'reward' : s, s])),
      [null, 'target'], [null, 'input'], ['tokens', 'tokens'], ['time', 'time'], ['error', 'error']];
    const row = sortableHeader(cols, (key) => this._sortBy(key));
    this.thead.replaceWith(row);
    this.thead = row;
    this.ncols = cols.length;
    this._renderSortMarks();
  }

  /** @param {import('./api.js').InspectSamplePage} page */
  _renderRows(page) {
    const scorers = page.scorers || [];
    // The header follows the log's scorers (set once, and when they change).
    if (this.columnsFor !== scorers.join('\n')) { this.columnsFor = scorers.join('\n'); this.scorers = scorers; this._columns(); this._renderFilterHelp(); }
    super._renderRows(page);
  }

  /** @param {import('./api.js').InspectRow} s @returns {import('./resultview.js').Cell[]} */
  _rowCells(s) {
    return [
      [{ class: 'num dim', text: String(s.index) }],
      [{ class: 'mono sid', text: shown(s.sample_id) }],
      [{ class: 'num dim', text: String(s.epoch) }],
      ...this.scorers.map((k) => {
        const sc = s.scores[k];
        return /** @type {import('./resultview.js').Cell} */ ([{ class: 'score ' + (sc ? scoreClass(sc.value) : ''), text: sc ? scoreText(sc.value) : '', attrs: { title: sc ? [sc.answer && `answer: ${scoreText(sc.answer)}`, sc.explanation && `explanation: ${scoreText(sc.explanation)}`].filter(Boolean).join('\n') : '' }, dataset: { scorer: k } }]);
      }),
      [{ class: 'target', text: s.target, attrs: { title: s.target } }],
      [{ class: 'input', text: s.input, attrs: { title: s.input } }],
      [{ class: 'num', text: s.tokens == null ? '' : fmtInt(s.tokens) }],
      [{ class: 'num', text: fmtSecs(s.time) }],
      [{ class: 'err', text: s.error || s.limit || '', attrs: { title: s.error || s.limit || '' } }],
    ];
  }

  /** @param {{all: number}} page */
  _emptyText(page) { return page.all ? 'No sample matches these filters.' : 'No sample has finished yet.'; }

  /** @param {import('./api.js').InspectSampleDetail} d */
  _renderSample(d) {
    super._renderSample(d);
    const r = d.row || {};
    // The header: every score, not one reward.
    const rew = this.sampleHead.querySelector('.sv-reward');
    if (rew) rew.replaceWith(el('span', { class: 'sv-scores' }, ...Object.entries(r.scores || {}).map(([k, sc]) => el('span', { class: 'sv-score ' + scoreClass(sc.value), dataset: { scorer: k } }, el('span', { class: 'dim', text: k + ' ' }), scoreText(sc.value)))),
      el('span', { class: 'dim', text: `epoch ${r.epoch}` }));
    if (d.error) { kids(this.sampleBody, el('div', { class: 'rv-error', text: d.error })); return; }
    const convo = el('div', { class: 'iv-convo' }, renderMessages(d.messages || []));
    kids(this.sampleBody, el('div', { class: 'iv-sample' }, convo, el('div', { class: 'iv-side' }, this._facts(d), this._transcript(d))));
  }

  /** Score details, target, usage, time, error. @param {import('./api.js').InspectSampleDetail} d */
  _facts(d) {
    const s = d.sample || {};
    const box = el('aside', { class: 'convo-aside iv-facts' });
    const dl = el('dl', { class: 'facts' });
    const fact = (k, v) => { if (v !== '' && v != null) dl.append(el('dt', { text: k }), el('dd', { text: String(v) })); };
    fact('target', Array.isArray(s.target) ? s.target.join(' | ') : s.target);
    const usage = Object.entries(s.model_usage || {}).map(([m, u]) => `${m}: ${fmtInt(u.input_tokens)} in · ${fmtInt(u.output_tokens)} out`).join('\n');
    fact('tokens', usage);
    fact('time', [fmtSecs(s.total_time), s.working_time != null ? `(working ${fmtSecs(s.working_time)})` : ''].join(' ').trim());
    if (s.limit) fact('limit', `${s.limit.type} ${s.limit.limit ?? ''}`);
    box.append(dl);
    if (s.error) {
      box.append(el('div', { class: 'aside-error', attrs: { role: 'note' } }, el('b', { text: 'Error ' }), String(s.error.message || s.error),
        s.error.traceback ? el('details', {}, el('summary', { text: 'Traceback' }), el('pre', { class: 'json', text: s.error.traceback })) : null));
    }
    const scores = Object.entries(s.scores || {});
    if (scores.length) {
      box.append(el('section', { class: 'aside-sec' }, el('h4', { text: 'Scores' }),
        el('table', { class: 'metrics-table iv-scores' },
          el('thead', {}, el('tr', {}, el('th', { text: 'scorer' }), el('th', { text: 'value' }), el('th', { text: 'answer' }))),
          el('tbody', {}, ...scores.flatMap(([k, sc]) => [
            el('tr', { dataset: { scorer: k } }, el('td', { text: k }), el('td', { class: 'score ' + scoreClass(sc.value), text: scoreText(sc.value) }), el('td', { class: 'mono', text: scoreText(sc.answer) })),
            sc.explanation ? el('tr', { class: 'iv-expl' }, el('td', { attrs: { colspan: '3' }, text: scoreText(sc.explanation) })) : null,
          ].filter(Boolean))))));
    }
    if (s.metadata && Object.keys(s.metadata).length) box.append(el('details', { class: 'aside-sec' }, el('summary', { text: 'Metadata' }), el('pre', { class: 'json', text: pretty(s.metadata) })));
    return box;
  }

  /** The events, one line each, folded by kind. @param {import('./api.js').InspectSampleDetail} d */
  _transcript(d) {
    const items = d.transcript || [];
    const counts = d.kinds || {};
    const box = el('section', { class: 'iv-transcript', attrs: { 'aria-label': 'Transcript' } });
    const list = el('div', { class: 'iv-events' });
    const kinds = Object.keys(counts).sort((a, b) => ((KIND_ORDER.indexOf(a) + 1) || 99) - ((KIND_ORDER.indexOf(b) + 1) || 99));
    const chips = kinds.map((k) => {
      const b = el('button', { class: 'chip iv-kind' + (this.kindsOn.has(k) ? ' on' : ''), text: `${k} ${counts[k]}`, attrs: { type: 'button', 'aria-pressed': String(this.kindsOn.has(k)), title: `Show or hide ${k} events` }, dataset: { kind: k } });
      b.addEventListener('click', () => {
        if (this.kindsOn.has(k)) this.kindsOn.delete(k); else this.kindsOn.add(k);
        b.classList.toggle('on', this.kindsOn.has(k));
        b.setAttribute('aria-pressed', String(this.kindsOn.has(k)));
        for (const n of list.querySelectorAll(`[data-kind="${CSS.escape(k)}"]`)) /** @type {HTMLElement} */ (n).hidden = !this.kindsOn.has(k);
      });
      return b;
    });
    const tokens = items.filter((i) => i.kind === 'model').reduce((n, i) => n + (i.tokens?.total_tokens || 0), 0);
    box.append(el('div', { class: 'iv-transcript-head' }, el('h4', { text: 'Transcript' }), el('span', { class: 'dim', text: tokens ? `${fmtInt(tokens)} tokens` : '' })), el('div', { class: 'iv-kinds' }, ...chips), list);
    for (const it of items) list.append(this._event(it));
    if (!items.length) list.append(el('div', { class: 'dim', text: 'No events recorded for this sample.' }));
    return box;
  }

  /** @param {import('./api.js').TranscriptItem} it */
  _event(it) {
    const bad = it.error ? ' bad' : '';
    const bits = [];
    if (it.kind === 'model') {
      const t = it.tokens;
      if (t) bits.push(`${fmtInt(t.input_tokens)} → ${fmtInt(t.output_tokens)} tok`);
      if (it.duration != null) bits.push(fmtSecs(it.duration));
      if (it.retries) bits.push(`${it.retries} retries`);
      if (it.cache) bits.push(`cache ${it.cache}`);
    } else if (it.kind === 'tool' && it.duration != null) bits.push(fmtSecs(it.duration));
    const oneLine = it.kind === 'model' ? (it.tool_calls?.length ? it.tool_calls.join(', ') : it.text)
      : it.kind === 'tool' ? (it.error ? `error: ${it.error}` : it.text)
        : it.error && it.kind !== 'limit' ? it.error : it.text;
    const summary = el('summary', { class: 'iv-ev-line' },
      el('span', { class: 'iv-ev-t dim', text: it.t != null ? fmtSecs(it.t) : '' }),
      el('span', { class: 'iv-ev-kind', text: it.kind }),
      el('span', { class: 'iv-ev-title', text: String(it.title || ''), attrs: { title: String(it.title || '') } }),
      el('span', { class: 'iv-ev-text', text: String(oneLine || '').split('\n')[0].slice(0, 200) }),
      el('span', { class: 'iv-ev-meta dim', text: bits.join(' · ') }));
    const body = el('div', { class: 'iv-ev-body' });
    if (it.arguments) body.append(el('div', { class: 'dim', text: 'arguments' }), el('pre', { class: 'json', text: it.arguments }));
    if (it.text) body.append(el('pre', { class: 'iv-ev-full', text: it.text }));
    if (it.tool_calls?.length) body.append(el('div', { class: 'dim', text: 'tool calls' }), el('pre', { class: 'json', text: it.tool_calls.join('\n') }));
    if (it.error) body.append(el('div', { class: 'aside-error', text: String(it.error) }));
    if (it.explanation) body.append(el('div', { class: 'dim', text: 'explanation' }), el('pre', { class: 'iv-ev-full', text: String(it.explanation) }));
    const node = el('details', { class: `iv-ev k-${it.kind}${bad}`, dataset: { kind: it.kind }, style: `--depth:${Math.min(it.depth || 0, 8)}` }, summary, body);
    node.hidden = !this.kindsOn.has(it.kind);
    return node;
  }
}

/** Opens the right view for a result name. @param {string} name @param {ConstructorParameters<typeof ResultView>[1]} h */
export function makeResultView(name, h) {
  return isInspectLog(name) ? new InspectView(name, h) : new ResultView(name, h);
}

