// What a run costs, in its header: sparklines of CPU, memory and (when the
// run uses one) GPU memory, each with its current and peak value. Fed by the
// run's `metrics` records (one a second, from its log), so a finished run
// shows its whole history and a live one moves.
import { el, fmtBytes } from './util.js';

const SVG = 'http://www.w3.org/2000/svg';
/** Samples kept for the lines (the peaks count every sample). */
const KEEP = 600;


class Spark {
  /** @param {string} label @param {(v: number) => string} fmt */
  constructor(label, fmt) {
    this.fmt = fmt;
    /** @type {number[]} */
    this.values = [];
    this.peak = 0;
    this.line = document.createElementNS(SVG, 'polyline');
    this.svg = document.createElementNS(SVG, 'svg');
    this.svg.setAttribute('viewBox', '0 0 100 20');
    this.svg.setAttribute('preserveAspectRatio', 'none');
    this.svg.classList.add('spark');
    this.svg.append(this.line);
    this.now = el('span', { class: 'gauge-now' });
    this.peakEl = el('span', { class: 'gauge-peak' });
    this.root = el('span', { class: 'gauge', attrs: { 'data-gauge': label } }, el('span', { class: 'gauge-label', text: label }), this.svg, this.now, this.peakEl);
  }

  /** @param {number} v */
  push(v) {
    this.values.push(v);
    if (this.values.length > KEEP) this.values.shift();
    this.peak = Math.max(this.peak, v);
  }

  render() {
    const vs = this.values;
    const top = Math.max(this.peak, 1e-9);
    const step = vs.length > 1 ? 100 / (vs.length - 1) : 100;
    this.line.setAttribute('points', vs.map((v, i) => `${(i * step).toFixed(2)},${(19 - (v / top) * 18).toFixed(2)}`).join(' '));
    const cur = vs.length ? vs[vs.length - 1] : 0;
    this.now.textContent = this.fmt(cur);
    this.peakEl.textContent = `peak ${this.fmt(this.peak)}`;
  }
}

export class Gauges {
  constructor() {
    this.cpu = new Spark('CPU', (v) => `${v.toFixed(0)}%`);
    this.mem = new Spark('Memory', fmtBytes);
    this.gpu = new Spark('GPU memory', fmtBytes);
    this.gpu.root.hidden = true;
    this.root = el('div', { class: 'gauges', hidden: true, attrs: { 'aria-label': 'What the run uses' } }, this.cpu.root, this.mem.root, this.gpu.root);
  }

  /** @param {import('./api.js').MetricsRecord} m */
  push(m) {
    this.cpu.push(m.cpu_pct || 0);
    this.mem.push(m.rss_bytes || 0);
    const gpu = (m.gpus || []).reduce((a, g) => a + (g.mem_bytes || 0), 0);
    if (gpu > 0) this.gpu.root.hidden = false;
    this.gpu.push(gpu);
    this.dirty = true;
  }

  render() {
    if (!this.dirty) return;
    this.dirty = false;
    this.root.hidden = false;
    this.cpu.render();
    this.mem.render();
    if (!this.gpu.root.hidden) this.gpu.render();
  }
}
