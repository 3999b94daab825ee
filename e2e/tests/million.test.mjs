// A 1,000,000-line run streamed live into the page, then scrolled from top to
// bottom: the DOM stays small (virtualised) and every place shows its lines.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, launchBrowser, openPage, launchFromPage, runView, showSide } from '../helper.mjs';

const N = 1_000_000;
const MAX_NODES = 3000;
let server, browser;
before(async () => { server = await Server.demo(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.close(); });

const nodeCount = (page) => page.evaluate(() => document.getElementsByTagName('*').length);

test('1,000,000 lines: live, then scrolled top to bottom with a bounded DOM', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  const t0 = Date.now();
  const id = await launchFromPage(page, 'stress_flood.py');
  const view = runView(page, id);

  // While it streams, watch the DOM size.
  let maxNodes = 0, streaming = true;
  const watcher = (async () => {
    while (streaming) {
      maxNodes = Math.max(maxNodes, await nodeCount(page).catch(() => 0));
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  await view.locator('.log-row', { hasText: `flood done: ${N} lines` }).waitFor({ timeout: 300_000 });
  await view.locator('.badge[data-status="succeeded"]').waitFor({ timeout: 60_000 });
  const tLive = Date.now() - t0;
  streaming = false;
  await watcher;
  assert.ok(maxNodes < MAX_NODES, `DOM had ${maxNodes} elements while streaming`);
  const total = await page.evaluate((rid) => window.devloop.runView(rid).model.total, id);
  assert.equal(total, N + 3, 'command line + N lines + "flood done" + exit line');
  const cached = await page.evaluate((rid) => window.devloop.runView(rid).model.lines.size, id);
  assert.ok(cached <= 60_000, `the page holds at most a window of lines (${cached})`);

  // Scroll from the top to the bottom in 40 steps; each place shows its own lines.
  const t1 = Date.now();
  const scroller = view.locator('.log-scroll');
  const steps = 40;
  for (let i = 0; i <= steps; i++) {
    await scroller.evaluate((s, f) => { s.scrollTop = f * (s.scrollHeight - s.clientHeight); s.dispatchEvent(new Event('scroll')); }, i / steps);
    await page.waitForFunction((sel) => {
      const s = document.querySelector(sel);
      const box = s.getBoundingClientRect();
      const rows = [...s.querySelectorAll('.log-row:not([hidden])')].filter((r) => { const b = r.getBoundingClientRect(); return b.bottom > box.top && b.top < box.bottom; });
      return rows.length > 10 && rows.every((r) => !r.classList.contains('missing'));
    }, `.run-view[data-run="${id}"] .log-scroll`, { timeout: 30_000 });
    const rows = await scroller.evaluate((s) => {
      const box = s.getBoundingClientRect();
      return [...s.querySelectorAll('.log-row:not([hidden])')]
        .filter((r) => { const b = r.getBoundingClientRect(); return b.bottom > box.top && b.top < box.bottom; })
        .map((r) => [Number(r.dataset.line), r.querySelector('.tx').textContent]);
    });
    // Line L (after the command line) reads "line L-1 of N: ...".
    for (const [L, text] of rows) {
      if (L >= 2 && L <= N + 1) assert.ok(text.startsWith(`line ${L - 1} of ${N}:`), `line ${L} shows "${text.slice(0, 40)}"`);
    }
    if (i === 0) assert.equal(rows[0][0], 1, 'top shows line 1');
    if (i === steps) assert.equal(rows[rows.length - 1][0], N + 3, 'bottom shows the last line');
    const nodes = await nodeCount(page);
    assert.ok(nodes < MAX_NODES, `DOM has ${nodes} elements at step ${i}`);
  }
  const tScroll = Date.now() - t1;

  // Reopened in a fresh page, the finished run starts at its tail (not a replay of
  // a million records) and still reaches line 1.
  const { page: p2, context: c2, errors: e2 } = await openPage(browser, server.url);
  const t2 = Date.now();
  await showSide(p2, 'runs');
  await p2.locator(`.run-item[data-run="${id}"]`).click();
  const v2 = runView(p2, id);
  await v2.locator('.log-row', { hasText: 'exited with code 0' }).waitFor({ timeout: 30_000 });
  const tReopen = Date.now() - t2;
  const seen = await p2.evaluate((rid) => window.devloop.runView(rid).model.lines.size, id);
  assert.ok(seen < 20_000, `reopening loaded ${seen} lines, not the whole log`);
  await v2.locator('.log-scroll').focus();
  await p2.keyboard.press('g');
  await v2.locator('.log-row[data-line="2"]', { hasText: `line 1 of ${N}:` }).waitFor({ timeout: 30_000 });
  assert.ok(await nodeCount(p2) < MAX_NODES);
  assert.deepEqual(e2, []);
  await c2.close();
  console.log(`# 1e6 lines: streamed live and shown in ${(tLive / 1000).toFixed(1)} s; scrolled top→bottom in ${steps} steps in ${(tScroll / 1000).toFixed(1)} s; max DOM elements ${maxNodes}; reopened (tail) in ${(tReopen / 1000).toFixed(1)} s`);
  assert.deepEqual(errors, []);
  await context.close();
});
