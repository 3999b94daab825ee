// One sample's trajectory as a reader wants it: messages told apart by role,
// Markdown as the server rendered and sanitised it (`blocks[].html`, the only
// HTML inserted as such), thinking folded, tool calls paired with their
// results, images, unknown blocks as JSON, long messages folded; and beside
// it the sample's input, ground truth, score metrics and metadata.

import { el, fmtNum, fmtInt, pretty } from './util.js';

/** Messages longer than this (characters or lines) start folded. */
const FOLD_CHARS = 1500;
const FOLD_LINES = 24;

const ROLE_LABEL = { system: 'System', user: 'User', assistant: 'Assistant', tool: 'Tool result', unknown: 'Unknown' };

/**
 * @param {import('./api.js').SampleDetail} d
 * @param {{ compact?: boolean }} [o] compact: no aside (used side by side in comparisons; the aside goes on top, folded)
 * @returns {HTMLElement}
 */
export function renderConversation(d, o = {}) {
  const msgs = renderMessages(d.messages || []);
  const aside = renderAside(d);
  if (o.compact) {
    const det = el('details', { class: 'convo-info-fold' }, el('summary', { text: 'Input, ground truth, score' }), aside);
    return el('div', { class: 'convo compact' }, det, msgs);
  }
  return el('div', { class: 'convo' }, msgs, aside);
}

/** @param {import('./api.js').Message[]} messages */
export function renderMessages(messages) {
  // tool_call_id → the tool message answering it, so each call shows its result.
  /** @type {Map<string, number>} */
  const results = new Map();
  messages.forEach((m, i) => { if (m.role === 'tool' && m.tool_call_id) results.set(String(m.tool_call_id), i); });
  /** @type {Set<number>} */
  const used = new Set();
  const callIds = new Set();
  for (const m of messages) for (const b of m.blocks || []) if (b.kind === 'tool_call' && b.id != null) callIds.add(String(b.id));

  const box = el('div', { class: 'messages' });
  messages.forEach((m, i) => {
    if (used.has(i)) return;
    // A tool result whose call is shown elsewhere is rendered with that call.
    if (m.role === 'tool' && m.tool_call_id && callIds.has(String(m.tool_call_id))) return;
    box.append(renderMessage(m, i, messages, results, used));
  });
  if (!messages.length) box.append(el('div', { class: 'pane-msg', text: 'This sample has no messages.' }));
  return box;
}

/**
 * @param {import('./api.js').Message} m @param {number} i
 * @param {import('./api.js').Message[]} all @param {Map<string, number>} results @param {Set<number>} used
 */
function renderMessage(m, i, all, results, used) {
  const role = ROLE_LABEL[m.role] ? m.role : 'unknown';
  const meta = [m.name, m.model, m.provider].filter(Boolean).join(' · ');
  const head = el('div', { class: 'msg-head' },
    el('span', { class: 'msg-role', text: ROLE_LABEL[role] === 'Unknown' ? String(m.role || 'unknown') : ROLE_LABEL[role] }),
    m.role === 'tool' && m.tool_call_id ? el('span', { class: 'msg-callid', text: String(m.tool_call_id) }) : null,
    meta ? el('span', { class: 'msg-meta', text: meta }) : null,
    el('span', { class: 'msg-index', text: `#${i + 1}` }));
  const body = el('div', { class: 'msg-body' });
  for (const b of m.blocks || []) body.append(renderBlock(b, all, results, used));
  if (!(m.blocks || []).length) body.append(el('div', { class: 'msg-empty', text: '(no content)' }));
  if (m.extra && typeof m.extra === 'object' && Object.keys(m.extra).length) {
    body.append(el('details', { class: 'msg-extra' }, el('summary', { text: 'Other fields' }), el('pre', { class: 'json', text: pretty(m.extra) })));
  }
  const node = el('div', { class: `msg role-${role}`, dataset: { role: String(m.role || 'unknown'), index: String(i) } }, head, body);
  return node;
}

/**
 * @param {import('./api.js').Block} b
 * @param {import('./api.js').Message[]} all @param {Map<string, number>} results @param {Set<number>} used
 */
function renderBlock(b, all, results, used) {
  switch (b.kind) {
    case 'text':
      return foldable(markdown(b.html), b.chars || 0, b.text || '');
    case 'thinking': {
      const d = el('details', { class: 'block thinking' },
        el('summary', {}, el('span', { class: 'thinking-label', text: 'Thinking' }), el('span', { class: 'thinking-size', text: `${fmtInt(b.chars || 0)} chars` })),
        markdown(b.html));
      return d;
    }
    case 'tool_call': {
      const card = el('div', { class: 'block toolcall', dataset: { call: b.id == null ? '' : String(b.id) } },
        el('div', { class: 'toolcall-head' },
          el('span', { class: 'toolcall-icon', text: '⚙' }),
          el('span', { class: 'toolcall-name', text: b.name == null ? '(unnamed tool)' : String(b.name) }),
          b.id != null ? el('span', { class: 'toolcall-id', text: String(b.id) }) : null),
        b.parse_error ? el('div', { class: 'toolcall-error', text: `arguments are not valid JSON: ${b.parse_error}` }) : null,
        el('pre', { class: 'json toolcall-args', text: b.arguments || '' }));
      const ri = b.id != null ? results.get(String(b.id)) : undefined;
      if (ri !== undefined) {
        used.add(ri);
        const r = all[ri];
        const res = el('div', { class: 'toolcall-result' }, el('div', { class: 'toolcall-result-head', text: '↳ result' }));
        for (const rb of r.blocks || []) res.append(renderBlock(rb, all, results, used));
        if (!(r.blocks || []).length) res.append(el('div', { class: 'msg-empty', text: '(empty result)' }));
        card.append(res);
      } else {
        card.append(el('div', { class: 'toolcall-result missing', text: 'no tool result for this call' }));
      }
      return card;
    }
    case 'image': {
      const src = typeof b.src === 'string' && b.src.startsWith('data:image/') ? b.src : '';
      const img = el('img', { class: 'block image', attrs: { src, alt: 'image from the conversation', loading: 'lazy' } });
      img.addEventListener('click', () => img.classList.toggle('full'));
      return img;
    }
    case 'error': // a tool that failed (Inspect's ToolError): its message, marked
      return el('div', { class: 'block error', text: `error: ${b.text || ''}` });
    case 'json':
    default:
      return el('div', { class: 'block unknown' },
        el('div', { class: 'unknown-label', text: `unrecognised block${b && b.value && b.value.type ? ` (type "${b.value.type}")` : ''}` }),
        el('pre', { class: 'json', text: pretty(b && 'value' in b ? b.value : b) }));
  }
}

/** Server-rendered, sanitised Markdown. @param {string} html */
function markdown(html) {
  const d = el('div', { class: 'md' });
  d.innerHTML = html || ''; // sanitised by the server (ammonia); the only HTML inserted as such
  return d;
}

/** Fold a long block behind "Show all". @param {HTMLElement} node @param {number} chars @param {string} text */
function foldable(node, chars, text) {
  const lines = text ? text.split('\n').length : 0;
  if (chars <= FOLD_CHARS && lines <= FOLD_LINES) { node.classList.add('block'); return node; }
  const wrap = el('div', { class: 'block fold folded' }, node);
  const btn = el('button', { class: 'btn btn-small fold-toggle', text: `Show all (${fmtInt(chars)} chars)`, attrs: { type: 'button' } });
  btn.addEventListener('click', () => {
    const folded = wrap.classList.toggle('folded');
    btn.textContent = folded ? `Show all (${fmtInt(chars)} chars)` : 'Show less';
  });
  wrap.append(btn);
  return wrap;
}

/** The sample's facts beside its conversation. @param {import('./api.js').SampleDetail} d */
export function renderAside(d) {
  const s = d.sample && typeof d.sample === 'object' ? d.sample : {};
  const row = d.row || /** @type {Partial<import('./api.js').SampleRow>} */ ({});
  const aside = el('aside', { class: 'convo-aside' });
  const facts = el('dl', { class: 'facts' });
  const fact = (k, v, cls) => { facts.append(el('dt', { text: k }), el('dd', { class: cls || '', text: v })); };
  const reward = s.reward ?? row.reward;
  fact('reward', reward && typeof reward === 'object' ? pretty(reward) : fmtNum(reward), typeof reward === 'number' ? (reward > 0 ? 'good' : 'bad') : '');
  if (row.status || s.status) fact('status', String(s.status || row.status));
  if (row.turns != null) fact('turns', String(row.turns));
  aside.append(facts);
  const err = row.error || (s.metadata && s.metadata.error);
  if (err) aside.append(el('div', { class: 'aside-error', attrs: { role: 'note' } }, el('b', { text: 'Error ' }), String(err)));
  if (row.malformed) aside.append(el('div', { class: 'aside-error' }, el('b', { text: 'Malformed ' }), String(row.malformed)));
  const section = (title, value) => {
    if (value === undefined || value === null || (typeof value === 'object' && !Object.keys(value).length)) return;
    aside.append(el('section', { class: 'aside-sec' }, el('h4', { text: title }), valueView(value)));
  };
  section('Input', s.input);
  section('Ground truth', s.ground_truth);
  const metrics = s.score && Array.isArray(s.score.metrics) ? s.score.metrics : null;
  if (metrics && metrics.length) {
    const t = el('table', { class: 'metrics-table' },
      el('thead', {}, el('tr', {}, el('th', { text: 'metric' }), el('th', { text: 'value' }), el('th', { text: 'weight' }))),
      el('tbody', {}, ...metrics.map((m) => el('tr', {},
        el('td', { text: String(m.name ?? '') }),
        el('td', { class: 'num', text: fmtNum(m.value) }),
        el('td', { class: 'num dim', text: m.weight == null ? '' : fmtNum(m.weight) })))));
    aside.append(el('section', { class: 'aside-sec' }, el('h4', { text: 'Score' }), t));
  } else if (s.score) section('Score', s.score);
  section('Metadata', s.metadata);
  const tm = s.trajectory && s.trajectory.metadata;
  section('Trajectory metadata', tm);
  if (!d.sample) aside.append(el('div', { class: 'dim', text: 'No samples/ID.json for this sample: only its trajectory.' }));
  return aside;
}

/** A JSON value for reading: objects as key/value rows, strings as text. @param {any} v */
function valueView(v) {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    const dl = el('dl', { class: 'kv' });
    for (const [k, x] of Object.entries(v)) {
      dl.append(el('dt', { text: k }), el('dd', {}, typeof x === 'string' ? el('span', { class: 'kv-str', text: x }) : el('pre', { class: 'json', text: pretty(x) })));
    }
    return dl;
  }
  if (typeof v === 'string') return el('div', { class: 'kv-str block-text', text: v });
  return el('pre', { class: 'json', text: pretty(v) });
}
