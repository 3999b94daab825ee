// Small projects the tests make for themselves (besides the bundled demo):
// configs are Python scripts run as `python3 {config}`.

/** A script printing `PREFIX tick N` for N = 1..count at `rate` lines/s, flushed one by one. */
export function tickerScript(prefix, count, rate) {
  return `import sys, time
prefix, count, rate = ${JSON.stringify(prefix)}, ${count}, ${rate}
start = time.monotonic()
for i in range(1, count + 1):
    delay = start + i / rate - time.monotonic()
    if delay > 0:
        time.sleep(delay)
    sys.stdout.write(f"{prefix} tick {i}\\n")
    sys.stdout.flush()
`;
}

/** The files of a project whose configs are ticker scripts. @param {Record<string, [string, number, number]>} configs name → [prefix, count, rate] */
export function tickerProject(configs) {
  const files = {
    'devloop.toml': '[launch]\ncommand = ["python3", "{config}"]\nmax_concurrent = 4\nstop_grace_secs = 2\nenv = { PYTHONUNBUFFERED = "1" }\n',
  };
  for (const [name, [prefix, count, rate]] of Object.entries(configs)) files[`configs/${name}`] = tickerScript(prefix, count, rate);
  return files;
}

// ---- result folders (FORMATS.md) -----------------------------------------------------------

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { deflateSync, crc32 } from 'node:zlib';

/** A PNG data URL of a w×h colour gradient (so a test can check the image decoded at its size). */
export function gradientPng(w = 160, h = 96) {
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    raw[y * (w * 3 + 1)] = 0;
    for (let x = 0; x < w; x++) {
      const o = y * (w * 3 + 1) + 1 + x * 3;
      raw[o] = Math.round(255 * x / w); raw[o + 1] = Math.round(255 * y / h); raw[o + 2] = 200;
    }
  }
  const chunk = (type, data) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td) >>> 0);
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
  const png = Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
  return 'data:image/png;base64,' + png.toString('base64');
}
export const PNG = gradientPng();

/** Write one result folder. @param {string} dir project folder @param {string} name @param {{report?: any|string, samples: {id: string, messages: any[], reward?: any, status?: string, error?: string, input?: any, ground_truth?: any}[]}} r */
export function writeResult(dir, name, r) {
  const root = path.join(dir, 'results', name);
  mkdirSync(path.join(root, 'trajectories'), { recursive: true });
  mkdirSync(path.join(root, 'samples'), { recursive: true });
  r.samples.forEach((s, index) => {
    // `rewards` (named parts) stands in for the one reward and its score metric, as rollouts writes it.
    const traj = { messages: s.messages, rewards: s.rewards ?? s.reward ?? 0, group: 0, replica: 0, metadata: { sample_data: { n: index } } };
    writeFileSync(path.join(root, 'trajectories', `${s.id}.jsonl`), JSON.stringify(traj) + '\n');
    writeFileSync(path.join(root, 'samples', `${s.id}.json`), JSON.stringify({
      id: s.id, index, input: s.input ?? { question: `question ${index}` }, ground_truth: s.ground_truth ?? String(index),
      trajectory: traj, status: s.status || 'completed',
      ...(s.rewards ? {} : { reward: s.reward ?? 0, score: { metrics: [{ name: 'correct', value: s.reward ?? 0, weight: 1, metadata: {} }] } }),
      metadata: { ...(s.metadata || {}), ...(s.error ? { error: s.error } : {}) },
    }));
  });
  if (r.report !== undefined) {
    writeFileSync(path.join(root, 'report.json'), typeof r.report === 'string' ? r.report : JSON.stringify(r.report));
  }
}

/** Messages with every kind of block (rollouts content blocks). */
export function showcaseMessages() {
  return [
    { role: 'system', content: 'You are a **careful** assistant. <script>window.__pwned = 1</script>' },
    { role: 'user', content: [{ type: 'text', text: 'Plot y = x² and compute 12 * 34.' }, { type: 'image', image_url: PNG }, { type: 'image', image: gradientPng(80, 48) }] },
    { role: 'assistant', content: [
      { type: 'thinking', thinking: 'The user wants a product. SECRET-THOUGHT: use the calculator.' },
      { type: 'text', text: 'Here is the code:\n\n```python\ndef square(x):\n    return x * x\n```\n\nAnd now the tool.' },
      { type: 'toolCall', id: 'call_a', name: 'calculator', arguments: { expression: '12 * 34' } },
      { type: 'hologram', payload: { beams: 3 } },
    ] },
    { role: 'tool', tool_call_id: 'call_a', content: 'RESULT-408' },
    { role: 'assistant', content: 'The answer is **408**.\n\n' + 'A long explanation line that goes on. '.repeat(80) },
  ];
}

/** An OpenAI chat-format conversation with tool_calls. */
export function openaiMessages() {
  return [
    { role: 'user', content: 'What is the weather in Paris?' },
    { role: 'assistant', content: null, tool_calls: [{ id: 'call_w1', type: 'function', function: { name: 'get_weather', arguments: '{"city": "Paris", "unit": "C"}' } }] },
    { role: 'tool', tool_call_id: 'call_w1', content: 'WEATHER-SUNNY-21' },
    { role: 'assistant', content: 'It is sunny, 21 °C.' },
  ];
}

/** Simple samples for paging, sorting and filtering: n samples, rewards i%5/4, every 7th failed with an error. @param {number} n @param {string} [tag] */
export function manySamples(n, tag = 'item') {
  return Array.from({ length: n }, (_, i) => ({
    id: `s${String(i).padStart(4, '0')}`,
    reward: (i % 5) / 4,
    status: i % 7 === 3 ? 'failed' : 'completed',
    error: i % 7 === 3 ? `ProviderError: boom ${i}` : undefined,
    messages: [{ role: 'user', content: `${tag} ${i} ${i === 42 ? 'needle-in-haystack' : ''}` }, { role: 'assistant', content: `answer ${i}` }],
  }));
}
