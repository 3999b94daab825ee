// The form view of a declarative config (TOML, YAML or JSON; Python is edited
// as text only). Fields follow configs/_schema.json when the project has
// one (types, enums as selects, min/max, required, descriptions as help), and
// are inferred from the file's keys and types otherwise. Form and text stay in
// step: a form edit rewrites only the changed line of a TOML file when it can
// (comments and layout kept), else the whole file; YAML goes through the yaml
// package's Document API (comments kept); JSON is re-serialised.

import { api } from './api.js';
import { parse as parseToml, stringify as stringifyToml } from '../vendor/smol-toml/index.js';
import { el, kids } from './util.js';

/** @type {Promise<any|null>|null} */
let schemaPromise = null;
/** The project's schema (read once per page; null without one). */
export function loadSchema() {
  schemaPromise ||= api.schema();
  return schemaPromise;
}

/** @type {Promise<any>|null} */
let yamlPromise = null;
/** The yaml package (vendored ESM), loaded on first use. */
function loadYaml() {
  yamlPromise ||= import('../vendor/yaml/index.js');
  return yamlPromise;
}

/** @param {string} name */
export function formatOf(name) {
  const ext = name.split('.').pop()?.toLowerCase();
  return ext === 'toml' ? 'toml' : ext === 'json' ? 'json' : ext === 'yaml' || ext === 'yml' ? 'yaml' : '';
}

/** @param {string} name */
export function formSupported(name) { return !!formatOf(name); }

/** A plain object (smol-toml makes them with a null prototype). @param {any} v */
function isTable(v) {
  if (!v || typeof v !== 'object' || Array.isArray(v) || v instanceof Date) return false;
  const p = Object.getPrototypeOf(v);
  return p === null || p === Object.prototype;
}

/** Canonical JSON (sorted keys) to compare two parsed configs. @param {any} v @returns {string} */
function canon(v) {
  if (Array.isArray(v)) return '[' + v.map(canon).join(',') + ']';
  if (isTable(v)) return '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + canon(v[k])).join(',') + '}';
  if (typeof v === 'bigint') return v.toString();
  return JSON.stringify(v ?? null) ?? String(v);
}

/** A TOML key as written (bare when it can be). @param {string} k */
const tomlKey = (k) => /^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k);
/** A TOML value's text. @param {any} v */
const tomlValue = (v) => stringifyToml({ x: v }).replace(/^x = /, '').trim();
const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Set `path` to `value` (undefined removes it) in TOML `text`, editing only the
 * line that holds it when the result parses to `want`; else null.
 * @param {string} text @param {string[]} path @param {any} value @param {any} want
 */
function patchToml(text, path, value, want) {
  if (path.length > 2) return null;
  const section = path.length === 2 ? path[0] : null;
  const key = path[path.length - 1];
  const lines = text.split('\n');
  // Find the section's range of lines.
  let start = 0, end = lines.length;
  if (section !== null) {
    const hdr = new RegExp(`^\\s*\\[\\s*(?:${escapeRe(tomlKey(section))}|${escapeRe(JSON.stringify(section))})\\s*\\]\\s*(#.*)?$`);
    const i = lines.findIndex((l) => hdr.test(l));
    if (i < 0) return null;
    start = i + 1;
  }
  for (let i = start; i < lines.length; i++) if (/^\s*\[/.test(lines[i])) { end = i; break; }
  const keyRe = new RegExp(`^(\\s*)(?:${escapeRe(tomlKey(key))}|${escapeRe(JSON.stringify(key))})\\s*=`);
  const at = lines.slice(start, end).findIndex((l) => keyRe.test(l));
  const out = lines.slice();
  if (at >= 0) {
    const i = start + at;
    if (value === undefined) out.splice(i, 1);
    else {
      const cm = /^[^"'#]*=[^"'#]*\s(#.*)$/.exec(lines[i]); // a trailing comment (simple lines only) is kept
      const indent = (lines[i].match(/^\s*/) || [''])[0];
      out[i] = `${indent}${tomlKey(key)} = ${tomlValue(value)}${cm ? ' ' + cm[1] : ''}`;
    }
  } else {
    if (value === undefined) return text;
    let ins = end;
    while (ins > start && /^\s*$/.test(out[ins - 1])) ins--;
    out.splice(ins, 0, `${tomlKey(key)} = ${tomlValue(value)}`);
  }
  const next = out.join('\n');
  try { return canon(parseToml(next)) === canon(want) ? next : null; } catch { return null; }
}

/** @param {any} s a schema node @returns {string} */
function typeOf(s) {
  const t = s && s.type;
  if (Array.isArray(t)) return t.find((x) => x !== 'null') || 'string';
  if (t) return t;
  if (s && s.enum) return typeof s.enum[0] === 'number' ? 'number' : 'string';
  if (s && s.properties) return 'object';
  return '';
}

/** @param {any} v */
function inferType(v) {
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number' || typeof v === 'bigint') return Number.isInteger(Number(v)) ? 'integer' : 'number';
  if (typeof v === 'string') return 'string';
  if (Array.isArray(v)) return 'array';
  if (isTable(v)) return 'object';
  return 'other';
}

export class ConfigForm {
  /** @param {string} name @param {(text: string) => void} onText */
  constructor(name, onText) {
    this.name = name;
    this.format = formatOf(name);
    this.onText = onText;
    this.text = '';
    /** @type {Record<string, unknown>|null} the parsed file (a table of keys), null while it does not parse */
    this.data = null;
    /** @type {object|null} configs/_schema.json, a JSON Schema */
    this.schema = null;
    this.msg = el('div', { class: 'form-msg', hidden: true });
    this.fields = el('div', { class: 'form-fields' });
    this.note = el('div', { class: 'form-note dim' });
    this.root = el('form', { class: 'cfg-form', attrs: { novalidate: '' } }, this.note, this.msg, this.fields);
    this.root.addEventListener('submit', (e) => e.preventDefault());
    /** @type {typeof import('../vendor/yaml/index.js')|null} loaded for YAML files only */
    this.YAML = null;
    const yaml = this.format === 'yaml' ? loadYaml().then((m) => { this.YAML = m; }) : Promise.resolve();
    Promise.all([loadSchema(), yaml]).then(([s]) => { this.schema = s; this.loaded = true; this.setText(this.text, true); });
  }

  /** Show the form for this text (re-rendered unless it is what the form itself wrote). @param {string} text @param {boolean} [force] */
  setText(text, force) {
    if (!force && text === this.text && this.data) return;
    this.text = text;
    if (!this.loaded) { kids(this.fields, el('div', { class: 'dim', text: 'Loading…' })); return; }
    try {
      if (this.format === 'yaml') {
        const doc = this.YAML.parseDocument(text);
        if (doc.errors.length) throw new Error(doc.errors[0].message);
        this.data = doc.toJS() ?? {};
      } else this.data = this.format === 'toml' ? parseToml(text) : JSON.parse(text || '{}');
    } catch (e) {
      this.data = null;
      this.msg.hidden = false;
      this.msg.textContent = `The text does not parse, so the form cannot show it: ${e.message}`;
      kids(this.fields, );
      return;
    }
    if (!this.data || typeof this.data !== 'object' || Array.isArray(this.data)) {
      this.msg.hidden = false;
      this.msg.textContent = 'The form shows configs whose top level is a table of keys.';
      kids(this.fields, );
      return;
    }
    this.msg.hidden = true;
    this.note.textContent = this.schema ? 'Fields follow configs/_schema.json.' : 'Fields inferred from the file (add configs/_schema.json for types, choices and help).';
    kids(this.fields, ...this._fields(this.data, this.schema, []));
  }

  /** @param {any} obj @param {any} schema @param {string[]} path @returns {HTMLElement[]} */
  _fields(obj, schema, path) {
    const props = (schema && schema.properties) || {};
    const required = new Set((schema && schema.required) || []);
    const keys = [...Object.keys(props), ...Object.keys(obj || {}).filter((k) => !(k in props))];
    return keys.map((k) => this._field(k, obj ? obj[k] : undefined, props[k] || null, required.has(k), [...path, k]));
  }

  /** @param {string} key @param {any} value @param {any} s @param {boolean} req @param {string[]} path */
  _field(key, value, s, req, path) {
    const type = (s && typeOf(s)) || inferType(value);
    const id = 'f-' + Math.random().toString(36).slice(2);
    const help = s && s.description ? el('div', { class: 'field-help', text: s.description }) : null;
    const label = el('label', { class: 'field-label', attrs: { for: id } }, key, req ? el('span', { class: 'req', text: ' *', attrs: { title: 'required' } }) : null,
      s ? null : el('span', { class: 'field-type', text: ` ${type}` }));
    const err = el('div', { class: 'field-err' });
    if (type === 'object' && (value === undefined || inferType(value) === 'object')) {
      return el('fieldset', { class: 'field-group', dataset: { path: path.join('.') } }, el('legend', { text: key }), help, ...this._fields(value || {}, s, path));
    }
    /** @type {HTMLInputElement|HTMLSelectElement} */
    let input;
    const commit = (v) => { err.textContent = ''; this._set(path, v); };
    if (s && Array.isArray(s.enum)) {
      input = /** @type {HTMLSelectElement} */ (el('select', { attrs: { id } },
        req ? null : el('option', { value: '', text: '(not set)' }),
        ...s.enum.map((o) => el('option', { value: JSON.stringify(o), text: String(o) }))));
      input.value = value === undefined ? '' : JSON.stringify(value);
      input.addEventListener('change', () => commit(input.value === '' ? undefined : JSON.parse(input.value)));
    } else if (type === 'boolean') {
      input = /** @type {HTMLInputElement} */ (el('input', { attrs: { id, type: 'checkbox' } }));
      /** @type {HTMLInputElement} */ (input).checked = !!value;
      input.addEventListener('change', () => commit(/** @type {HTMLInputElement} */ (input).checked));
    } else if (type === 'number' || type === 'integer') {
      input = /** @type {HTMLInputElement} */ (el('input', { attrs: { id, type: 'number', step: type === 'integer' ? '1' : 'any', min: s?.minimum ?? null, max: s?.maximum ?? null } }));
      input.value = value === undefined ? '' : String(value);
      input.addEventListener('input', () => {
        const raw = input.value.trim();
        if (raw === '') { if (!req) commit(undefined); else err.textContent = 'required'; return; }
        const n = Number(raw);
        if (!isFinite(n)) { err.textContent = 'not a number'; return; }
        if (type === 'integer' && !Number.isInteger(n)) { err.textContent = 'must be a whole number'; return; }
        if (s && s.minimum != null && n < s.minimum) { err.textContent = `at least ${s.minimum}`; return; }
        if (s && s.maximum != null && n > s.maximum) { err.textContent = `at most ${s.maximum}`; return; }
        commit(n);
      });
    } else if (type === 'string') {
      input = /** @type {HTMLInputElement} */ (el('input', { attrs: { id, type: 'text', spellcheck: 'false' } }));
      input.value = value === undefined ? '' : String(value);
      input.addEventListener('input', () => {
        if (input.value === '' && !req && value === undefined) { commit(undefined); return; }
        if (input.value === '' && req) err.textContent = 'required';
        commit(input.value);
      });
    } else {
      // Arrays and anything else: edited as JSON.
      input = /** @type {HTMLInputElement} */ (el('input', { class: 'mono', attrs: { id, type: 'text', spellcheck: 'false', title: 'JSON' } }));
      input.value = value === undefined ? '' : JSON.stringify(value);
      if (value !== undefined && inferType(value) === 'other') { input.value = String(value); input.disabled = true; }
      input.addEventListener('input', () => {
        if (input.value.trim() === '') { if (!req) commit(undefined); return; }
        try { commit(JSON.parse(input.value)); } catch { err.textContent = 'not valid JSON'; }
      });
    }
    return el('div', { class: 'field', dataset: { path: path.join('.'), type } }, label, input, help, err);
  }

  /** @param {string[]} path @param {any} v */
  _set(path, v) {
    const data = structuredClone(this.data);
    let o = data;
    for (const k of path.slice(0, -1)) { if (!o[k] || typeof o[k] !== 'object') o[k] = {}; o = o[k]; }
    const last = path[path.length - 1];
    if (v === undefined) delete o[last]; else o[last] = v;
    let text;
    if (this.format === 'json') {
      const ind = (this.text.match(/\n([ \t]+)"/) || [, '  '])[1];
      text = JSON.stringify(data, null, ind) + (this.text.endsWith('\n') || !this.text ? '\n' : '');
    } else if (this.format === 'yaml') {
      const doc = this.YAML.parseDocument(this.text);
      if (v === undefined) doc.deleteIn(path); else doc.setIn(path, v);
      text = doc.toString();
    } else {
      text = patchToml(this.text, path, v, data) ?? stringifyToml(data) + '\n';
    }
    this.data = data;
    this.text = text;
    this.onText(text);
  }
}

