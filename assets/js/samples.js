// The structured view of a run, built from its event records (the README's record format):
// overall progress (done/total, elapsed, rate) and one block per sample with its
// turn, its assistant text streaming token by token, and its reward when done.
// Finished samples collapse; running ones stay open.

import { el, fmtDuration } from './util.js';

/**
 * @typedef {{ turn: number, text: string }} Turn
 * @typedef {{ id: string, index: number, status: "running"|"done"|"error",
 *   turn: number, maxTurns: number|null, turns: Turn[], reward: number|null,
 *   metadata: any, started: number, ended: number|null, userToggled: boolean }} Sample
 */

export class SamplesModel {
  /** @param {() => void} onChange */
  constructor(onChange) {
    this.onChange = onChange;
    /** @type {Map<string, Sample>} */
    this.samples = new Map();
    /** @type {string|null} */
    this.current = null;
    /** @type {{done: number, total: number}|null} */
    this.progress = null;
    this.firstT = 0;
    this.lastT = 0;
    this.count = 0;
    this.other = 0;
    /** @type {Set<Sample>} */
    this.dirty = new Set();
    this.progressDirty = false;
    this.version = 0;
  }

  /** @param {string} id @param {number} t */
  _sample(id, t) {
    let s = this.samples.get(id);
    if (!s) {
      s = { id, index: this.samples.size, status: 'running', turn: 0, maxTurns: null, turns: [], reward: null, metadata: null, started: t, ended: null, userToggled: false };
      this.samples.set(id, s);
    }
    return s;
  }

  /** @param {import('./api.js').EventRecord} rec */
  apply(rec) {
    const ev = rec.event;
    if (!ev || typeof ev !== 'object') return;
    const t = rec.t || Date.now();
    if (!this.firstT) this.firstT = t;
    this.lastT = t;
    this.count++;
    this.version++;
    const sid = ev.sample_id != null ? String(ev.sample_id) : this.current;
    switch (ev.type) {
      case 'progress': {
        const done = Number(ev.done), total = Number(ev.total);
        if (isFinite(done)) this.progress = { done, total: isFinite(total) ? total : 0 };
        this.progressDirty = true;
        break;
      }
      case 'sample_start': {
        if (sid == null) break;
        const s = this._sample(sid, t);
        s.status = 'running'; s.started = t; s.ended = null;
        this.current = sid;
        if (ev.total != null && !this.progress) this.progress = { done: 0, total: Number(ev.total) || 0 };
        this.dirty.add(s);
        this.progressDirty = true;
        break;
      }
      case 'turn_start': {
        if (sid == null) break;
        const s = this._sample(sid, t);
        s.turn = Number(ev.turn) || s.turn + 1;
        if (ev.max_turns != null) s.maxTurns = Number(ev.max_turns);
        s.turns.push({ turn: s.turn, text: '' });
        this.dirty.add(s);
        break;
      }
      case 'token': {
        if (sid == null) break;
        const s = this._sample(sid, t);
        if (!s.turns.length) s.turns.push({ turn: s.turn || 1, text: '' });
        s.turns[s.turns.length - 1].text += ev.content == null ? '' : String(ev.content);
        this.dirty.add(s);
        break;
      }
      case 'sample_end': {
        if (sid == null) break;
        const s = this._sample(sid, t);
        s.ended = t;
        s.reward = ev.reward == null ? null : Number(ev.reward);
        s.metadata = ev.metadata ?? null;
        s.status = s.metadata && s.metadata.error ? 'error' : 'done';
        this.dirty.add(s);
        this.progressDirty = true;
        break;
      }
      default:
        this.other++;
    }
  }

  /** Samples ended so far (when no progress event says otherwise). */
  doneCount() {
    let n = 0;
    for (const s of this.samples.values()) if (s.status !== 'running') n++;
    return n;
  }

  /** @returns {{done: number, total: number}|null} */
  overall() {
    if (this.progress) return this.progress;
    if (!this.samples.size) return null;
    return { done: this.doneCount(), total: 0 };
  }

  meanReward() {
    let sum = 0, n = 0;
    for (const s of this.samples.values()) if (s.reward != null && isFinite(s.reward)) { sum += s.reward; n++; }
    return n ? sum / n : null;
  }
}

/**
 * Text for the overall progress: "12/20 · 8.1s · 1.5/s · ETA 5s".
 * @param {SamplesModel} m @param {number} endT unix ms (now, or the run's end)
 */
export function progressText(m, endT) {
  const o = m.overall();
  if (!o) return '';
  const elapsed = Math.max(0, endT - m.firstT);
  const parts = [o.total ? `${o.done}/${o.total}` : `${o.done} done`];
  parts.push(fmtDuration(elapsed));
  if (elapsed > 500 && o.done > 0) {
    const rate = o.done / (elapsed / 1000);
    parts.push(rate >= 1 ? `${rate.toFixed(1)}/s` : `${(1 / rate).toFixed(1)}s each`);
    if (o.total && o.done < o.total) parts.push('ETA ' + fmtDuration((o.total - o.done) / rate * 1000));
  }
  return parts.join(' · ');
}

/** A progress bar element that `setProgressBar` updates. */
export function progressBar() {
  const fill = el('div', { class: 'pbar-fill' });
  const label = el('span', { class: 'pbar-label' });
  const bar = el('div', { class: 'pbar', attrs: { role: 'progressbar', 'aria-valuemin': '0' } }, el('div', { class: 'pbar-track' }, fill), label);
  return { bar, fill, label };
}

/** @param {ReturnType<typeof progressBar>} pb @param {SamplesModel} m @param {number} endT */
export function setProgressBar(pb, m, endT) {
  const o = m.overall();
  pb.bar.hidden = !o;
  if (!o) return;
  const frac = o.total ? Math.min(1, o.done / o.total) : 0;
  pb.fill.style.width = (frac * 100).toFixed(1) + '%';
  pb.bar.setAttribute('aria-valuenow', String(o.done));
  if (o.total) pb.bar.setAttribute('aria-valuemax', String(o.total));
  pb.label.textContent = progressText(m, endT);
}

export class SamplesView {
  /** @param {SamplesModel} model */
  constructor(model) {
    this.model = model;
    /** @type {Map<Sample, {root: HTMLDetailsElement, summary: HTMLElement, body: HTMLElement, turns: {node: Text, len: number, box: HTMLElement}[], turnLabel: HTMLElement, reward: HTMLElement, icon: HTMLElement, meta: HTMLElement}>} */
    this.blocks = new Map();
    this.pb = progressBar();
    this.stats = el('div', { class: 'samples-stats' });
    this.list = el('div', { class: 'samples-list' });
    this.emptyMsg = el('div', { class: 'samples-empty' },
      el('p', { text: 'No structured events from this run yet.' }),
      el('p', { class: 'dim', text: 'A run writes JSON lines (sample_start, turn_start, token, sample_end, progress) to $DEVLOOP_EVENTS; they show up here as one block per sample.' }));
    // The overall progress bar lives in the run header (visible on both tabs); here, the summary line.
    this.root = el('div', { class: 'samples' }, el('div', { class: 'samples-head' }, this.stats), this.emptyMsg, this.list);
    this.endT = 0;
  }

  /** Bring the DOM up to date with the model (only changed samples). @param {number} endT */
  render(endT) {
    const m = this.model;
    this.emptyMsg.hidden = m.count > 0;
    setProgressBar(this.pb, m, endT);
    const mean = m.meanReward();
    const errs = [...m.samples.values()].filter((s) => s.status === 'error').length;
    this.stats.textContent = m.samples.size
      ? `${m.samples.size} sample${m.samples.size === 1 ? '' : 's'}` + (mean != null ? ` · mean reward ${mean.toFixed(2)}` : '') + (errs ? ` · ${errs} error${errs === 1 ? '' : 's'}` : '')
      : '';
    for (const s of m.dirty) this._renderSample(s);
    m.dirty.clear();
    m.progressDirty = false;
  }

  /** @param {Sample} s */
  _renderSample(s) {
    let b = this.blocks.get(s);
    if (!b) {
      const icon = el('span', { class: 'sample-icon' });
      const turnLabel = el('span', { class: 'sample-turn' });
      const reward = el('span', { class: 'sample-reward' });
      const err = el('span', { class: 'sample-err' });
      const summary = el('summary', {}, icon, el('span', { class: 'sample-id', text: s.id }), turnLabel, err, reward);
      const body = el('div', { class: 'sample-body' });
      const meta = el('div', { class: 'sample-meta', hidden: true });
      const root = /** @type {HTMLDetailsElement} */ (el('details', { class: 'sample', open: true }, summary, body, meta));
      root.dataset.sample = s.id;
      summary.addEventListener('click', () => { s.userToggled = true; });
      b = { root, summary, body, turns: [], turnLabel, reward, icon, meta, err };
      this.blocks.set(s, b);
      this.list.append(root);
    }
    // The mark agrees with the reward: ✓ only for a reward above 0; a reward of 0 or less is ✗;
    // a sample that ended without a reward is ○.
    const verdict = s.status !== 'done' ? '' : s.reward == null || !isFinite(s.reward) ? 'unscored' : s.reward > 0 ? 'pass' : 'fail';
    b.root.className = 'sample ' + s.status + (verdict ? ' ' + verdict : '');
    b.icon.textContent = s.status === 'running' ? '●' : s.status === 'error' ? '✗' : verdict === 'pass' ? '✓' : verdict === 'fail' ? '✗' : '○';
    b.icon.title = s.status === 'running' ? 'running' : s.status === 'error' ? 'error' : verdict === 'pass' ? 'reward above 0' : verdict === 'fail' ? 'reward 0 or less' : 'no reward';
    b.turnLabel.textContent = s.turn ? `turn ${s.turn}${s.maxTurns ? '/' + s.maxTurns : ''}` : '';
    if (s.reward != null) {
      b.reward.textContent = `reward ${Number.isInteger(s.reward) ? s.reward : s.reward.toFixed(3)}`;
      b.reward.className = 'sample-reward ' + (s.reward > 0 ? 'good' : 'bad');
    } else {
      b.reward.textContent = s.status === 'running' ? 'running' : '';
      b.reward.className = 'sample-reward';
    }
    // Stream the text: append only what is new to each turn's text node.
    for (let i = 0; i < s.turns.length; i++) {
      let tb = b.turns[i];
      if (!tb) {
        const node = document.createTextNode('');
        const box = el('div', { class: 'turn' }, el('div', { class: 'turn-label', text: `assistant · turn ${s.turns[i].turn}` }), el('pre', { class: 'assistant' }, node));
        tb = { node, len: 0, box };
        b.turns.push(tb);
        b.body.append(box);
      }
      const text = s.turns[i].text;
      if (text.length > tb.len) { tb.node.appendData(text.slice(tb.len)); tb.len = text.length; }
    }
    if (s.metadata && typeof s.metadata === 'object' && Object.keys(s.metadata).length) {
      b.meta.hidden = false;
      b.meta.textContent = s.metadata.error ? `error: ${s.metadata.error}` : JSON.stringify(s.metadata);
      b.err.textContent = s.metadata.error ? String(s.metadata.error) : '';
      b.err.title = b.err.textContent;
    }
    if (!s.userToggled) b.root.open = s.status === 'running';
  }
}
