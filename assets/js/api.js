// The HTTP API (the README's "API") as the page uses it: JSON helpers, a run's live
// stream with our own reconnect (resume with ?after=<last seq>), and the
// project-wide change feed (/api/events).

/**
 * @typedef {"queued"|"pending"|"running"|"succeeded"|"failed"|"stopped"|"lost"} RunStatus
 * @typedef {{ target: string, kind: string, host: string|null, job_id: string|null, state: string, reason: string|null, run_dir: string|null }} RemoteInfo
 * @typedef {{ name: string, kind: string, ssh: string|null, workdir: string|null, answers: boolean, arch: string|null, host: string|null, free_nodes: number|null, nodes: number|null, error: string|null }} TargetEntry
 * @typedef {{
 *   run_id: string, config_name: string, status: RunStatus, command: string[],
 *   created_at: number, started_at: number|null, ended_at: number|null,
 *   exit_code: number|null, signal: number|null, records: number,
 *   start_time: number, result_dir: string|null,
 *   target?: string|null, remote?: RemoteInfo,
 *   peak_rss_bytes?: number|null, cpu_seconds?: number|null,
 * }} Run
 * @typedef {{
 *   seq: number, type: "stdout", t: number, stream: "stdout"|"stderr"|"devloop",
 *   lineno: number, text: string, partial?: true, wrap?: true,
 * }} OutputRecord
 * @typedef {{ seq: number, type: "event", t: number, event: {type: string, [k: string]: any} }} EventRecord
 * @typedef {{ index: number, mem_bytes: number, util_pct: number }} GpuUse
 * @typedef {{ seq: number, type: "metrics", t: number, cpu_pct: number, rss_bytes: number, procs: number, threads: number, read_bytes: number, write_bytes: number, gpus: GpuUse[] }} MetricsRecord
 * @typedef {OutputRecord|EventRecord|MetricsRecord} LogRecord
 * @typedef {{ records: LogRecord[], next_after: number, last_seq: number, complete: boolean }} LogPage
 * @typedef {{ name: string, ext: string, size: number, mtime_ms: number, last_run?: LastRun|null,
 *   error?: string }} ConfigEntry   `error`: why the server will not serve it (not UTF-8, a link out of the folder)
 * @typedef {{ success: boolean, run_id: string, command: string, status: RunStatus, run: Run }} LaunchReply
 * @typedef {{ type: "complete", exit_code: number|null, signal: number|null, status: RunStatus, run: Run|null }} CompleteMsg
 *   `run`: the run as it ended (null only if the server could not read it)
 * @typedef {"connecting"|"live"|"reconnecting"|"ended"|"closed"|"gone"} StreamState
 * @typedef {{ type: "run_changed", run: Run } | { type: "run_deleted", run_id: string }
 *   | { type: "results_changed", deleted?: string } | { type: "configs_changed", name?: string }
 *   | { type: "alert", run_id: string, config_name: string, lineno: number, pattern: string, text: string }
 *   | { type: "resync" }} ProjectEvent   a message of GET /api/events; each but `resync` has `seq`, the server's count of notices with it
 *
 * Results (README "API"):
 * @typedef {"complete"|"running"|"incomplete"|"malformed"|"empty"} ResultStatus
 * @typedef {{
 *   name: string, eval_name: string, status: ResultStatus, timestamp: string|null, mtime_ms: number,
 *   total_samples: number|null, summary_metrics: Record<string, number>, dataset_path: string|null,
 *   error: string|null, run_id?: string|null, eval_name_repeats?: boolean,
 * }} ResultEntry   `eval_name_repeats`: another result has the same eval_name (show the folder too)
 * @typedef {{ results: ResultEntry[], total: number, all: number, offset: number }} ResultList
 *   `total` entries pass the filters, of `all`; `results` is the page from `offset`
 * @typedef {{ offset?: number, limit?: number, q?: string, name?: string[], run_id?: string[] }} ResultListQuery
 *   `name`/`run_id`: only those results, or those the runs wrote
 * @typedef {{ summary: ResultEntry, report: any, run_id: string|null }} ResultDetail
 * @typedef {{ samples: number, with_value: number, min: number|null, max: number|null,
 *   histogram: number[], statuses: Record<string, number>, with_error: number,
 *   of: string, numbers: string[] }} Distribution   `of` is the number charted; `numbers` are those that could be
 * @typedef {{ id: string, index: number, reward: number|null, status: string|null, turns: number|null,
 *   error: string|null, malformed: string|null, warning?: string, components?: Record<string, number> }} SampleRow
 * @typedef {{ total: number, all: number, offset: number, samples: SampleRow[], components?: string[] }} SamplePage
 * @typedef {{ offset?: number, limit?: number, sort?: string, status?: string, min_reward?: string|number,
 *   max_reward?: string|number, has_error?: boolean|string, q?: string, filter?: string }} SampleQuery
 * @typedef {{ kind: "text"|"thinking", text: string, html: string, chars: number }} TextBlock
 * @typedef {{ kind: "tool_call", id: string|null, name: string|null, arguments: string, parse_error: string|null, raw_arguments?: any }} ToolCallBlock
 * @typedef {{ kind: "image", src: string }} ImageBlock
 * @typedef {{ kind: "json", value: any }} JsonBlock
 * @typedef {TextBlock|ToolCallBlock|ImageBlock|JsonBlock} Block
 * @typedef {{ role: string, blocks: Block[], tool_call_id: string|null, name: string|null,
 *   provider: string|null, model: string|null, timestamp: string|null, extra: any }} Message
 * @typedef {{ prev: string|null, next: string|null, position: number, count: number }} SampleNav
 * @typedef {{ id: string, row: SampleRow, sample: any, messages: Message[], nav: SampleNav }} SampleDetail
 * @typedef {{ value: any, answer?: any, explanation?: string|null }} InspectScore   a scorer's value is any JSON Inspect wrote
 * @typedef {{ id: string, index: number, sample_id: string, epoch: number, scores: Record<string, InspectScore>,
 *   target: string, input: string, tokens: number|null, time: number|null, error: string|null, limit: string|null,
 *   reward: number|null }} InspectRow   a row of an Inspect log's sample table
 * @typedef {{ total: number, all: number, offset: number, samples: InspectRow[], scorers: string[] }} InspectSamplePage
 * @typedef {{ kind: string, title?: string, text?: string, t?: number|null, depth?: number, duration?: number|null,
 *   tokens?: any, cache?: string|null, retries?: number, error?: string|null, limit?: string|null, explanation?: string|null,
 *   arguments?: string, tool_calls?: string[], type?: string }} TranscriptItem   one event of an Inspect sample, at a glance
 * @typedef {{ id: string, row: InspectRow, sample: any, messages: Message[], nav: SampleNav, transcript: TranscriptItem[],
 *   kinds: Record<string, number>, error?: string, query?: any }} InspectSampleDetail
 * @typedef {{ id: string, a: number|null, b: number|null, delta: number|null, changed: boolean }} ComparePair
 * @typedef {{ a: ResultEntry, b: ResultEntry, same_dataset: boolean, changed: number, pairs: ComparePair[] }} Comparison
 *
 * Configs and datasets:
 * @typedef {{ run_id: string, status: RunStatus, created_at: number, ended_at: number|null, exit_code: number|null }} LastRun
 * @typedef {{ name: string, content: string, version: string, mtime_ms: number, suggested_copy_name: string }} ConfigFile
 * @typedef {{ message: string, line: number|null, column: number|null, detail?: string }} Problem
 *   `message` in plain words; `detail`: the parser's own, when they differ
 * @typedef {{ ok: boolean, problems: Problem[], output: string|null, checker: string|null }} Validation
 * @typedef {{ name: string, size: number, mtime_ms: number, rows: number|null, invalid_rows?: number, error: string|null }} DatasetEntry
 * @typedef {{ name: string, total: number, invalid?: number, offset: number, fields: string[], rows: any[] }} DatasetPage
 */

/** An HTTP error with the server's `{"error": ...}` message. */
export class ApiError extends Error {
  /** @param {number} status @param {string} message @param {any} body */
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

/**
 * The server counts its change notices and says the count with every answer
 * (`x-devloop-seq`, "server.count") and as its event feed opens (`hello`).
 * While `marks` is set, it holds the count of the oldest answer read since:
 * if the feed opens at that count, what was read has missed no change.
 * @type {{ oldest: string|null }|null}
 */
let marks = null;

/** From now on, note the count of the oldest answer read. */
export function noteMarks() { marks = { oldest: null }; }

/**
 * The count of the oldest answer read since `noteMarks`, and stop noting;
 * null if unknown (an answer without one, or two servers' answers).
 * @returns {string|null}
 */
export function oldestMark() {
  const m = marks?.oldest ?? null;
  marks = null;
  return m === '?' ? null : m;
}

/** What the page does when an answer fails (main.js: it can no longer tell it is up to date). */
let onFailedRead = () => {};
/** @param {() => void} f */
export function whenReadFails(f) { onFailedRead = f; }

/** @param {string|null} mark */
function noteMark(mark) {
  if (!marks) return;
  const [server, count] = (mark || '').split('.');
  if (!server || !count) { marks.oldest = '?'; return; }
  if (marks.oldest === null) { marks.oldest = mark; return; }
  const [s0, c0] = marks.oldest.split('.');
  if (s0 !== server) marks.oldest = '?';
  else if (Number(count) < Number(c0)) marks.oldest = mark;
}

/** Answers asked for ahead of a likely click, by address, each taken once by the next read of it. */
const ahead = new Map();
/** How long an answer asked for ahead is good for: a press is followed by its click within a second. */
const AHEAD_MS = 2000;
let askingAhead = false;

/**
 * Reads made in `ask` start now, and the next read of the same address
 * within AHEAD_MS takes the answer instead of asking again: a press on an
 * item asks for what its click will open (~100 ms before the click, for a
 * hand on a mouse).
 * @param {() => void} ask
 */
export function askAhead(ask) {
  // Answers a press asked for and no click took are dropped here, not kept.
  for (const [url, a] of ahead) if (performance.now() - a.at >= AHEAD_MS) ahead.delete(url);
  askingAhead = true;
  try { ask(); } finally { askingAhead = false; }
}

/**
 * @param {string} url
 * @param {RequestInit} [init]
 * @returns {Promise<any>}
 */
function request(url, init) {
  if (init?.method) return send(url, init);
  if (askingAhead) {
    const answer = send(url, init);
    answer.catch(() => {}); // a press with no click leaves no unhandled failure
    ahead.set(url, { answer, at: performance.now() });
    return answer;
  }
  const early = ahead.get(url);
  if (early) {
    ahead.delete(url);
    if (performance.now() - early.at < AHEAD_MS) return early.answer;
  }
  return send(url, init);
}

/**
 * @param {string} url
 * @param {RequestInit} [init]
 */
async function send(url, init) {
  let res;
  try {
    res = await fetch(url, { credentials: 'same-origin', ...init });
  } catch (e) {
    noteMark(null); // a list not read is a list that may miss a change
    onFailedRead();
    throw e;
  }
  noteMark(res.ok ? res.headers.get('x-devloop-seq') : null); // a failed read missed everything
  if (!res.ok) onFailedRead();
  const type = res.headers.get('content-type') || '';
  let body = null;
  if (type.includes('json')) {
    try { body = await res.json(); } catch { body = null; }
  } else {
    body = await res.text();
  }
  if (!res.ok) {
    const msg = (body && typeof body === 'object' && body.error) ? String(body.error)
      : (typeof body === 'string' && body.trim()) ? body.trim().slice(0, 300) : `${res.status} ${res.statusText}`;
    throw new ApiError(res.status, msg, body);
  }
  return body;
}

const enc = encodeURIComponent;
/** A view's first read: its distribution is of the reward (the chart a view opens with). @param {string} name @param {SampleQuery} q */
const openingUrl = (name, q) => `/api/results/${enc(name)}/opening${qs(q)}`;
const post = (url, data, method = 'POST') => request(url, {
  method,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(data ?? {}),
});
/** @param {Record<string, any>} q */
const qs = (q) => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '' && v !== false) p.set(k, String(v));
  const s = p.toString();
  return s ? '?' + s : '';
};

export const api = {
  /** @returns {Promise<{ok: boolean, version: string, project: string, max_concurrent?: number}>} */
  health: () => request('/api/health'),
  /** @returns {Promise<{configs: ConfigEntry[]}>} */
  configs: () => request('/api/configs'),
  /** @param {string} configName @returns {Promise<LaunchReply>} */
  launch: (configName, target) => post('/api/launch', target ? { configName, target } : { configName }),
  /** @returns {Promise<{targets: TargetEntry[]}>} */
  targets: () => request('/api/targets'),
  /** @returns {Promise<{runs: Run[]}>} */
  runs: () => request('/api/runs'),
  /** @param {string} id @returns {Promise<Run>} */
  run: (id) => request(`/api/runs/${enc(id)}`),
  /** Delete a finished run (its folder and its entry). @param {string} id */
  deleteRun: (id) => request(`/api/runs/${enc(id)}`, { method: 'DELETE' }),
  /** Delete a result folder. @param {string} name */
  deleteResult: (name) => request(`/api/results/${enc(name)}`, { method: 'DELETE' }),
  /** @param {string} id @returns {Promise<Run>} */
  stop: (id) => post(`/api/runs/${enc(id)}/stop`, {}),
  /** @param {string} id @param {number} after @param {number} limit @returns {Promise<LogPage>} */
  logPage: (id, after, limit) => request(`/api/runs/${enc(id)}/log?format=json&after=${after}&limit=${limit}`),
  /** The log as text: plain (colours stripped, stderr marked) or raw (as written). @param {string} id @param {boolean} [raw] */
  logUrl: (id, raw = false) => `/api/runs/${enc(id)}/log${raw ? '?format=raw' : ''}`,
  /**
   * Whole-log search: how many lines match, where line `around` falls among them, records of a slice.
   * @param {string} id @param {{q?: string, regex?: number, case?: number, level?: string, around?: number, offset?: number, limit?: number}} q
   * @returns {Promise<{total: number, index: number|null, offset: number, last_seq: number, complete: boolean, records: LogRecord[]}>}
   */
  logSearch: (id, q) => request(`/api/runs/${enc(id)}/log/search${qs(q)}`),
  /** @param {string} id @param {number} after */
  // batch=1: one event per read of many records; a flood arrives as a few
  // thousand events instead of a million, which EventSource handles far faster.
  streamUrl: (id, after) => `/api/runs/${enc(id)}/stream?after=${after}&batch=1`,
  /** @param {ResultListQuery} [q] @returns {Promise<ResultList>} */
  results: (q = {}) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) {
      for (const one of Array.isArray(v) ? v : [v]) if (one !== undefined && one !== null && one !== '') p.append(k, String(one));
    }
    const s = p.toString();
    return request('/api/results' + (s ? '?' + s : ''));
  },
  /** @param {string} name @returns {Promise<ResultDetail>} */
  result: (name) => request(`/api/results/${enc(name)}`),
  /** @param {string} name @param {string} [of] the number to chart (default: the reward) @returns {Promise<Distribution>} */
  distribution: (name, of) => request(`/api/results/${enc(name)}/distribution${qs({ of: of && of !== 'reward' ? of : undefined })}`),
  /** @param {string} name @param {SampleQuery} q @param {AbortSignal} [signal] @returns {Promise<SamplePage>} */
  samples: (name, q, signal) => request(`/api/results/${enc(name)}/samples${qs(q)}`, { signal }),
  /**
   * What a result's view shows first, in one answer: each part fails as its
   * own read would (`result`, `distribution`, `samples`); a distribution the
   * answer went without is read by its own route.
   * @param {string} name @param {SampleQuery} q
   * @returns {{result: Promise<ResultDetail>, distribution: Promise<Distribution>, samples: Promise<SamplePage>}}
   */
  opening: (name, q) => {
    const all = request(openingUrl(name, q));
    /** @param {'detail'|'distribution'|'samples'} k */
    const part = (k) => all.then((a) => {
      if (k === 'distribution' && a.pending?.includes(k)) return api.distribution(name);
      const e = a.errors?.[k];
      if (e) throw new ApiError(e.status, e.error, e);
      return a[k];
    });
    const first = { result: part('detail'), distribution: part('distribution'), samples: part('samples') };
    // The view may stop waiting on a part that fails after another did: no unhandled failure.
    for (const p of Object.values(first)) p.catch(() => {});
    return first;
  },
  /**
   * Only the request `opening` makes (a press asking ahead): its parts are
   * made by the `opening` that takes the answer, so a chart left pending is
   * asked for once, and only if the view opens.
   * @param {string} name @param {SampleQuery} q
   */
  askOpening: (name, q) => { request(openingUrl(name, q)); },
  /** @param {string} name @param {string} id @param {Record<string, any>} [q] the table's filters and sort, for prev/next @returns {Promise<SampleDetail>} */
  sample: (name, id, q = {}) => request(`/api/results/${enc(name)}/samples/${enc(id)}${qs({ ...q, offset: undefined })}`),
  /** @param {string} a @param {string} b @returns {Promise<Comparison>} */
  compare: (a, b) => request(`/api/compare${qs({ a, b })}`),
  /** @param {string} id @returns {Promise<{run_id: string, name: string, content: string}>} */
  runConfig: (id) => request(`/api/runs/${enc(id)}/config`),
  /** @param {string} name @returns {Promise<ConfigFile>} */
  config: (name) => request(`/api/configs/${enc(name)}`),
  /** Save; 409 (ApiError) when the file changed since `base_version`. @param {string} name @param {{content: string, base_version?: string, force?: boolean}} body @returns {Promise<ConfigFile>} */
  saveConfig: (name, body) => post(`/api/configs/${enc(name)}`, body, 'PUT'),
  /** @param {string} name @param {string} newName @returns {Promise<any>} */
  copyConfig: (name, newName) => post(`/api/configs/${enc(name)}`, { new_name: newName }),
  /** @param {string} name @param {string} [content] @returns {Promise<Validation>} */
  validate: (name, content) => post('/api/configs/validate', { name, content }),
  /** The project's form schema, or null when it has none. @returns {Promise<any|null>} */
  schema: async () => {
    try { return JSON.parse((await request('/api/configs/_schema.json')).content); } catch { return null; }
  },
  /** @returns {Promise<{datasets: DatasetEntry[]}>} */
  datasets: () => request('/api/datasets'),
  /** @param {string} name @param {number} offset @param {number} limit @returns {Promise<DatasetPage>} */
  dataset: (name, offset, limit) => request(`/api/datasets/${enc(name)}${qs({ offset, limit })}`),
};

const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 5000];

/**
 * A run's live stream. Never relies on EventSource's own reconnect: on any error
 * it closes the source, re-reads the run (GET /api/runs/{id}) and opens a new one
 * with ?after=<last seq seen>, with backoff. Records with seq <= last seen are dropped,
 * so a resume can neither lose nor double a record.
 */
export class RunStream {
  /**
   * @param {string} runId
   * @param {{
   *   after: number,
   *   onRecords: (recs: LogRecord[]) => void,
   *   onRun: (run: Run) => void,
   *   onComplete: (msg: CompleteMsg) => void,
   *   onState: (state: StreamState, info?: string) => void,
   *   onError?: (message: string) => void,
   * }} handlers
   */
  constructor(runId, handlers) {
    this.runId = runId;
    this.h = handlers;
    this.lastSeq = handlers.after || 0;
    /** @type {EventSource|null} */
    this.es = null;
    this.attempt = 0;
    this.timer = 0;
    /** @type {StreamState} */
    this.state = 'closed';
    this.ended = false;
    this.closed = false;
    /** @type {LogRecord[]} */
    this.pending = [];
    this.flushQueued = false;
  }

  start() {
    if (this.ended) return;
    if (this.es) { this.es.close(); this.es = null; }
    clearTimeout(this.timer);
    this.closed = false;
    this._open(false);
  }

  /** @param {StreamState} s @param {string} [info] */
  _setState(s, info) {
    this.state = s;
    this.h.onState(s, info);
  }

  /** @param {boolean} isRetry */
  async _open(isRetry) {
    if (this.closed || this.ended) return;
    this._setState(isRetry ? 'reconnecting' : 'connecting');
    if (isRetry) {
      // Re-read the run first: tells whether the server is back, and lands a
      // status change (e.g. a completion) that happened while we were away.
      try {
        const run = await api.run(this.runId);
        if (this.closed) return;
        this.h.onRun(run);
      } catch (e) {
        if (this.closed) return;
        if (e instanceof ApiError && e.status === 404) { this._setState('gone', 'run not found'); return; }
        this._retryLater();
        return;
      }
    }
    const es = new EventSource(api.streamUrl(this.runId, this.lastSeq));
    this.es = es;
    es.onopen = () => {
      if (this.es !== es) return;
      this.attempt = 0;
      this._setState('live');
    };
    es.onmessage = (ev) => this._message(es, ev);
    es.onerror = () => {
      if (this.es !== es) return;
      es.close();
      this.es = null;
      this._flush();
      if (this.ended || this.closed) return;
      this._retryLater();
    };
  }

  _retryLater() {
    this._setState('reconnecting');
    const delay = BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)];
    this.attempt++;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this._open(true), delay);
  }

  /** @param {EventSource} es @param {MessageEvent} ev */
  _message(es, ev) {
    if (this.es !== es) return;
    let msg;
    try { msg = JSON.parse(ev.data); } catch { return; }
    if (!msg || typeof msg !== 'object') return;
    if (this.state !== 'live') { this.attempt = 0; this._setState('live'); }
    switch (msg.type) {
      case 'batch':
        for (const rec of Array.isArray(msg.records) ? msg.records : []) this._record(rec);
        return;
      case 'stdout':
      case 'event':
        this._record(msg);
        return;
      case 'status':
        if (msg.run) this.h.onRun(msg.run);
        return;
      case 'complete':
        this._flush();
        this.ended = true;
        es.close();
        this.es = null;
        this.h.onComplete(msg);
        this._setState('ended');
        return;
      case 'error':
        this.h.onError?.(String(msg.message ?? 'stream error'));
        return;
      default:
        return;
    }
  }

  /** @param {LogRecord} rec */
  _record(rec) {
    const seq = Number(rec.seq);
    if (!(seq > this.lastSeq)) return; // already seen: never double a record
    this.lastSeq = seq;
    this.pending.push(rec);
    // Many records arrive per frame during a flood: hand them over in batches.
    if (this.pending.length >= 5000) this._flush();
    else if (!this.flushQueued) { this.flushQueued = true; queueMicrotask(() => this._flush()); }
  }

  _flush() {
    this.flushQueued = false;
    if (!this.pending.length) return;
    const batch = this.pending;
    this.pending = [];
    this.h.onRecords(batch);
  }

  /** Stop streaming (tab closed or put in the background). `start()` resumes after lastSeq. */
  close() {
    this.closed = true;
    clearTimeout(this.timer);
    if (this.es) { this.es.close(); this.es = null; }
    this._flush();
    if (!this.ended) this._setState('closed');
  }
}

/**
 * The project-wide change feed, GET /api/events, with the same self-managed
 * reconnect. `onConnect` fires after every (re)connection with the server's
 * count of notices then, so callers re-read only if they may have missed one.
 */
export class ProjectEvents {
  /**
   * @param {{ onMessage: (msg: ProjectEvent) => void, onState: (s: "live"|"reconnecting") => void, onConnect: (seq: string|null) => void }} h
   *   `onConnect`: the feed (re)opened when the server's count of notices was `seq`
   */
  constructor(h) {
    this.h = h;
    this.attempt = 0;
    /** @type {EventSource|null} */
    this.es = null;
    this.timer = 0;
  }
  start() {
    const es = new EventSource('/api/events');
    this.es = es;
    es.onopen = () => {
      if (this.es !== es) return;
      this.attempt = 0;
      this.h.onState('live');
    };
    es.onmessage = (ev) => {
      let msg; try { msg = JSON.parse(ev.data); } catch { return; }
      if (!msg || typeof msg !== 'object') return;
      if (msg.type === 'hello') this.h.onConnect(typeof msg.seq === 'string' ? msg.seq : null);
      else this.h.onMessage(msg);
    };
    es.onerror = () => {
      if (this.es !== es) return;
      es.close();
      this.es = null;
      this.h.onState('reconnecting');
      const delay = BACKOFF_MS[Math.min(this.attempt++, BACKOFF_MS.length - 1)];
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.start(), delay);
    };
  }
}
