// Benchmark (prints figures, no thresholds): devloop and `inspect view` (the
// same pinned inspect-ai, tests/inspect/setup.sh) side by side, in headless
// Chromium, on one generated 1,000-sample .eval log (~25 MB; made once by
// tests/inspect/make_logs.py and kept in /var/tmp/devloop-inspect-bench).
// Each repetition starts both servers afresh (cold: no cache in the server
// or the browser; the OS file cache is warm for both) and measures, from
// the page's navigation:
//   list    the log is listed (devloop: its item in Results, as the server
//           draws it into the page; inspect view, which opens the only log
//           of its folder at once: its name shown)
//   painted the list on screen: when the frame that first holds it was
//           shown (a probe, a dot added in the check that sees the list, is
//           painted in that frame; its element timing is that frame's
//           presentation). A list in the page's first HTML shows with the
//           first contentful paint, one drawn by script a frame after it is
//           in the page.
//   usable  the page's own list is in place and opens what is clicked
//           without waiting (devloop: its script has read the lists and
//           drawn the items again, and its views, which load after the
//           first frame, are in; inspect view: as soon as listed, its list
//           is its script's). The clicks below wait for this.
//   page    the first page of samples is shown (clicked open in devloop:
//           its rows on screen; a page longer than the screen shows the
//           rows the screen holds, and the rest one frame after)
//   sample  one sample's conversation is shown after clicking its row
// (devloop's rows and conversation count once shown, not once in the page:
// a new tab is built out of sight and shown with its rows)
//   bytes   what the browser downloaded (encoded, as sent) for all that
// Every moment is taken on the page's own clock, for both tools alike: a
// check once per animation frame inside the page (from navigation for the
// list, from an in-page click for the rest). Waiting through Playwright
// instead added 80–100 ms of round trips and actionability checks to every
// figure, more than devloop's own time for some of them.
// Usage: E2E_EMBEDDED=1 DEVLOOP_BIN=target/release/devloop node bench_inspect.mjs [--reps 3]
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, mkdirSync, copyFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Server, REPO, launchBrowser } from './helper.mjs';

const { values: opt } = parseArgs({ options: { reps: { type: 'string', default: '3' }, samples: { type: 'string', default: '1000' } } });
const py = execFileSync('bash', [path.join(REPO, 'tests/inspect/setup.sh'), 'path'], { encoding: 'utf8' }).trim();
const inspectBin = path.join(path.dirname(py), 'inspect');
const logDir = `/var/tmp/devloop-inspect-bench/logs-${opt.samples}`;
if (!existsSync(logDir) || !readdirSync(logDir).some((f) => f.endsWith('.eval'))) {
  console.log(`making a ${opt.samples}-sample log in ${logDir} …`);
  execFileSync(py, [path.join(REPO, 'tests/inspect/make_logs.py'), logDir, 'big', opt.samples], { stdio: 'inherit' });
}
const logFile = readdirSync(logDir).find((f) => f.endsWith('.eval'));
const { size } = await import('node:fs').then((fs) => fs.statSync(path.join(logDir, logFile)));
console.log(`log: ${logFile}, ${(size / 1e6).toFixed(1)} MB, ${opt.samples} samples; devloop binary: ${process.env.DEVLOOP_BIN || 'target/debug/devloop'}${process.env.E2E_EMBEDDED === '1' ? ' (embedded page)' : ' (page from assets/)'}`);

/** Start `inspect view` on the log folder; resolves with its URL. */
function inspectView() {
  return new Promise((resolve, reject) => {
    const port = 7600 + Math.floor(Math.random() * 300);
    const proc = spawn(inspectBin, ['view', '--log-dir', logDir, '--port', String(port), '--host', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const onData = (d) => { out += d; if (out.includes('Running on')) resolve({ proc, url: `http://127.0.0.1:${port}/` }); };
    proc.stdout.on('data', onData);
    proc.stderr.on('data', onData);
    proc.on('exit', (c) => reject(new Error(`inspect view exited ${c}: ${out}`)));
    setTimeout(() => reject(new Error(`inspect view did not start: ${out}`)), 60_000);
  });
}

/**
 * In the page, from its start: the moment (ms since navigation) each
 * condition first holds, checked once per frame. A condition is
 * `{sel}` (an element matches) or `{text, ci}` (the page's text holds it).
 * @param {Record<string, {sel?: string, text?: string, ci?: boolean, shown?: boolean}>} marks
 */
function watchFromStart(marks) {
  const seen = {};
  Object.defineProperty(window, '__seen', { value: seen });
  // A mark with `shown: true` is also timed when it is on screen (window.__shown).
  const shown = {};
  Object.defineProperty(window, '__shown', { value: shown });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (shown[e.identifier] === undefined) shown[e.identifier] = /** @type {any} */ (e).renderTime || e.startTime;
  }).observe({ type: 'element', buffered: true });
  const probe = (k) => {
    const dot = Object.assign(document.createElement('span'), { textContent: '.' });
    dot.setAttribute('elementtiming', k);
    dot.style.cssText = 'position: fixed; right: 0; bottom: 0; font: 1px monospace; pointer-events: none';
    return dot;
  };
  const holds = (c) => c.sel ? !!document.querySelector(c.sel)
    : (() => { const t = document.body ? document.body.textContent || '' : ''; return c.ci ? t.toLowerCase().includes(c.text.toLowerCase()) : t.includes(c.text); })();
  const tick = () => {
    for (const [k, c] of Object.entries(marks)) {
      if (seen[k] !== undefined || !holds(c)) continue;
      seen[k] = performance.now();
      if (c.shown) document.body.append(probe(k));
    }
    if (Object.keys(seen).length < Object.keys(marks).length) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}

/** Resolves with the moment mark `k` was on screen (ms since navigation). */
async function shownAt(page, k) {
  const h = await page.waitForFunction((k) => window.__shown && window.__shown[k], k, { timeout: 60_000 });
  return Math.round(await h.jsonValue());
}

/** Resolves with the page's moment for mark `k` (ms since navigation). */
async function seen(page, k) {
  const h = await page.waitForFunction((k) => window.__seen && window.__seen[k], k, { timeout: 60_000 });
  return Math.round(await h.jsonValue());
}

/**
 * In the page: clicks what `target` finds, then waits (once per frame) until
 * every condition holds; resolves with the ms between the click and then.
 * `target` is `{sel}` or `{text}` (the innermost element whose text is exactly it).
 */
function clickThenWait(page, target, conds) {
  return page.evaluate(([target, conds]) => new Promise((resolve, reject) => {
    let el = target.sel ? document.querySelector(target.sel) : null;
    if (target.text) {
      const all = [...document.querySelectorAll('body *')].filter((e) => e.textContent.trim() === target.text);
      el = all.find((e) => ![...e.children].some((c) => c.textContent.trim() === target.text)) || null;
    }
    if (!el) return reject(new Error(`nothing to click: ${JSON.stringify(target)}`));
    // A selector counts once what it finds is shown (a view may build its rows before it shows them).
    const holds = (c) => c.sel ? !!document.querySelector(c.sel)?.checkVisibility()
      : (() => { const t = document.body.textContent || ''; return c.ci ? t.toLowerCase().includes(c.text.toLowerCase()) : t.includes(c.text); })();
    const t0 = performance.now();
    /** @type {HTMLElement} */ (el).click();
    const tick = () => conds.every(holds) ? resolve(Math.round(performance.now() - t0)) : performance.now() - t0 > 60_000 ? reject(new Error('timed out')) : requestAnimationFrame(tick);
    requestAnimationFrame(tick);
  }), [target, conds]);
}

/** A fresh context, counting the bytes the page downloads. */
async function freshPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  const counter = { bytes: 0 };
  cdp.on('Network.loadingFinished', (e) => { counter.bytes += e.encodedDataLength; });
  // Chromium's own start-up (a renderer for the context) is not either
  // tool's time: a blank page first.
  await page.goto('about:blank');
  return { context, page, counter };
}

const browser = await launchBrowser();
const rows = { devloop: [], inspect: [] };
try {
  for (let rep = 0; rep < Number(opt.reps); rep++) {
    // ---- devloop ----
    {
      const server = await Server.project({ 'configs/quick.py': 'print("hi")\n' });
      mkdirSync(path.join(server.dir, 'logs'));
      copyFileSync(path.join(logDir, logFile), path.join(server.dir, 'logs', logFile));
      const name = `logs/${logFile}`;
      const { context, page, counter } = await freshPage(browser);
      const item = `.result-item[data-name="${name}"]`;
      const own = `html[data-views="ready"] .result-list:not([data-drawn]) ${item}`;
      await page.addInitScript(watchFromStart, { list: { sel: item, shown: true }, usable: { sel: own } });
      await page.goto(server.url);
      const list = await seen(page, 'list');
      const listBytes = counter.bytes;
      const usable = await seen(page, 'usable');
      const painted = await shownAt(page, 'list');
      const view = `.result-view[data-result="${name}"]`;
      const pg = await clickThenWait(page, { sel: own }, [{ sel: `${view} tr.srow` }]);
      const sample = await clickThenWait(page, { sel: `${view} tr.srow[data-id="q1_epoch_1"]` },
        [{ sel: `${view} .iv-convo .msg[data-role="assistant"]` }, { sel: `${view} .iv-transcript .iv-ev[data-kind="model"]` }]);
      await new Promise((r) => setTimeout(r, 300));
      rows.devloop.push({ list, painted, usable, page: pg, sample, bytes: counter.bytes, listBytes });
      await context.close();
      await server.close();
    }
    // ---- inspect view ----
    {
      const iv = await inspectView();
      const { context, page, counter } = await freshPage(browser);
      // inspect view opens the only log of its folder by itself: its first
      // page is timed from the log's name being shown to the last sample's.
      await page.addInitScript(watchFromStart, { list: { text: logFile.replace(/\.eval$/, ''), shown: true }, page: { text: 'q1000' } });
      await page.goto(iv.url);
      const list = await seen(page, 'list');
      const listBytes = counter.bytes;
      const painted = await shownAt(page, 'list');
      const pg = (await seen(page, 'page')) - list;
      const sample = await clickThenWait(page, { text: 'q1' }, [{ text: 'Adding 1 and 2.' }, { text: 'MODEL CALL', ci: true }]);
      await new Promise((r) => setTimeout(r, 300));
      rows.inspect.push({ list, painted, usable: list, page: pg, sample, bytes: counter.bytes, listBytes });
      await context.close();
      iv.proc.kill('SIGTERM');
    }
  }
} finally {
  await browser.close();
}

const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const col = (k) => ({ d: med(rows.devloop.map((r) => r[k])), i: med(rows.inspect.map((r) => r[k])) });
console.log(`\nmedian of ${opt.reps} cold repetitions            devloop   inspect view   ratio`);
for (const [k, label] of [['list', 'list (page load → log listed)'], ['painted', 'list painted (on screen)'], ['usable', 'list usable (its script has run)'], ['page', 'first page of samples'], ['sample', 'open one sample']]) {
  const { d, i } = col(k);
  console.log(`${label.padEnd(40)} ${String(d).padStart(6)} ms ${String(i).padStart(9)} ms ${(i / Math.max(d, 1)).toFixed(1).padStart(7)}×`);
}
for (const [k, label] of [['listBytes', 'bytes loaded until listed'], ['bytes', 'bytes loaded in all']]) {
  const { d, i } = col(k);
  console.log(`${label.padEnd(40)} ${(d / 1024).toFixed(0).padStart(6)} KB ${(i / 1024).toFixed(0).padStart(9)} KB ${(i / Math.max(d, 1)).toFixed(1).padStart(7)}×`);
}
console.log('\nevery repetition:', JSON.stringify(rows));
