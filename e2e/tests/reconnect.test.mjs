// Losing the server mid-run: the page shows "reconnecting", then continues where
// it stopped once the server is back (same port, same project): every line
// exactly once, none lost, none doubled, and the final status lands.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import path from 'node:path';
import { Server, launchBrowser, openPage, launchFromPage, runView, collectAllLines } from '../helper.mjs';
import { tickerProject } from '../fixtures.mjs';

const COUNT = 400;
let server, browser;
before(async () => {
  server = await Server.project(tickerProject({ 'rc.py': ['rc', COUNT, 25] }));
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await server?.close(); });

/** Poll until `fn()` is true (one overall timeout). */
async function until(fn, what, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('server restart mid-run: reconnecting, then every line exactly once', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  const id = await launchFromPage(page, 'rc.py');
  const view = runView(page, id);
  await view.locator('.log-row', { hasText: /rc tick 60$/ }).waitFor({ timeout: 30_000 });

  // Kill the server; the run goes on under its supervisor.
  const log = path.join(server.dir, '.devloop', 'runs', id, 'log.jsonl');
  await server.kill();
  await view.locator('.conn', { hasText: 'reconnecting' }).waitFor({ timeout: 15_000 });
  await page.locator('#conn', { hasText: 'reconnecting' }).waitFor();
  assert.equal(await page.locator(`.tab[data-run="${id}"] .dot.reconnecting`).count(), 1);
  // Let the run write more lines while no server is there.
  const size = statSync(log).size;
  await until(() => statSync(log).size > size + 2000, 'the run to write while the server is down');

  // Same port, same project.
  await server.start();
  await view.locator('.conn').waitFor({ state: 'hidden', timeout: 30_000 });
  await page.locator('#conn').waitFor({ state: 'hidden', timeout: 30_000 });
  await view.locator('.badge[data-status="succeeded"]').waitFor({ timeout: 60_000 });
  await view.locator('.log-row', { hasText: 'exited with code 0' }).waitFor();

  // Every numbered line exactly once, in order, nothing else doubled.
  const lines = await collectAllLines(page, id);
  const ticks = [...lines.entries()].filter(([, t]) => /^rc tick \d+$/.test(t)).sort((a, b) => a[0] - b[0]);
  assert.equal(ticks.length, COUNT, `expected ${COUNT} tick lines, got ${ticks.length}`);
  ticks.forEach(([, t], i) => assert.equal(t, `rc tick ${i + 1}`));
  const numbers = [...lines.keys()].sort((a, b) => a - b);
  assert.deepEqual(numbers, numbers.map((_, i) => i + 1), 'line numbers 1..N without gaps');
  const texts = [...lines.values()];
  assert.equal(new Set(texts).size, texts.length, 'no line shown twice');
  // The page's own record of what it received: no record applied twice.
  const seqs = await page.evaluate((rid) => window.devloop.runView(rid).stream.lastSeq, id);
  const run = await server.api(`/api/runs/${id}`);
  assert.equal(seqs, run.records);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a launch that failed while the server was down says so under the config, and the error clears once the server is back', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  await server.kill();
  await page.locator('#conn', { hasText: 'reconnecting' }).waitFor({ timeout: 15_000 });
  await page.locator('.config[data-name="rc.py"]').click();
  await page.locator('button.launch').click();
  const err = page.locator('.config-wrap', { has: page.locator('.config[data-name="rc.py"]') }).locator('.config-error');
  await err.waitFor();
  assert.match(await err.textContent(), /Could not reach the server/);

  await server.start();
  await page.locator('#conn').waitFor({ state: 'hidden', timeout: 30_000 });
  await err.waitFor({ state: 'detached', timeout: 10_000 });
  assert.equal(await page.locator('.config-error').count(), 0);
  // The server went down before the page had its views (they load after the
  // lists): they come once it is back, and a launch opens its run's tab.
  await page.locator('button.launch').click();
  await page.locator('.run-view:not([hidden]) .run-title', { hasText: 'rc.py' }).waitFor({ timeout: 15_000 });
  assert.deepEqual(errors, []);
  await context.close();
});
