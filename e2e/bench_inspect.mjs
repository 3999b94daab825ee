// Benchmark (prints figures, no thresholds): devloop and `inspect view` (the
// same pinned inspect-ai, tests/inspect/setup.sh) side by side, in headless
// Chromium, on one generated 1,000-sample .eval log (~25 MB; made once by
// tests/inspect/make_logs.py and kept in /var/tmp/devloop-inspect-bench).
// Each repetition starts both servers afresh (cold: no cache in the server
// or the browser; the OS file cache is warm for both) and measures, from
// the page's navigation:
//   list    the log is listed (devloop: its item in Results; inspect view,
//           which opens the only log of its folder at once: its name shown)
//   page    the first page of samples is shown (clicked open in devloop)
//   sample  one sample's conversation is shown after clicking its row
//   bytes   what the browser downloaded (encoded, as sent) for all that
// Each moment is taken by checking the page once per animation frame, for
// both tools alike (a locator's waitFor backs off up to 500 ms between
// checks, too coarse for what is measured here).
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

/** Resolves when `sel` matches in the page, checked every frame. */
function shown(page, sel) {
  return page.waitForFunction((s) => !!document.querySelector(s), sel, { polling: 'raf', timeout: 60_000 });
}

/** Resolves when the page's text holds `text` (case-insensitive with `ci`), checked every frame. */
function textShown(page, text, ci = false) {
  return page.waitForFunction(([t, ci]) => {
    const all = document.body ? document.body.textContent || '' : '';
    return ci ? all.toLowerCase().includes(t.toLowerCase()) : all.includes(t);
  }, [text, ci], { polling: 'raf', timeout: 60_000 });
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
      const t0 = Date.now();
      await page.goto(server.url);
      const item = page.locator(`.result-item[data-name="${name}"]`);
      await shown(page, `.result-item[data-name="${name}"]`);
      const list = Date.now() - t0;
      const listBytes = counter.bytes;
      // Clicked in the page, not through Playwright's click (which first waits
      // for the element to hold still over two frames): inspect view's first
      // page is timed with no click at all, so neither pays for the harness.
      const t1 = Date.now();
      await item.evaluate((e) => e.click());
      const view = `.result-view[data-result="${name}"]`;
      await shown(page, `${view} tr.srow`);
      const pg = Date.now() - t1;
      const t2 = Date.now();
      await page.locator(`${view} tr.srow[data-id="q1_epoch_1"]`).click();
      await shown(page, `${view} .iv-convo .msg[data-role="assistant"]`);
      await shown(page, `${view} .iv-transcript .iv-ev[data-kind="model"]`);
      const sample = Date.now() - t2;
      await new Promise((r) => setTimeout(r, 300));
      rows.devloop.push({ list, page: pg, sample, bytes: counter.bytes, listBytes });
      await context.close();
      await server.close();
    }
    // ---- inspect view ----
    {
      const iv = await inspectView();
      const { context, page, counter } = await freshPage(browser);
      const t0 = Date.now();
      await page.goto(iv.url);
      await textShown(page, logFile.replace(/\.eval$/, ''));
      const list = Date.now() - t0;
      const listBytes = counter.bytes;
      await textShown(page, 'q1000');
      const pg = Date.now() - t0 - list;
      const t2 = Date.now();
      await page.getByText('q1', { exact: true }).first().click();
      await textShown(page, 'Adding 1 and 2.');
      await textShown(page, 'MODEL CALL', true);
      const sample = Date.now() - t2;
      await new Promise((r) => setTimeout(r, 300));
      rows.inspect.push({ list, page: pg, sample, bytes: counter.bytes, listBytes });
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
for (const [k, label] of [['list', 'list (page load → log listed)'], ['page', 'first page of samples'], ['sample', 'open one sample']]) {
  const { d, i } = col(k);
  console.log(`${label.padEnd(40)} ${String(d).padStart(6)} ms ${String(i).padStart(9)} ms ${(i / Math.max(d, 1)).toFixed(1).padStart(7)}×`);
}
for (const [k, label] of [['listBytes', 'bytes loaded until listed'], ['bytes', 'bytes loaded in all']]) {
  const { d, i } = col(k);
  console.log(`${label.padEnd(40)} ${(d / 1024).toFixed(0).padStart(6)} KB ${(i / 1024).toFixed(0).padStart(9)} KB ${(i / Math.max(d, 1)).toFixed(1).padStart(7)}×`);
}
console.log('\nevery repetition:', JSON.stringify(rows));
