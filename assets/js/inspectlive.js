// An Inspect eval launched from devloop (a config whose command runs
// `inspect eval …`) prints no devloop events; its samples are in the log
// Inspect is writing. When the results list names a run as a log's writer
// (`run_id`), that run's Samples tab is fed from the log: each finished
// sample as it appears (its headline score as the reward, its error), and
// the log's done/total as progress. Called on every `results_changed`, so
// a growing log shows up without polling; each sample is applied once per
// samples model (a model rebuilt from the run's log is fed again).

import { api } from './api.js';

/** @type {WeakMap<object, Set<string>>} samples model → rows already applied */
const fed = new WeakMap();
const PAGE = 1000;

/**
 * @param {{ samples: import('./samples.js').SamplesModel, _samplesChanged: () => void }} session a RunSession
 * @param {import('./api.js').ResultEntry & {done_samples?: number}} entry the log's list entry
 */
export async function feedRunSamples(session, entry) {
  const model = session.samples;
  let seen = fed.get(model);
  if (!seen) { seen = new Set(); fed.set(model, seen); }
  if (entry.done_samples != null && seen.size >= entry.done_samples) return;
  const t = Date.now();
  for (let offset = 0; ; offset += PAGE) {
    const page = await api.samples(entry.name, { offset, limit: PAGE, sort: 'index' });
    for (const r of page.samples) {
      if (seen.has(r.id)) continue;
      seen.add(r.id);
      const ev = (event) => model.apply({ seq: 0, t, type: 'event', event });
      ev({ type: 'sample_start', sample_id: r.id });
      ev({ type: 'sample_end', sample_id: r.id, reward: r.reward ?? null, metadata: { scores: r.scores, ...(r.error ? { error: r.error } : {}), inspect_log: entry.name } });
    }
    if (offset + PAGE >= page.total) break;
  }
  if (entry.total_samples) model.apply({ seq: 0, t, type: 'event', event: { type: 'progress', done: seen.size, total: entry.total_samples } });
  session._samplesChanged();
}
