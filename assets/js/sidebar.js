// The side panes: configs with the Launch button (left), and runs and results
// (right). Lists are rebuilt from data with textContent only; names are shown
// with control characters escaped (util.js `shown`). A config the server will
// not serve (its entry has `error`) is listed greyed with the reason, and can be
// neither selected, launched nor opened.

import { el, fmtWhen, fmtLaunched, fmtAgo, runElapsed, FINAL, shown, queuePlace, fmtBytes, fmtDuration } from './util.js';

/** Can this config be opened and launched? @param {import('./api.js').ConfigEntry} c */
const usable = (c) => !c.error;

/** localStorage key: "1" while the configs pane is folded to its rail. */
const COLLAPSED_KEY = 'devloop.configsCollapsed';

export class ConfigsPane {
  /**
   * @param {HTMLElement} host
   * @param {{ onLaunch: (name: string, target?: string) => Promise<{ok: boolean, status?: string, error?: string, offline?: boolean}>, onEdit: (name: string) => void }} h
   */
  constructor(host, h) {
    this.h = h;
    /** @type {import('./api.js').ConfigEntry[]} */
    this.configs = [];
    this.selected = localStorage.getItem('devloop.config') || '';
    /** @type {Map<string, string>} launch errors by config name */
    this.errors = new Map();
    /** @type {Set<string>} configs whose error is "the server could not be reached": gone once it answers again */
    this.offline = new Set();
    this.list = el('div', { class: 'config-list', attrs: { role: 'listbox', 'aria-label': 'Configs' } });
    this.launchBtn = el('button', { class: 'btn btn-primary launch', attrs: { type: 'button' }, on: { click: () => this.launch() } });
    this.launchLabel = el('span', { class: 'launch-label', text: 'Launch' });
    this.launchBtn.append(this.launchLabel);
    this.count = el('span', { class: 'pane-count' });
    this.msg = el('div', { class: 'pane-msg', hidden: true });
    // Where a run goes: shown when devloop.toml names targets; remembered per config.
    this.targetPick = el('select', { class: 'target-pick', attrs: { 'aria-label': 'Run on', title: 'Run on' }, hidden: true,
      on: { change: () => { if (this.selected) localStorage.setItem('devloop.target.' + this.selected, this.targetPick.value); } } });
    // On a narrow window the editor and the log want the width: the pane folds to a
    // thin rail (remembered across reloads), and the rail's button brings it back.
    this.collapseBtn = el('button', { class: 'btn btn-icon configs-collapse', text: '«', attrs: { type: 'button', title: 'Collapse the configs pane', 'aria-label': 'Collapse the configs pane', 'aria-expanded': 'true', 'aria-controls': host.id },
      on: { click: () => this.setCollapsed(true) } });
    this.rail = el('button', { class: 'configs-rail', attrs: { type: 'button', title: 'Show the configs pane', 'aria-label': 'Show the configs pane', 'aria-expanded': 'false', 'aria-controls': host.id },
      on: { click: () => this.setCollapsed(false) } }, el('span', { class: 'configs-rail-arrow', text: '»' }), el('span', { class: 'configs-rail-label', text: 'Configs' }));
    host.append(
      this.rail,
      el('div', { class: 'pane-head' }, el('h3', { text: 'Configs' }), this.count, el('span', { class: 'spacer' }), this.collapseBtn),
      this.msg, this.list,
      el('div', { class: 'launch-bar' }, this.targetPick, this.launchBtn));
    this.editing = '';
    this._renderButton();
    this.setCollapsed(localStorage.getItem(COLLAPSED_KEY) === '1', false);
  }

  /** Fold the pane to its rail, or open it again. @param {boolean} on @param {boolean} [focus] */
  setCollapsed(on, focus = true) {
    this.collapsed = on;
    document.body.classList.toggle('configs-collapsed', on);
    if (on) localStorage.setItem(COLLAPSED_KEY, '1'); else localStorage.removeItem(COLLAPSED_KEY);
    // Keyboard users land on the control that undoes what they just did.
    if (focus) (on ? this.rail : this.collapseBtn).focus();
  }

  /**
   * The targets of devloop.toml, for the picker beside Launch.
   * @param {import('./api.js').TargetEntry[]} targets
   */
  setTargets(targets) {
    this.targetPick.replaceChildren(
      el('option', { text: 'Run on: the config\'s target, or here', attrs: { value: '' } }),
      el('option', { text: 'Here (this machine)', attrs: { value: 'local' } }),
      ...targets.map((t) => el('option', {
        text: `${t.name} · ${t.kind}${t.answers ? (t.free_nodes != null ? ` · ${t.free_nodes}/${t.nodes} nodes free` : ` · ${t.arch || ''}`) : ' · not answering'}`,
        attrs: { value: t.name, title: t.error || t.ssh || t.workdir || t.name },
      })));
    this.targetPick.hidden = targets.length === 0;
    this._pickTarget();
  }

  _pickTarget() {
    const saved = this.selected ? localStorage.getItem('devloop.target.' + this.selected) : '';
    const known = [...this.targetPick.options].some((o) => o.value === saved);
    this.targetPick.value = known && saved ? saved : '';
  }

  /** @param {import('./api.js').ConfigEntry[]} configs */
  setConfigs(configs) {
    this.configs = configs;
    // The server answered: errors that only said it could not be reached are stale.
    for (const name of this.offline) this.errors.delete(name);
    this.offline.clear();
    if (!configs.some((c) => c.name === this.selected && usable(c))) this.selected = configs.find(usable)?.name || '';
    this.count.textContent = String(configs.length);
    this.msg.hidden = configs.length > 0;
    this.msg.textContent = 'No configs found in configs/.';
    this.render();
  }

  /** @param {string} message */
  setError(message) {
    this.msg.hidden = false;
    this.msg.textContent = message;
  }

  render() {
    const items = this.configs.map((c) => {
      if (!usable(c)) return this._unusable(c);
      const on = c.name === this.selected;
      const item = el('div', {
        class: 'config' + (on ? ' selected' : '') + (this.editing === c.name ? ' editing' : ''),
        attrs: { role: 'option', 'aria-selected': String(on), tabindex: on ? '0' : '-1', title: shown(c.name) },
        dataset: { name: c.name },
      },
      el('span', { class: 'config-line' },
        el('span', { class: 'config-name', text: shown(c.name) }),
        el('span', { class: 'config-ext', text: c.ext || '' }),
        el('button', { class: 'config-edit', text: '✎', attrs: { type: 'button', title: `Open ${shown(c.name)} in the editor`, 'aria-label': `Edit ${shown(c.name)}`, tabindex: '-1' } })),
      el('span', { class: 'config-sub' },
        el('span', { class: 'config-mtime', text: c.mtime_ms ? `edited ${fmtAgo(c.mtime_ms)}` : '', attrs: { title: c.mtime_ms ? `changed ${fmtLaunched(c.mtime_ms)}` : '' } }),
        c.last_run ? el('span', { class: 'config-last st-' + c.last_run.status, dataset: { status: c.last_run.status }, attrs: { title: `last run ${c.last_run.run_id}: ${c.last_run.status}${c.last_run.exit_code != null ? ` (exit ${c.last_run.exit_code})` : ''}` } },
          el('span', { class: 'dot st-' + c.last_run.status }), ` ${c.last_run.status === 'running' || c.last_run.status === 'queued' ? c.last_run.status : `ran ${fmtAgo(c.last_run.ended_at || c.last_run.created_at)}`}`) : el('span', { class: 'config-last never', text: 'never run' })));
      item.addEventListener('click', (e) => {
        if (/** @type {HTMLElement} */ (e.target).closest('.config-edit')) { this.select(c.name); this.h.onEdit(c.name); return; }
        this.select(c.name);
      });
      item.addEventListener('dblclick', (e) => { if (!/** @type {HTMLElement} */ (e.target).closest('.config-edit')) this.h.onEdit(c.name); });
      item.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') { e.preventDefault(); this.launch(); }
        else if (e.key === 'e') { e.preventDefault(); this.h.onEdit(c.name); }
        else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
          e.preventDefault();
          const ok = this.configs.filter(usable);
          const i = ok.findIndex((x) => x.name === this.selected) + (e.key === 'ArrowDown' ? 1 : -1);
          if (ok[i]) { this.select(ok[i].name); /** @type {HTMLElement} */ (this.list.querySelector('.config.selected'))?.focus(); }
        }
      });
      const err = this.errors.get(c.name);
      if (!err) return item;
      return el('div', { class: 'config-wrap' }, item, el('div', { class: 'config-error', attrs: { role: 'alert' }, text: err }));
    });
    this.list.replaceChildren(...items);
    this._renderButton();
  }

  /** A config the server will not serve: greyed, the reason as its text and tooltip, inert. @param {import('./api.js').ConfigEntry} c */
  _unusable(c) {
    return el('div', {
      class: 'config bad',
      attrs: { role: 'option', 'aria-disabled': 'true', 'aria-selected': 'false', tabindex: '-1', title: `${shown(c.name)}: ${c.error}` },
      dataset: { name: c.name },
    },
    el('span', { class: 'config-line' },
      el('span', { class: 'config-name', text: shown(c.name) }),
      el('span', { class: 'config-ext', text: c.ext || '' })),
    el('span', { class: 'config-sub' }, el('span', { class: 'config-problem', text: String(c.error) })));
  }

  /** @param {string} name */
  select(name) {
    this.selected = name;
    if (this.showingOutcome) { this.showingOutcome = false; clearTimeout(this.outcomeTimer); }
    localStorage.setItem('devloop.config', name);
    this._pickTarget();
    this.render();
  }

  _renderButton() {
    if (this.busy || this.showingOutcome) return;
    this.launchBtn.disabled = !this.selected;
    this.launchLabel.textContent = this.selected ? `Launch ${shown(this.selected)}` : 'Launch';
    this.launchBtn.className = 'btn btn-primary launch';
  }

  async launch() {
    const name = this.selected;
    if (!name || this.busy) return;
    this.busy = true;
    this.showingOutcome = false;
    clearTimeout(this.outcomeTimer);
    this.errors.delete(name);
    this.offline.delete(name);
    this.render();
    this.launchBtn.disabled = true;
    this.launchBtn.className = 'btn btn-primary launch busy';
    this.launchLabel.textContent = `Launching ${shown(name)}…`;
    const res = await this.h.onLaunch(name, this.targetPick.hidden ? undefined : this.targetPick.value || undefined);
    if (res.ok) {
      this.launchBtn.className = 'btn btn-primary launch ok';
      this.launchLabel.textContent = res.status === 'queued' ? `⏳ Queued ${shown(name)}` : `✓ Launched ${shown(name)}`;
    } else {
      this.errors.set(name, res.error || 'launch failed');
      if (res.offline) this.offline.add(name);
      this.render(); // shows the error next to the config (the button keeps its outcome while busy)
      this.launchBtn.className = 'btn btn-primary launch bad';
      this.launchLabel.textContent = '✗ Launch failed';
    }
    // Ready again at once; the outcome stays on the button for a moment.
    this.busy = false;
    this.launchBtn.disabled = false;
    this.showingOutcome = true;
    clearTimeout(this.outcomeTimer);
    this.outcomeTimer = setTimeout(() => { this.showingOutcome = false; this._renderButton(); }, 1500);
  }
}

export class RunsPane {
  /**
   * @param {HTMLElement} host
   * @param {{ onOpen: (id: string) => void }} h
   */
  constructor(host, h) {
    this.h = h;
    /** @type {Map<string, import('./api.js').Run>} */
    this.runs = new Map();
    /** @type {Set<string>} */
    this.open = new Set();
    this.activeId = '';
    this.limit = 200;
    /** max_concurrent of devloop.toml (from /api/health), for queued runs' places */
    this.maxConcurrent = 0;
    this.list = el('div', { class: 'run-list', attrs: { 'aria-label': 'Runs' } });
    this.count = el('span', { class: 'pane-count' });
    this.more = el('button', { class: 'btn btn-link', text: 'Show more', hidden: true, attrs: { type: 'button' }, on: { click: () => { this.limit += 500; this.render(); } } });
    host.append(el('div', { class: 'pane-head' }, el('h3', { text: 'Runs' }), this.count), this.list, this.more);
    /** @type {Map<string, HTMLElement>} */
    this.items = new Map();
  }

  /** @param {import('./api.js').Run[]} runs */
  setRuns(runs) {
    const prev = this.runs;
    this.runs = new Map(runs.map((r) => {
      const old = prev.get(r.run_id);
      return [r.run_id, old && FINAL.has(old.status) && !FINAL.has(r.status) ? old : r];
    }));
    this.render();
  }

  /** @param {import('./api.js').Run} run */
  upsert(run) {
    const old = this.runs.get(run.run_id);
    if (old && FINAL.has(old.status) && !FINAL.has(run.status)) return; // stale
    const had = !!old;
    this.runs.set(run.run_id, run);
    // A run joining, leaving or starting from the queue moves every queued run's place.
    if (!had || run.status === 'queued' || old.status === 'queued' || [...this.runs.values()].some((r) => r.status === 'queued')) { this.render(); return; }
    const item = this.items.get(run.run_id);
    if (item) { item.replaceWith(this._item(run)); this._renderCount(); } else this.render();
  }

  _renderCount() {
    const all = this.runs.size;
    let active = 0;
    for (const r of this.runs.values()) if (!FINAL.has(r.status)) active++;
    this.count.textContent = active ? `${active} active · ${all}` : String(all);
  }

  /** @param {string} id */
  remove(id) { this.runs.delete(id); this.render(); }

  sorted() {
    return [...this.runs.values()].sort((a, b) => (b.created_at - a.created_at) || (a.run_id < b.run_id ? 1 : -1));
  }

  render() {
    const all = this.sorted();
    this.items.clear();
    const items = all.slice(0, this.limit).map((r) => this._item(r));
    this.list.replaceChildren(...items);
    if (!all.length) this.list.append(el('div', { class: 'pane-msg', text: 'No runs yet. Pick a config and press Launch.' }));
    this.more.hidden = all.length <= this.limit;
    this._renderCount();
  }

  /** @param {import('./api.js').Run} r */
  _item(r) {
    const cls = 'run-item' + (this.open.has(r.run_id) ? ' open' : '') + (this.activeId === r.run_id ? ' active' : '');
    const item = el('button', { class: cls, attrs: { type: 'button', title: `${shown(r.config_name)} · ${r.run_id}` }, dataset: { run: r.run_id, status: r.status } },
      el('span', { class: 'dot st-' + r.status }),
      el('span', { class: 'run-item-main' },
        el('span', { class: 'run-item-name', text: shown(r.config_name) }),
        el('span', { class: 'run-item-sub' },
          el('span', { class: 'run-item-status st-' + r.status, text: r.status, attrs: { title: queuePlace(r, this.runs.values(), this.maxConcurrent) } }),
          el('span', { class: 'run-item-elapsed', text: runElapsed(r) }),
          el('span', { class: 'run-item-cost', text: runCost(r), attrs: { title: 'Peak memory · CPU time' } }),
          el('span', { class: 'run-item-when', text: fmtWhen(r.created_at) }))));
    item.addEventListener('click', () => this.h.onOpen(r.run_id));
    this.items.set(r.run_id, item);
    return item;
  }

  /** Elapsed times of active runs move on. */
  tick() {
    for (const [id, item] of this.items) {
      const r = this.runs.get(id);
      if (!r || FINAL.has(r.status)) continue;
      const e = item.querySelector('.run-item-elapsed');
      if (e) e.textContent = runElapsed(r);
    }
  }
}

/** "312 MiB · 4.2s CPU": what a run used, when known. @param {import('./api.js').Run} r */
function runCost(r) {
  if (r.peak_rss_bytes == null) return '';
  const cpu = r.cpu_seconds == null ? '' : ` · ${fmtDuration(r.cpu_seconds * 1000)} CPU`;
  return fmtBytes(r.peak_rss_bytes) + cpu;
}
