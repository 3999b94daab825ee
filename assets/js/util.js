// Small DOM and formatting helpers shared by every view.
// Text from the server (log lines, config names, run ids) is untrusted: it only
// ever reaches the DOM through textContent / setAttribute, never innerHTML, except
// for log lines, which go through ansi_up (HTML-escaping on) in logview.js.

/**
 * Create an element. `props`: class, text, title, attrs {}, on {event: handler},
 * dataset {}, any other key is set as a property.
 * @param {string} tag
 * @param {Record<string, any>} [props]
 * @param {...(Node|string|null|undefined|false)} children
 * @returns {HTMLElement}
 */
export function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k === 'attrs') for (const [a, av] of Object.entries(v)) { if (av !== null && av !== undefined && av !== false) e.setAttribute(a, String(av)); }
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) e.addEventListener(ev, fn);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e[k] = v;
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    e.append(typeof c === 'string' ? document.createTextNode(c) : c);
  }
  return e;
}

/** @param {number} ms duration in ms → "350 ms", "4.2s", "3m 05s", "1h 02m" */
export function fmtDuration(ms) {
  if (ms == null || !isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 10) return s.toFixed(1) + 's';
  if (s < 60) return Math.floor(s) + 's';
  const m = Math.floor(s / 60), rs = Math.floor(s % 60);
  if (m < 60) return `${m}m ${String(rs).padStart(2, '0')}s`;
  const h = Math.floor(m / 60), rm = m % 60;
  return `${h}h ${String(rm).padStart(2, '0')}m`;
}

/** @param {number} t unix ms → "HH:MM:SS.mmm" (local time) */
export function fmtClock(t) {
  const d = new Date(t);
  const p = (n, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** @param {number} t unix ms → short relative/absolute date for lists */
export function fmtWhen(t) {
  if (!t) return '';
  const d = new Date(t), now = new Date();
  const p = (n) => String(n).padStart(2, '0');
  const hm = `${p(d.getHours())}:${p(d.getMinutes())}`;
  if (d.toDateString() === now.toDateString()) return hm;
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${hm}`;
}

/**
 * @param {number} n → "1,234,567"
 * Grouped by hand, not by Intl.NumberFormat: the first one a page makes loads
 * the browser's locale data, ~5 ms of a cold page's first list (CPU profile of
 * bench_inspect.mjs's load), and toLocaleString makes one per call.
 */
export function fmtInt(n) {
  const x = Number(n || 0);
  const [whole, frac] = String(Number.isInteger(x) ? x : Math.round(x * 1000) / 1000).split('.');
  return whole.replace(/\B(?=(\d{3})+$)/g, ',') + (frac ? '.' + frac : '');
}

// Strips ANSI escape sequences for searching and for classifying a line's level.
// (Rendering uses ansi_up; this is only a filter for plain-text matching.)
const ANSI_RE = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;
/** @param {string} s */
export function stripAnsi(s) {
  return s.indexOf('\x1b') === -1 ? s : s.replace(ANSI_RE, '');
}

/** Is the keyboard focus in a text field (so single-key shortcuts must not fire)? */
export function typingInField() {
  const a = document.activeElement;
  if (!a) return false;
  const tag = a.tagName;
  return tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT' || /** @type {HTMLElement} */ (a).isContentEditable;
}

/** Run statuses that will not change any more. */
export const FINAL = new Set(['succeeded', 'failed', 'stopped', 'lost']);

/** A status's one-character mark for tabs and titles. */
export function statusMark(status) {
  return status === 'succeeded' ? '✓' : (status === 'failed' || status === 'lost') ? '✗' : status === 'stopped' ? '■' : '';
}

/**
 * Elapsed time of a run as shown next to its badge.
 * @param {import('./api.js').Run} run
 */
export function runElapsed(run, now = Date.now()) {
  if (!run) return '';
  if (run.status === 'queued') return 'waiting ' + fmtDuration(now - run.created_at);
  const start = run.started_at || run.created_at;
  const end = run.ended_at || (FINAL.has(run.status) ? start : now);
  return fmtDuration(end - start);
}

/** A reward or metric for tables: integers as they are, others with 3 decimals. @param {number|null|undefined} v */
export function fmtNum(v) {
  if (v === null || v === undefined || typeof v !== 'number' || !isFinite(v)) return v === null || v === undefined ? '—' : String(v);
  return Number.isInteger(v) ? String(v) : Math.abs(v) >= 1000 ? v.toFixed(1) : v.toFixed(3);
}

/** When a result was made: its report timestamp (local time, as written) or its folder's mtime. @param {{timestamp?: string|null, mtime_ms?: number}} r */
export function resultTime(r) {
  if (r.timestamp) {
    const t = Date.parse(r.timestamp);
    if (isFinite(t)) return t;
  }
  return r.mtime_ms || 0;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
// British short months, as the server writes them ("Sept").
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sept', 'Oct', 'Nov', 'Dec'];

/**
 * "Today", "Yesterday" or "Mon, 24 Nov 2026" for grouping lists by day.
 * Spelled out here as the server spells it (first_paint.rs `day_label`), not
 * by toLocaleDateString: its wording is the browser's locale data, and the
 * page's first locale formatter loads that data (a date's toLocaleString in the
 * configs pane took ~17 ms of a cold page's start: CPU profile).
 * @param {number} t
 */
export function dayLabel(t) {
  const d = new Date(t), now = new Date();
  const day = (x) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  const diff = Math.round((day(now) - day(d)) / 86_400_000);
  if (diff === 0) return 'Today';
  if (diff === 1) return 'Yesterday';
  return `${WEEKDAYS[d.getDay()]}, ${d.getDate()} ${MONTHS[d.getMonth()]} ${d.getFullYear()}`;
}

/** "14:03:27" (today) or "2026-11-28 14:03:27": when a run was launched, to the second. @param {number} t */
export function fmtLaunched(t) {
  if (!t) return '';
  const d = new Date(t);
  const s = String(d.getSeconds()).padStart(2, '0');
  return `${fmtWhen(t)}:${s}`;
}

/** "1st", "2nd", "3rd", "11th". @param {number} n */
export function ordinal(n) {
  const t = n % 100, u = n % 10;
  return n + (t >= 11 && t <= 13 ? 'th' : u === 1 ? 'st' : u === 2 ? 'nd' : u === 3 ? 'rd' : 'th');
}

/**
 * Where a queued run waits: "2nd in queue · 2 running, max 2". Runs start
 * oldest first (the server's order), so its place is among the queued runs by
 * creation time. @param {import('./api.js').Run} run @param {Iterable<import('./api.js').Run>} all @param {number} [max]
 */
export function queuePlace(run, all, max) {
  if (!run || run.status !== 'queued') return '';
  let ahead = 0, running = 0;
  for (const r of all) {
    if (r.status === 'running' || r.status === 'pending') running++; // a pending remote run holds a slot too
    else if (r.status === 'queued' && r.run_id !== run.run_id && (r.created_at < run.created_at || (r.created_at === run.created_at && r.run_id < run.run_id))) ahead++;
  }
  return `${ordinal(ahead + 1)} in queue · ${running} running${max ? `, max ${max}` : ''}`;
}

/** "5 min ago", "3 h ago", or a date. @param {number} t */
export function fmtAgo(t, now = Date.now()) {
  if (!t) return '';
  const s = Math.max(0, (now - t) / 1000);
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return fmtWhen(t);
}

/** @param {number} n bytes → "1.2 MB" */
export function fmtBytes(n) {
  if (!isFinite(n)) return '';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  // 312 MiB, 1.4 GiB: a decimal only where it says something.
  return (i && n < 10 ? n.toFixed(1) : String(Math.round(n))) + ' ' + u[i];
}

/** Pretty JSON for display (textContent only). @param {any} v */
export function pretty(v) {
  try { return typeof v === 'string' ? v : JSON.stringify(v, null, 2); } catch { return String(v); }
}

/** A result's name from a run's `result_dir` ("results/NAME" or an absolute path). @param {string|null} dir */
export function resultNameFromDir(dir) {
  if (!dir) return '';
  return String(dir).replace(/[\\/]+$/, '').split(/[\\/]/).pop() || '';
}

const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/g;
const CONTROL_ESC = { '\n': '\\n', '\t': '\\t', '\r': '\\r' };
/**
 * A name (config, result, dataset, sample) as a person should read it: control
 * characters (a newline or tab in a file name) shown escaped, `\n`, `\t`,
 * `\u{1b}`, so a list entry, tab or header stays one line. The name itself is
 * kept as it is for requests and the URL.
 * @param {string|null|undefined} name
 */
export function shown(name) {
  const s = name == null ? '' : String(name);
  return s.replace(CONTROL_RE, (c) => CONTROL_ESC[c] || `\\u{${c.charCodeAt(0).toString(16)}}`);
}

/** Replace a node's children, skipping null/undefined/false (DOM replaceChildren would print them). @param {Element} node @param {...(Node|string|null|undefined|false)} kids */
export function kids(node, ...kids) {
  node.replaceChildren(...kids.filter((k) => k !== null && k !== undefined && k !== false));
}

/**
 * Keep CSS property `prop` on `on` at `watched`'s height, for what sticks
 * below it. `on` is the element that uses it, not a view's root: a custom
 * property set on the root restyles everything in the view (a table of
 * samples: ~600 elements, 4 ms before its first paint).
 * @param {HTMLElement} watched @param {HTMLElement} on @param {string} prop
 */
export function trackHeight(watched, on, prop) {
  new ResizeObserver(() => on.style.setProperty(prop, watched.offsetHeight + 'px')).observe(watched);
}

/**
 * A sample table's header row: a sort button for each column with a key.
 * @param {[string|null, string][]} cols [sort key or null, label]
 * @param {(key: string) => void} onSort
 */
export function sortableHeader(cols, onSort) {
  const row = el('tr');
  for (const [key, label] of cols) {
    const th = el('th', { class: 'col-' + label, attrs: { scope: 'col' }, dataset: key ? { sort: key } : {} });
    if (key) th.append(el('button', { class: 'th-sort', text: label, attrs: { type: 'button', title: `Sort by ${label}` }, on: { click: () => onSort(key) } }));
    else th.textContent = label;
    row.append(th);
  }
  return row;
}

/**
 * A Delete button and its inline confirmation ("Delete …? [Delete X] [Cancel]").
 * @param {{ title: string, question: string, confirm: string, onConfirm: () => void, extraClass?: string }} o
 */
export function deleteWithConfirm(o) {
  const box = el('div', { class: 'ask-delete ' + (o.extraClass || ''), hidden: true, attrs: { role: 'dialog', 'aria-label': 'Confirm delete' } },
    el('span', { text: o.question }),
    el('button', { class: 'btn btn-danger confirm-delete', text: o.confirm, attrs: { type: 'button' }, on: { click: () => { box.hidden = true; o.onConfirm(); } } }),
    el('button', { class: 'btn', text: 'Cancel', attrs: { type: 'button' }, on: { click: () => { box.hidden = true; } } }));
  const button = el('button', { class: 'btn', text: 'Delete', attrs: { type: 'button', title: o.title }, on: { click: () => {
    box.hidden = false;
    /** @type {HTMLElement} */ (box.querySelector('.confirm-delete')).focus();
  } } });
  return { button, box };
}
