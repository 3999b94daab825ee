// devloop's page: wires the panes, the run tabs, the project change feed, the
// URL (#run=ID&line=N), keyboard shortcuts and the theme.

import { api, ProjectEvents } from './api.js';
import { RunSession } from './runview.js';
import { ConfigsPane, RunsPane } from './sidebar.js';
import { SidePane, ResultsList, DatasetsList } from './results.js';
import { ResultView } from './resultview.js';
import { CompareView, compareKey } from './compare.js';
import { ConfigView } from './editor.js';
import { DatasetView } from './datasets.js';
import { TabBar } from './tabs.js';
import { FINAL, statusMark, typingInField, resultNameFromDir, shown } from './util.js';

/** Runs that keep streaming while their tab is in the background (browsers allow ~6 connections per host). */
const MAX_BACKGROUND_STREAMS = 2;

const $ = (sel) => /** @type {HTMLElement} */ (document.querySelector(sel));

/**
 * A main-pane tab that is not a run (result, comparison, config, dataset).
 * @typedef {{ key: string, kind: string, root: HTMLElement, title: () => string, tip: () => string, status: () => string,
 *   hash: () => string, open: () => Promise<any>, refresh?: () => any, setActive: (on: boolean) => void,
 *   dispose: () => void, closePanels: () => boolean, focusSearch: () => void,
 *   handleKey: (e: KeyboardEvent) => boolean, isDirty?: () => boolean }} PageView
 */

class App {
  constructor() {
    /** @type {Map<string, RunSession>} */
    this.sessions = new Map();
    /** @type {Map<string, PageView>} results, comparisons, configs, datasets, by key */
    this.pages = new Map();
    /** @type {string|null} */
    this.activeId = null;
    this.project = '';
    /** @type {import('./api.js').ResultEntry[]} */
    this.resultList = [];
    /** @type {import('./api.js').DatasetEntry[]} */
    this.datasetList = [];

    this.views = $('#views');
    this.emptyState = $('#empty-state');
    this.connBadge = $('#conn');
    this.configs = new ConfigsPane($('#configs'), {
      onLaunch: (name) => this.launch(name),
      onEdit: (name) => this.openConfig(name),
    });
    this.side = new SidePane($('#runs'));
    this.runs = new RunsPane(this.side.parts.runs.box, { onOpen: (id) => { this.openRun(id, { activate: true }); this.toggleDrawer(false); } });
    this.resultsPane = new ResultsList(this.side.parts.results.box, {
      onOpen: (name) => { this.openResult(name); this.toggleDrawer(false); },
      onOpenRun: (id) => { this.openRun(id, { activate: true }); this.toggleDrawer(false); },
      onCount: (t) => this.side.setCount('results', t),
      runStatus: (id) => this.runs.runs.get(id)?.status,
    });
    this.datasets = new DatasetsList(this.side.parts.datasets.box, {
      onOpen: (name) => { this.openDataset(name); this.toggleDrawer(false); },
      onCount: (t) => this.side.setCount('datasets', t),
    });
    this.tabs = new TabBar($('#tabs'), { onSelect: (id) => this.activate(id), onClose: (id) => this.closeTab(id) });

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
    window.addEventListener('beforeunload', (e) => {
      if ([...this.pages.values()].some((p) => p.isDirty?.())) { e.preventDefault(); e.returnValue = ''; }
    });
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
    await Promise.all([this.loadConfigs(), this.loadRuns(), this.loadResults(), this.loadDatasets()]);
    this.events.start();

    // Tabs open before a reload come back, then the URL decides which one is shown.
    let restore = [];
    try { restore = JSON.parse(sessionStorage.getItem('devloop.tabs') || '[]'); } catch { restore = []; }
    for (const id of restore) {
      if (typeof id !== 'string') continue;
      if (this.runs.runs.has(id)) this.openRun(id, { activate: false });
      else this.openKey(id, false);
    }
    if (!this.route() && restore.length) {
      const last = sessionStorage.getItem('devloop.active');
      const id = last && this.hasTab(last) ? last : [...this.tabs.tabs.keys()].pop();
      if (id) this.activate(id);
    }
    this.updateEmpty();
  }

  // ---- data ------------------------------------------------------------------

  async loadConfigs() {
    try {
      const list = (await api.configs()).configs || [];
      this.configs.setConfigs(list);
      for (const p of this.pages.values()) if (p.kind === 'config') /** @type {any} */ (p).onConfigsChanged?.(list);
    } catch (e) { this.configs.setError(`Could not list configs: ${e.message}`); }
  }

  async loadRuns() {
    try {
      const runs = (await api.runs()).runs || [];
      this.runs.setRuns(runs);
      for (const r of runs) this.sessions.get(r.run_id)?.setRun(r);
      this.resultsPane.render(); // "running" results whose run has ended
      for (const p of this.pages.values()) if (p.kind === 'config') /** @type {any} */ (p).setRuns?.(runs);
    } catch { /* shown by the connection badge */ }
  }

  async loadResults() {
    const seq = (this.resultsSeq = (this.resultsSeq || 0) + 1);
    try {
      const list = (await api.results()).results || [];
      if (seq !== this.resultsSeq) return;
      const old = new Map(this.resultList.map((r) => [r.name, r]));
      this.resultList = list;
      this.resultsPane.setResults(list);
      // Open results that changed on disk re-read themselves; comparisons too.
      const sig = (r) => r ? `${r.status}|${r.total_samples}|${r.mtime_ms}|${r.error}` : '';
      for (const p of this.pages.values()) {
        if (p.kind === 'result') {
          const v = /** @type {ResultView} */ (/** @type {any} */ (p));
          const now = list.find((r) => r.name === v.name);
          if (now && sig(now) !== sig(old.get(v.name))) v.refresh();
          else v.fillCompare();
        }
      }
    } catch (e) { this.resultsPane.setError(`Could not list results: ${e.message}`); }
  }

  async loadDatasets() {
    try {
      this.datasetList = (await api.datasets()).datasets || [];
      this.datasets.setDatasets(this.datasetList);
    } catch { /* optional */ }
  }

  /** After (re)connecting the change feed, re-read everything it may have missed. */
  resync() {
    this.loadRuns();
    this.loadConfigs();
    this.loadResults();
    this.loadDatasets();
  }

  /** @param {any} m */
  onProjectEvent(m) {
    switch (m.type) {
      case 'run_changed':
        if (m.run && m.run.run_id) {
          this.runs.upsert(m.run);
          this.sessions.get(m.run.run_id)?.setRun(m.run);
          for (const p of this.pages.values()) if (p.kind === 'config') /** @type {any} */ (p).onRun?.(m.run);
          if (FINAL.has(m.run.status)) { this.loadResults(); this.loadConfigs(); }
          else if (this.resultList.some((r) => r.run_id === m.run.run_id)) this.resultsPane.render();
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
      case 'resync':
        this.resync();
        break;
    }
  }

  /** @param {string} name */
  async launch(name) {
    // A config open with unsaved changes launches what the user sees: validated and saved first.
    const page = /** @type {any} */ (this.pages.get('config:' + name));
    if (page && page.isDirty()) return page.launchIt();
    try {
      const res = await api.launch(name);
      if (!res || !res.run_id) return { ok: false, error: 'the server gave no run id' };
      this.openRun(res.run_id, { activate: true });
      this.loadConfigs();
      return { ok: true, status: res.status };
    } catch (e) {
      return { ok: false, error: e.message || String(e) };
    }
  }

  // ---- pages: results, comparisons, configs, datasets ---------------------------

  /** @param {string} key */
  hasTab(key) { return this.sessions.has(key) || this.pages.has(key); }

  /**
   * Open (or show) a page tab.
   * @param {string} key @param {() => PageView} make @param {boolean} [activate]
   * @returns {PageView}
   */
  openPage(key, make, activate = true) {
    let p = this.pages.get(key);
    if (!p) {
      p = make();
      this.pages.set(key, p);
      this.views.append(p.root);
      this.tabs.add(key, p.kind);
      this.updatePageTab(p);
      const page = p;
      p.open().catch(() => {}).finally(() => this.updatePageTab(page));
      this.saveTabs();
    }
    if (activate) this.activate(key);
    this.updateEmpty();
    return p;
  }

  /** Reopen a saved tab key. @param {string} key @param {boolean} activate */
  openKey(key, activate) {
    const i = key.indexOf(':');
    const kind = key.slice(0, i), rest = key.slice(i + 1);
    if (kind === 'result') this.openResult(rest, undefined, activate);
    else if (kind === 'compare') {
      let ab = null;
      try { ab = JSON.parse(rest); } catch { /* not a key this page wrote */ }
      if (Array.isArray(ab) && typeof ab[0] === 'string' && typeof ab[1] === 'string' && ab[0] && ab[1]) this.openCompare(ab[0], ab[1], activate);
    }
    else if (kind === 'config') this.openConfig(rest, activate);
    else if (kind === 'dataset') this.openDataset(rest, activate);
  }

  /** @param {string} name @param {string} [sample] @param {boolean} [activate] */
  openResult(name, sample, activate = true) {
    const v = /** @type {ResultView} */ (/** @type {any} */ (this.openPage('result:' + name, () => /** @type {any} */ (new ResultView(name, {
      onOpenRun: (id) => this.openRun(id, { activate: true }),
      onCompare: (a, b) => this.openCompare(a, b),
      results: () => this.resultList,
      onHash: () => this.onPageChanged('result:' + name),
    })), activate)));
    if (sample && v.sampleId !== sample) v.openSample(sample);
    this.resultsPane.open = new Set([...this.pages.values()].filter((p) => p.kind === 'result').map((p) => /** @type {any} */ (p).name));
    this.resultsPane.render();
    return v;
  }

  /** @param {string} a @param {string} b @param {boolean} [activate] */
  openCompare(a, b, activate = true) {
    const key = compareKey(a, b);
    return this.openPage(key, () => /** @type {any} */ (new CompareView(a, b, {
      onOpenResult: (name, sample) => this.openResult(name, sample),
      onHash: () => this.onPageChanged(key),
    })), activate);
  }

  /** @param {string} name @param {boolean} [activate] */
  openConfig(name, activate = true) {
    const key = 'config:' + name;
    return this.openPage(key, () => /** @type {any} */ (new ConfigView(name, {
      onChange: () => this.onPageChanged(key),
      onLaunched: (id) => { this.openRun(id, { activate: true }); this.loadConfigs(); },
      onOpenConfig: (n) => { this.loadConfigs(); this.openConfig(n); },
      onOpenRun: (id) => this.openRun(id, { activate: true }),
      runs: () => [...this.runs.runs.values()],
      datasets: () => this.datasetList,
      onOpenDataset: (n) => this.openDataset(n),
    })), activate);
  }

  /** @param {string} name @param {boolean} [activate] */
  openDataset(name, activate = true) {
    const key = 'dataset:' + name;
    return this.openPage(key, () => /** @type {any} */ (new DatasetView(name, { onHash: () => this.onPageChanged(key) })), activate);
  }

  /** A page's title, status or position changed. @param {string} key */
  onPageChanged(key) {
    const p = this.pages.get(key);
    if (!p) return;
    this.updatePageTab(p);
    if (this.activeId === key) {
      const want = p.hash();
      if (location.hash !== want) history.replaceState(null, '', want);
      this.updateTitle();
    }
  }

  /** @param {PageView} p */
  updatePageTab(p) {
    this.tabs.update(p.key, { name: p.title(), tip: p.tip(), status: p.status(), unseen: '', reconnecting: false, dirty: !!p.isDirty?.(), kind: p.kind });
  }

  /** Close any tab; an unsaved config asks first. @param {string} key */
  closeTab(key) {
    if (this.sessions.has(key)) { this.closeRun(key); return; }
    const p = this.pages.get(key);
    if (!p) return;
    if (p.isDirty?.() && !window.confirm(`${p.title()} has unsaved changes. Close it and lose them?`)) return;
    const ids = [...this.tabs.tabs.keys()];
    const idx = ids.indexOf(key);
    p.dispose();
    this.pages.delete(key);
    this.tabs.remove(key);
    if (this.activeId === key) {
      this.activeId = null;
      const next = ids[idx + 1] || ids[idx - 1];
      if (next && next !== key) this.activate(next);
      else history.replaceState(null, '', location.pathname + location.search);
    }
    if (p.kind === 'result') {
      this.resultsPane.open.delete(/** @type {any} */ (p).name);
      this.resultsPane.render();
    }
    this.saveTabs();
    this.updateTitle();
    this.updateEmpty();
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
        onOpenResult: (dir) => this.openResultFromDir(dir),
        onOpenConfig: (runId) => this.openRunConfig(runId),
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

  /** @param {string} id a run id or a page key */
  activate(id) {
    const s = this.sessions.get(id);
    const p = this.pages.get(id);
    if (!s && !p) return;
    this.activeId = id;
    for (const x of this.sessions.values()) if (x !== s) x.setActive(false);
    for (const x of this.pages.values()) if (x !== p) x.setActive(false);
    this.tabs.select(id);
    this.runs.activeId = s ? id : '';
    this.runs.render();
    this.resultsPane.activeName = p && p.kind === 'result' ? /** @type {any} */ (p).name : '';
    this.resultsPane.render();
    this.configs.editing = p && p.kind === 'config' ? /** @type {any} */ (p).name : '';
    this.configs.render();
    sessionStorage.setItem('devloop.active', id);
    if (p) {
      p.setActive(true);
      const want = p.hash();
      if (location.hash !== want) history.replaceState(null, '', want);
      this.updateStreams();
      this.updateTitle();
      this.updateEmpty();
      return;
    }
    s.setActive(true);
    this.updateTab(s);
    const want = `#run=${encodeURIComponent(id)}`;
    if (!location.hash.startsWith(want)) history.replaceState(null, '', want);
    this.updateStreams();
    this.updateTitle();
    this.updateEmpty();
  }

  /** @param {string} id */
  closeRun(id) {
    const s = this.sessions.get(id);
    if (!s) return;
    const ids = [...this.tabs.tabs.keys()];
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
      name: s.run ? shown(s.run.config_name) : s.runId,
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

  /** A run's result_dir → its result tab (the folder's name is the result's name). @param {string} dir */
  openResultFromDir(dir) {
    const name = resultNameFromDir(dir);
    if (name) this.openResult(name);
  }

  /** A run's exact config, in its config tab's "Runs" panel. @param {string} runId */
  async openRunConfig(runId) {
    const run = this.runs.runs.get(runId) || this.sessions.get(runId)?.run;
    if (!run) return;
    const v = /** @type {any} */ (this.openConfig(run.config_name));
    await v.ready;
    v.showRunConfig?.(runId);
  }

  updateTitle() {
    const marks = [...this.sessions.values()].map((s) => s.unseen).filter(Boolean);
    const a = this.active();
    const p = this.activeId ? this.pages.get(this.activeId) : undefined;
    const name = a && a.run ? `${shown(a.run.config_name)} (${a.run.status})` : p ? p.title() : '';
    const base = this.project ? `devloop · ${this.project.split('/').filter(Boolean).pop()}` : 'devloop';
    document.title = (marks.length ? [...new Set(marks)].join('') + ' ' : '') + (name ? `${name} — ` : '') + base;
  }

  updateEmpty() {
    this.emptyState.hidden = this.sessions.size + this.pages.size > 0;
  }

  saveTabs() {
    sessionStorage.setItem('devloop.tabs', JSON.stringify([...this.tabs.tabs.keys()]));
  }

  tick() {
    for (const s of this.sessions.values()) if (s.active) s.tick();
    this.runs.tick();
  }

  /** Handle #run=ID[&line=N], #result=NAME[&sample=ID], #compare=A&with=B, #config=NAME, #dataset=NAME. Returns true if it opened something. */
  route() {
    const h = new URLSearchParams(location.hash.replace(/^#/, ''));
    const id = h.get('run');
    if (h.get('result')) { this.openResult(/** @type {string} */ (h.get('result')), h.get('sample') || undefined); return true; }
    if (h.get('compare') && h.get('with')) {
      const v = /** @type {any} */ (this.openCompare(/** @type {string} */ (h.get('compare')), /** @type {string} */ (h.get('with'))));
      const smp = h.get('sample');
      if (smp && v.pairId !== smp) v.openPair(smp);
      return true;
    }
    if (h.get('config')) { this.openConfig(/** @type {string} */ (h.get('config'))); return true; }
    if (h.get('dataset')) { this.openDataset(/** @type {string} */ (h.get('dataset'))); return true; }
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
    const stored = localStorage.getItem('devloop.theme');
    let chosen = stored === 'dark' || stored === 'light' ? stored : '';
    const effective = () => chosen || (media.matches ? 'dark' : 'light');
    // Always set data-theme: /highlight.css (the server's code colours) keys on it.
    const label = () => {
      const t = effective();
      root.dataset.theme = t;
      btn.textContent = t === 'dark' ? '☀' : '☾';
      btn.title = t === 'dark' ? 'Switch to the light theme' : 'Switch to the dark theme';
    };
    btn.addEventListener('click', () => {
      chosen = effective() === 'dark' ? 'light' : 'dark';
      localStorage.setItem('devloop.theme', chosen);
      label();
    });
    media.addEventListener('change', label);
    label();
  }

  setupKeys() {
    document.addEventListener('keydown', (e) => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const s = this.active();
      const p = this.activeId ? this.pages.get(this.activeId) : undefined;
      if (e.key === 'Escape') {
        if (document.body.classList.contains('show-runs')) { this.toggleDrawer(false); e.preventDefault(); return; }
        if (s && s.closePanels()) { e.preventDefault(); return; }
        if (p && p.closePanels()) { e.preventDefault(); return; }
        return;
      }
      if (typingInField()) return;
      if (p) {
        if (e.key === '/') { e.preventDefault(); p.focusSearch(); }
        else if (p.handleKey(e)) e.preventDefault();
        return;
      }
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
