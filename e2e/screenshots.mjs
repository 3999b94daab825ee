// Screenshots of the page for a human to look at: 1280×800 and 800 px wide,
// dark and light, with a live evaluation run (output and samples) open; then
// results (list, result view, a conversation, a comparison) and the config
// editor and form.
// Usage: node screenshots.mjs  → e2e/screenshots/*.png
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Server, launchBrowser, openPage, launchFromPage, runView, showSide, SHOTS } from './helper.mjs';
import { writeResult, showcaseMessages, openaiMessages, manySamples } from './fixtures.mjs';

mkdirSync(SHOTS, { recursive: true });
const server = await Server.demo();
const browser = await launchBrowser();
try {
  // A finished quick run (with a failed sample) and a live full evaluation.
  const quick = await server.launch('quick.py');
  await server.waitFinished(quick);
  for (const scheme of /** @type {const} */ (['dark', 'light'])) {
    for (const width of [1280, 800]) {
      const { page, context } = await openPage(browser, server.url, { width, height: 800, colorScheme: scheme });
      const id = await launchFromPage(page, 'slow_eval.toml');
      const view = runView(page, id);
      await view.locator('.log-row', { hasText: 'evaluating sample_0004' }).waitFor({ timeout: 60_000 });
      const name = (what) => path.join(SHOTS, `${what}-${width}-${scheme}.png`);
      await page.screenshot({ path: name('output') });
      await view.locator('.subtab', { hasText: 'Samples' }).click();
      await view.locator('.sample.running').first().waitFor();
      await page.screenshot({ path: name('samples') });
      await view.locator('.subtab', { hasText: 'Output' }).click();
      await page.keyboard.press('/');
      await page.keyboard.type('sample_0002');
      await page.keyboard.press('Enter');
      await view.locator('.log-row.match-current').waitFor();
      await page.screenshot({ path: name('search') });
      if (width === 800) {
        await page.locator('#runs-toggle').click();
        await showSide(page, 'runs');
        await page.locator('.run-item', { hasText: 'quick.py' }).click();
        await runView(page, quick).locator('.badge', { hasText: 'failed' }).or(runView(page, quick).locator('.badge', { hasText: 'succeeded' })).waitFor();
        await runView(page, quick).locator('.log-row', { hasText: 'exited with code' }).waitFor();
        await page.screenshot({ path: name('finished') });
        await page.locator('#runs-toggle').click();
        await page.locator('.pane.right').waitFor({ state: 'visible' });
        await page.screenshot({ path: name('drawer') });
      }
      await server.api(`/api/runs/${id}/stop`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      await view.locator('.badge', { hasText: 'stopped' }).waitFor({ state: 'attached', timeout: 30_000 });
      await context.close();
    }
  }
  // Results and configs.
  const report = (eval_name, n, mean) => ({ eval_name, dataset_path: 'datasets/arith.jsonl', total_samples: n, summary_metrics: { mean_reward: mean, min_reward: 0, max_reward: 1, pass_rate: mean }, config: { model: 'demo-1', temperature: 0.2 }, timestamp: new Date(Date.now() - 3600_000).toISOString().replace('Z', '') });
  writeResult(server.dir, 'showcase_result', { report: report('showcase', 2, 0.5), samples: [
    { id: 'conv_rollouts', messages: showcaseMessages(), reward: 1, input: { question: 'Plot y = x² and compute 12 * 34.' }, ground_truth: '408' },
    { id: 'conv_openai', messages: openaiMessages(), reward: 0, status: 'failed', error: 'ProviderError[openai]: timeout after 30 s' },
  ] });
  writeResult(server.dir, 'many_result', { report: report('many', 250, 0.5), samples: manySamples(250) });
  writeResult(server.dir, 'broken_result', { report: '{"eval_name": ', samples: [] });
  // Two runs of the same evaluation whose samples partly changed.
  const pair = (rewards) => rewards.map((r, i) => ({ id: `sample_${String(i).padStart(4, '0')}`, reward: r, status: r ? 'completed' : 'failed',
    messages: [{ role: 'system', content: 'You are a careful **math** assistant.' }, { role: 'user', content: `What is ${12 + i} * ${30 + i}?` },
      { role: 'assistant', content: r ? `The answer is **${(12 + i) * (30 + i)}**.` : `I think it is ${(12 + i) * (30 + i) + 7}.` }] }));
  writeResult(server.dir, 'calc_v1', { report: { ...report('calc_v1', 8, 0.5), summary_metrics: { mean_reward: 0.5, pass_rate: 0.5 } }, samples: pair([1, 0, 1, 0, 1, 0, 1, 1]) });
  writeResult(server.dir, 'calc_v2', { report: { ...report('calc_v2', 8, 0.75), summary_metrics: { mean_reward: 0.75, pass_rate: 0.75 } }, samples: pair([1, 1, 1, 0, 1, 1, 0, 1]) });
  const quickNames = ['calc_v2', 'calc_v1'];
  await server.api('/api/results/calc_v2');
  for (const scheme of /** @type {const} */ (['dark', 'light'])) {
    for (const width of [1280, 800]) {
      const { page, context } = await openPage(browser, server.url, { width, height: 800, colorScheme: scheme });
      const name = (what) => path.join(SHOTS, `${what}-${width}-${scheme}.png`);
      await page.goto(`${server.url}#result=many_result`);
      await page.locator('.result-view:not([hidden]) tbody .srow').first().waitFor();
      await page.screenshot({ path: name('result') });
      await page.goto(`${server.url}#result=showcase_result&sample=conv_rollouts`);
      await page.locator('.result-view:not([hidden]) .rv-sample .convo .toolcall').first().waitFor();
      await page.locator('.result-view:not([hidden]) .rv-sample details.thinking summary').click();
      await page.screenshot({ path: name('conversation') });
      await page.locator('.result-view:not([hidden]) .rv-sample').evaluate((e) => { e.scrollTop = e.scrollHeight; });
      await page.screenshot({ path: name('conversation-end') });
      await page.goto(`${server.url}#result=showcase_result&sample=conv_openai`);
      await page.locator('.result-view:not([hidden]) .rv-sample .toolcall[data-call="call_w1"]').waitFor();
      await page.screenshot({ path: name('conversation-openai') });
      await page.goto(`${server.url}#compare=${quickNames[1]}&with=${quickNames[0]}`);
      await page.locator('.compare-view:not([hidden]) .cv-table .srow').first().waitFor();
      await page.screenshot({ path: name('compare') });
      await page.locator('.compare-view:not([hidden]) .cv-table .srow').first().click();
      await page.locator('.cv-col[data-side="B"] .msg').first().waitFor();
      await page.screenshot({ path: name('compare-pair') });
      await page.goto(`${server.url}#config=slow_eval.toml`);
      await page.locator('.config-view:not([hidden]) .code-lines div').first().waitFor();
      await page.locator('.config-view:not([hidden]) .cfg-validate').click();
      await page.locator('.config-view:not([hidden]) .cfg-problems.ok').waitFor();
      await page.screenshot({ path: name('config') });
      await page.locator('.config-view:not([hidden]) .cfg-mode-form').click();
      await page.locator('.config-view:not([hidden]) .field').first().waitFor();
      await page.screenshot({ path: name('config-form') });
      if (width === 1280) {
        await page.goto(`${server.url}#config=quick.py`);
        const v = page.locator('.config-view[data-config="quick.py"]');
        await v.locator('.code-lines div').first().waitFor();
        await v.locator('.code-editor').click();
        await page.keyboard.press('Control+End');
        await page.keyboard.press('Enter');
        await page.keyboard.type('broken = (1,');
        await v.locator('.cfg-validate').click();
        await v.locator('.problem-where').waitFor();
        await page.screenshot({ path: name('config-invalid') });
      } else {
        await page.locator('#runs-toggle').click();
        await showSide(page, 'results');
        await page.screenshot({ path: name('results-drawer') });
      }
      await context.close();
    }
  }
  console.log(`screenshots in ${SHOTS}`);
} finally {
  await browser.close();
  await server.close();
}
