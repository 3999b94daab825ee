// Inspect AI logs in the page, on logs the real inspect-ai wrote (pinned, in a
// virtualenv: tests/inspect/setup.sh; the built-in mockllm/model): listed
// beside results with task, model, status, samples done/total and metrics; a
// log's samples with a column per scorer, searched by the server; a sample's
// conversation (tool call, tool error) beside its transcript folded by kind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Server, launchBrowser, openPage, launchFromPage, runView, fontsShown, fontsWarmed, REPO } from '../helper.mjs';

let server, browser;
/** @type {Record<string, string>} kind → log name */
const logs = {};

before(async () => {
  const py = execFileSync('bash', [path.join(REPO, 'tests/inspect/setup.sh'), 'path'], { encoding: 'utf8' }).trim();
  // Configs are Inspect task files run by `inspect eval`; gated_eval.py's
  // samples finish when the test creates their gate file (tasks.py: gated).
  server = await Server.project({
    'devloop.toml': `[launch]\ncommand = [${JSON.stringify(path.join(path.dirname(py), 'inspect'))}, "eval", "{config}", "--log-buffer", "1", "--display", "none"]\nstop_grace_secs = 1\n`,
    'configs/quick.py': 'print("hi")\n',
    'configs/gated_eval.py': `import sys\nsys.path.insert(0, ${JSON.stringify(path.join(REPO, 'tests/inspect'))})\nfrom inspect_ai import task\nimport tasks\n\n@task\ndef gated_live():\n    return tasks.gated(gates="gates", samples=3)\n`,
  });
  mkdirSync(path.join(server.dir, 'gates'));
  const out = path.join(server.root, 'made');
  const made = execFileSync(py, [path.join(REPO, 'tests/inspect/make_logs.py'), out, 'suite'], { encoding: 'utf8' }).trim().split('\n');
  // The order make_logs.py prints: arith a, arith b, arith .json, tools, tools deflated, failing, cancelled.
  const kinds = ['arith', 'arith_b', 'arith_json', 'tools', 'tools_deflate', 'failing', 'cancelled'];
  mkdirSync(path.join(server.dir, 'logs'), { recursive: true });
  made.forEach((f, i) => {
    copyFileSync(f, path.join(server.dir, 'logs', path.basename(f)));
    logs[kinds[i]] = `logs/${path.basename(f)}`;
  });
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await server?.close(); });

test('Inspect logs: listed with their facts, samples per scorer, a sample with its conversation and transcript', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  const item = (name) => page.locator(`.result-item[data-name="${name}"]`);

  // Listed by themselves (they were written after the server started) with what a reader needs.
  await item(logs.arith).waitFor({ timeout: 20_000 });
  assert.equal(await item(logs.arith).getAttribute('data-kind'), 'inspect');
  assert.equal(await item(logs.arith).getAttribute('data-status'), 'success');
  assert.match(await item(logs.arith).textContent(), /10\/10 samples/);
  assert.equal(await item(logs.arith).locator('.result-mean').textContent(), '0.750');
  assert.match(await item(logs.arith).locator('.result-metrics').textContent(), /mockllm\/model.*includes\/accuracy 0\.750/);
  assert.equal(await item(logs.failing).getAttribute('data-status'), 'error');
  assert.match(await item(logs.failing).locator('.result-error').textContent(), /deliberate failure in sample q2/);
  assert.equal(await item(logs.cancelled).getAttribute('data-status'), 'cancelled');
  // The views show no font the page had not laid out while idle (fontwarm.js).
  const known = new Set([...await fontsShown(page), ...await fontsWarmed(page)]);
  const unwarmed = new Set();
  const look = async () => { for (const f of await fontsShown(page)) if (!known.has(f)) unwarmed.add(f); };

  // The samples: a column per scorer, with the score's answer on hover; the server searches inside samples.
  await item(logs.arith).click();
  const view = page.locator(`.result-view[data-result="${logs.arith}"]`);
  await view.locator('tr.srow').first().waitFor();
  assert.equal(await view.locator('tr.srow').count(), 10);
  for (const s of ['match', 'includes', 'length_penalty', 'target', 'input', 'tokens']) assert.ok(await view.locator(`th.col-${s}`).count(), `column ${s}`);
  await look();
  const q1 = view.locator('tr.srow[data-id="q1_epoch_1"]');
  assert.equal(await q1.locator('td[data-scorer="match"]').textContent(), 'C');
  assert.match(await q1.locator('td[data-scorer="length_penalty"]').getAttribute('title'), /27 characters of output/);
  assert.match(await view.locator('tr.srow[data-id="q4_epoch_1"] td.err').textContent(), /deliberate failure/);
  // The statuses' chips in one order, the server's (by name), whatever the start.
  await view.locator('.rv-statuses .chip').first().waitFor();
  assert.deepEqual(await view.locator('.rv-statuses .chip').allTextContents(), ['completed 8', 'error 2', 'with error 2']);
  await view.locator('.rv-search').fill('adding 2 and 4');
  await view.locator('.rv-count').filter({ hasText: '2 of 10 samples' }).waitFor();
  assert.deepEqual(await view.locator('tr.srow').evaluateAll((rs) => rs.map((r) => r.dataset.id)), ['q2_epoch_1', 'q2_epoch_2']);
  await view.locator('.rv-search').fill('');
  await view.locator('.rv-count').filter({ hasText: /^10 samples$/ }).waitFor();

  // Any scorer can be charted, and a bar of letter grades (C is 1, I is 0) filters to its samples.
  await view.locator('.hist-of').selectOption('match');
  await view.locator('.hist[aria-label="Distribution of match"]').waitFor();
  await view.locator('.hist-bar:not([disabled])').first().click();
  await view.locator('.rv-count').filter({ hasText: '2 of 10 samples' }).waitFor();
  assert.deepEqual(await view.locator('tr.srow').evaluateAll((rs) => rs.map((r) => r.dataset.id)), ['q5_epoch_1', 'q5_epoch_2']);
  await view.locator('.rv-filter').fill('');
  await view.locator('.rv-filter').press('Enter');

  // Compared with the other arith log (Inspect logs only are offered): sample by sample, changed first.
  await view.locator('.rv-search').fill('');
  const offered = await view.locator('.rv-compare-select option').evaluateAll((os) => os.map((o) => o.value).filter(Boolean));
  assert.ok(offered.length && offered.every((v) => v.startsWith('logs/')), String(offered));
  await view.locator('.rv-compare-select').selectOption(logs.arith_b);
  await view.locator('.rv-compare').click();
  const cv = page.locator('.compare-view:not([hidden])');
  await cv.locator('.cv-table tbody .srow').first().waitFor();
  assert.equal(await cv.locator('.rv-count').textContent(), '6 changed of 10');
  assert.deepEqual(await cv.locator('.cv-table tbody .srow[data-id="q2_epoch_1"] td').evaluateAll((tds) => tds.slice(0, 4).map((t) => t.textContent)), ['q2_epoch_1', '1', '0', '-1']);
  await cv.locator('.cv-table tbody .srow[data-id="q2_epoch_1"]').click();
  await cv.locator('.cv-col[data-side="B"] .msg.role-assistant').waitFor();
  assert.match(await cv.locator('.cv-col[data-side="B"]').textContent(), /The answer is 7/);
  await look();

  // A tool-using sample: conversation with the call, its error and result; transcript beside it.
  await page.goto(`${server.url}#result=${encodeURIComponent(logs.tools)}&sample=t1_epoch_1`);
  const tv = page.locator(`.result-view[data-result="${logs.tools}"]`);
  const convo = tv.locator('.iv-convo');
  await convo.locator('.msg').first().waitFor();
  // Its table (behind the sample) counts one sample, in the singular.
  await tv.locator('.rv-count').filter({ hasText: /^1 sample$/ }).waitFor({ state: 'attached' });
  const calls = convo.locator('.toolcall');
  assert.equal(await calls.count(), 2);
  assert.equal(await calls.first().locator('.toolcall-name').textContent(), 'add');
  assert.match(await calls.first().locator('.toolcall-args').textContent(), /"a": -1/);
  assert.match(await calls.first().locator('.block.error').textContent(), /negative numbers are not supported/);
  assert.equal(await calls.nth(1).locator('.toolcall-result .md').textContent(), '42\n');
  const tr = tv.locator('.iv-transcript');
  assert.equal(await tr.locator('.iv-ev[data-kind="model"]').count(), 3);
  const tools = tr.locator('.iv-ev[data-kind="tool"]');
  assert.equal(await tools.count(), 2);
  assert.match(await tools.first().locator('.iv-ev-text').textContent(), /error: negative numbers/);
  // A model call at a glance: tokens in → out and its time; unfolded: its text and tool calls.
  const call = tr.locator('.iv-ev[data-kind="model"]').first();
  assert.match(await call.locator('.iv-ev-meta').textContent(), /60 → 8 tok/);
  // Each event is one line, inside the sample's pane (its time wrapped, and the line ran past the pane's edge).
  const lines = await tr.evaluate((t) => {
    const pane = /** @type {HTMLElement} */ (t.closest('.rv-sample')).getBoundingClientRect();
    return [...t.querySelectorAll('.iv-ev:not([hidden]) .iv-ev-line')].map((l) => { const r = l.getBoundingClientRect(); return { h: Math.round(r.height), over: Math.round(r.right - pane.right) }; });
  });
  assert.ok(lines.length >= 6 && lines.every((l) => l.h === lines[0].h && l.over <= 0), JSON.stringify(lines));
  await call.locator('summary').click();
  assert.match(await call.locator('.iv-ev-body').textContent(), /add\(\{"a":-1,"b":2\}\)/);
  // Folded kinds (state changes) are one click away.
  const state = tr.locator('.iv-ev[data-kind="state"]');
  assert.equal(await state.first().isVisible(), false);
  await tr.locator('.iv-kind[data-kind="state"]').click();
  assert.equal(await state.first().isVisible(), true);
  assert.match(await tv.locator('.sv-scores').textContent(), /match\s*C/);
  await look();
  assert.deepEqual([...unwarmed], [], 'fonts shown that the page had not laid out (add them to fontwarm.js)');

  assert.deepEqual(errors, []);
  await context.close();
});

test('an Inspect log with long inputs: each sample is one line and the table fits its pane', async () => {
  // The benchmark's kind of log: inputs of a few hundred characters.
  const py = execFileSync('bash', [path.join(REPO, 'tests/inspect/setup.sh'), 'path'], { encoding: 'utf8' }).trim();
  const out = path.join(server.root, 'made-big');
  const [made] = execFileSync(py, [path.join(REPO, 'tests/inspect/make_logs.py'), out, 'big', '12'], { encoding: 'utf8' }).trim().split('\n');
  copyFileSync(made, path.join(server.dir, 'logs', path.basename(made)));
  const name = `logs/${path.basename(made)}`;
  const { page, context, errors } = await openPage(browser, server.url, { width: 1400, height: 900 });
  await page.locator(`.result-item[data-name="${name}"]`).click({ timeout: 20_000 });
  const view = page.locator(`.result-view[data-result="${name}"]`);
  await view.locator('tr.srow').nth(11).waitFor();
  const fit = await view.evaluate((v) => {
    const rows = [...v.querySelectorAll('tr.srow')].map((r) => Math.round(r.getBoundingClientRect().height));
    const input = /** @type {HTMLElement} */ (v.querySelector('tr.srow td.input'));
    return { rows, tableRight: v.querySelector('.samples-table').getBoundingClientRect().right, paneRight: v.querySelector('.rv-list').getBoundingClientRect().right, inputCut: input.scrollWidth > input.clientWidth };
  });
  // One line of 12.5px text and its padding (the last row has no bottom border); "813 ms" wrapped onto a second line before.
  assert.ok(Math.max(...fit.rows) < 34 && Math.max(...fit.rows) - Math.min(...fit.rows) <= 1, `rows: ${fit.rows}`);
  assert.ok(fit.tableRight <= fit.paneRight, `the table ends at ${fit.tableRight}, its pane at ${fit.paneRight}`);
  assert.ok(fit.inputCut, 'the long input is cut to its column (shown whole in the sample)');
  assert.deepEqual(errors, []);
  await context.close();
});

test('an Inspect eval launched from the page: its Samples tab and its log fill as samples complete', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  const id = await launchFromPage(page, 'gated_eval.py');
  const rv = runView(page, id);
  await rv.locator('.subtab').filter({ hasText: 'Samples' }).click();
  // The log is listed as started and linked to its run; nothing done yet.
  const item = page.locator('.result-item[data-kind="inspect"][data-status="started"]');
  await item.waitFor({ timeout: 60_000 });
  assert.match(await item.textContent(), /0\/3 samples/);
  for (const [k, q] of [[1, 'q2'], [2, 'q1']]) {
    writeFileSync(path.join(server.dir, 'gates', q), '');
    const block = rv.locator(`.sample[data-sample="${q}_epoch_1"]`);
    await block.waitFor({ timeout: 30_000 });
    assert.match(await block.locator('.sample-reward').textContent(), /1/);
    await page.locator('.result-item[data-kind="inspect"]').filter({ hasText: `${k}/3 samples` }).waitFor({ timeout: 30_000 });
  }
  // The log's own view shows the finished samples while Inspect still writes it.
  await item.click();
  const view = page.locator('.result-view.inspect-view:not([hidden])');
  await view.locator('tr.srow').nth(1).waitFor();
  assert.equal(await view.locator('tr.srow').count(), 2);
  assert.equal(await view.locator('.badge').getAttribute('data-status'), 'started');
  writeFileSync(path.join(server.dir, 'gates', 'q3'), '');
  await view.locator('.badge[data-status="success"]').waitFor({ timeout: 60_000 });
  await view.locator('tr.srow').nth(2).waitFor();
  // Back to the run (its link in the log's header): its Samples tab has all three.
  assert.equal(await view.locator('.rv-run').getAttribute('data-run'), id);
  await view.locator('.rv-run').click();
  await rv.locator('.sample[data-sample="q3_epoch_1"]').waitFor({ timeout: 30_000 });
  assert.equal(await rv.locator('.sample').count(), 3);
  assert.deepEqual(errors, []);
  await context.close();
});
