// The sample table as a power user drives it: reward components as columns
// (sortable, filterable, chartable), filter expressions with plain-words
// errors, histogram bars and status chips that filter, filters and sort in
// the URL, arrow keys between rows, a histogram of one value, and the
// browser's Back and Forward between views and samples.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, launchBrowser, openPage } from '../helper.mjs';
import { writeResult } from '../fixtures.mjs';

let server, browser;
const msgs = (i) => [{ role: 'user', content: `question ${i}` }, { role: 'assistant', content: `answer ${i}` }];
before(async () => {
  server = await Server.demo();
  browser = await launchBrowser();
  const report = (eval_name, n) => ({ eval_name, dataset_path: 'datasets/arith.jsonl', total_samples: n, summary_metrics: { mean_reward: 0.5 }, timestamp: '2026-01-03T10:00:00' });
  // Twelve samples whose reward has two parts; difficulty in the metadata; one with three turns.
  const parts = Array.from({ length: 12 }, (_, i) => ({
    id: `c${String(i).padStart(2, '0')}`,
    rewards: { correct: i % 2, format: i % 3 === 0 ? 0 : 0.5 },
    metadata: { difficulty: i < 4 ? 'hard' : 'easy' },
    messages: i === 5 ? [...msgs(i), { role: 'user', content: 'more' }, { role: 'assistant', content: 'a' }, { role: 'assistant', content: 'b' }] : msgs(i),
  }));
  writeResult(server.dir, 'parts_result', { report: report('parts', 12), samples: parts });
  // Every reward the same.
  writeResult(server.dir, 'flat_result', { report: report('flat', 4), samples: [0, 1, 2, 3].map((i) => ({ id: `f${i}`, reward: 1, messages: msgs(i) })) });
});
after(async () => { await browser?.close(); await server?.close(); });

test('reward components are columns, sortable, filterable and chartable; the sample shows each part', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  await page.locator('.result-item[data-name="parts_result"]').click();
  const rv = page.locator('.result-view[data-result="parts_result"]');
  await rv.locator('tbody .srow').first().waitFor();
  assert.deepEqual(await rv.locator('thead th').allTextContents(), ['#', 'id', 'reward', 'correct', 'format', 'status', 'turns', 'error']);
  // c01: correct 1 + format 0.5.
  const c01 = rv.locator('tbody .srow[data-id="c01"]');
  assert.equal(await c01.locator('td[data-component="correct"]').textContent(), '1');
  assert.equal(await c01.locator('td[data-component="format"]').textContent(), '0.500');

  // Sort by a component, descending first.
  await rv.locator('th[data-sort="format"] button').click();
  await rv.locator('th[data-sort="format"][aria-sort="descending"]').waitFor();
  await page.waitForFunction(() => document.querySelector('.result-view:not([hidden]) tbody td[data-component="format"]')?.textContent === '0.500');
  await rv.locator('th[data-sort="format"] button').click();
  await page.waitForFunction(() => document.querySelector('.result-view:not([hidden]) tbody td[data-component="format"]')?.textContent === '0');

  // Filter by a component and by metadata.
  const box = rv.locator('.rv-filter');
  const count = rv.locator('.rv-count');
  await box.fill('format > 0 and correct == 1');
  await box.press('Enter');
  await count.filter({ hasText: '4 of 12 samples' }).waitFor();
  assert.deepEqual((await rv.locator('tbody td.sid').allTextContents()).sort(), ['c01', 'c05', 'c07', 'c11']);
  await box.fill('metadata.difficulty == "hard" and turns < 3');
  await box.press('Enter');
  // The count reads "4 of 12" for the last filter too: wait for this one's rows.
  await rv.locator('tbody .srow[data-id="c00"]').waitFor();
  await count.filter({ hasText: '4 of 12 samples' }).waitFor();
  assert.deepEqual((await rv.locator('tbody td.sid').allTextContents()).sort(), ['c00', 'c01', 'c02', 'c03']);
  await box.fill('turns >= 3');
  await box.press('Enter');
  await count.filter({ hasText: '1 of 12 samples' }).waitFor();

  // The histogram charts any component; a bar filters to its range.
  await box.fill('');
  await box.press('Enter');
  await count.filter({ hasText: /^12 samples$/ }).waitFor();
  await rv.locator('.hist-of').selectOption('format');
  await rv.locator('.hist[aria-label="Distribution of format"]').waitFor();
  assert.match(await rv.locator('.hist-axis').textContent(), /0.*format.*0\.500/);
  await rv.locator('.hist-bar:not([disabled])').last().click();
  await count.filter({ hasText: '8 of 12 samples' }).waitFor();
  assert.equal(await box.inputValue(), 'format >= 0.45 and format <= 0.5');
  assert.equal(await rv.locator('.hist-bar.on').count(), 1, 'the chosen bar is marked');

  // A sample shows every part of its reward.
  await c01.click();
  await rv.locator('.sv-component[data-component="format"]').waitFor();
  assert.equal(await rv.locator('.sv-component[data-component="correct"]').textContent(), 'correct 1');
  assert.equal(await rv.locator('.sv-component[data-component="format"]').textContent(), 'format 0.500');
  assert.match(await rv.locator('.sv-reward').textContent(), /reward 1\.5/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a bad filter is told in plain words and the table stays as it was', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  await page.locator('.result-item[data-name="parts_result"]').click();
  const rv = page.locator('.result-view[data-result="parts_result"]');
  await rv.locator('tbody .srow').first().waitFor();
  const box = rv.locator('.rv-filter');
  const err = rv.locator('.rv-filter-error');
  await box.fill('reward = 1');
  await box.press('Enter');
  await err.filter({ hasText: 'use == to compare' }).waitFor();
  assert.equal(await rv.locator('tbody .srow').count(), 12, 'the rows stay');
  await box.fill('rewrd > 0');
  await box.press('Enter');
  await err.filter({ hasText: 'no field "rewrd"' }).waitFor();
  assert.match(await err.textContent(), /correct, .*format/);
  await box.fill('reward > ');
  await box.press('Enter');
  await err.filter({ hasText: 'expected a value to compare with' }).waitFor();
  assert.match(await err.textContent(), /column 9, found the end/);
  // Fixed: the message goes.
  await box.fill('reward > 1');
  await box.press('Enter');
  await rv.locator('.rv-count').filter({ hasText: '4 of 12 samples' }).waitFor();
  assert.equal(await err.isHidden(), true);
  assert.deepEqual(errors, []);
  await context.close();
});

test('filter and sort live in the URL; arrow keys move between rows', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  await page.locator('.result-item[data-name="parts_result"]').click();
  const rv = page.locator('.result-view[data-result="parts_result"]');
  await rv.locator('tbody .srow').first().waitFor();
  await rv.locator('.rv-statuses .chip').first().waitFor();
  await rv.locator('.rv-filter').fill('correct == 0');
  await rv.locator('.rv-filter').press('Enter');
  await rv.locator('th[data-sort="id"] button').click();
  await rv.locator('th[data-sort="id"] button').click();
  await rv.locator('th[data-sort="id"][aria-sort="descending"]').waitFor();
  await page.waitForFunction(() => location.hash.includes('sort=-id'));
  const hash = await page.evaluate(() => location.hash);
  assert.equal(hash, `#result=parts_result&filter=${encodeURIComponent('correct == 0')}&sort=-id`);

  // The same URL in a fresh page shows the same table.
  const second = await context.newPage();
  await second.goto(server.url + hash);
  const rv2 = second.locator('.result-view[data-result="parts_result"]');
  await rv2.locator('.rv-count').filter({ hasText: '6 of 12 samples' }).waitFor();
  assert.equal(await rv2.locator('.rv-filter').inputValue(), 'correct == 0');
  await rv2.locator('th[data-sort="id"][aria-sort="descending"]').waitFor();
  assert.deepEqual(await rv2.locator('tbody td.sid').allTextContents(), ['c10', 'c08', 'c06', 'c04', 'c02', 'c00']);

  // Arrow keys: from the first row down two, up one; Enter opens that sample.
  await rv2.locator('tbody .srow').first().focus();
  await second.keyboard.press('ArrowDown');
  await second.keyboard.press('ArrowDown');
  await second.keyboard.press('ArrowUp');
  assert.equal(await second.evaluate(() => /** @type {HTMLElement} */ (document.activeElement).dataset.id), 'c08');
  await second.keyboard.press('Enter');
  await rv2.locator('.sv-id', { hasText: 'c08' }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('Back and Forward go between views, and between a sample and its table', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  await page.locator('.result-item[data-name="flat_result"]').click();
  const flat = page.locator('.result-view[data-result="flat_result"]');
  await flat.locator('tbody .srow').first().waitFor();
  await page.locator('.result-item[data-name="parts_result"]').click();
  const parts = page.locator('.result-view[data-result="parts_result"]');
  await parts.locator('tbody .srow[data-id="c03"]').click();
  await parts.locator('.sv-id', { hasText: 'c03' }).waitFor();
  assert.equal(await page.evaluate(() => location.hash), '#result=parts_result&sample=c03');

  await page.goBack();
  await page.waitForFunction(() => location.hash === '#result=parts_result');
  await parts.locator('.rv-list').waitFor();
  assert.equal(await parts.locator('.rv-sample').isHidden(), true, 'Back closes the sample');
  await page.goBack();
  await page.waitForFunction(() => location.hash === '#result=flat_result');
  assert.equal(await flat.isVisible(), true, 'Back shows the previous view');
  assert.equal(await parts.isHidden(), true);
  await page.goForward();
  await page.waitForFunction(() => location.hash === '#result=parts_result');
  await page.goForward();
  await parts.locator('.sv-id', { hasText: 'c03' }).waitFor();

  // A reload brings the tabs back in place: no new entry.
  const entries = await page.evaluate(() => history.length);
  await page.reload();
  await page.locator('.result-view[data-result="parts_result"] .sv-id', { hasText: 'c03' }).waitFor();
  assert.equal(await page.evaluate(() => history.length), entries);
  // The page's address with no view named: the tabs come back and the last one
  // shows, in that one new entry.
  await page.goto(server.url);
  await page.waitForFunction(() => location.hash.startsWith('#result=parts_result'));
  assert.equal(await page.evaluate(() => history.length), entries + 1);
  await page.goBack();
  await page.waitForFunction(() => location.hash === '#result=parts_result&sample=c03');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a histogram of one value has one bar named by the value', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  await page.locator('.result-item[data-name="flat_result"]').click();
  const rv = page.locator('.result-view[data-result="flat_result"]');
  await rv.locator('.hist-axis').waitFor();
  assert.equal(await rv.locator('.hist-bar').count(), 1);
  // Its reward has one part (a score metric `correct`): no column repeats the reward.
  await rv.locator('tbody .srow').first().waitFor();
  assert.deepEqual(await rv.locator('thead th').allTextContents(), ['#', 'id', 'reward', 'status', 'turns', 'error']);
  assert.equal(await rv.locator('.hist-axis').textContent(), 'reward = 1 for every sample that has one');
  await rv.locator('.hist-bar').click();
  await rv.locator('.rv-count').filter({ hasText: '4 of 4 samples' }).waitFor();
  assert.equal(await rv.locator('.rv-filter').inputValue(), 'reward == 1');
  assert.deepEqual(errors, []);
  await context.close();
});
