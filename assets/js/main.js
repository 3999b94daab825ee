// devloop's page: wires the panes, the tabs (runs, results, comparisons,
// configs, datasets: one map of views), the project change feed, the URL
// (#run=ID&line=N, #result=…, …) and the browser history (showing another
// tab, or opening a sample or a pair, is an entry; Back returns to the
// previous view), keyboard shortcuts and the theme.

import { api, ApiError, ProjectEvents, noteMarks, oldestMark, whenReadFails } from './api.js';
import { ConfigsPane, RunsPane } from './sidebar.js';
import { SidePane, ResultsList, DatasetsList } from './results.js';
import { DatasetView } from './datasets.js';
import { TabBar, runKey, compareKey } from './tabs.js';
import { Notifier } from './notify.js';
import { FINAL, statusMark, typingInField, resultNameFromDir, shown, queuePlace } from './util.js';

/**
 * The views (views.js), set once loaded. They are most of the page's script:
 * asked for at once, but the lists do not wait for them; a tab opened before
 * they have come opens when they do.
 * @type {typeof import('./views.js')|null}
 */
let V = null;

/**
 * Set when the views could not be fetched (the server went down while the
 * page loaded): the browser remembers a failed module under its address, so
 * only a reload gets them, and the page reloads once the server is back
 * (`resync`). Nothing is lost: without the views no tab could open.
 */
let viewsLost = false;
/**
 * A stylesheet the views need, linked now: the page's own (style.css, inside
 * it) styles only what its first frame shows, so that frame waits for no file.
 * @param {string} href @returns {Promise<void>} once applied; rejects if it could not be fetched
 */
function linkStyle(href) {
  return new Promise((resolve, reject) => {
    const link = Object.assign(document.createElement('link'), { rel: 'stylesheet', href });
    link.addEventListener('load', () => resolve());
    link.addEventListener('error', () => reject(new Error(`${href} could not be fetched`)));
    document.head.append(link);
  });
}
/**
 * The views: their modules and their stylesheets (views.css; the server's
 * colours for the code it highlights, /highlight.css). A view is never shown
 * unstyled: what opens one waits for all of them. Once they are in, the page
 * says so on its root (`data-views="ready"`), for what drives it from outside
 * (the browser tests, the benchmarks): a tab opens from then on without waiting.
 * @type {Promise<typeof import('./views.js')>}
 */
const viewsReady = Promise.all([import('./views.js'), linkStyle('/assets/views.css'), linkStyle('/highlight.css')]).then(([m]) => {
  V = m;
  document.documentElement.dataset.views = 'ready';
  return m;
}, (e) => {
  viewsLost = true;
  console.warn(`the views did not load (${e.message}); the page reloads once the server answers`);
  return new Promise(() => {}); // what waits for them waits for the reload
});

/** The views, once loaded (the open* methods wait for them first). */
function views() {
  if (!V) throw new Error('the views have not loaded yet');
  return V;
}

/** Runs that keep streaming while their tab is in the background (browsers allow ~6 connections per host). */
const MAX_BACKGROUND_STREAMS = 2;
/**
 * A new tab of these kinds is shown once its first content is drawn, or after
 * SHOW_WAIT ms if that takes longer: the view is laid out once, whole, instead
 * of an empty frame first and everything again a moment later (on a big
 * table that second layout is most of the wait).
 */
const SHOWN_WHEN_DRAWN = new Set(['result', 'compare', 'dataset']);
const SHOW_WAIT = 150;

const $ = (sel) => /** @type {HTMLElement} */ (document.querySelector(sel));

/** @typedef {import('./runview.js').RunSession} RunSession */
/** @typedef {import('./resultview.js').ResultView} ResultView */
/** @typedef {import('./editor.js').ConfigView} ConfigView */
/** @typedef {RunSession|ResultView|import('./compare.js').CompareView|ConfigView|DatasetView} View a main-pane tab */

/**
 * Every open tab is a view, one map of them by key ("run:ID", "result:NAME",
 * "compare:[A,B]", "config:NAME", "dataset:NAME"), each with the same protocol:
 * key, kind, root, title(), tip(), status(), hash(), open(), setActive(on),
 * dispose(), closePanels(), focusSearch(), handleKey(e), and isDirty() for
 * configs. What differs by kind is decided here, in the few places that care.
 */
class App {
  constructor() {
    /** @type {Map<string, View>} open tabs by key, in no particular order (the tab bar keeps the order) */
    this.views = new Map();
    /** @type {string|null} the key of the shown tab */
    this.activeKey = null;
    /** @type {string|null} a new tab to show once its content is drawn (SHOWN_WHEN_DRAWN); any other activation overrides it */
    this.pendingKey = null;
    /** True while the page follows the URL (Back, Forward, a reload): the address changes in place, no history entry. */
    this.routing = false;
    this.project = '';
    /** @type {string|null} the server's count of change notices that what the page shows is up to date with (api.js noteMarks) */
    this.synced = null;
    // A failed answer may have left something unread: the next time the feed opens, read again.
    whenReadFails(() => { this.synced = null; });
    /** @type {import('./api.js').ResultEntry[]} */
    this.resultList = [];
    /** @type {import('./api.js').DatasetEntry[]} */
    this.datasetList = [];

    this.viewsEl = $('#views');
    this.emptyState = $('#empty-state');
    this.connBadge = $('#conn');
    this.configs = new ConfigsPane($('#configs'), {
      onLaunch: (name, target) => this.launch(name, target),
      onEdit: (name) => this.openConfig(name),
    });
    this.side = new SidePane($('#runs'));
    this.runs = new RunsPane(this.side.parts.runs.box, { onOpen: (id) => { this.openRun(id, { activate: true }); this.toggleDrawer(false); } });
    this.resultsPane = new ResultsList(this.side.parts.results.box, {
      onOpen: (name) => { this.openResult(name); this.toggleDrawer(false); },
      onPress: (name) => { if (V && !this.views.has('result:' + name)) V.askFirstAhead(name); },
      onOpenRun: (id) => { this.openRun(id, { activate: true }); this.toggleDrawer(false); },
      onCount: (t) => this.side.setCount('results', t),
      runStatus: (id) => this.runs.runs.get(id)?.status,
      onQuery: () => this.loadResults(),
    });
    this.datasets = new DatasetsList(this.side.parts.datasets.box, {
      onOpen: (name) => { this.openDataset(name); this.toggleDrawer(false); },
      onCount: (t) => this.side.setCount('datasets', t),
    });
    this.tabs = new TabBar($('#tabs'), { onSelect: (key) => this.activate(key), onClose: (key) => this.closeTab(key) });

    this.notifier = new Notifier(/** @type {HTMLButtonElement} */ ($('#notify-toggle')), (id, line) => {
      location.hash = line ? `#run=${encodeURIComponent(id)}&line=${line}` : `#run=${encodeURIComponent(id)}`;
    });
    this.events = new ProjectEvents({
      onMessage: (m) => this.onProjectEvent(m),
      onState: (s) => { this.connBadge.hidden = s === 'live'; this.connBadge.textContent = 'reconnecting…'; },
      onConnect: (seq) => {
        // What the page shows was read at `synced`: if the feed opens at that count, nothing was missed.
        const missed = !seq || seq !== this.synced || viewsLost;
        this.synced = seq;
        if (missed) this.resync();
      },
    });
  }

  async start() {
    this.setupTheme();
    this.setupKeys();
    $('#runs-toggle').addEventListener('click', () => this.toggleDrawer());
    $('#drawer-backdrop').addEventListener('click', () => this.toggleDrawer(false));
    // Back/Forward between entries (they differ in their hash) and hand-edited addresses.
    window.addEventListener('hashchange', () => this.route());
    window.addEventListener('beforeunload', (e) => {
      if (this.configViews().some((v) => v.isDirty())) { e.preventDefault(); e.returnValue = ''; }
    });
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) {
        const v = this.activeView();
        if (v?.kind === 'run' && v.unseen) { v.unseen = ''; this.updateTab(v); }
      }
      this.updateTitle();
    });
    setInterval(() => this.tick(), 1000);

    api.health().then((h) => {
      this.project = String(h.project || '');
      this.maxConcurrent = Number(h.max_concurrent) || 0;
      this.runs.maxConcurrent = this.maxConcurrent;
      this.updateQueue();
      const p = $('#project');
      p.textContent = this.project.split('/').filter(Boolean).pop() || this.project;
      p.title = this.project;
      this.updateTitle();
    }).catch(() => {});
    noteMarks();
    await Promise.all([this.loadConfigs(), this.loadRuns(), this.loadResults(), this.loadDatasets()]);
    this.synced = oldestMark();
    // Checking targets may take seconds (each is asked over ssh): not awaited.
    api.targets().then((r) => this.configs.setTargets(r.targets || [])).catch(() => {});
    this.events.start();
    // The lists are on screen; what follows opens tabs, so it waits for the views.
    await viewsReady;
    views().warmFonts();

    // Tabs open before a reload come back, then the URL decides which one is shown
    // (in place: coming back is not a step the Back button should undo).
    this.routing = true;
    let restore = [];
    try { restore = JSON.parse(sessionStorage.getItem('devloop.tabs') || '[]'); } catch { restore = []; }
    for (const key of restore) if (typeof key === 'string') this.openKey(key, false);
    if (!this.route() && restore.length) {
      const last = sessionStorage.getItem('devloop.active');
      const key = last && this.views.has(last) ? last : [...this.tabs.tabs.keys()].pop();
      if (key) this.activate(key);
    }
    this.routing = false;
    this.updateEmpty();
  }

  // ---- views ------------------------------------------------------------------

  /** The open runs. @returns {RunSession[]} */
  runViews() { return /** @type {RunSession[]} */ (this.ofKind('run')); }

  /** The open results. @returns {ResultView[]} */
  resultViews() { return /** @type {ResultView[]} */ (this.ofKind('result')); }

  /** The open configs. @returns {ConfigView[]} */
  configViews() { return /** @type {ConfigView[]} */ (this.ofKind('config')); }

  /** The open views of one kind ('run', 'result', 'compare', 'config', 'dataset'). @param {string} kind @returns {View[]} */
  ofKind(kind) {
    const out = [];
    for (const v of this.views.values()) if (v.kind === kind) out.push(v);
    return out;
  }

  /** The open tab of run `id`, if any. @param {string} id */
  runView(id) {
    const v = this.views.get(runKey(id));
    return v?.kind === 'run' ? v : undefined;
  }

  activeView() { return this.activeKey ? this.views.get(this.activeKey) : undefined; }

  // ---- data ------------------------------------------------------------------

  async loadConfigs() {
    try {
      const list = (await api.configs()).configs || [];
      this.configs.setConfigs(list);
      for (const v of this.configViews()) v.onConfigsChanged(list);
    } catch (e) { this.configs.setError(`Could not list configs: ${e.message}`); }
  }

  async loadRuns() {
    try {
      const runs = (await api.runs()).runs || [];
      this.runs.setRuns(runs);
      for (const r of runs) { this.runView(r.run_id)?.setRun(r); this.notifier.onRun(r, false); }
      this.resultsPane.render(); // "running" results whose run has ended
      for (const v of this.configViews()) v.setRuns(runs);
      this.updateQueue();
    } catch { /* shown by the connection badge */ }
  }

  async loadResults() {
    const seq = (this.resultsSeq = (this.resultsSeq || 0) + 1);
    try {
      // The pane's page of the list, and the entries open tabs need wherever they fall in it.
      const names = this.resultViews().map((v) => v.name);
      const runIds = this.runViews().map((v) => v.runId);
      const [page, mine] = await Promise.all([api.results(this.resultsPane.query()),
        names.length || runIds.length ? api.results({ name: names, run_id: runIds }) : { results: [] }]);
      if (seq !== this.resultsSeq) return;
      const shownNames = new Set(page.results.map((r) => r.name));
      const list = [...page.results, ...(mine.results || []).filter((r) => !shownNames.has(r.name))];
      const old = new Map(this.resultList.map((r) => [r.name, r]));
      this.resultList = list;
      this.resultsPane.setResults(page);
      // Open results that changed on disk re-read themselves; comparisons too.
      /** @param {import('./api.js').ResultEntry|undefined} r */
      const sig = (r) => r ? `${r.status}|${r.total_samples}|${r.mtime_ms}|${r.error}` : '';
      for (const v of this.resultViews()) {
        const now = list.find((r) => r.name === v.name);
        if (now && sig(now) !== sig(old.get(v.name))) v.refresh();
        else v.fillCompare();
      }
      // An open run that writes an Inspect log shows the log's samples in its Samples tab.
      for (const r of list) {
        const run = r.kind === 'inspect' && r.run_id ? this.runView(r.run_id) : null;
        if (run && V) V.feedRunSamples(run, r).catch((e) => console.warn('inspect samples feed:', e));
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
    // At most once in 10 s: a page whose views fail to load with the server up must not reload forever.
    if (viewsLost && Date.now() - Number(sessionStorage.getItem('devloop.reloaded') || 0) > 10_000) {
      sessionStorage.setItem('devloop.reloaded', String(Date.now()));
      location.reload();
      return;
    }
    this.loadRuns();
    this.loadConfigs();
    this.loadResults();
    this.loadDatasets();
  }

  /** @param {import('./api.js').ProjectEvent} m */
  onProjectEvent(m) {
    if ('seq' in m && typeof m.seq === 'string') this.synced = m.seq;
    switch (m.type) {
      case 'run_changed':
        if (m.run && m.run.run_id) {
          const run = m.run;
          this.notifier.onRun(run, FINAL.has(run.status));
          this.runs.upsert(run);
          this.runView(run.run_id)?.setRun(run);
          for (const v of this.configViews()) v.onRun(run);
          this.updateQueue();
          if (FINAL.has(run.status)) { this.loadResults(); this.loadConfigs(); }
          else if (this.resultList.some((r) => r.run_id === run.run_id)) this.resultsPane.render();
        }
        break;
      case 'alert':
        this.notifier.onAlert(m);
        break;
      case 'run_deleted':
        if (m.run_id) { this.runs.remove(m.run_id); if (this.runView(m.run_id)) this.closeTab(runKey(m.run_id)); this.updateQueue(); }
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

  /** Queued runs' places ("2nd in queue · 2 running, max 2") in their tabs' headers. */
  updateQueue() {
    const views = this.runViews();
    if (!views.some((v) => v.queueNote || v.run?.status === 'queued' || this.runs.runs.get(v.runId)?.status === 'queued')) return;
    for (const v of views) {
      const run = this.runs.runs.get(v.runId) || v.run;
      v.setQueuePlace(run ? queuePlace(run, this.runs.runs.values(), this.maxConcurrent) : '');
      this.updateTab(v);
    }
  }

  /** @param {string} name @param {string} [target] */
  async launch(name, target) {
    // A config open with unsaved changes launches what the user sees: validated and saved first.
    const page = this.views.get('config:' + name);
    if (page?.kind === 'config' && page.isDirty()) return page.launchIt();
    try {
      const res = await api.launch(name, target);
      if (!res || !res.run_id) return { ok: false, error: 'the server gave no run id' };
      this.openRun(res.run_id, { activate: true });
      this.loadConfigs();
      return { ok: true, status: res.status };
    } catch (e) {
      // No answer at all (the server is down): said so, and cleared once it is back (ConfigsPane.setConfigs).
      if (!(e instanceof ApiError)) return { ok: false, offline: true, error: `Could not reach the server (${e.message || e}); try again once it is back.` };
      return { ok: false, error: e.message || String(e) };
    }
  }

  // ---- tabs: open, show, close ------------------------------------------------------

  /**
   * Open (or show) the tab `key`, made by `make` the first time.
   * @template {View} T
   * @param {string} key @param {() => T} make @param {boolean} activate
   * @returns {T}
   */
  openView(key, make, activate) {
    let v = /** @type {T|undefined} */ (this.views.get(key));
    if (!v) {
      const view = make();
      v = view;
      this.views.set(key, view);
      this.viewsEl.append(view.root);
      const opened = view.open().catch(() => {}).finally(() => this.onViewOpened(view));
      // Not while following the URL: there the address is already the view's.
      if (activate && !this.routing && SHOWN_WHEN_DRAWN.has(view.kind)) this.showWhenDrawn(view, opened);
      else this.addTab(view);
    }
    // A second click on a tab that waits for its content does not show it bare.
    if (activate && this.pendingKey !== key) this.activate(key);
    this.updateEmpty();
    return v;
  }

  /**
   * Show a new view, and its tab, once `opened` (its first content drawn) or
   * after SHOW_WAIT ms, unless another tab is shown meanwhile: then its tab
   * only. A tab drawn before would cost a frame of its own.
   * @param {View} view @param {Promise<unknown>} opened
   */
  showWhenDrawn(view, opened) {
    this.pendingKey = view.key;
    const waited = new Promise((r) => setTimeout(r, SHOW_WAIT));
    Promise.race([opened, waited]).then(() => {
      if (this.views.get(view.key) !== view) return;
      this.addTab(view);
      if (this.pendingKey === view.key) this.activate(view.key);
    });
  }

  /** @param {View} view */
  addTab(view) {
    this.tabs.add(view.key, view.kind, view.kind === 'run' ? { run: view.runId } : {});
    this.updateTab(view);
    this.saveTabs();
    if (view.kind === 'run') this.markOpenRuns();
    else if (view.kind === 'result') this.markOpenResults();
  }

  /** A view has loaded what it shows first. @param {View} v */
  onViewOpened(v) {
    this.updateTab(v);
    if (v.kind === 'run') {
      this.updateStreams();
      if (v.run) this.runs.upsert(v.run);
      this.updateQueue();
    }
  }

  /** Reopen a saved tab key. @param {string} key @param {boolean} activate */
  openKey(key, activate) {
    const i = key.indexOf(':');
    const kind = key.slice(0, i), rest = key.slice(i + 1);
    if (kind === 'run') { if (this.runs.runs.has(rest)) this.openRun(rest, { activate }); }
    else if (kind === 'result') this.openResult(rest, undefined, activate);
    else if (kind === 'compare') {
      let ab = null;
      try { ab = JSON.parse(rest); } catch { /* not a key this page wrote */ }
      if (Array.isArray(ab) && typeof ab[0] === 'string' && typeof ab[1] === 'string' && ab[0] && ab[1]) this.openCompare(ab[0], ab[1], activate);
    }
    else if (kind === 'config') this.openConfig(rest, activate);
    else if (kind === 'dataset') this.openDataset(rest, activate);
  }

  /**
   * @param {string} id
   * @param {{activate?: boolean, line?: number}} [o]
   */
  openRun(id, o = {}) {
    if (!V) { viewsReady.then(() => this.openRun(id, o)); return undefined; }
    const { RunSession } = views();
    const v = this.openView(runKey(id), () => {
      const s = new RunSession(id, {
        onStatus: (x) => this.onRunStatus(x),
        onComplete: (x) => this.onRunComplete(x),
        onOpenResult: (dir) => this.openResultFromDir(dir),
        onOpenConfig: (runId) => this.openRunConfig(runId),
        // The same config on the same target ("local" when it ran here, not the config's own target).
        onRerun: async (run) => {
          const res = await this.launch(run.config_name, run.target || 'local');
          if (!res.ok) throw new Error(res.error || 'launch failed');
        },
        onDeleted: (runId) => { this.runs.remove(runId); this.closeTab(runKey(runId)); this.updateQueue(); },
      });
      const known = this.runs.runs.get(id);
      if (known) s.setRun(known);
      return s;
    }, !!o.activate);
    if (o.line) v.gotoLine(o.line);
    return v;
  }

  /** @param {string} name @param {string} [sample] @param {boolean} [activate] */
  openResult(name, sample, activate = true) {
    if (!V) { viewsReady.then(() => this.openResult(name, sample, activate)); return undefined; }
    const key = 'result:' + name;
    const v = this.openView(key, () => views().makeResultView(name, {
      onOpenRun: (id) => this.openRun(id, { activate: true }),
      onCompare: (a, b) => this.openCompare(a, b),
      results: () => this.resultList,
      onHash: (push) => this.onViewChanged(key, push),
      onDeleted: () => { this.closeTab(key); this.loadResults(); },
    }), activate);
    if (sample && v.sampleId !== sample) v.openSample(sample);
    return v;
  }

  /** @param {string} a @param {string} b @param {boolean} [activate] */
  openCompare(a, b, activate = true) {
    if (!V) { viewsReady.then(() => this.openCompare(a, b, activate)); return undefined; }
    const key = compareKey(a, b);
    const { CompareView } = views();
    return this.openView(key, () => new CompareView(a, b, {
      onOpenResult: (name, sample) => this.openResult(name, sample),
      onHash: (push) => this.onViewChanged(key, push),
    }), activate);
  }

  /** @param {string} name @param {boolean} [activate] */
  openConfig(name, activate = true) {
    if (!V) { viewsReady.then(() => this.openConfig(name, activate)); return undefined; }
    const key = 'config:' + name;
    const { ConfigView } = views();
    return this.openView(key, () => new ConfigView(name, {
      onChange: () => this.onViewChanged(key),
      onLaunched: (id) => { this.openRun(id, { activate: true }); this.loadConfigs(); },
      onOpenConfig: (n) => { this.loadConfigs(); this.openConfig(n); },
      onOpenRun: (id) => this.openRun(id, { activate: true }),
      runs: () => [...this.runs.runs.values()],
      datasets: () => this.datasetList,
      onOpenDataset: (n) => this.openDataset(n),
    }), activate);
  }

  /** @param {string} name @param {boolean} [activate] */
  openDataset(name, activate = true) {
    if (!V) { viewsReady.then(() => this.openDataset(name, activate)); return undefined; }
    const key = 'dataset:' + name;
    return this.openView(key, () => new DatasetView(name, { onHash: () => this.onViewChanged(key) }), activate);
  }

  /** The runs list marks the runs open in a tab. */
  markOpenRuns() {
    this.runs.open = new Set(this.runViews().map((v) => v.runId));
    this.runs.render();
  }

  /** The results list marks the results open in a tab. */
  markOpenResults() {
    this.resultsPane.open = new Set(this.resultViews().map((v) => v.name));
    this.resultsPane.render();
  }

  /**
   * A view's title, status or position changed; `push` when it moved to
   * another place (a sample opened or closed) rather than changed in place.
   * @param {string} key @param {boolean} [push]
   */
  onViewChanged(key, push = false) {
    const v = this.views.get(key);
    if (!v) return;
    this.updateTab(v);
    if (this.activeKey === key) {
      this.setHash(v.hash(), push);
      this.updateTitle();
    }
  }

  /**
   * Put `want` in the address bar: as a new history entry when `push`, else
   * in place. While the page follows the URL (Back, Forward) it never adds one.
   * @param {string} want @param {boolean} push
   */
  setHash(want, push) {
    if (location.hash === want || (want === '' && !location.hash)) return;
    const url = want || location.pathname + location.search;
    if (push && !this.routing) history.pushState(null, '', url);
    else history.replaceState(null, '', url);
  }

  /** @param {View} v */
  updateTab(v) {
    const run = v.kind === 'run' ? v : null;
    this.tabs.update(v.key, {
      name: v.title(),
      when: run ? run.when() : '',
      tip: v.tip(),
      status: v.status(),
      unseen: run ? run.unseen : '',
      reconnecting: !!run && run.connState === 'reconnecting',
      dirty: v.kind === 'config' && v.isDirty(),
      kind: v.kind,
    });
  }

  /** Show tab `key`. @param {string} key */
  activate(key) {
    const v = this.views.get(key);
    if (!v) return;
    this.pendingKey = null;
    this.activeKey = key;
    for (const x of this.views.values()) if (x !== v) x.setActive(false);
    this.tabs.select(key);
    // The side lists mark the shown tab: redrawn only when their mark moves
    // (a redraw of hundreds of entries on every tab switch is not free).
    const runId = v.kind === 'run' ? v.runId : '';
    if (this.runs.activeId !== runId) { this.runs.activeId = runId; this.runs.render(); }
    const resultName = v.kind === 'result' ? v.name : '';
    if (this.resultsPane.activeName !== resultName) { this.resultsPane.activeName = resultName; this.resultsPane.render(); }
    const editing = v.kind === 'config' ? v.name : '';
    if (this.configs.editing !== editing) { this.configs.editing = editing; this.configs.render(); }
    sessionStorage.setItem('devloop.active', key);
    v.setActive(true);
    if (v.kind === 'run') this.updateTab(v);
    this.updateStreams();
    this.updateTitle();
    this.updateEmpty();
    // Last: Chromium lays the page out when the address changes (it keeps
    // the scroll position), so every change to the page comes before it.
    // A run's hash may go on with "&line=N" (a line link): keep it.
    const want = v.hash();
    const keep = v.kind === 'run' ? location.hash.startsWith(want) : location.hash === want;
    if (!keep) this.setHash(want, true);
  }

  /** Close any tab; an unsaved config asks first. @param {string} key */
  closeTab(key) {
    const v = this.views.get(key);
    if (!v) return;
    if (v.kind === 'config' && v.isDirty() && !window.confirm(`${v.title()} has unsaved changes. Close it and lose them?`)) return;
    const keys = [...this.tabs.tabs.keys()];
    const idx = keys.indexOf(key);
    v.dispose();
    this.views.delete(key);
    if (this.pendingKey === key) this.pendingKey = null;
    this.tabs.remove(key);
    if (this.activeKey === key) {
      this.activeKey = null;
      const next = keys[idx + 1] || keys[idx - 1];
      if (next && next !== key) this.activate(next);
      else this.setHash('', false);
    }
    if (v.kind === 'run') this.markOpenRuns();
    else if (v.kind === 'result') this.markOpenResults();
    this.saveTabs();
    this.updateStreams();
    this.updateTitle();
    this.updateEmpty();
  }

  // ---- runs ----------------------------------------------------------------------

  /** The active run streams; so do the most recently viewed running ones, up to a cap; the rest resume when shown. */
  updateStreams() {
    const active = this.activeView();
    const others = this.runViews()
      .filter((s) => s !== active)
      .sort((a, b) => b.lastActive - a.lastActive || (a.runId < b.runId ? 1 : -1));
    let budget = MAX_BACKGROUND_STREAMS;
    for (const s of others) {
      const live = !s.run || !FINAL.has(s.run.status);
      if (live && budget > 0 && !s.stream.ended) { budget--; s.resume(); }
      else s.pause();
    }
    if (active?.kind === 'run') active.resume();
  }

  /** @param {RunSession} s */
  onRunStatus(s) {
    if (s.run && !FINAL.has(s.run.status)) s.sawRunning = true;
    if (s.run && FINAL.has(s.run.status)) this.noteFinished(s);
    this.updateTab(s);
    if (s.run) this.runs.upsert(s.run);
    this.updateTitle();
  }

  /** @param {RunSession} s */
  onRunComplete(s) {
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
    const run = this.runs.runs.get(runId) || this.runView(runId)?.run;
    if (!run) return;
    const v = this.openConfig(run.config_name);
    await v.ready;
    v.showRunConfig(runId);
  }

  updateTitle() {
    const marks = this.runViews().map((s) => s.unseen).filter(Boolean);
    const v = this.activeView();
    const name = v?.kind === 'run' ? (v.run ? `${shown(v.run.config_name)} (${v.run.status})` : '') : v ? v.title() : '';
    const base = this.project ? `devloop · ${this.project.split('/').filter(Boolean).pop()}` : 'devloop';
    document.title = (marks.length ? [...new Set(marks)].join('') + ' ' : '') + (name ? `${name} — ` : '') + base;
  }

  updateEmpty() {
    // A tab waiting for its content leaves the page as it was until it shows.
    this.emptyState.hidden = this.activeKey !== null || (this.views.size > 0 && this.pendingKey === null);
  }

  saveTabs() {
    sessionStorage.setItem('devloop.tabs', JSON.stringify([...this.tabs.tabs.keys()]));
  }

  tick() {
    for (const s of this.runViews()) if (s.active) s.tick();
    this.runs.tick();
  }

  /**
   * Show what the URL names: #run=ID[&line=N], #result=NAME[&filter=…&sort=…&q=…&sample=ID],
   * #compare=A&with=B[&sample=ID], #config=NAME, #dataset=NAME. Returns true if it opened something.
   */
  route() {
    if (!V) { viewsReady.then(() => this.route()); return false; }
    const was = this.routing;
    this.routing = true;
    try { return this._route(); } finally { this.routing = was; }
  }

  _route() {
    const h = new URLSearchParams(location.hash.replace(/^#/, ''));
    const id = h.get('run');
    const result = h.get('result'), compare = h.get('compare'), withB = h.get('with'), config = h.get('config'), dataset = h.get('dataset');
    if (result) {
      const v = this.openResult(result);
      v.setState(h);
      return true;
    }
    if (compare && withB) {
      const v = this.openCompare(compare, withB);
      const smp = h.get('sample');
      if (smp && v.pairId !== smp) v.openPair(smp, false);
      else if (!smp && v.pairId) v.closePair(false);
      return true;
    }
    if (config) { this.openConfig(config); return true; }
    if (dataset) { this.openDataset(dataset); return true; }
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
      const v = this.activeView();
      if (e.key === 'Escape') {
        if (document.body.classList.contains('show-runs')) { this.toggleDrawer(false); e.preventDefault(); return; }
        if (v && v.closePanels()) e.preventDefault();
        return;
      }
      if (typingInField() || !v) return;
      if (e.key === '/') { e.preventDefault(); v.focusSearch(); }
      else if (v.handleKey(e)) e.preventDefault();
    });
  }
}

// The server set its cookie when it answered `?token=…`: the token leaves
// the address bar and history, so it is not shared with a copied link.
if (new URLSearchParams(location.search).has('token')) {
  history.replaceState(history.state, '', location.pathname + location.hash);
}

const app = new App();
// For tests and debugging in the console (read-only use).
Object.defineProperty(window, 'devloop', { value: app });
app.start();
