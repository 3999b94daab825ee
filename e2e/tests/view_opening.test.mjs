// Opening a result: its tab shows once its first rows are drawn (no empty
// table first, then the rows a moment later), or after a short wait when the
// server is slow; a long first page shows the rows a screen holds at once and
// the rest right after, with the columns as wide before as after.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, launchBrowser, openPage, holdRoute, fontsShown, fontsWarmed } from '../helper.mjs';
import { writeResult, showcaseMessages, manySamples } from '../fixtures.mjs';

let server, browser;
before(async () => {
  server = await Server.project({ 'configs/quick.py': 'print("hi")\n' });
  const report = (n) => ({ eval_name: 'opening', total_samples: n, summary_metrics: { mean_reward: 0.5 } });
  const sample = (id, i) => ({ id, reward: i % 2, messages: [{ role: 'user', content: `question ${i}` }, { role: 'assistant', content: `answer ${i}` }] });
  writeResult(server.dir, 'small_a', { report: report(3), samples: ['a1', 'a2', 'a3'].map(sample) });
  writeResult(server.dir, 'small_b', { report: report(3), samples: ['b1', 'b2', 'b3'].map(sample) });
  // A full first page (100 rows) whose longest id comes near its end: the
  // rows held back are what widens the id column.
  writeResult(server.dir, 'long_page', {
    report: report(120),
    samples: Array.from({ length: 120 }, (_, i) => sample(i === 90 ? 'x090-an-id-much-longer-than-any-row-above-it' : `x${String(i).padStart(3, '0')}`, i)),
  });
  // Its chart reads all 20,000 samples' files: slower than its first page.
  writeResult(server.dir, 'huge', { report: report(20000), samples: manySamples(20000) });
  writeResult(server.dir, 'showcase', { report: report(1), samples: [{ id: 'every_block', reward: 1, messages: showcaseMessages(), input: { question: 'plot and multiply' }, ground_truth: '408' }] });
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await server?.close(); });

/**
 * In the page: click result `name`, then note at every frame, until its rows
 * number `rows`, whether its view is shown, how many rows it has, and its
 * columns' widths. Resolves with those notes.
 * @param {import('playwright-core').Page} page @param {string} name @param {number} rows
 */
function clickAndWatch(page, name, rows) {
  return page.evaluate(([name, rows]) => new Promise((resolve, reject) => {
    /** @type {{shown: boolean, rows: number, widths: string}[]} */
    const frames = [];
    const item = document.querySelector(`.result-list:not([data-drawn]) .result-item[data-name="${name}"]`);
    if (!item) return reject(new Error(`no item ${name}`));
    /** @type {HTMLElement} */ (item).click();
    const t0 = performance.now();
    const tick = () => {
      const view = document.querySelector(`.result-view[data-result="${name}"]`);
      const shown = !!view && view.checkVisibility();
      const n = view ? view.querySelectorAll('tr.srow').length : 0;
      const widths = shown ? [...view.querySelectorAll('.samples-table th')].map((th) => th.getBoundingClientRect().width.toFixed(1)).join(' ') : '';
      frames.push({ shown, rows: n, widths });
      if (shown && n >= rows) resolve(frames);
      else if (performance.now() - t0 > 20_000) reject(new Error(`timed out: ${JSON.stringify(frames.slice(-3))}`));
      else requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }), [name, rows]);
}

test('a result\'s tab shows with its rows drawn, never as an empty table first', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  await page.locator('.result-list:not([data-drawn]) .result-item[data-name="small_a"]').waitFor();
  const frames = await clickAndWatch(page, 'small_a', 3);
  const empty = frames.filter((f) => f.shown && f.rows === 0);
  assert.deepEqual(empty, [], `frames with the view shown and no rows: ${JSON.stringify(frames)}`);
  assert.equal(await page.locator('.tab.active').getAttribute('data-key'), 'result:small_a');
  assert.equal(await page.locator('.result-item[data-name="small_a"]').evaluate((e) => e.classList.contains('open') && e.classList.contains('active')), true,
    'the results list marks the result open and shown');

  // A double click on another result: one tab, shown, and marked as the shown one.
  await page.evaluate(() => { const i = /** @type {HTMLElement} */ (document.querySelector('.result-item[data-name="long_page"]')); i.click(); i.click(); });
  await page.locator('.result-view[data-result="long_page"] tr.srow').first().waitFor({ state: 'visible' });
  assert.equal(await page.locator('.tab[data-key="result:long_page"]').count(), 1);
  await page.locator('.tab.active[data-key="result:long_page"]').waitFor({ timeout: 5_000 });
  await page.locator('.tab[data-key="result:small_a"]').click();

  // Another result while this one is shown: this one stays on screen until the other's rows are in.
  const next = await clickAndWatch(page, 'small_b', 3);
  assert.deepEqual(next.filter((f) => f.shown && f.rows === 0), [], `frames with the view shown and no rows: ${JSON.stringify(next)}`);
  assert.equal(await page.locator('.tab.active').getAttribute('data-key'), 'result:small_b');
  assert.ok(await page.locator('.result-view[data-result="small_a"]').isHidden());
  assert.deepEqual(errors, []);
  await context.close();
});

test('a result whose rows are slow to come shows its tab anyway, then its rows', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  await page.locator('.result-list:not([data-drawn]) .result-item[data-name="small_b"]').waitFor();
  const release = await holdRoute(page, '**/api/results/small_b/opening?**');
  await page.locator('.result-list:not([data-drawn]) .result-item[data-name="small_b"]').click();
  const view = page.locator('.result-view[data-result="small_b"]');
  // Shown while its rows are held: the user sees that the click took.
  await view.waitFor({ state: 'visible', timeout: 10_000 });
  assert.equal(await view.locator('tr.srow').count(), 0);
  assert.equal(await page.locator('.tab.active').getAttribute('data-key'), 'result:small_b');
  release();
  await view.locator('tr.srow[data-id="b3"]').waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('a long first page shows a screen of rows first and the rest right after, the columns as wide before as after', async () => {
  const { page, context, errors } = await openPage(browser, server.url, { width: 1280, height: 800 });
  await page.locator('.result-list:not([data-drawn]) .result-item[data-name="long_page"]').waitFor();
  const frames = await clickAndWatch(page, 'long_page', 100);
  const first = frames.find((f) => f.shown && f.rows > 0);
  const last = frames[frames.length - 1];
  assert.ok(first && first.rows < 100, `the first rows come before the rest: ${JSON.stringify(frames.map((f) => f.rows))}`);
  assert.equal(last.rows, 100);
  assert.equal(first.widths, last.widths, 'no column moved when the rest of the rows came');
  // The row held back longest is there, and the table reads as one: no row
  // that is not a sample's (the sizer is gone), keys go from the first batch to the rest.
  const view = page.locator('.result-view[data-result="long_page"]');
  await view.locator('tr.srow[data-id="x090-an-id-much-longer-than-any-row-above-it"]').waitFor();
  assert.equal(await view.locator('tbody tr').count(), 100);
  await view.locator(`tr.srow[data-id="x0${String(first.rows - 1).padStart(2, '0')}"]`).focus();
  await page.keyboard.press('ArrowDown');
  assert.equal(await page.evaluate(() => /** @type {HTMLElement} */ (document.activeElement).dataset.id), `x0${String(first.rows).padStart(2, '0')}`);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a press on a result asks for what it opens before the click, and the click asks nothing again', async () => {
  const { page, context, errors } = await openPage(browser, server.url, { width: 1280, height: 800 });
  const item = page.locator('.result-list:not([data-drawn]) .result-item[data-name="small_a"]');
  await item.waitFor();
  await page.evaluate(() => import('/assets/js/views.js')); // the views are in, as they are soon after a load
  /** @type {string[]} */
  const asked = [];
  page.on('request', (r) => { const p = new URL(r.url()).pathname; if (p.startsWith('/api/results/small_a')) asked.push(p); });
  const box = /** @type {{x: number, y: number, width: number, height: number}} */ (await item.boundingBox());
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  // Held down: the view's detail, distribution and first page are asked for already, in one request.
  await page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => e.name.includes('/api/results/small_a')));
  assert.deepEqual(asked, ['/api/results/small_a/opening']);
  await page.mouse.up();
  const view = page.locator('.result-view[data-result="small_a"]');
  await view.locator('tr.srow').nth(2).waitFor();
  assert.equal(await view.locator('.rv-title').textContent(), 'opening');
  assert.deepEqual(asked, ['/api/results/small_a/opening'], 'the click asked nothing again');
  // A second press on the open result asks nothing.
  await page.mouse.down();
  await page.mouse.up();
  await page.waitForTimeout(300);
  assert.deepEqual(asked, ['/api/results/small_a/opening'], 'a second press asked nothing');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a result view and its sample use only fonts the page laid out before, while idle (their first layout waits on none)', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  await page.locator('.result-list:not([data-drawn]) .result-item[data-name="long_page"]').waitFor();
  const known = new Set([...await fontsShown(page), ...await fontsWarmed(page)]);
  const missing = new Set();
  const look = async () => { for (const f of await fontsShown(page)) if (!known.has(f)) missing.add(f); };
  await page.locator('.result-item[data-name="long_page"]').click();
  await page.locator('.result-view[data-result="long_page"] tr.srow[data-id="x099"]').waitFor();
  await look();
  await page.locator('.result-item[data-name="showcase"]').click();
  await page.locator('.result-view[data-result="showcase"] tr.srow[data-id="every_block"]').click();
  await page.locator('.result-view[data-result="showcase"] .rv-sample .convo .toolcall').first().waitFor();
  await look();
  assert.deepEqual([...missing], [], 'fonts shown that the page had not laid out (add them to fontwarm.js)');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a big result whose chart is slower than its rows: both come, each asked for once', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  /** @type {string[]} */
  const asked = [];
  page.on('request', (r) => { const p = new URL(r.url()).pathname; if (p.startsWith('/api/results/huge')) asked.push(p); });
  await page.locator('.result-list:not([data-drawn]) .result-item[data-name="huge"]').click(); // a press, then its click
  const view = page.locator('.result-view[data-result="huge"]');
  await view.locator('tr.srow[data-id="s0000"]').waitFor();
  await view.locator('.hist-bar').first().waitFor();
  assert.equal(await view.locator('.rv-count').textContent(), '20,000 samples');
  await page.waitForTimeout(300);
  // The chart comes in the first answer or, when the server did not wait for it, by its own route: never twice.
  assert.equal(asked.filter((p) => p.endsWith('/opening')).length, 1, asked.join(' '));
  assert.ok(asked.filter((p) => p.endsWith('/distribution')).length <= 1, asked.join(' '));
  assert.deepEqual(errors, []);
  await context.close();
});
