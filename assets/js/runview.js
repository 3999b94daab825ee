// One open run, a tab like the other views (main.js): its header (status
// badge, elapsed, connection, Stop), its "Output" and "Samples" tabs, the log
// toolbar (search, timestamps, clear, download) and the live stream that feeds
// both views.

import { Gauges } from './gauges.js';
import { api, RunStream } from './api.js';
import { LogModel } from './logmodel.js';
import { LogView } from './logview.js';
import { runKey } from './tabs.js';
import { SamplesModel, SamplesView, progressBar, setProgressBar } from './samples.js';
import { el, fmtInt, fmtLaunched, runElapsed, FINAL, resultNameFromDir, shown, deleteWithConfirm } from './util.js';

/** A finished run with more records than this opens at its tail; older lines load when scrolled to. */
const REPLAY_MAX = 20_000;
const TAIL_RECORDS = 3000;
/** A following view this many records behind the run skips ahead to its tail (the lines between load when scrolled to). */
const CATCH_UP = 20_000;

export class RunSession {
  /**
   * @param {string} runId
   * @param {{ onStatus: (s: RunSession) => void, onComplete: (s: RunSession) => void,
   *   onOpenResult?: (dir: string) => void, onOpenConfig?: (runId: string) => void,
   *   onRerun?: (run: import('./api.js').Run) => Promise<void>, onDeleted?: (runId: string) => void }} hooks
   */
  constructor(runId, hooks) {
    this.runId = runId;
    this.key = runKey(runId);
    this.kind = 'run';
    this.hooks = hooks;
    /** @type {import('./api.js').Run|null} */
    this.run = null;
    this.connState = 'connecting';
    this.active = false;
    this.lastActive = 0;
    this.unseen = '';       // ✓ / ✗ once it finished while not looked at
    this.sawRunning = false; // seen queued or running here (so its end is news)
    this.finishedNoted = false;
    this.tab = 'output';
    this.userPickedTab = false;
    this.eventsGap = false;  // events before the stream start were never seen
    this.scanning = false;
    /** @type {number|null} */
    this.pendingLine = null;

    this.model = new LogModel(runId, () => this.logView.invalidate());
    this.logView = new LogView(this.model, { runId, onFollowChange: () => {} });
    this._newSamples();

    this.stream = new RunStream(runId, {
      after: 0,
      onRecords: (recs) => this._onRecords(recs),
      onRun: (run) => this.setRun(run),
      onComplete: (msg) => this._onComplete(msg),
      onState: (s, info) => {
        this.connState = s;
        if (s === 'live' && this.run && !FINAL.has(this.run.status) && this.logView.loading) { this.logView.loading = false; this.logView.invalidate(); }
        this._renderConn(info);
      },
      onError: (message) => { this.errorBox.hidden = false; this.errorBox.textContent = 'Server: ' + message; },
    });
    this._build();
  }

  _newSamples() {
    this.samples = new SamplesModel(() => {});
    this.samplesView = new SamplesView(this.samples);
    if (this.samplesHost) this.samplesHost.replaceChildren(this.samplesView.root);
  }

  _build() {
    this.titleEl = el('h2', { class: 'run-title' });
    this.idLabel = el('span', { class: 'run-id', attrs: { title: 'Run id' } });
    this.badge = el('span', { class: 'badge' });
    this.elapsed = el('span', { class: 'elapsed' });
    this.conn = el('span', { class: 'conn', hidden: true });
    this.queueEl = el('span', { class: 'queue-place', hidden: true, attrs: { title: 'Queued runs start oldest first when a slot is free (max_concurrent in devloop.toml)' } });
    this.stopBtn = el('button', { class: 'btn btn-danger stop', text: 'Stop', attrs: { type: 'button' }, on: { click: () => this._askStop() } });
    this.confirmBox = el('div', { class: 'confirm', hidden: true, attrs: { role: 'dialog', 'aria-label': 'Confirm stop' } },
      el('span', { text: 'Stop this run? It gets SIGTERM, then SIGKILL after the grace period.' }),
      el('button', { class: 'btn btn-danger confirm-stop', text: 'Stop run', attrs: { type: 'button' }, on: { click: () => this._doStop() } }),
      el('button', { class: 'btn', text: 'Cancel', attrs: { type: 'button' }, on: { click: () => this.closePanels() } }));
    // Re-run: the same config on the same target; Delete: a finished run, after a confirmation.
    this.rerunBtn = el('button', { class: 'btn run-rerun', text: '↻ Re-run', attrs: { type: 'button' }, hidden: true, on: { click: () => this._rerun() } });
    const del = deleteWithConfirm({
      title: 'Delete this run: its log and folder',
      question: 'Delete this run? Its log and folder are removed; a result it wrote is kept.',
      confirm: 'Delete run',
      extraClass: 'confirm-delete-box',
      onConfirm: () => this._doDelete(),
    });
    this.deleteBtn = del.button;
    this.deleteBtn.classList.add('run-delete');
    this.deleteBtn.hidden = true;
    this.deleteBox = del.box;
    this.pb = progressBar();
    this.pb.bar.classList.add('pbar-head');
    this.pb.bar.hidden = true;
    this.cmd = el('div', { class: 'run-cmd' });
    this.gauges = new Gauges();
    this.errorBox = el('div', { class: 'run-error', hidden: true });
    this.resultBtn = el('button', { class: 'btn run-result', attrs: { type: 'button', title: 'Open the result this run wrote' }, hidden: true, on: { click: () => this.run?.result_dir && this.hooks.onOpenResult?.(this.run.result_dir) } });
    this.configBtn = el('button', { class: 'btn run-config', text: 'Config used', attrs: { type: 'button', title: 'The config exactly as this run used it' }, on: { click: () => this.hooks.onOpenConfig?.(this.runId) } });

    const head = el('div', { class: 'run-head' },
      el('div', { class: 'run-head-row' },
        el('div', { class: 'run-head-title' }, this.titleEl, this.idLabel),
        el('div', { class: 'run-head-status' }, this.badge, this.queueEl, this.elapsed, this.conn),
        el('div', { class: 'spacer' }),
        this.resultBtn, this.configBtn, this.rerunBtn, this.deleteBtn,
        this.stopBtn),
      this.confirmBox, this.deleteBox, this.cmd, this.gauges.root, this.pb.bar, this.errorBox);

    // Output / Samples tabs
    this.tabOut = el('button', { class: 'subtab', text: 'Output', attrs: { type: 'button', role: 'tab' }, on: { click: () => this.showTab('output', true) } });
    this.sampleCount = el('span', { class: 'count' });
    this.tabSamples = el('button', { class: 'subtab', attrs: { type: 'button', role: 'tab' }, on: { click: () => this.showTab('samples', true) } }, 'Samples', this.sampleCount);

    // Log toolbar: search (the whole log, on the server), filters, go to line, view options.
    this.searchInput = el('input', { class: 'search-input', attrs: { type: 'search', placeholder: 'Search log  ( / )', 'aria-label': 'Search log', spellcheck: 'false' } });
    this.searchCount = el('span', { class: 'search-count', attrs: { 'aria-live': 'polite' } });
    const prev = el('button', { class: 'btn btn-icon search-prev', text: '↑', attrs: { type: 'button', title: 'Previous match (Shift+Enter)' }, on: { click: () => this._step(-1) } });
    const next = el('button', { class: 'btn btn-icon search-next', text: '↓', attrs: { type: 'button', title: 'Next match (Enter)' }, on: { click: () => this._step(1) } });
    /** @param {string} cls @param {string} text @param {string} title */
    const optBtn = (cls, text, title) => el('button', { class: 'btn btn-icon search-opt ' + cls, text, attrs: { type: 'button', title, 'aria-pressed': 'false' }, on: { click: (e) => { const b = /** @type {HTMLElement} */ (e.currentTarget); b.setAttribute('aria-pressed', String(b.getAttribute('aria-pressed') !== 'true')); this._search(); } } });
    this.regexBtn = optBtn('search-regex', '.*', 'Regular expression');
    this.caseBtn = optBtn('search-case', 'Aa', 'Match case');
    let searchTimer = 0;
    this.searchInput.addEventListener('input', () => { clearTimeout(searchTimer); searchTimer = setTimeout(() => this._search(), 200); });
    this.searchInput.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') { e.preventDefault(); clearTimeout(searchTimer); this._step(e.shiftKey ? -1 : 1); }
      else if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); this.closePanels(); }
    });
    this.onlyToggle = el('input', { class: 'only-matching', attrs: { type: 'checkbox' }, on: { change: () => this._search() } });
    this.levelSelect = el('select', { class: 'level-filter', attrs: { 'aria-label': 'Show lines', title: 'Show only some lines' }, on: { change: () => this._search() } },
      el('option', { text: 'All lines', attrs: { value: '' } }),
      el('option', { text: 'Errors', attrs: { value: 'error' } }),
      el('option', { text: 'Errors + warnings', attrs: { value: 'warning' } }),
      el('option', { text: 'stderr only', attrs: { value: 'stderr' } }));
    this.filterCount = el('span', { class: 'filter-count' });
    this.gotoInput = el('input', { class: 'goto-line', attrs: { type: 'text', inputmode: 'numeric', placeholder: 'Line', 'aria-label': 'Go to line', title: 'Go to line (Enter)' } });
    this.gotoInput.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        const n = parseInt(this.gotoInput.value.replace(/[,\s_]/g, ''), 10);
        if (n > 0) this.logView.gotoProgLine(n);
      } else if (e.key === 'Escape') { e.preventDefault(); e.stopPropagation(); this.gotoInput.value = ''; this.logView.scroller.focus(); }
    });
    this.wrapToggle = el('input', { class: 'wrap-toggle', attrs: { type: 'checkbox' }, checked: this.logView.wrap, on: { change: () => this.logView.setWrap(this.wrapToggle.checked) } });
    this.timeToggle = el('input', { class: 'time-toggle', attrs: { type: 'checkbox' }, checked: this.logView.showTime, on: { change: () => this.logView.setShowTime(this.timeToggle.checked) } });
    const clearBtn = el('button', { class: 'btn', text: 'Clear', attrs: { type: 'button', title: 'Clear the view (the log is kept)' }, on: { click: () => this.logView.clear() } });
    this.download = el('a', { class: 'btn download-log', text: 'Download log', attrs: { href: api.logUrl(this.runId), download: `${this.runId}.log`, title: 'As text: colour codes removed, stderr lines marked [stderr]' } });
    this.downloadRaw = el('a', { class: 'btn download-raw', text: 'raw', attrs: { href: api.logUrl(this.runId, true), download: `${this.runId}.raw.log`, title: 'As the program wrote it: colour codes kept, streams not marked' } });
    this.followLabel = el('span', { class: 'follow-state' });
    this.logView.onFollowChange = (f) => { this.followLabel.textContent = f ? '' : 'paused'; };
    this.logView.onSearchChange = () => this._renderSearchCount();

    this.toolbar = el('div', { class: 'log-tools' },
      el('div', { class: 'search' }, this.searchInput, this.regexBtn, this.caseBtn, this.searchCount, prev, next),
      el('label', { class: 'toggle', attrs: { title: 'Show only the lines that match the search' } }, this.onlyToggle, ' Only matching'),
      this.levelSelect, this.filterCount,
      this.gotoInput,
      el('label', { class: 'toggle', attrs: { title: 'Wrap long lines' } }, this.wrapToggle, ' Wrap'),
      el('label', { class: 'toggle' }, this.timeToggle, ' Timestamps'),
      clearBtn, el('span', { class: 'btn-pair' }, this.download, this.downloadRaw), this.followLabel);

    this.tabsRow = el('div', { class: 'run-subtabs', attrs: { role: 'tablist' } }, this.tabOut, this.tabSamples, el('div', { class: 'spacer' }), this.toolbar);
    this.outputHost = el('div', { class: 'run-pane output-pane' }, this.logView.root);
    this.samplesHost = el('div', { class: 'run-pane samples-pane', hidden: true }, this.samplesView.root);
    this.root = el('section', { class: 'run-view', hidden: true, dataset: { run: this.runId } }, head, this.tabsRow, this.outputHost, this.samplesHost);
    this.showTab('output', false);
    this._renderHead();
  }

  // ---- the tab protocol (main.js) ---------------------------------------------

  title() { return this.run ? shown(this.run.config_name) : this.runId; }
  /** When it was launched (the tab shows it beside the config's name). */
  when() { return this.run ? fmtLaunched(this.run.created_at) : ''; }
  tip() { return `${this.title()} · ${this.runId} · launched ${this.when()} · ${this.status()}${this.queueNote ? ' · ' + this.queueNote : ''}${this.connState === 'reconnecting' ? ' · reconnecting' : ''}`; }
  /** Where it waits while queued ("2nd in queue · 2 running, max 2"); set by the app from the runs it knows. @param {string} note */
  setQueuePlace(note) {
    if (this.queueNote === note) return;
    this.queueNote = note;
    if (this.queueEl) { this.queueEl.textContent = note; this.queueEl.hidden = !note; }
  }
  status() { return this.run ? this.run.status : 'queued'; }
  hash() { return `#run=${encodeURIComponent(this.runId)}`; }
  /** g / G: top / latest of the output. @param {KeyboardEvent} e */
  handleKey(e) {
    if (e.key === 'g') { this.showTab('output', true); this.logView.toTop(); return true; }
    if (e.key === 'G') { this.showTab('output', true); this.logView.jumpToLatest(); return true; }
    return false;
  }

  /** Load the run and decide where its stream starts (the start, or its tail if huge). */
  open() {
    this.ready ||= this._open();
    return this.ready;
  }

  async _open() {
    try {
      const run = await api.run(this.runId);
      this.setRun(run);
      if (run.records > REPLAY_MAX) this._startAtTail(run.records);
    } catch (e) {
      this.errorBox.hidden = false;
      this.errorBox.textContent = `Could not load run: ${e.message}`;
      if (e.status === 404) { this.connState = 'gone'; this._renderConn(); return; }
    }
  }

  /** devloop's own lines before the tail the page starts at (so the program's line numbers are right). */
  _loadDevloopLines() {
    this.model.devloopReady = (async () => {
      try {
        const r = await api.logSearch(this.runId, { level: 'devloop', limit: 2000 });
        for (const rec of r.records) if (rec.type === 'stdout') this.model.noteDevloop(rec.lineno);
        this.logView.invalidate();
      } catch { /* numbers stay as they are */ }
    })();
  }

  /** Start (or resume after the last seq seen) the live stream. */
  async resume() {
    this.wantStream = true;
    if (this.resuming) return;
    this.resuming = true;
    try { await this._resume(); } finally { this.resuming = false; }
  }

  async _resume() {
    await this.open();
    if (this.stream.ended || (this.stream.state !== 'closed' && !this.stream.closed)) return;
    // Far behind (e.g. a flood while in the background)? Continue from the tail instead.
    if (this.run && !FINAL.has(this.run.status) && this.stream.lastSeq > 0) {
      try {
        const run = await api.run(this.runId);
        this.setRun(run);
        if (run.records - this.stream.lastSeq > REPLAY_MAX) this._startAtTail(run.records);
      } catch { /* the stream's own retry handles a server that is away */ }
    }
    if (this.wantStream) this.stream.start();
  }

  pause() {
    this.wantStream = false;
    if (!this.stream.ended && !this.stream.closed) this.stream.close();
  }

  dispose() {
    this.stream.close();
    this.root.remove();
  }

  /** @param {import('./api.js').Run} run */
  setRun(run) {
    if (!run || run.run_id !== this.runId) return;
    const prev = this.run?.status;
    // Status only moves forward: a stale read (e.g. GET right after `complete`) must not undo an end.
    if (prev && FINAL.has(prev) && !FINAL.has(run.status)) return;
    this.run = run;
    this._renderHead();
    if (prev !== run.status) this.hooks.onStatus(this);
    this._catchUp(run.records);
  }

  /**
   * Far behind a run (a flood) while following its end: skip to the tail
   * instead of painting every line on the way. What was skipped loads when
   * scrolled to; events are read again for the Samples view.
   * @param {number} records the run's record count as the server last said
   */
  _catchUp(records) {
    const st = this.stream;
    if (!this.logView.follow || st.ended || st.closed || st.state === 'closed') return;
    if (!(records - st.lastSeq > CATCH_UP)) return;
    st.close();
    this._startAtTail(records);
    if (this.wantStream) st.start();
  }

  /**
   * Streams on from the last TAIL_RECORDS of `records`: what is skipped
   * loads when scrolled to, events are read again for the Samples view, and
   * devloop's own lines are learnt so the program's line numbers stay right.
   * @param {number} records
   */
  _startAtTail(records) {
    const after = Math.max(this.stream.lastSeq, records - TAIL_RECORDS, 0);
    this.stream.lastSeq = after;
    this.model.markIncomplete();
    this.eventsGap = after > 0;
    this._loadDevloopLines();
  }

  /** @param {import('./api.js').LogRecord[]} recs */
  _onRecords(recs) {
    this.logView.loading = false;
    let events = 0;
    for (const r of recs) {
      if (r.type === 'stdout') this.model.apply(r);
      else if (r.type === 'metrics') this.gauges.push(r);
      else if (r.type === 'event') {
        if (this.scanning) (this._scanBuffer ||= []).push(r);
        else { this.samples.apply(r); events++; }
      }
    }
    if (this.run && recs.length) {
      const last = recs[recs.length - 1].seq;
      if (last > this.run.records) this.run.records = last;
    }
    this.logView.invalidate();
    this.gauges.render();
    this.logView.outputArrived();
    if (events) this._samplesChanged();
  }

  _samplesChanged() {
    if (this._samplesFrame) return;
    this._samplesFrame = requestAnimationFrame(() => {
      this._samplesFrame = 0;
      this._renderSamplesHead();
      if (this.active && this.tab === 'samples') this.samplesView.render(this._endT());
    });
  }

  _endT() {
    const r = this.run;
    return r && r.ended_at && FINAL.has(r.status) ? r.ended_at : Date.now();
  }

  /** The stream's last message: the run as it ended (exact end time and record count). @param {import('./api.js').CompleteMsg} msg */
  _onComplete(msg) {
    if (msg.run && msg.run.run_id === this.runId) this.run = msg.run;
    else if (this.run) {
      // A server that could not read the run sends only its exit.
      this.run = { ...this.run, status: msg.status || this.run.status, exit_code: msg.exit_code ?? this.run.exit_code, signal: msg.signal ?? this.run.signal, ended_at: this.run.ended_at || Date.now() };
    }
    this.logView.ended = true;
    this.logView.loading = false;
    this.logView.invalidate();
    this.logView.outputArrived();
    this._renderHead();
    this.hooks.onComplete(this);
  }

  /** @param {"output"|"samples"} which @param {boolean} byUser */
  showTab(which, byUser) {
    if (byUser) this.userPickedTab = true;
    this.tab = which;
    this.tabOut.classList.toggle('active', which === 'output');
    this.tabSamples.classList.toggle('active', which === 'samples');
    this.tabOut.setAttribute('aria-selected', String(which === 'output'));
    this.tabSamples.setAttribute('aria-selected', String(which === 'samples'));
    this.outputHost.hidden = which !== 'output';
    this.samplesHost.hidden = which !== 'samples';
    this.toolbar.classList.toggle('invisible', which !== 'output');
    this.logView.setActive(this.active && which === 'output');
    if (which === 'samples') {
      if (this.eventsGap && !this.scanning) this._scanEvents();
      for (const s of this.samples.samples.values()) this.samples.dirty.add(s);
      this.samplesView.render(this._endT());
    }
  }

  /** Events from before the stream start were skipped (huge run): read them from the log. */
  async _scanEvents() {
    this.scanning = true;
    this._scanBuffer = [];
    const upto = this.stream.lastSeq;
    this._newSamples();
    this.samplesView.stats.textContent = 'Reading events from the log…';
    try {
      let after = 0;
      while (after < upto) {
        const page = await api.logPage(this.runId, after, 10000);
        if (!page.records.length) break;
        for (const r of page.records) if (r.type === 'event' && r.seq <= upto) this.samples.apply(r);
        after = page.records[page.records.length - 1].seq;
        this.samplesView.stats.textContent = `Reading events from the log… ${Math.min(100, Math.round(after / upto * 100))}%`;
        if (page.complete && after >= page.last_seq) break;
      }
      this.eventsGap = false;
    } catch (e) {
      this.samplesView.stats.textContent = `Could not read events: ${e.message}`;
    } finally {
      this.scanning = false;
      for (const r of this._scanBuffer || []) if (r.seq > upto) this.samples.apply(r);
      this._scanBuffer = null;
      this._samplesChanged();
    }
  }

  /** @param {boolean} on */
  setActive(on) {
    this.active = on;
    this.root.hidden = !on;
    if (on) {
      this.lastActive = Date.now();
      this.unseen = '';
    }
    this.logView.setActive(on && this.tab === 'output');
    if (on && this.tab === 'samples') this.showTab('samples', false);
  }

  /** Open scrolled to the program's line n (from a #run=ID&line=N link). @param {number} n */
  gotoLine(n) {
    this.showTab('output', true);
    const tryGo = () => {
      const L = this.model.lineOfProg(n);
      if ((this.model.total >= L && this.model.devloopLines.length) || (this.run && FINAL.has(this.run.status) && this.stream.ended)) {
        this.logView.gotoProgLine(n);
        this.pendingLine = null;
        return true;
      }
      return false;
    };
    if (tryGo()) return;
    // The line is not known yet (stream still replaying): retry as records arrive.
    this.pendingLine = n;
    const poll = () => { if (this.pendingLine !== n) return; if (!tryGo()) setTimeout(poll, 100); };
    setTimeout(poll, 100);
  }

  // ---- search ------------------------------------------------------------

  focusSearch() {
    this.showTab('output', true);
    this.searchInput.focus();
    this.searchInput.select();
  }

  /** The search and filters as the toolbar has them. */
  _searchParams() {
    return {
      q: this.searchInput.value,
      regex: this.regexBtn.getAttribute('aria-pressed') === 'true',
      case: this.caseBtn.getAttribute('aria-pressed') === 'true',
      level: this.levelSelect.value,
    };
  }

  _search() {
    this.logView.setSearch(this._searchParams(), this.onlyToggle.checked);
    this._renderSearchCount();
  }

  /** @param {1|-1} dir */
  _step(dir) {
    const p = this._searchParams(), v = this.logView;
    if (!v.nav || !v.nav.same(p) || v.onlyMatching !== this.onlyToggle.checked || v.params.level !== p.level) this._search();
    v.step(dir);
  }

  _renderSearchCount() {
    const v = this.logView, s = v.nav;
    let text = '', none = false;
    if (s) {
      if (s.error) { text = s.error; none = true; }
      else if (!s.ready) text = 'searching…';
      else {
        const n = s.total;
        none = n === 0;
        text = n === 0 ? 'no matches' : v.matchIndex >= 0 ? `${fmtInt(v.matchIndex + 1)} of ${fmtInt(n)}` : `${fmtInt(n)} match${n === 1 ? '' : 'es'}`;
      }
    }
    this.searchCount.textContent = text;
    this.searchCount.title = text;
    this.searchCount.classList.toggle('none', none);
    const r = v.rows;
    this.filterCount.textContent = r && r !== s && r.ready && !r.error ? `${fmtInt(r.total)} line${r.total === 1 ? '' : 's'}` : '';
  }

  // ---- stop ----------------------------------------------------------------

  _askStop() {
    this.confirmBox.hidden = false;
    /** @type {HTMLElement} */ (this.confirmBox.querySelector('.confirm-stop')).focus();
  }

  async _doStop() {
    this.confirmBox.hidden = true;
    this.stopBtn.disabled = true;
    this.stopBtn.textContent = 'Stopping…';
    try {
      const run = await api.stop(this.runId);
      this.setRun(run);
    } catch (e) {
      this.errorBox.hidden = false;
      this.errorBox.textContent = `Stop failed: ${e.message}`;
      this.stopBtn.disabled = false;
    }
    this._renderHead();
  }

  /** Launches the same config again, on the same target. */
  async _rerun() {
    if (!this.run || !this.hooks.onRerun) return;
    this.rerunBtn.disabled = true;
    try { await this.hooks.onRerun(this.run); } catch (e) {
      this.errorBox.hidden = false;
      this.errorBox.textContent = `Re-run failed: ${e.message}`;
    } finally { this.rerunBtn.disabled = false; }
  }

  async _doDelete() {
    try {
      await api.deleteRun(this.runId);
      this.hooks.onDeleted?.(this.runId);
    } catch (e) {
      this.errorBox.hidden = false;
      this.errorBox.textContent = `Delete failed: ${e.message}`;
    }
  }

  /** Close transient panels (Esc). Returns true if something was closed. */
  closePanels() {
    if (!this.deleteBox.hidden) { this.deleteBox.hidden = true; return true; }
    if (!this.confirmBox.hidden) { this.confirmBox.hidden = true; return true; }
    if (document.activeElement === this.searchInput || this.searchInput.value) {
      this.searchInput.value = '';
      this.onlyToggle.checked = false;
      this._search();
      this.searchInput.blur();
      this.logView.scroller.focus();
      return true;
    }
    return false;
  }

  // ---- header ----------------------------------------------------------------

  _renderHead() {
    const r = this.run;
    this.titleEl.textContent = r ? shown(r.config_name) : this.runId;
    this.idLabel.textContent = this.runId;
    const st = r ? r.status : 'loading';
    this.badge.className = 'badge st-' + st;
    this.badge.textContent = st;
    this.badge.dataset.status = st;
    this.elapsed.textContent = r ? runElapsed(r) : '';
    if (r) {
      const exit = FINAL.has(r.status) ? (r.signal ? ` · signal ${r.signal}` : r.exit_code != null ? ` · exit ${r.exit_code}` : '') : '';
      const where = r.target ? ` · on ${r.target}${remoteWhere(r)}` : '';
      this.cmd.textContent = (Array.isArray(r.command) ? r.command.join(' ') : String(r.command || '')) + exit + where;
      this.cmd.title = this.cmd.textContent;
    }
    const rname = r ? resultNameFromDir(r.result_dir) : '';
    this.resultBtn.hidden = !rname;
    if (rname) { this.resultBtn.textContent = "Result ↗"; this.resultBtn.title = `Open the result this run wrote: ${shown(rname)}`; this.resultBtn.dataset.result = rname; }
    const live = r && (r.status === 'running' || r.status === 'queued' || r.status === 'pending');
    this.stopBtn.hidden = !live;
    if (live && this.stopBtn.textContent !== 'Stopping…') this.stopBtn.disabled = false;
    if (!live) { this.stopBtn.textContent = 'Stop'; this.confirmBox.hidden = true; }
    this.rerunBtn.hidden = !r;
    if (r) this.rerunBtn.title = `Launch ${shown(r.config_name)} again${r.target ? ` on ${r.target}` : ' here'}`;
    this.deleteBtn.hidden = !(r && FINAL.has(r.status));
    if (this.deleteBtn.hidden) this.deleteBox.hidden = true;
    if (r && FINAL.has(r.status)) this.logView.ended = this.stream.ended || this.logView.ended;
    this._renderSamplesHead();
  }

  _renderSamplesHead() {
    const m = this.samples;
    const o = m.overall();
    this.sampleCount.textContent = m.samples.size ? ` ${o && o.total ? `${o.done}/${o.total}` : m.samples.size}` : '';
    setProgressBar(this.pb, m, this._endT());
  }

  /** Called every second by the app: elapsed time and rates move on. */
  tick() {
    if (!this.run) return;
    // Many records a second while following: ask how far the run is ahead.
    const seen = this.stream.lastSeq, rate = seen - (this._lastTickSeq ?? seen);
    this._lastTickSeq = seen;
    if (rate > CATCH_UP / 4 && this.logView.follow && !FINAL.has(this.run.status)) {
      api.run(this.runId).then((run) => this.setRun(run)).catch(() => {});
    }
    this.elapsed.textContent = runElapsed(this.run);
    if (!FINAL.has(this.run.status)) {
      setProgressBar(this.pb, this.samples, this._endT());
    }
  }

  /** @param {string} [info] */
  _renderConn(info) {
    const s = this.connState;
    const show = s === 'reconnecting' || s === 'gone';
    this.conn.hidden = !show;
    this.conn.textContent = s === 'gone' ? (info || 'run not found') : 'reconnecting…';
    this.conn.className = 'conn ' + s;
    this.hooks.onStatus(this);
  }
}

/**
 * Where a remote run is: its host, its Slurm job, and why it waits.
 * @param {import('./api.js').Run} r
 */
function remoteWhere(r) {
  const m = r.remote;
  if (!m) return '';
  const parts = [];
  if (m.host) parts.push(m.host);
  if (m.job_id) parts.push(`job ${m.job_id}`);
  if (r.status === 'pending' && m.reason) parts.push(`waiting: ${m.reason}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}
