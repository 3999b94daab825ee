// devloop's page: wires the panes, the run tabs, the project change feed, the
// URL (#run=ID&line=N), keyboard shortcuts and the theme.

import { api, ProjectEvents } from './api.js';
import { RunSession } from './runview.js';
import { ConfigsPane, RunsPane } from './sidebar.js';
import { TabBar } from './tabs.js';
import { FINAL, statusMark, typingInField } from './util.js';

/** Runs that keep streaming while their tab is in the background (browsers allow ~6 connections per host). */
const MAX_BACKGROUND_STREAMS = 2;

const $ = (sel) => /** @type {HTMLElement} */ (document.querySelector(sel));

class App {
  constructor() {
    /** @type {Map<string, RunSession>} */
    this.sessions = new Map();
    /** @type {string|null} */
    this.activeId = null;
    this.project = '';

    this.views = $('#views');
    this.emptyState = $('#empty-state');
    this.connBadge = $('#conn');
    this.configs = new ConfigsPane($('#configs'), { onLaunch: (name) => this.launch(name) });
    this.runs = new RunsPane($('#runs'), { onOpen: (id) => { this.openRun(id, { activate: true }); this.toggleDrawer(false); } });
    this.tabs = new TabBar($('#tabs'), { onSelect: (id) => this.activate(id), onClose: (id) => this.closeRun(id) });

    this.events = new ProjectEvents({
      onMessage: (m) => this.onProjectEvent(m),
      onState: (s) => { this.connBadge.hidden = s === 'live'; this.connBadge.textContent = 'reconnecting…'; },
      onConnect: () => this.resync(),
    });
  }

  async start() {
    this.setupTheme();
    this.setupKeys();
    $('#runs-toggle').addEventListener('click', () => this.toggleDrawer());
    $('#drawer-backdrop').addEventListener('click', () => this.toggleDrawer(false));
    window.addEventListener('hashchange', () => this.route());
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) {
        const s = this.active();
        if (s && s.unseen) { s.unseen = ''; this.updateTab(s); }
      }
      this.updateTitle();
    });
    setInterval(() => this.tick(), 1000);

    api.health().then((h) => {
      this.project = String(h.project || '');
      const p = $('#project');
      p.textContent = this.project.split('/').filter(Boolean).pop() || this.project;
      p.title = this.project;
      this.updateTitle();
    }).catch(() => {});
    await Promise.all([this.loadConfigs(), this.loadRuns(), this.loadResults()]);
    this.events.start();

    // Tabs open before a reload come back, then the URL decides which one is shown.
    let restore = [];
    try { restore = JSON.parse(sessionStorage.getItem('devloop.tabs') || '[]'); } catch { restore = []; }
    for (const id of restore) if (typeof id === 'string' && this.runs.runs.has(id)) this.openRun(id, { activate: false });
    if (!this.route() && restore.length) {
      const last = sessionStorage.getItem('devloop.active');
      const id = last && this.sessions.has(last) ? last : [...this.sessions.keys()].pop();
      if (id) this.activate(id);
    }
    this.updateEmpty();
  }

  // ---- data ------------------------------------------------------------------

  async loadConfigs() {
    try { this.configs.setConfigs((await api.configs()).configs || []); }
    catch (e) { this.configs.setError(`Could not list configs: ${e.message}`); }
  }

  async loadRuns() {
    try {
      const runs = (await api.runs()).runs || [];
      this.runs.setRuns(runs);
      for (const r of runs) this.sessions.get(r.run_id)?.setRun(r);
    } catch { /* shown by the connection badge */ }
  }

  async loadResults() {
    try { this.runs.setResults(await api.results()); } catch { /* not there yet */ }
  }

  /** After (re)connecting the change feed, re-read everything it may have missed. */
  resync() {
    this.loadRuns();
    this.loadConfigs();
    this.loadResults();
  }

  /** @param {any} m */
  onProjectEvent(m) {
    switch (m.type) {
      case 'run_changed':
        if (m.run && m.run.run_id) {
          this.runs.upsert(m.run);
          this.sessions.get(m.run.run_id)?.setRun(m.run);
          if (FINAL.has(m.run.status)) this.loadResults();
        }
        break;
      case 'run_deleted':
        if (m.run_id) this.runs.remove(m.run_id);
        break;
      case 'results_changed':
        this.loadResults();
        break;
      case 'configs_changed':
        this.loadConfigs();
        break;
    }
  }

  /** @param {string} name */
  async launch(name) {
    try {
      const res = await api.launch(name);
      if (!res || !res.run_id) return { ok: false, error: 'the server gave no run id' };
      this.openRun(res.run_id, { activate: true });
      return { ok: true, status: res.status };
    } catch (e) {
      return { ok: false, error: e.message || String(e) };
    }
  }

  // ---- run tabs ----------------------------------------------------------------

  active() { return this.activeId ? this.sessions.get(this.activeId) : undefined; }

  /**
   * @param {string} id
   * @param {{activate?: boolean, line?: number}} [o]
   */
  openRun(id, o = {}) {
    let s = this.sessions.get(id);
    if (!s) {
      s = new RunSession(id, {
        onStatus: (x) => this.onSessionStatus(x),
        onComplete: (x) => this.onSessionComplete(x),
      });
      this.sessions.set(id, s);
      const known = this.runs.runs.get(id);
      if (known) s.setRun(known);
      this.views.append(s.root);
      this.tabs.add(id);
      this.updateTab(s);
      const ses = s;
      s.open().then(() => this.updateStreams()).catch(() => {}).finally(() => { if (ses.run) this.runs.upsert(ses.run); });
      this.saveTabs();
    }
    if (o.activate) this.activate(id);
    if (o.line) s.gotoLine(o.line);
    this.runs.open = new Set(this.sessions.keys());
    this.runs.render();
    this.updateEmpty();
    return s;
  }

  /** @param {string} id */
  activate(id) {
    const s = this.sessions.get(id);
    if (!s) return;
    this.activeId = id;
    for (const x of this.sessions.values()) if (x !== s) x.setActive(false);
    s.setActive(true);
    this.tabs.select(id);
    this.updateTab(s);
    this.runs.activeId = id;
    this.runs.render();
    const want = `#run=${encodeURIComponent(id)}`;
    if (!location.hash.startsWith(want)) history.replaceState(null, '', want);
    sessionStorage.setItem('devloop.active', id);
    this.updateStreams();
    this.updateTitle();
    this.updateEmpty();
  }

  /** @param {string} id */
  closeRun(id) {
    const s = this.sessions.get(id);
    if (!s) return;
    const ids = [...this.sessions.keys()];
    const idx = ids.indexOf(id);
    s.dispose();
    this.sessions.delete(id);
    this.tabs.remove(id);
    if (this.activeId === id) {
      this.activeId = null;
      const next = ids[idx + 1] || ids[idx - 1];
      if (next && next !== id) this.activate(next);
      else history.replaceState(null, '', location.pathname + location.search);
    }
    this.runs.open = new Set(this.sessions.keys());
    this.runs.render();
    this.saveTabs();
    this.updateStreams();
    this.updateTitle();
    this.updateEmpty();
  }

  /** The active run streams; so do the most recently viewed running ones, up to a cap; the rest resume when shown. */
  updateStreams() {
    const others = [...this.sessions.values()]
      .filter((s) => s.runId !== this.activeId)
      .sort((a, b) => b.lastActive - a.lastActive || (a.runId < b.runId ? 1 : -1));
    let budget = MAX_BACKGROUND_STREAMS;
    for (const s of others) {
      const live = !s.run || !FINAL.has(s.run.status);
      if (live && budget > 0 && !s.stream.ended) { budget--; s.resume(); }
      else s.pause();
    }
    const a = this.active();
    if (a) a.resume();
  }

  /** @param {RunSession} s */
  updateTab(s) {
    this.tabs.update(s.runId, {
      name: s.run ? s.run.config_name : s.runId,
      status: s.run ? s.run.status : 'queued',
      unseen: s.unseen,
      reconnecting: s.connState === 'reconnecting',
    });
  }

  /** @param {RunSession} s */
  onSessionStatus(s) {
    if (s.run && !FINAL.has(s.run.status)) s.sawRunning = true;
    if (s.run && FINAL.has(s.run.status)) this.noteFinished(s);
    this.updateTab(s);
    if (s.run) this.runs.upsert(s.run);
    this.updateTitle();
  }

  /** @param {RunSession} s */
  onSessionComplete(s) {
    this.noteFinished(s);
    this.updateTab(s);
    if (s.run) this.runs.upsert(s.run);
    this.loadResults();
    this.updateStreams();
    this.updateTitle();
  }

  /** A run we watched running has finished: mark it if nobody was looking. @param {RunSession} s */
  noteFinished(s) {
    if (s.finishedNoted || !s.run || !FINAL.has(s.run.status)) return;
    s.finishedNoted = true;
    if (!s.sawRunning) return;
    if (!s.active || document.hidden) s.unseen = statusMark(s.run.status) === '✓' ? '✓' : '✗';
  }

  updateTitle() {
    const marks = [...this.sessions.values()].map((s) => s.unseen).filter(Boolean);
    const a = this.active();
    const name = a && a.run ? `${a.run.config_name} (${a.run.status})` : '';
    const base = this.project ? `devloop · ${this.project.split('/').filter(Boolean).pop()}` : 'devloop';
    document.title = (marks.length ? [...new Set(marks)].join('') + ' ' : '') + (name ? `${name} — ` : '') + base;
  }

  updateEmpty() {
    this.emptyState.hidden = this.sessions.size > 0;
  }

  saveTabs() {
    sessionStorage.setItem('devloop.tabs', JSON.stringify([...this.sessions.keys()]));
  }

  tick() {
    for (const s of this.sessions.values()) if (s.active) s.tick();
    this.runs.tick();
  }

  /** Handle #run=ID[&line=N]. Returns true if it opened something. */
  route() {
    const h = new URLSearchParams(location.hash.replace(/^#/, ''));
    const id = h.get('run');
    if (!id) return false;
    const line = Number(h.get('line')) || 0;
    this.openRun(id, { activate: true, line: line > 0 ? line : undefined });
    return true;
  }

  // ---- chrome ------------------------------------------------------------------

  /** @param {boolean} [on] */
  toggleDrawer(on) {
    const b = document.body;
    const show = on === undefined ? !b.classList.contains('show-runs') : on;
    b.classList.toggle('show-runs', show);
    $('#runs-toggle').setAttribute('aria-expanded', String(show));
  }

  setupTheme() {
    const btn = $('#theme-toggle');
    const root = document.documentElement;
    const media = window.matchMedia('(prefers-color-scheme: dark)');
    const effective = () => root.dataset.theme || (media.matches ? 'dark' : 'light');
    const stored = localStorage.getItem('devloop.theme');
    if (stored === 'dark' || stored === 'light') root.dataset.theme = stored;
    const label = () => {
      const t = effective();
      btn.textContent = t === 'dark' ? '☀' : '☾';
      btn.title = t === 'dark' ? 'Switch to the light theme' : 'Switch to the dark theme';
    };
    btn.addEventListener('click', () => {
      const next = effective() === 'dark' ? 'light' : 'dark';
      root.dataset.theme = next;
      localStorage.setItem('devloop.theme', next);
      label();
    });
    media.addEventListener('change', label);
    label();
  }

  setupKeys() {
    document.addEventListener('keydown', (e) => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const s = this.active();
      if (e.key === 'Escape') {
        if (s && s.closePanels()) { e.preventDefault(); return; }
        if (document.body.classList.contains('show-runs')) { this.toggleDrawer(false); e.preventDefault(); }
        return;
      }
      if (typingInField()) return;
      if (!s) return;
      if (e.key === '/') { e.preventDefault(); s.focusSearch(); }
      else if (e.key === 'g') { e.preventDefault(); s.showTab('output', true); s.logView.toTop(); }
      else if (e.key === 'G') { e.preventDefault(); s.showTab('output', true); s.logView.jumpToLatest(); }
    });
  }
}

const app = new App();
// For tests and debugging in the console (read-only use).
Object.defineProperty(window, 'devloop', { value: app });
app.start();
