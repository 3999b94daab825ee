// Results: the sidebar list (live, malformed ones too), result ↔ run links, the
// sample table (sort, filter, search, paging by the server), a conversation with
// every kind of block, and the comparison of two results.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Server, launchBrowser, openPage, launchFromPage, runView } from '../helper.mjs';
import { writeResult, showcaseMessages, openaiMessages, manySamples } from '../fixtures.mjs';

let server, browser;
before(async () => {
  server = await Server.demo();
  browser = await launchBrowser();
  const report = (eval_name, n, extra = {}) => ({ eval_name, dataset_path: 'datasets/arith.jsonl', total_samples: n, summary_metrics: { mean_reward: 0.5, pass_rate: 0.5 }, config: { model: 'demo-1' }, timestamp: '2026-01-02T10:00:00.000000', ...extra });
  writeResult(server.dir, 'many_result', { report: report('many', 250), samples: manySamples(250) });
  writeResult(server.dir, 'showcase_result', {
    report: report('showcase', 2),
    samples: [
      { id: 'conv_openai', messages: openaiMessages(), reward: 0, status: 'failed', error: 'ProviderError: timeout', input: { question: 'weather?' } },
      { id: 'conv_rollouts', messages: showcaseMessages(), reward: 1, input: { question: 'plot and multiply' }, ground_truth: '408' },
    ],
  });
  const five = (rewards) => rewards.map((r, i) => ({ id: `p${i}`, reward: r, messages: [{ role: 'user', content: `pair question ${i}` }, { role: 'assistant', content: `PAIR-ANSWER-${i}-${r}` }] }));
  writeResult(server.dir, 'cmp_a', { report: report('cmp_alpha', 5, { summary_metrics: { mean_reward: 0.4 }, timestamp: '2026-01-01T09:00:00' }), samples: five([1, 0, 1, 0, 0]) });
  writeResult(server.dir, 'cmp_b', { report: report('cmp_beta', 5, { summary_metrics: { mean_reward: 0.6 }, timestamp: '2026-01-01T09:30:00' }), samples: five([1, 1, 1, 0, 1]) });
});
after(async () => { await browser?.close(); await server?.close(); });

test('results sidebar: a new run\'s result and a malformed one appear without reload; result and run link both ways', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  await page.evaluate(() => { window.__sameDocument = true; });
  await page.locator('.result-item[data-name="many_result"]').waitFor();

  // A malformed result made while the page is open: listed with what is wrong, the rest still listed.
  const bad = path.join(server.dir, 'results', 'zz_broken');
  mkdirSync(bad, { recursive: true });
  writeFileSync(path.join(bad, 'report.json'), '{"eval_name": "broken", ');
  const badItem = page.locator('.result-item[data-name="zz_broken"]');
  await badItem.waitFor({ timeout: 20_000 });
  assert.match(await badItem.locator('.result-error').textContent(), /report\.json|JSON/i);
  assert.equal(await badItem.getAttribute('data-status'), 'malformed');
  assert.ok(await page.locator('.result-item[data-name="showcase_result"]').isVisible(), 'the other results stay listed');

  // Launch quick.py: its result shows up by itself, grouped under its config, with samples and mean reward.
  const id = await launchFromPage(page, 'quick.py');
  await runView(page, id).locator('.badge[data-status="succeeded"]').waitFor({ timeout: 60_000 });
  const run = await server.api(`/api/runs/${id}`);
  const name = run.result_dir.split('/').pop();
  const item = page.locator(`.result-item[data-name="${name}"][data-status="complete"]`);
  await item.waitFor({ timeout: 20_000 });
  assert.match(await item.textContent(), /6 samples/);
  assert.equal(await item.locator('.result-mean').textContent(), '0.833');
  assert.match(await item.locator('.result-metrics').textContent(), /min 0 · max 1/);
  const group = await item.evaluate((e) => { let g = e.previousElementSibling; while (g && !g.classList.contains('group-head')) g = g.previousElementSibling; return g?.textContent; });
  assert.match(group, /^calc_quick/);

  // Run → result.
  await runView(page, id).locator('.run-result').click();
  const rv = page.locator(`.result-view[data-result="${name}"]`);
  await rv.locator('.rv-title', { hasText: 'calc_quick' }).waitFor(); // the title comes with the summary, a moment after the view
  assert.equal(await rv.locator('.rv-title').textContent(), 'calc_quick');
  assert.equal(await rv.locator('.metric[data-metric="mean_reward"] .metric-value').textContent(), '0.833');
  assert.match(await rv.locator('.rv-meta').textContent(), /datasets\/arith\.jsonl/);
  assert.equal(await rv.locator('.hist-bar').count(), 10, 'reward histogram with 10 bins');
  assert.match(await rv.locator('.rv-statuses').textContent(), /failed 1/);
  await rv.locator('.rv-config summary').click();
  assert.match(await rv.locator('.rv-config pre').textContent(), /"EVAL_NAME": "calc_quick"/);
  // Result → run.
  await rv.locator('.rv-run').click();
  await runView(page, id).waitFor();
  assert.equal(await page.evaluate(() => window.__sameDocument), true, 'no reload happened');
  assert.deepEqual(errors, []);
  await context.close();
});

test('sample table: the server sorts, filters, searches and pages', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  await page.locator('.result-item[data-name="many_result"]').click();
  const rv = page.locator('.result-view[data-result="many_result"]');
  const count = rv.locator('.rv-count');
  const ids = () => rv.locator('tbody .srow td.sid').allTextContents();
  await rv.locator('tbody .srow').first().waitFor();
  assert.equal(await count.textContent(), '250 samples');
  assert.equal(await rv.locator('tbody .srow').count(), 100, 'first page of 100');
  assert.equal(await rv.locator('.pager-label').textContent(), '1–100 of 250');
  await rv.locator('.pager-next').click();
  await rv.locator('.pager-label', { hasText: '101–200 of 250' }).waitFor();
  assert.equal((await ids())[0], 's0100');

  // Sort by reward (descending first, then ascending): back to page 1.
  await rv.locator('th[data-sort="reward"] button').click();
  await rv.locator('th[data-sort="reward"][aria-sort="descending"]').waitFor();
  await rv.locator('.pager-label', { hasText: '1–100 of 250' }).waitFor();
  assert.deepEqual(new Set(await rv.locator('tbody td.reward').allTextContents()), new Set(['1', '0.750']));
  await rv.locator('th[data-sort="reward"] button').click();
  await rv.locator('th[data-sort="reward"][aria-sort="ascending"]').waitFor();
  await page.waitForFunction(() => document.querySelector('.result-view:not([hidden]) tbody td.reward')?.textContent === '0');

  // A status chip filters by that status (and shows it in the filter box); a second click clears it.
  const box = rv.locator('.rv-filter');
  await rv.locator('.rv-statuses .chip', { hasText: 'failed 36' }).click();
  await count.filter({ hasText: '36 of 250 samples' }).waitFor();
  assert.equal(await box.inputValue(), 'status == "failed"');
  assert.deepEqual(new Set(await rv.locator('tbody td.status').allTextContents()), new Set(['failed']));
  assert.match(await rv.locator('tbody td.err').first().textContent(), /ProviderError: boom/);
  await rv.locator('.rv-statuses .chip', { hasText: 'failed 36' }).click();
  await count.filter({ hasText: /^250 samples$/ }).waitFor();
  assert.equal(await box.inputValue(), '');
  // "with error" is a chip too.
  await rv.locator('.rv-statuses .chip', { hasText: 'with error 36' }).click();
  await count.filter({ hasText: '36 of 250 samples' }).waitFor();
  // A reward range, typed.
  await box.fill('reward >= 0.5 and reward <= 0.5');
  await box.press('Enter');
  await count.filter({ hasText: '50 of 250 samples' }).waitFor();
  assert.deepEqual(new Set(await rv.locator('tbody td.reward').allTextContents()), new Set(['0.500']));
  await box.fill('');
  await box.press('Enter');
  await count.filter({ hasText: /^250 samples$/ }).waitFor();

  // "/" focuses the search; the server searches the samples' files.
  await rv.locator('.rv-title').click();
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement?.classList.contains('rv-search')), true);
  await page.keyboard.type('needle-in-haystack');
  await count.filter({ hasText: '1 of 250 samples' }).waitFor();
  assert.deepEqual(await ids(), ['s0042']);
  assert.deepEqual(errors, []);
  await context.close();
});

test('scrolled down, the table header sticks right below the tool bar, also when the bar wraps onto two lines', async () => {
  for (const width of [1280, 520]) {
    const { page, context, errors } = await openPage(browser, server.url, { width, height: 700 });
    // The drawer of the lists covers the page when narrow; the view is reached by its address.
    await page.goto(`${server.url}#result=many_result`);
    const rv = page.locator('.result-view[data-result="many_result"]');
    await rv.locator('tbody .srow').nth(99).waitFor();
    await rv.locator('.rv-list').evaluate((pane) => { pane.scrollTop = 1500; });
    const box = await page.waitForFunction(() => {
      const v = document.querySelector('.result-view:not([hidden])');
      const tools = v.querySelector('.rv-tools').getBoundingClientRect();
      const th = v.querySelector('thead th').getBoundingClientRect();
      const pane = v.querySelector('.rv-list').getBoundingClientRect();
      return pane.top === tools.top && { tools: tools.height, gap: Math.round(th.top - tools.bottom) };
    });
    const { tools, gap } = await box.jsonValue();
    if (width === 520) assert.ok(tools > 60, `the tool bar wraps at ${width} px (${tools} px tall)`);
    assert.equal(gap, 0, `at ${width} px the header is ${gap} px from the tool bar's bottom (tool bar ${tools} px tall)`);
    assert.deepEqual(errors, []);
    await context.close();
  }
});

test('a conversation shows every kind of block; j/k step through samples; Esc goes back', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  await page.locator('.result-item[data-name="showcase_result"]').click();
  const rv = page.locator('.result-view[data-result="showcase_result"]');
  await rv.locator('tbody .srow[data-id="conv_rollouts"]').click();
  const convo = rv.locator('.rv-sample .convo');
  await convo.locator('.msg.role-system').waitFor();
  assert.equal(await page.evaluate(() => location.hash), '#result=showcase_result&sample=conv_rollouts');

  // Roles told apart; Markdown rendered by the server; its <script> removed and never run.
  assert.deepEqual(await convo.locator('.msg').evaluateAll((ms) => ms.map((m) => m.dataset.role)), ['system', 'user', 'assistant', 'assistant']);
  assert.equal(await convo.locator('.msg.role-system .md strong').textContent(), 'careful');
  assert.equal(await convo.locator('.md script').count(), 0);
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  // Images, in OpenAI's form (`image_url`) and Inspect's (`image`).
  const img = convo.locator('.msg.role-user img.block.image');
  assert.equal(await img.count(), 2);
  for (const i of [0, 1]) assert.match(await img.nth(i).getAttribute('src'), /^data:image\/png;base64,/);
  await page.waitForFunction(() => [...document.querySelectorAll('.rv-sample img.block.image')].map((i) => i.naturalWidth).join() === '160,80');
  // Thinking: folded until clicked.
  const thinking = convo.locator('details.thinking');
  assert.equal(await thinking.getAttribute('open'), null);
  assert.equal(await convo.getByText('SECRET-THOUGHT').isVisible(), false);
  await thinking.locator('summary').click();
  await convo.getByText('SECRET-THOUGHT', { exact: false }).waitFor();
  // Code highlighted with classes styled by /highlight.css.
  const kw = convo.locator('.md pre.hl span.hl-storage, .md pre.hl span.hl-keyword').first();
  await kw.waitFor();
  const plain = await convo.locator('.msg.role-assistant .md p').first().evaluate((e) => getComputedStyle(e).color);
  assert.notEqual(await kw.evaluate((e) => getComputedStyle(e).color), plain, 'code is coloured');
  // Tool call with its name and pretty arguments, paired with its result (no separate tool message).
  const call = convo.locator('.toolcall[data-call="call_a"]');
  assert.equal(await call.locator('.toolcall-name').textContent(), 'calculator');
  assert.equal(await call.locator('.toolcall-args').textContent(), '{\n  "expression": "12 * 34"\n}');
  assert.match(await call.locator('.toolcall-result').textContent(), /RESULT-408/);
  assert.equal(await convo.locator('.msg.role-tool').count(), 0);
  // Unknown block as JSON.
  assert.match(await convo.locator('.block.unknown').textContent(), /hologram[\s\S]*"beams": 3/);
  // Long message folded with "Show all".
  const fold = convo.locator('.fold');
  assert.ok(await fold.evaluate((e) => e.classList.contains('folded')));
  const h1 = await fold.locator('.md').evaluate((e) => e.getBoundingClientRect().height);
  await fold.locator('.fold-toggle', { hasText: 'Show all' }).click();
  assert.ok(await fold.locator('.md').evaluate((e) => e.getBoundingClientRect().height) > h1, 'unfolded shows more');
  // Beside it: input, ground truth, score metrics.
  const aside = convo.locator('.convo-aside');
  assert.match(await aside.textContent(), /plot and multiply/);
  assert.match(await aside.locator('.aside-sec', { hasText: 'Ground truth' }).textContent(), /408/);
  assert.match(await aside.locator('.metrics-table').textContent(), /correct\s*1/);

  // k: the previous sample (OpenAI format), with its tool_calls paired with the tool reply.
  await page.keyboard.press('k');
  await rv.locator('.sv-id', { hasText: 'conv_openai' }).waitFor();
  const call2 = convo.locator('.toolcall[data-call="call_w1"]');
  await call2.waitFor();
  assert.equal(await call2.locator('.toolcall-name').textContent(), 'get_weather');
  assert.equal(await call2.locator('.toolcall-args').textContent(), '{\n  "city": "Paris",\n  "unit": "C"\n}');
  assert.match(await call2.locator('.toolcall-result').textContent(), /WEATHER-SUNNY-21/);
  assert.match(await convo.locator('.aside-error').textContent(), /ProviderError: timeout/);
  await page.keyboard.press('j');
  await rv.locator('.sv-id', { hasText: 'conv_rollouts' }).waitFor();

  // Esc: back to the table.
  await page.keyboard.press('Escape');
  await rv.locator('.rv-list').waitFor();
  assert.equal(await rv.locator('.rv-sample').isVisible(), false);
  assert.deepEqual(errors, []);
  await context.close();
});

test('compare two results: rewards side by side, changed first, each pair one click from both conversations', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  await page.locator('.result-item[data-name="cmp_a"]').click();
  const rv = page.locator('.result-view[data-result="cmp_a"]');
  await rv.locator('.rv-title', { hasText: 'cmp_alpha' }).waitFor();
  // Results of the same dataset are offered first.
  const firstGroup = await rv.locator('.rv-compare-select optgroup').first().getAttribute('label');
  assert.equal(firstGroup, 'Same dataset');
  await rv.locator('.rv-compare-select').selectOption('cmp_b');
  await rv.locator('.rv-compare').click();
  const cv = page.locator('.compare-view[data-a="cmp_a"][data-b="cmp_b"]');
  await cv.locator('.cv-table tbody .srow').first().waitFor();
  assert.equal(await cv.locator('.rv-count').textContent(), '2 changed of 5');
  const rows = await cv.locator('.cv-table tbody .srow').evaluateAll((trs) => trs.map((tr) => [...tr.children].slice(0, 4).map((td) => td.textContent)));
  assert.deepEqual(rows.slice(0, 2).map((r) => r[0]).sort(), ['p1', 'p4'], 'changed samples first');
  assert.deepEqual(rows.find((r) => r[0] === 'p1'), ['p1', '0', '1', '+1']);
  assert.match(await cv.locator('.cv-metrics').textContent(), /mean_reward\s*0\.400\s*0\.600\s*\+0\.200/);

  // One click: both conversations side by side.
  await cv.locator('.cv-table tbody .srow[data-id="p1"]').click();
  await cv.locator('.cv-col[data-side="A"] .msg.role-assistant').waitFor();
  assert.match(await cv.locator('.cv-col[data-side="A"]').textContent(), /PAIR-ANSWER-1-0/);
  assert.match(await cv.locator('.cv-col[data-side="B"]').textContent(), /PAIR-ANSWER-1-1/);
  // j: the next pair.
  await page.keyboard.press('j');
  await cv.locator('.sv-head .sv-id', { hasText: /^p[04]$/ }).waitFor();
  // "Open ↗" opens the sample in its own result.
  await cv.locator('.cv-col[data-side="B"] .cv-col-head button', { hasText: 'Open' }).click();
  const rb = page.locator('.result-view[data-result="cmp_b"]');
  await rb.locator('.rv-sample .convo .msg').first().waitFor();
  assert.match(await rb.locator('.sv-id').textContent(), /^p[04]$/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a running result is listed as running and links to its live run; once stopped without a report it says so', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  const id = await server.launch('slow_eval.toml');
  const item = page.locator('.result-item[data-status="running"]', { has: page.locator(`.result-live[data-run="${id}"]`) });
  await item.waitFor({ timeout: 30_000 });
  assert.match(await item.locator('.result-status').textContent(), /running/);
  // Grouped under its config's name even before the report names it.
  const group = await item.evaluate((e) => { let g = e.previousElementSibling; while (g && !g.classList.contains('group-head')) g = g.previousElementSibling; return g?.querySelector('.group-name')?.textContent; });
  assert.equal(group, 'calc_full');
  await item.locator('.result-live').click();
  await runView(page, id).locator('.badge[data-status="running"]').waitFor();
  await server.api(`/api/runs/${id}/stop`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  await page.locator('.result-item[data-status="incomplete"]', { has: page.locator(`.result-live[data-run="${id}"]`) }).waitFor({ timeout: 30_000 });
  assert.deepEqual(errors, []);
  await context.close();
});

test('a result is deleted from its view after a confirmation: its tab closes and the list forgets it', async () => {
  writeResult(server.dir, 'doomed_result', { report: report0('doomed', 1), samples: [{ id: 'd0', reward: 1, messages: [{ role: 'user', content: 'q' }] }] });
  const { page, context, errors } = await openPage(browser, `${server.url}#result=doomed_result`);
  const rv = page.locator('.result-view[data-result="doomed_result"]');
  await rv.locator('.rv-delete').waitFor();
  await page.locator('.result-item[data-name="doomed_result"]').waitFor({ timeout: 20_000 });

  // Asks first; Cancel keeps it.
  await rv.locator('.rv-delete').click();
  await rv.locator('.rv-delete-box', { hasText: 'Delete the result doomed_result?' }).waitFor();
  await rv.locator('.rv-delete-box button', { hasText: 'Cancel' }).click();
  await rv.locator('.rv-delete-box').waitFor({ state: 'hidden' });
  assert.equal((await server.api('/api/results/doomed_result')).summary.eval_name, 'doomed');

  await rv.locator('.rv-delete').click();
  await rv.locator('.confirm-delete').click();
  await page.locator('.tab[data-key="result:doomed_result"]').waitFor({ state: 'detached' });
  await page.locator('.result-item[data-name="doomed_result"]').waitFor({ state: 'detached' });
  await assert.rejects(server.api('/api/results/doomed_result'), /404/);
  assert.deepEqual(errors, []);
  await context.close();
});

/** A minimal report.json. @param {string} eval_name @param {number} n */
function report0(eval_name, n) {
  return { eval_name, dataset_path: 'datasets/arith.jsonl', total_samples: n, summary_metrics: { mean_reward: 1 }, timestamp: '2026-01-03T10:00:00' };
}

test('a trajectory whose last line is broken shows its last valid line, with a warning', async () => {
  const root = path.join(server.dir, 'results', 'cut_result');
  mkdirSync(path.join(root, 'trajectories'), { recursive: true });
  const line = (text, reward) => JSON.stringify({ messages: [{ role: 'user', content: 'cut question' }, { role: 'assistant', content: text }], rewards: reward });
  writeFileSync(path.join(root, 'trajectories', 'cut.jsonl'), `${line('FIRST-STATE', 0)}\n${line('LAST-VALID-STATE', 1)}\n{"messages": [{"role": "assis`);
  writeFileSync(path.join(root, 'trajectories', 'whole.jsonl'), `${line('WHOLE-STATE', 1)}\n`);
  writeFileSync(path.join(root, 'report.json'), JSON.stringify(report0('cut', 2)));
  const { page, context, errors } = await openPage(browser, `${server.url}#result=cut_result`);
  const rv = page.locator('.result-view[data-result="cut_result"]');
  const row = rv.locator('tr.srow[data-id="cut"]');
  await row.waitFor({ timeout: 20_000 });
  assert.equal(await row.locator('.reward').textContent(), '1');
  assert.equal(await row.locator('.row-warning').textContent(), '⚠ last line broken');
  assert.equal(await rv.locator('tr.srow[data-id="whole"] .row-warning').count(), 0);
  assert.doesNotMatch(await row.textContent(), /malformed/);

  await row.click();
  const warn = rv.locator('.sv-warning');
  await warn.waitFor();
  assert.match(await warn.textContent(), /^⚠ cut\.jsonl: last line is not valid JSON .*showing the last valid line \(1 broken line after it\)$/);
  await rv.locator('.msg.role-assistant', { hasText: 'LAST-VALID-STATE' }).waitFor();
  assert.equal(await rv.locator('.msg.role-assistant', { hasText: 'FIRST-STATE' }).count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});
