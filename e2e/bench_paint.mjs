// Benchmark (prints figures, no thresholds), in headless Chromium against the real server:
//  1. write→paint latency: a run prints `tick N SEND_NS` (time.time_ns() at write)
//     at 200 lines/s (tests/workloads/ticker.py); the page notes when each line's
//     row enters the DOM (MutationObserver) and when that frame has been painted
//     (a task posted from the observer runs after the frame's rendering), on the
//     wall clock (performance.timeOrigin + performance.now()). p50/p90/p99/max.
//  2. the page's JS heap and DOM size after a 1,000,000-line run has streamed into it
//     (tests/workloads/flood.py), and how long the page took to show all of it.
// Usage: node bench_paint.mjs [--rate 200] [--count 2000] [--lines 1000000]
import path from 'node:path';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Server, REPO, launchBrowser, openPage, launchFromPage, runView } from './helper.mjs';

const { values: opt } = parseArgs({ options: { rate: { type: 'string', default: '200' }, count: { type: 'string', default: '2000' }, lines: { type: 'string', default: '1000000' } } });
const WORKLOADS = process.env.WORKLOADS || path.join(REPO, 'tests', 'workloads');
for (const w of ['ticker.py', 'flood.py']) if (!existsSync(path.join(WORKLOADS, w))) throw new Error(`${w} not found in ${WORKLOADS} (set WORKLOADS)`);

/** A config that runs a workload with arguments (configs are run as `python3 {config}`). */
const runner = (script, args) => `import runpy, sys\nsys.argv = [${JSON.stringify(script)}, ${args.map((a) => JSON.stringify(a)).join(', ')}]\nrunpy.run_path(${JSON.stringify(path.join(WORKLOADS, script))}, run_name="__main__")\n`;

const server = await Server.project({
  'devloop.toml': '[launch]\ncommand = ["python3", "{config}"]\nmax_concurrent = 2\nenv = { PYTHONUNBUFFERED = "1" }\n',
  'configs/ticker.py': runner('ticker.py', ['--rate', opt.rate, '--count', opt.count]),
  'configs/flood.py': runner('flood.py', ['--lines', opt.lines, '--bytes', '100']),
});
const browser = await launchBrowser();
const pct = (xs, p) => xs[Math.min(xs.length - 1, Math.floor(p / 100 * xs.length))];
const ms = (x) => x.toFixed(1).padStart(7) + ' ms';

try {
  // ---- 1. latency -----------------------------------------------------------
  {
    const { page, context } = await openPage(browser, server.url);
    await page.evaluate(() => {
      /** @type {Map<number, {sendMs: number, domMs: number, paintMs: number}>} */
      const seen = new Map();
      const wall = () => performance.timeOrigin + performance.now();
      const ch = new MessageChannel();
      /** @type {number[]} */
      let waiting = [];
      ch.port1.onmessage = () => { const t = wall(); for (const n of waiting) seen.get(n).paintMs = t; waiting = []; };
      const re = /tick (\d+) (\d+)/;
      new MutationObserver((muts) => {
        const t = wall();
        let any = false;
        for (const m of muts) for (const node of m.addedNodes) {
          const x = re.exec(node.textContent || '');
          if (!x) continue;
          const n = Number(x[1]);
          if (seen.has(n)) continue;
          seen.set(n, { sendMs: Number(BigInt(x[2]) / 1000n) / 1000, domMs: t, paintMs: 0 });
          waiting.push(n);
          any = true;
        }
        // Runs after this frame's style, layout and paint.
        if (any) ch.port2.postMessage(0);
      }).observe(document.getElementById('views'), { childList: true, subtree: true });
      window.__paint = seen;
    });
    const id = await launchFromPage(page, 'ticker.py');
    const view = runView(page, id);
    await view.locator('.badge[data-status="succeeded"]').waitFor({ timeout: 600_000 });
    await view.locator('.log-row', { hasText: 'exited with code 0' }).waitFor();
    const rows = await page.evaluate(() => [...window.__paint.values()]);
    const paint = rows.filter((r) => r.paintMs).map((r) => r.paintMs - r.sendMs).sort((a, b) => a - b);
    const dom = rows.map((r) => r.domMs - r.sendMs).sort((a, b) => a - b);
    console.log(`write→paint at ${opt.rate} lines/s, ${opt.count} lines (${rows.length} seen painted in the page):`);
    console.log(`  to DOM   p50 ${ms(pct(dom, 50))}  p90 ${ms(pct(dom, 90))}  p99 ${ms(pct(dom, 99))}  max ${ms(dom[dom.length - 1])}`);
    console.log(`  painted  p50 ${ms(pct(paint, 50))}  p90 ${ms(pct(paint, 90))}  p99 ${ms(pct(paint, 99))}  max ${ms(paint[paint.length - 1])}`);
    await context.close();
  }

  // ---- 2. a million lines ------------------------------------------------------
  {
    const { page, context } = await openPage(browser, server.url);
    const cdp = await context.newCDPSession(page);
    await cdp.send('HeapProfiler.enable');
    const heap = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      const h = await cdp.send('Runtime.getHeapUsage');
      const d = await cdp.send('Memory.getDOMCounters');
      const el = await page.evaluate(() => document.getElementsByTagName('*').length);
      return { used: h.usedSize / 2 ** 20, total: h.totalSize / 2 ** 20, nodes: d.nodes, elements: el, listeners: d.jsEventListeners };
    };
    const before = await heap();
    const N = Number(opt.lines);
    // The wall-clock time the last line's row enters the page.
    await page.evaluate((n) => {
      const re = new RegExp(`^\\d+0*${n} x+$`);
      window.__lastShown = 0;
      new MutationObserver(() => {
        if (window.__lastShown) return;
        for (const r of document.querySelectorAll('.run-view:not([hidden]) .log-row')) {
          if (re.test(r.textContent || '')) { window.__lastShown = performance.timeOrigin + performance.now(); return; }
        }
      }).observe(document.getElementById('views'), { childList: true, subtree: true, characterData: true });
    }, N);
    const t0 = Date.now();
    const id = await launchFromPage(page, 'flood.py');
    const view = runView(page, id);
    await view.locator('.log-row', { hasText: new RegExp(`^\\d+0*${N} x+$`) }).waitFor({ timeout: 900_000 });
    const shown = Date.now() - t0;
    const shownAt = await page.evaluate(() => window.__lastShown);
    await view.locator('.badge[data-status="succeeded"]').waitFor({ timeout: 60_000 });
    const run = await server.api(`/api/runs/${id}`);
    const serverMs = run.ended_at - run.started_at;
    const after = await heap();
    const cached = await page.evaluate((rid) => window.devloop.runView(rid).model.lines.size, id);
    console.log(`${N.toLocaleString('en-US')}-line run (100-byte lines):`);
    console.log(`  run wrote it in ${(serverMs / 1000).toFixed(1)} s; the page showed its last line ${(shown / 1000).toFixed(1)} s after Launch, ${((shownAt - run.ended_at) / 1000).toFixed(2)} s after the run ended`);
    console.log(`  JS heap used ${before.used.toFixed(1)} MiB before, ${after.used.toFixed(1)} MiB after (after GC); heap total ${after.total.toFixed(1)} MiB`);
    console.log(`  DOM nodes ${before.nodes} before, ${after.nodes} after (${after.elements} elements); lines cached in the page ${cached.toLocaleString('en-US')}`);
    await context.close();
  }
} finally {
  await browser.close();
  await server.close();
}
