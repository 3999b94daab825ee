// The results list as a power user's project grows it (issue 16, item 11):
// hundreds of result folders cost the page one page of them (the filter and
// "Show more" ask the server), and two results of the same eval are told
// apart by their folders, in the list and in the compare picker.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, launchBrowser, openPage } from '../helper.mjs';

const N = 450;
/** r_003 and r_440 are both "calc"; every other result has an eval of its own. */
const evalOf = (i) => (i === 3 || i === 440 ? 'calc' : `eval_${i}`);

let server, browser;
before(async () => {
  /** @type {Record<string, string>} */
  const files = { 'devloop.toml': '' };
  for (let i = 0; i < N; i++) {
    const name = `r_${String(i).padStart(3, '0')}`;
    files[`results/${name}/report.json`] = JSON.stringify({
      eval_name: evalOf(i), total_samples: 1, summary_metrics: { mean_reward: i / N }, dataset_path: 'd.jsonl',
      timestamp: `2026-11-25T1${Math.floor(i / 60 / 60)}:${String(Math.floor(i / 60) % 60).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}`,
      sample_ids: ['s1'],
    });
    files[`results/${name}/trajectories/s1.jsonl`] = JSON.stringify({ messages: [{ role: 'user', content: 'q' }], rewards: 1 }) + '\n';
  }
  server = await Server.project(files);
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await server?.close(); });

test('hundreds of results: the page holds one page of them, filters and shows more on the server; repeated eval names show their folders', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  /** @type {string[]} */
  const asked = [];
  page.on('request', (r) => { const u = new URL(r.url()); if (u.pathname === '/api/results') asked.push(u.search); });
  const items = page.locator('.result-list .result-item');
  await page.reload();
  await items.first().waitFor();
  assert.equal(await page.locator('.side-tab[data-side="results"] .count').textContent(), ` ${N}`);
  assert.equal(await items.count(), 200, 'one page of the list, not all of it');
  assert.equal(await items.first().getAttribute('data-name'), 'r_449', 'newest first');
  assert.ok(asked.length && asked.every((q) => /limit=|name=|run_id=/.test(q)), `every request is paged or picks names: ${asked}`);

  // Show more: the next page.
  await page.locator('.result-more', { hasText: '250 not shown' }).click();
  await page.waitForFunction(() => document.querySelectorAll('.result-list .result-item').length === 400);

  // The filter asks the server, so it finds results the page never held.
  await page.locator('.side-filter').fill('r_00');
  await page.waitForFunction(() => document.querySelectorAll('.result-list .result-item').length === 10);
  assert.deepEqual(await items.evaluateAll((els) => els.map((e) => e.dataset.name)), Array.from({ length: 10 }, (_, i) => `r_00${9 - i}`));
  assert.equal(await page.locator('.result-more').isVisible(), false);

  // Two results of "calc": each names its folder; a result of its own eval does not.
  await page.locator('.side-filter').fill('calc');
  await page.waitForFunction(() => document.querySelectorAll('.result-list .result-item').length === 2);
  assert.deepEqual(await page.locator('.result-list .result-folder').allTextContents(), ['r_440', 'r_003']);
  await page.locator('.side-filter').fill('r_12');
  await page.waitForFunction(() => document.querySelector('.result-list .result-item')?.dataset.name === 'r_129');
  assert.equal(await page.locator('.result-list .result-folder').count(), 0);

  // The compare picker tells the two apart too.
  await page.locator('.side-filter').fill('calc');
  await page.locator('.result-item[data-name="r_440"]').click();
  const rv = page.locator('.result-view[data-result="r_440"]');
  await rv.locator('.rv-compare-select option[value="r_003"]').waitFor({ state: 'attached' });
  assert.match(await rv.locator('.rv-compare-select option[value="r_003"]').textContent(), /^calc \(r_003\) · /);
  assert.deepEqual(errors, []);
  await context.close();
});
