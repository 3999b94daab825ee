// One open config: a code editor (CodeJar + Prism, vendored: line numbers,
// syntax colours, tab indents, undo/redo; the browser's find works on it),
// a form view for TOML/JSON (configform.js), Save (checked first: one with
// errors asks before it is saved) with conflict handling,
// Validate with problems marked on their lines, Launch (validate, save, launch),
// Copy to a new name, the runs of this config with the exact config each used,
// and the fields of the project's datasets as placeholders.

import { api, ApiError } from './api.js';
import { datasetFields } from './datasets.js';
import { lineDiff } from './diff.js';
import { el, kids, fmtAgo, fmtWhen, shown } from './util.js';

const LINE_H = 20; // px; must match .code-lines / .code-editor line-height in views.css
const PAD_TOP = 8; // px; .code-editor padding-top

/** @param {string} name */
function langOf(name) {
  const ext = name.split('.').pop()?.toLowerCase() || '';
  return ext === 'yml' ? 'yaml' : ext === 'py' ? 'python' : ext;
}

/**
 * Prism, a classic script (prism-core, loaded with data-manual) on `window`.
 * @typedef {{ languages: Record<string, object>, highlight: (text: string, grammar: object, lang: string) => string }} Prism
 */

/** Prism and the grammars configs are written in, in the order they must run. */
const PRISM = ['prism-core', 'prism-toml', 'prism-yaml', 'prism-json', 'prism-python'];

/**
 * @typedef {{ CodeJar: typeof import('../vendor/codejar/codejar.js').CodeJar,
 *   ConfigForm: typeof import('./configform.js').ConfigForm,
 *   formSupported: typeof import('./configform.js').formSupported }} EditorLibs
 */
/** @type {Promise<EditorLibs>|null} */
let editorLibs = null;

/**
 * The editor's libraries (CodeJar, the form and its TOML parser, Prism),
 * loaded when the first config is opened: most visits to the page never
 * edit one, and these are a third of its files.
 * @returns {Promise<EditorLibs>}
 */
function loadEditorLibs() {
  editorLibs ||= Promise.all([import('../vendor/codejar/codejar.js'), import('./configform.js'), loadPrism()])
    .then(([cj, cf]) => ({ CodeJar: cj.CodeJar, ConfigForm: cf.ConfigForm, formSupported: cf.formSupported }));
  return editorLibs;
}

/** Prism's classic scripts: fetched at once, run in order (async = false); resolves when the last has run. */
function loadPrism() {
  return new Promise((resolve) => {
    PRISM.forEach((name, i) => {
      const s = document.createElement('script');
      s.src = `/assets/vendor/prism/${name}.min.js`;
      s.async = false;
      if (i === 0) s.dataset.manual = '';
      // Without Prism the editor still works, uncoloured.
      if (i === PRISM.length - 1) { s.onload = () => resolve(undefined); s.onerror = () => resolve(undefined); }
      document.head.append(s);
    });
  });
}

/** Prism highlighting. @param {string} lang */
function highlighter(lang) {
  return (/** @type {HTMLElement} */ node) => {
    const P = /** @type {Window & { Prism?: Prism }} */ (window).Prism;
    const text = node.textContent || '';
    if (P && P.languages[lang]) node.innerHTML = P.highlight(text, P.languages[lang], lang); // Prism escapes the text
    else node.textContent = text;
  };
}

export class ConfigView {
  /**
   * @param {string} name
   * @param {{ onChange: () => void, onLaunched: (runId: string) => void, onOpenConfig: (name: string) => void,
   *   onOpenRun: (id: string) => void, runs: () => import('./api.js').Run[],
   *   datasets: () => import('./api.js').DatasetEntry[], onOpenDataset: (name: string) => void }} h
   */
  constructor(name, h) {
    this.name = name;
    this.key = 'config:' + name;
    this.kind = 'config';
    this.h = h;
    /** @type {EditorLibs|null} loaded by open() */
    this.libs = null;
    this.lang = langOf(name);
    /** @type {import('./api.js').ConfigFile|null} */
    this.file = null;
    this.saved = '';
    this.mode = 'text';
    this.busy = false;
    /** @type {number[]} */
    this.errLines = [];
    this._build();
    /** @type {Promise<void>} */
    this.ready = Promise.resolve();
  }

  title() { return shown(this.name); }
  tip() { return `config · ${shown(this.name)}`; }
  status() { return this.file ? 'complete' : 'loading'; }
  hash() { return `#config=${encodeURIComponent(this.name)}`; }
  isDirty() { return !!this.file && this.text() !== this.saved; }
  /** The editor's text; a file that ended with a newline keeps it (the browser drops a trailing one while typing). */
  text() {
    if (!this.jar) return '';
    const t = this.jar.toString();
    return t && !t.endsWith('\n') && this.saved.endsWith('\n') ? t + '\n' : t;
  }

  _build() {
    const btn = (cls, text, title, fn) => el('button', { class: 'btn ' + cls, text, attrs: { type: 'button', title }, on: { click: fn } });
    this.saveBtn = btn('cfg-save', 'Save', 'Save (Ctrl+S)', () => this.save());
    this.validateBtn = btn('cfg-validate', 'Validate', 'Check the config', () => this.validate());
    this.launchBtn = btn('btn-primary cfg-launch', 'Launch', 'Validate, save and launch', () => this.launchIt());
    this.copyBtn = btn('cfg-copy', 'Copy…', 'Copy to a new config', () => this.showCopy(this.text(), `Copy ${shown(this.name)} to a new config`));
    this.textTab = el('button', { class: 'subtab cfg-mode-text active', text: 'Text', attrs: { type: 'button' }, on: { click: () => this.setMode('text') } });
    this.formTab = el('button', { class: 'subtab cfg-mode-form', text: 'Form', attrs: { type: 'button' }, on: { click: () => this.setMode('form') } });
    this.state = el('span', { class: 'cfg-state' });
    const head = el('div', { class: 'cfg-head' },
      el('div', { class: 'rv-head-title' }, el('h2', { class: 'rv-title', text: shown(this.name) }), this.state),
      el('div', { class: 'cfg-modes' }, this.textTab, this.formTab),
      el('div', { class: 'spacer' }),
      this.validateBtn, this.saveBtn, this.copyBtn, this.launchBtn);
    this.notice = el('div', { class: 'cfg-notice', hidden: true, attrs: { role: 'alert' } });
    this.problems = el('div', { class: 'cfg-problems', hidden: true });
    this.copyBox = el('div', { class: 'cfg-copy-box', hidden: true });
    this.diffBox = el('div', { class: 'cfg-diff-box', hidden: true });

    // The editor: line numbers beside a contenteditable <pre>, in one scroller.
    this.lines = el('div', { class: 'code-lines', attrs: { 'aria-hidden': 'true' } });
    this.code = el('pre', { class: `code-editor language-${this.lang}`, attrs: { 'aria-label': `${shown(this.name)} content`, spellcheck: 'false' } });
    this.errMarks = el('div', { class: 'code-marks', attrs: { 'aria-hidden': 'true' } });
    this.scroller = el('div', { class: 'code-scroll' }, this.lines, el('div', { class: 'code-main' }, this.errMarks, this.code));
    this.formHost = el('div', { class: 'cfg-form-host', hidden: true });
    this.editorHost = el('div', { class: 'cfg-editor' }, this.scroller, this.formHost);

    this.runsBox = el('div', { class: 'cfg-runs' });
    this.fieldsBox = el('div', { class: 'cfg-fields' });
    const aside = el('aside', { class: 'cfg-aside' },
      el('section', {}, el('h4', { text: 'Runs of this config' }), this.runsBox),
      el('section', {}, el('h4', { text: 'Dataset fields', attrs: { title: 'Placeholders a config can use; click to insert' } }), this.fieldsBox));
    this.root = el('section', { class: 'config-view', hidden: true, dataset: { config: this.name } },
      head, this.notice, this.problems, this.copyBox, this.diffBox,
      el('div', { class: 'cfg-body' }, this.editorHost, aside));
    this.root.addEventListener('keydown', (e) => {
      if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') { e.preventDefault(); this.save(); }
    });
  }

  open() {
    this.ready = this._open();
    return this.ready;
  }

  async _open() {
    try {
      const [f, libs] = await Promise.all([api.config(this.name), loadEditorLibs()]);
      this.libs = libs;
      this.file = f;
      this.saved = f.content;
      // Enter: a real "\n" plus the line's indentation (Chromium's plaintext-only Enter may
      // insert a <br> that the highlighter drops). Registered before CodeJar's own handler.
      this.code.addEventListener('keydown', (e) => {
        if (e.key !== 'Enter' || e.shiftKey || e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
        e.preventDefault();
        const pos = this.jar.save();
        const t = this.text();
        const at = Math.min(pos.start, pos.end);
        const line = t.slice(t.lastIndexOf('\n', at - 1) + 1, at);
        let pad = (line.match(/^[ \t]*/) || [''])[0];
        if (/[\[{(:]\s*$/.test(line) && this.lang !== 'toml') pad += '  ';
        // At the very end a lone "\n" shows no new line: keep one extra trailing newline there.
        const end = Math.max(pos.start, pos.end);
        const tail = t.slice(end);
        const next = t.slice(0, at) + '\n' + pad + (tail === '' ? '\n' : tail);
        this.jar.recordHistory();
        this.jar.updateCode(next, false);
        this.jar.restore({ start: at + 1 + pad.length, end: at + 1 + pad.length });
        this.jar.recordHistory();
        this._changed('text');
      });
      this.jar = libs.CodeJar(this.code, highlighter(this.lang), { tab: '  ', addClosing: false, indentOn: /[\[{(]$/ });
      this.jar.updateCode(f.content, false);
      this.jar.onUpdate(() => this._changed('text'));
      this._renderLines();
      this.formTab.hidden = !libs.formSupported(this.name);
      this._renderState();
      this.setRuns(this.h.runs());
      this._renderFields();
    } catch (e) {
      this.showNotice(`Could not open ${shown(this.name)}: ${e.message}`, []);
    }
    this.h.onChange();
  }

  /** @param {"text"|"form"} from */
  _changed(from) {
    this._renderLines();
    if (this.errLines.length) { this.errLines = []; this._renderMarks(); }
    if (from === 'text' && this.form && this.mode === 'form') this.form.setText(this.text());
    this._renderState();
    this.h.onChange();
  }

  _renderLines() {
    const n = this.text().split('\n').length - (this.text().endsWith('\n') ? 1 : 0) || 1;
    if (n === this.lineCount) return;
    this.lineCount = n;
    const frag = document.createDocumentFragment();
    for (let i = 1; i <= n; i++) frag.append(el('div', { text: String(i), dataset: { line: String(i) } }));
    kids(this.lines, frag);
    this._renderMarks();
  }

  _renderMarks() {
    kids(this.errMarks, ...this.errLines.map((L) => el('div', { class: 'code-mark', style: `top:${PAD_TOP + (L - 1) * LINE_H}px`, dataset: { line: String(L) } })));
    for (const d of this.lines.querySelectorAll('.err')) d.classList.remove('err');
    for (const L of this.errLines) this.lines.querySelector(`[data-line="${L}"]`)?.classList.add('err');
  }

  _renderState() {
    const dirty = this.isDirty();
    this.saveBtn.disabled = !dirty;
    this.state.textContent = dirty ? '● unsaved changes' : this.file ? `saved · changed ${fmtAgo(this.file.mtime_ms)}` : '';
    this.state.className = 'cfg-state' + (dirty ? ' dirty' : '');
  }

  /** @param {"text"|"form"} mode */
  setMode(mode) {
    if (mode === 'form' && !this.libs?.formSupported(this.name)) return;
    this.mode = mode;
    this.textTab.classList.toggle('active', mode === 'text');
    this.formTab.classList.toggle('active', mode === 'form');
    this.scroller.hidden = mode !== 'text';
    this.formHost.hidden = mode !== 'form';
    if (mode === 'form') {
      if (!this.form) {
        this.form = new /** @type {EditorLibs} */ (this.libs).ConfigForm(this.name, (t) => this.setText(t, true));
        kids(this.formHost, this.form.root);
      }
      this.form.setText(this.text());
    }
  }

  /** Replace the text (keeps undo history). @param {string} t @param {boolean} [fromForm] */
  setText(t, fromForm) {
    if (!this.jar || t === this.text()) return;
    this.jar.updateCode(t, false);
    this.jar.recordHistory?.();
    this._changed(fromForm ? 'form' : 'text');
  }

  /** Put the caret on line L and scroll to it. @param {number} L */
  gotoLine(L) {
    this.setMode('text');
    const t = this.text();
    let off = 0;
    for (let i = 1; i < L; i++) { const j = t.indexOf('\n', off); if (j < 0) break; off = j + 1; }
    this.code.focus();
    try { this.jar.restore({ start: off, end: off, dir: '->' }); } catch { /* caret is best effort */ }
    this.scroller.scrollTop = Math.max(0, (L - 1) * LINE_H - this.scroller.clientHeight / 3);
  }

  // ---- notices --------------------------------------------------------------

  /** @param {string} msg @param {[string, () => void][]} actions @param {string} [cls] */
  showNotice(msg, actions, cls = '') {
    this.notice.hidden = false;
    this.notice.className = 'cfg-notice ' + cls;
    kids(this.notice, el('span', { class: 'cfg-notice-text', text: msg }),
      ...actions.map(([label, fn]) => el('button', { class: 'btn', text: label, attrs: { type: 'button' }, on: { click: fn } })),
      el('button', { class: 'btn btn-icon cfg-notice-close', text: '×', attrs: { type: 'button', title: 'Dismiss', 'aria-label': 'Dismiss' }, on: { click: () => { this.notice.hidden = true; } } }));
  }

  /** @param {string} title @param {string} a @param {string} b @param {string} la @param {string} lb */
  showDiff(title, a, b, la, lb) {
    const rows = lineDiff(a, b);
    this.diffBox.hidden = false;
    const changed = rows.filter((r) => r.op !== ' ').length;
    kids(this.diffBox, 
      el('div', { class: 'cfg-box-head' }, el('b', { text: title }), el('span', { class: 'dim', text: ` − ${la}   + ${lb} · ${changed ? changed + ' changed lines' : 'identical'}` }), el('div', { class: 'spacer' }),
        el('button', { class: 'btn btn-icon', text: '×', attrs: { type: 'button', title: 'Close (Esc)' }, on: { click: () => { this.diffBox.hidden = true; } } })),
      el('pre', { class: 'diff' }, ...rows.map((r) => el('div', { class: 'diff-line ' + (r.op === '+' ? 'add' : r.op === '-' ? 'del' : 'same') },
        el('span', { class: 'diff-op', text: r.op }), el('span', { text: r.text || ' ' })))));
  }

  // ---- actions -----------------------------------------------------------------

  /**
   * Save, after checking the text: a config with errors is saved only when the
   * user says so (the notice asks; its problems are listed below it).
   * @param {boolean} [force] overwrite a file changed elsewhere
   * @param {boolean} [checked] the text was validated already, or is to be saved as it is
   * @returns {Promise<boolean>} saved
   */
  async save(force = false, checked = false) {
    if (!this.file || this.busy) return false;
    if (!force && !this.isDirty()) return true;
    this.busy = true;
    const content = this.text();
    try {
      if (!checked) {
        this.saveBtn.textContent = 'Checking…';
        /** @type {import('./api.js').Validation|null} */
        let v = null;
        // A check that cannot run (the server busy or gone) does not stop a save: the save says why it failed.
        try { v = await api.validate(this.name, content); } catch { v = null; }
        if (v && !v.ok) {
          this._showProblems(v);
          this._askSaveAnyway(v, force);
          return false;
        }
        if (v) this.problems.hidden = true;
      }
      this.saveBtn.textContent = 'Saving…';
      const f = await api.saveConfig(this.name, { content, base_version: this.file.version, force: force || undefined });
      this.file = { ...this.file, ...f };
      this.saved = content;
      this.notice.hidden = true;
      this._renderState();
      this.h.onChange();
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) this._conflict();
      else this.showNotice(`Could not save: ${e.message}`, [], 'bad');
      return false;
    } finally {
      this.busy = false;
      this.saveBtn.textContent = 'Save';
      this._renderState();
    }
  }

  /** The text has errors: ask before saving it. @param {import('./api.js').Validation} v @param {boolean} force */
  _askSaveAnyway(v, force) {
    const p = v.problems[0];
    const where = p && p.line ? `line ${p.line}${p.column ? `, column ${p.column}` : ''}: ` : '';
    const more = v.problems.length > 1 ? ` (and ${v.problems.length - 1} more, below)` : '';
    this.showNotice(`This config has errors: ${p ? where + p.message : 'it did not pass its check'}${more}. Save anyway?`, [
      ['Save anyway', () => { this.notice.hidden = true; this.save(force, true); }],
      ['Cancel', () => { this.notice.hidden = true; }],
    ], 'bad ask-save');
    /** @type {HTMLElement|null} */ (this.notice.querySelector('button'))?.focus();
  }

  /** The file changed elsewhere since we opened it. */
  async _conflict() {
    this.showNotice(`${shown(this.name)} was changed elsewhere since you opened it.`, [
      ['Reload (discard mine)', () => this.reload()],
      ['Compare', () => this.compareWithDisk()],
      ['Overwrite', () => this.save(true)],
    ], 'conflict');
  }

  async reload() {
    try {
      const f = await api.config(this.name);
      this.file = f;
      this.saved = f.content;
      this.jar.updateCode(f.content, false);
      this._changed('text');
      this.notice.hidden = true;
      this.diffBox.hidden = true;
    } catch (e) { this.showNotice(`Could not reload: ${e.message}`, [], 'bad'); }
  }

  async compareWithDisk() {
    try {
      const f = await api.config(this.name);
      this.showDiff('On disk vs. yours', f.content, this.text(), 'on disk', 'yours');
    } catch (e) { this.showNotice(`Could not read the file: ${e.message}`, [], 'bad'); }
  }

  /** @returns {Promise<boolean>} valid */
  async validate() {
    this.validateBtn.disabled = true;
    try {
      const v = await api.validate(this.name, this.text());
      this._showProblems(v);
      return v.ok;
    } catch (e) {
      this.problems.hidden = false;
      this.problems.className = 'cfg-problems bad';
      kids(this.problems, el('div', { text: `Could not validate: ${e.message}` }));
      return false;
    } finally { this.validateBtn.disabled = false; }
  }

  /** @param {import('./api.js').Validation} v */
  _showProblems(v) {
    this.problems.hidden = false;
    this.problems.className = 'cfg-problems ' + (v.ok ? 'ok' : 'bad');
    this.errLines = [...new Set(v.problems.map((p) => Number(p.line)).filter((n) => n > 0))];
    this._renderMarks();
    const items = v.problems.map((p) => {
      const where = p.line ? `line ${p.line}${p.column ? `, column ${p.column}` : ''}` : '';
      const b = el('button', { class: 'problem', attrs: { type: 'button', title: where ? `Go to ${where}` : '' }, dataset: { line: String(p.line || '') } },
        where ? el('span', { class: 'problem-where', text: where }) : null, el('span', { class: 'problem-msg', text: p.message }),
        p.detail ? el('span', { class: 'problem-detail dim', text: ` (the parser: ${p.detail})` }) : null);
      if (p.line) b.addEventListener('click', () => this.gotoLine(Number(p.line)));
      return b;
    });
    kids(this.problems, 
      el('div', { class: 'cfg-box-head' },
        el('b', { text: v.ok ? '✓ Valid' : `✗ ${v.problems.length || 1} problem${v.problems.length === 1 ? '' : 's'}` }),
        v.checker ? el('span', { class: 'dim', text: ` · checked by ${v.checker}` }) : null,
        el('div', { class: 'spacer' }),
        el('button', { class: 'btn btn-icon', text: '×', attrs: { type: 'button', title: 'Close (Esc)' }, on: { click: () => { this.problems.hidden = true; } } })),
      ...items,
      v.output ? el('pre', { class: 'problem-output', text: v.output }) : null);
    if (!v.ok && this.errLines.length) this.scroller.scrollTop = Math.max(0, (this.errLines[0] - 1) * LINE_H - this.scroller.clientHeight / 3);
  }

  /** Validate, save if modified, launch. @returns {Promise<{ok: boolean, status?: string, error?: string}>} */
  async launchIt() {
    if (!this.file) return { ok: false, error: 'not loaded' };
    this.launchBtn.disabled = true;
    this.launchBtn.textContent = 'Checking…';
    try {
      if (!(await this.validate())) {
        this.showNotice('Not launched: the config has problems (below).', [], 'bad');
        return { ok: false, error: 'the config has problems (see its tab)' };
      }
      if (this.isDirty()) {
        this.launchBtn.textContent = 'Saving…';
        if (!(await this.save(false, true))) return { ok: false, error: 'could not save (see its tab)' };
      }
      this.launchBtn.textContent = 'Launching…';
      const r = await api.launch(this.name);
      this.problems.hidden = true;
      this.h.onLaunched(r.run_id);
      return { ok: true, status: r.status };
    } catch (e) {
      this.showNotice(`Launch refused: ${e.message}`, [], 'bad');
      return { ok: false, error: e.message };
    } finally {
      this.launchBtn.disabled = false;
      this.launchBtn.textContent = 'Launch';
    }
  }

  /** Ask for a new name and create a config with `content`. @param {string} content @param {string} title */
  showCopy(content, title) {
    const input = el('input', { class: 'cfg-copy-name', attrs: { type: 'text', 'aria-label': 'New config name', spellcheck: 'false' }, value: this.file?.suggested_copy_name || '' });
    const err = el('div', { class: 'cfg-copy-error', attrs: { role: 'alert' } });
    const go = async () => {
      const newName = input.value.trim();
      err.textContent = '';
      try {
        // The file's own content: the server copies it; other content (a run's config, unsaved edits): a new file.
        if (content === this.saved) await api.copyConfig(this.name, newName);
        else await api.saveConfig(newName, { content });
        this.copyBox.hidden = true;
        this.h.onOpenConfig(newName);
      } catch (e) { err.textContent = e.message; }
    };
    input.addEventListener('keydown', (e) => { if (e.key === 'Enter') go(); if (e.key === 'Escape') { e.stopPropagation(); this.copyBox.hidden = true; } });
    this.copyBox.hidden = false;
    kids(this.copyBox, 
      el('div', { class: 'cfg-box-head' }, el('b', { text: title })),
      el('div', { class: 'cfg-copy-row' }, el('label', { text: 'New name ' }), input,
        el('button', { class: 'btn btn-primary cfg-copy-go', text: 'Create', attrs: { type: 'button' }, on: { click: go } }),
        el('button', { class: 'btn', text: 'Cancel', attrs: { type: 'button' }, on: { click: () => { this.copyBox.hidden = true; } } })),
      err);
    input.focus();
    input.select();
  }

  // ---- runs and datasets -------------------------------------------------------

  /** @param {import('./api.js').Run[]} runs */
  setRuns(runs) {
    const mine = runs.filter((r) => r.config_name === this.name).sort((a, b) => b.created_at - a.created_at).slice(0, 20);
    kids(this.runsBox, ...mine.map((r) => {
      const open = el('button', { class: 'btn btn-link cfg-run-open', attrs: { type: 'button', title: `Open run ${r.run_id}` }, on: { click: () => this.h.onOpenRun(r.run_id) } },
        el('span', { class: 'dot st-' + r.status }), ` ${fmtWhen(r.created_at)} `, el('span', { class: 'st-' + r.status, text: r.status }));
      const used = el('button', { class: 'btn btn-small cfg-run-config', text: 'config', attrs: { type: 'button', title: 'The config exactly as this run used it' }, on: { click: () => this.showRunConfig(r.run_id) } });
      return el('div', { class: 'cfg-run', dataset: { run: r.run_id } }, open, used);
    }));
    if (!mine.length) this.runsBox.append(el('div', { class: 'dim', text: 'Not launched yet.' }));
  }

  /** @param {import('./api.js').Run} _run */
  onRun(_run) { this.setRuns(this.h.runs()); }

  /** The exact config a run used: view, diff against the file, copy to a new config. @param {string} runId */
  async showRunConfig(runId) {
    try {
      const c = await api.runConfig(runId);
      this.diffBox.hidden = false;
      kids(this.diffBox, 
        el('div', { class: 'cfg-box-head' }, el('b', { text: `Config as run ${runId} used it` }), el('div', { class: 'spacer' }),
          el('button', { class: 'btn cfg-runcfg-diff', text: 'Diff with current', attrs: { type: 'button' }, on: { click: () => this.showDiff(`Run ${runId} vs. current`, c.content, this.text(), `run ${runId}`, 'current') } }),
          el('button', { class: 'btn cfg-runcfg-copy', text: 'Copy to new config…', attrs: { type: 'button' }, on: { click: () => this.showCopy(c.content, `New config from run ${runId}`) } }),
          el('button', { class: 'btn btn-icon', text: '×', attrs: { type: 'button', title: 'Close (Esc)' }, on: { click: () => { this.diffBox.hidden = true; } } })),
        el('pre', { class: 'diff runcfg', text: c.content }));
    } catch (e) { this.showNotice(`Could not read the run's config: ${e.message}`, [], 'bad'); }
  }

  async _renderFields() {
    const ds = this.h.datasets().filter((d) => !d.error);
    if (!ds.length) { kids(this.fieldsBox, el('div', { class: 'dim', text: 'No datasets.' })); return; }
    const parts = await Promise.all(ds.slice(0, 20).map(async (d) => {
      const fields = await datasetFields(d.name);
      return el('div', { class: 'cfg-ds' },
        el('button', { class: 'btn btn-link cfg-ds-name', text: shown(d.name), attrs: { type: 'button', title: 'Preview this dataset' }, on: { click: () => this.h.onOpenDataset(d.name) } }),
        el('div', { class: 'chips' }, ...fields.map((f) => el('button', { class: 'chip field-chip', text: `{${f}}`, attrs: { type: 'button', title: `Insert {${f}} at the cursor` }, on: { click: () => this.insert(`{${f}}`) } }))));
    }));
    kids(this.fieldsBox, ...parts);
  }

  /** @param {string} s */
  insert(s) {
    if (!this.jar) return;
    this.setMode('text');
    this.code.focus();
    const pos = this.jar.save();
    const t = this.text();
    const at = Math.min(pos.start, pos.end);
    this.jar.updateCode(t.slice(0, at) + s + t.slice(Math.max(pos.start, pos.end)), false);
    this.jar.restore({ start: at + s.length, end: at + s.length });
    this.jar.recordHistory?.();
    this._changed('text');
  }

  /** configs_changed: reload an unmodified tab whose file changed on disk; warn a modified one. @param {import('./api.js').ConfigEntry[]} list */
  async onConfigsChanged(list) {
    if (!this.file || this.busy) return;
    const e = list.find((c) => c.name === this.name);
    if (!e) { this.showNotice(`${shown(this.name)} was deleted on disk. Save to write it again.`, [], 'conflict'); return; }
    if (e.mtime_ms === this.file.mtime_ms) return;
    let f;
    try { f = await api.config(this.name); } catch { return; }
    if (f.version === this.file.version) { this.file.mtime_ms = f.mtime_ms; return; }
    if (!this.isDirty()) {
      this.file = f;
      this.saved = f.content;
      this.jar.updateCode(f.content, false);
      this._changed('text');
      this.showNotice(`Reloaded: ${shown(this.name)} changed on disk.`, [], 'info');
    } else {
      this.showNotice(`${shown(this.name)} changed on disk while you were editing it.`, [
        ['Reload (discard mine)', () => this.reload()],
        ['Compare', () => this.compareWithDisk()],
      ], 'conflict');
    }
  }

  // ---- tab protocol -----------------------------------------------------------------

  /** @param {boolean} on */
  setActive(on) { this.root.hidden = !on; }
  dispose() { this.root.remove(); }
  closePanels() {
    for (const box of [this.copyBox, this.diffBox, this.problems, this.notice]) {
      if (!box.hidden) { box.hidden = true; return true; }
    }
    return false;
  }
  focusSearch() { this.code.focus(); }
  handleKey() { return false; }
}
