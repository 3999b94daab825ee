// The lists do not wait for the views (main.js loads views.js with
// import()): with the views held back, the results list is on screen, and a
// result clicked or named in the address before they come opens when they do.
// The lists are read once at start, and read again when the event feed opens
// only if a change came between (the server counts its change notices).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, launchBrowser, holdRoute } from '../helper.mjs';
import { writeResult } from '../fixtures.mjs';

let server, browser;
before(async () => {
  server = await Server.project({ 'configs/quick.py': 'print("hi")\n' });
  writeResult(server.dir, 'calc_1', {
    report: { eval_name: 'calc', total_samples: 1, summary_metrics: { mean_reward: 1 }, sample_ids: ['s1'] },
    samples: [{ id: 's1', reward: 1, messages: [{ role: 'user', content: 'What is 2+2?' }, { role: 'assistant', content: 'Four.' }] }],
  });
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await server?.close(); });

/** A page whose views.js is held back until `release()`. */
async function pageWithViewsHeld() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  /** @type {() => void} */
  let release = () => {};
  const held = new Promise((r) => { release = r; });
  let asked = 0;
  await page.route('**/assets/js/views.js', async (route) => { asked++; await held; await route.continue(); });
  return { context, page, errors, release, asked: () => asked };
}

test('the results list shows while the views are still loading, and an early click opens the result once they come', async () => {
  const { context, page, errors, release, asked } = await pageWithViewsHeld();
  await page.goto(server.url);
  // The page's own drawing of the list (the server's comes before its script runs).
  const item = page.locator('.result-list:not([data-drawn]) .result-item[data-name="calc_1"]');
  await item.waitFor();
  assert.ok(asked() > 0, 'the page asked for the views');
  assert.equal(await page.evaluate(() => document.documentElement.dataset.views), undefined, 'the page does not say its views are in');
  await item.click();
  await page.waitForTimeout(300);
  assert.equal(await page.locator('.result-view').count(), 0, 'no view before its code is here');
  release();
  await page.locator('.result-view[data-result="calc_1"] tr.srow').first().waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.dataset.views), 'ready');
  assert.match(decodeURIComponent(new URL(page.url()).hash), /result=calc_1/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the page\'s script and its first reads start once its first frame is shown, not before', async () => {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(server.url);
  await page.locator('html[data-views="ready"] .result-list:not([data-drawn]) .result-item[data-name="calc_1"]').waitFor();
  const { fcp, starts } = await page.evaluate(() => ({
    fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime,
    starts: performance.getEntriesByType('resource').map((r) => [new URL(r.name).pathname + new URL(r.name).search, r.startTime]),
  }));
  assert.ok(fcp > 0, 'the page painted');
  const after = (p) => {
    const s = starts.find(([n]) => n === p);
    assert.ok(s, `${p} was fetched: ${JSON.stringify(starts)}`);
    assert.ok(s[1] > fcp, `${p} asked at ${s[1]} ms, before the first paint at ${fcp} ms`);
  };
  for (const p of ['/assets/js/main.js', '/assets/js/api.js', '/api/results?limit=200', '/api/configs', '/api/runs', '/assets/views.css']) after(p);
  // Each asked once: the preloaded answers are the ones the page's reads take.
  const twice = starts.map(([n]) => n).filter((n, i, all) => all.indexOf(n) !== i && !n.startsWith('/api/events'));
  assert.deepEqual(twice, []);
  await context.close();
});

test('a result named in the address opens once the views come', async () => {
  const { context, page, errors, release } = await pageWithViewsHeld();
  await page.goto(server.url + '#result=calc_1');
  await page.locator('.result-item[data-name="calc_1"]').waitFor();
  release();
  await page.locator('.result-view[data-result="calc_1"] tr.srow').first().waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

/** A fresh page counting its reads of each list (path and query, without the origin). */
async function countingPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  /** @type {Map<string, number>} */
  const reads = new Map();
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (/^\/api\/(results|runs|configs|datasets)$/.test(u.pathname)) reads.set(u.pathname, (reads.get(u.pathname) || 0) + 1);
  });
  return { context, page, errors, reads };
}

test('with nothing changed, each list is read once at start, not again when the event feed opens', async () => {
  // A server started with the result already there: its file watcher has nothing to announce.
  await server.kill();
  await server.start();
  const { context, page, errors, reads } = await countingPage();
  const opened = page.waitForRequest((r) => r.url().includes('/api/events'));
  await page.goto(server.url);
  await page.locator('.result-item[data-name="calc_1"]').waitFor();
  await opened;
  await page.waitForTimeout(1000); // time for a re-read, were there one
  assert.deepEqual(Object.fromEntries(reads), { '/api/results': 1, '/api/runs': 1, '/api/configs': 1, '/api/datasets': 1 });
  assert.deepEqual(errors, []);
  await context.close();
});

test('a run that started and ended between the lists\' reads and the event feed\'s opening still shows', async () => {
  // Runs are told only by notices (no watcher looks at them later): the page
  // sees this one only because its feed opened at a later count than its lists.
  const { context, page, errors, reads } = await countingPage();
  const release = await holdRoute(page, '**/api/events');
  await page.goto(server.url);
  await page.locator('.config[data-name="quick.py"]').waitFor();
  const id = await server.launch('quick.py');
  await server.waitFinished(id);
  await page.waitForTimeout(300);
  assert.equal(await page.locator(`[data-run="${id}"]`).count(), 0, 'not yet: nothing told the page');
  release();
  const { status } = await server.api(`/api/runs/${id}`);
  await page.locator(`.run-item[data-run="${id}"][data-status="${status}"]`).waitFor({ state: 'attached' });
  assert.equal(reads.get('/api/runs'), 2, 'the runs were read again, once');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a list whose read failed at start is read again when the event feed opens, with nothing changed', async () => {
  const { context, page, errors, reads } = await countingPage();
  const { runs } = await server.api('/api/runs');
  assert.ok(runs.length > 0, 'the run of the test before is there to be listed');
  let failed = false;
  await page.route('**/api/runs', async (route) => {
    if (failed) return route.continue();
    failed = true;
    // A failure that says the server's current count, as a real one would.
    const mark = (await fetch(server.url + 'api/health')).headers.get('x-devloop-seq') || '';
    await route.fulfill({ status: 503, contentType: 'application/json', headers: { 'x-devloop-seq': mark }, body: '{"error":"busy"}' });
  });
  await page.goto(server.url);
  await page.locator(`.run-item[data-run="${runs[0].run_id}"]`).waitFor({ state: 'attached' });
  assert.equal(reads.get('/api/runs'), 2, 'read again, once');
  assert.deepEqual(errors, []);
  await context.close();
});
