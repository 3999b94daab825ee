// Stopping a run that ignores SIGTERM; two runs at once in tabs; a finished run
// reopened from the runs list with its full log; a line link.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, launchBrowser, openPage, launchFromPage, runView, collectAllLines, showSide } from '../helper.mjs';

let server, browser;
before(async () => { server = await Server.demo(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.close(); });

test('Stop (with confirmation) ends a run that ignores SIGTERM', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  const id = await launchFromPage(page, 'stubborn.py');
  const view = runView(page, id);
  await view.locator('.badge[data-status="running"]').waitFor();
  await view.locator('.log-row', { hasText: 'evaluating sample_0000' }).waitFor({ timeout: 20_000 });

  // Stop asks first; Cancel keeps it running.
  await view.locator('button.stop').click();
  await view.locator('.confirm').waitFor();
  await page.keyboard.press('Escape');
  await view.locator('.confirm').waitFor({ state: 'hidden' });
  assert.equal(await view.locator('.badge').getAttribute('data-status'), 'running');

  await view.locator('button.stop').click();
  await view.locator('.confirm-stop').click();
  await view.locator('.log-row', { hasText: 'got SIGTERM; ignoring it' }).waitFor({ timeout: 10_000 });
  await view.locator('.badge[data-status="stopped"]').waitFor({ timeout: 30_000 });
  assert.equal(await view.locator('button.stop').isVisible(), false, 'no Stop button on a stopped run');
  const run = await server.api(`/api/runs/${id}`);
  assert.equal(run.status, 'stopped');
  await showSide(page, 'runs');
  await page.locator(`.run-item[data-run="${id}"][data-status="stopped"]`).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('two runs at once: each tab shows its own output and status; a background finish is marked', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  const a = await launchFromPage(page, 'slow_eval.toml');
  await runView(page, a).locator('.log-row', { hasText: 'starting calc_full' }).waitFor({ timeout: 20_000 });
  const b = await launchFromPage(page, 'quick.py');
  const va = runView(page, a), vb = runView(page, b);
  await vb.locator('.log-row', { hasText: 'starting calc_quick' }).waitFor({ timeout: 20_000 });
  assert.equal(await page.locator('.tab').count(), 2);
  assert.equal(await va.isVisible(), false);
  assert.equal(await vb.locator('.log-row', { hasText: 'calc_full' }).count(), 0, 'B shows only its own output');

  // Switch to A while B finishes in the background: B's tab gets its ✓ mark, so does the title.
  await page.locator(`.tab[data-run="${a}"]`).click();
  await va.waitFor();
  await page.locator(`.tab[data-run="${b}"] .tab-mark`, { hasText: '✓' }).waitFor({ timeout: 60_000 });
  assert.match(await page.title(), /^✓/);
  assert.equal(await va.locator('.log-row', { hasText: 'calc_quick' }).count(), 0, 'A shows only its own output');
  await va.locator('.log-row', { hasText: 'evaluating sample_0002' }).waitFor({ timeout: 30_000 });

  // Back on B: the mark clears, its log is complete and in order.
  await page.locator(`.tab[data-run="${b}"]`).click();
  await page.waitForFunction((id) => !document.querySelector(`.tab[data-run="${id}"]`).classList.contains('unseen'), b);
  assert.doesNotMatch(await page.title(), /^✓/);
  const linesB = await collectAllLines(page, b);
  const logB = (await (await fetch(`${server.url}api/runs/${b}/log`)).text()).split('\n').filter((l) => l.length);
  const texts = [...linesB.entries()].sort((x, y) => x[0] - y[0]).map(([, t]) => t);
  assert.ok(texts.some((t) => t.includes('evaluating sample_0005')));
  for (const want of ['starting calc_quick', 'evaluating sample_0000', 'done: mean reward']) {
    assert.equal(texts.filter((t) => t.includes(want)).length, 1, `"${want}" exactly once in B`);
  }
  assert.ok(logB.length >= 20);

  // A kept streaming while B was shown.
  await page.locator(`.tab[data-run="${a}"]`).click();
  await va.locator('.log-row', { hasText: 'evaluating sample_0004' }).waitFor({ timeout: 30_000 });
  assert.equal(await va.locator('.log-row', { hasText: 'evaluating sample_0003' }).count(), 1);
  await server.api(`/api/runs/${a}/stop`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  await va.locator('.badge[data-status="stopped"]').waitFor({ timeout: 30_000 });
  assert.deepEqual(errors, []);
  await context.close();
});

test('a finished run reopens from the runs list with its full log; line links open it at the line', async () => {
  const id = await server.launch('quick.py');
  await server.waitFinished(id);
  const { page, context, errors } = await openPage(browser, server.url);
  await showSide(page, 'runs');
  await page.locator(`.run-item[data-run="${id}"]`).click();
  const view = runView(page, id);
  await view.locator('.badge[data-status="succeeded"]').waitFor();
  await view.locator('.log-row', { hasText: 'exited with code 0' }).waitFor();

  // Every line of the server's log, in order, exactly once (groups unfolded to compare).
  await view.locator('.log-row.grp .grp-toggle').click();
  const seen = await collectAllLines(page, id);
  const served = (await server.api(`/api/runs/${id}/log?format=json&after=0&limit=10000`)).records.filter((r) => r.type === 'stdout');
  const finalText = new Map();
  for (const r of served) {
    const t = r.text.replace(/\x1b\[[0-9;]*m/g, '');
    finalText.set(r.lineno, t.startsWith('::group::') ? `▾ ${t.slice(9)} (4 lines)` : t);
  }
  const want = [...finalText.entries()].filter(([, t]) => t !== '::endgroup::');
  assert.equal(seen.size, want.length, 'as many lines as the server has');
  for (const [n, t] of want) assert.equal(seen.get(n), t, `line ${n}`);

  // A line link opens the run scrolled to that line, highlighted (in a fresh page).
  const failed = served.find((r) => r.text.includes('FAILED')).lineno;
  // Links carry the program's line number: devloop's own lines (the `$ command` header) are not counted.
  const n = failed - new Set(served.filter((r) => r.stream === 'devloop' && r.lineno < failed).map((r) => r.lineno)).size;
  const { page: p2, context: c2 } = await openPage(browser, `${server.url}#run=${id}&line=${n}`);
  await runView(p2, id).locator(`.log-row.target[data-line="${failed}"]`).waitFor();
  assert.equal(await runView(p2, id).locator('.log-row.target .ln').textContent(), String(n));
  assert.match(await runView(p2, id).locator('.log-row.target').textContent(), /FAILED/);
  assert.deepEqual(errors, []);
  await c2.close();
  await context.close();
});

test('runs of one config are told apart by their launch time; a queued run shows its place in the queue', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  // Nothing else running (max_concurrent = 2 in the demo).
  for (const r of (await server.api('/api/runs')).runs) if (!['succeeded', 'failed', 'stopped', 'lost'].includes(r.status)) await server.api(`/api/runs/${r.run_id}/stop`, { method: 'POST' });
  /** @type {string[]} */
  const ids = [];
  for (let i = 0; i < 4; i++) {
    if (i) await new Promise((r) => setTimeout(r, 1100)); // launched in different seconds
    ids.push(await launchFromPage(page, 'ten_minutes.json'));
  }
  // Every tab is "ten_minutes.json" with its own time, the run id in its tooltip.
  const whens = [];
  for (const id of ids) {
    const tab = page.locator(`.tab[data-run="${id}"]`);
    assert.equal(await tab.locator('.tab-label').textContent(), 'ten_minutes.json');
    whens.push(await tab.locator('.tab-when').textContent());
    assert.match(await tab.getAttribute('title'), new RegExp(id));
  }
  whens.forEach((w) => assert.match(w, /^\d\d:\d\d:\d\d$/));
  assert.equal(new Set(whens).size, 4, `four different times: ${whens}`);

  // Two run, two wait: the later one is second in the queue.
  const place = async (id) => { await page.locator(`.tab[data-run="${id}"]`).click(); return runView(page, id).locator('.queue-place'); };
  await (await place(ids[3])).filter({ hasText: '2nd in queue · 2 running, max 2' }).waitFor();
  await (await place(ids[2])).filter({ hasText: '1st in queue · 2 running, max 2' }).waitFor();
  await runView(page, ids[2]).locator('.badge[data-status="queued"]').waitFor();
  assert.equal(await (await place(ids[0])).isVisible(), false, 'a running run has no place in the queue');
  await runView(page, ids[0]).locator('.badge[data-status="running"]').waitFor();

  // One ends: the first queued run starts, the other moves up.
  await server.api(`/api/runs/${ids[0]}/stop`, { method: 'POST' });
  await (await place(ids[3])).filter({ hasText: '1st in queue · 2 running, max 2' }).waitFor({ timeout: 20_000 });
  await (await place(ids[2])).waitFor({ state: 'hidden' });
  await runView(page, ids[2]).locator('.badge[data-status="running"]').waitFor({ timeout: 20_000 });

  for (const id of ids) await server.api(`/api/runs/${id}/stop`, { method: 'POST' }).catch(() => {});
  for (const id of ids) await server.waitFinished(id, 30_000);
  assert.deepEqual(errors, []);
  await context.close();
});

test('re-run launches the same config on the same target; a finished run is deleted after a confirmation', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  const a = await launchFromPage(page, 'quick.py');
  const va = runView(page, a);
  await va.locator('.badge[data-status="succeeded"]').waitFor({ timeout: 60_000 });

  // Re-run: a new run of quick.py, here (where the first one ran).
  /** @type {any[]} */
  const launches = [];
  page.on('request', (r) => { if (r.url().endsWith('/api/launch')) launches.push(JSON.parse(r.postData() || '{}')); });
  await va.locator('button.run-rerun').click();
  const b = await page.waitForFunction((old) => { const v = document.querySelector('.run-view:not([hidden])'); return v && v.dataset.run !== old ? v.dataset.run : null; }, a).then((h) => h.jsonValue());
  await runView(page, b).locator('.run-title', { hasText: 'quick.py' }).waitFor();
  assert.deepEqual(launches, [{ configName: 'quick.py', target: 'local' }]);
  const rb = await server.api(`/api/runs/${b}`);
  assert.equal(rb.config_name, 'quick.py');
  assert.equal(rb.target ?? null, (await server.api(`/api/runs/${a}`)).target ?? null);
  // A live run cannot be deleted: no Delete button until it ends.
  if (!['succeeded', 'failed', 'stopped', 'lost'].includes((await server.api(`/api/runs/${b}`)).status)) {
    assert.equal(await runView(page, b).locator('button.run-delete').isVisible(), false);
  }

  // Delete A: asks first; Cancel keeps it.
  await page.locator(`.tab[data-run="${a}"]`).click();
  await va.locator('button.run-delete').click();
  await va.locator('.confirm-delete-box').waitFor();
  await va.locator('.confirm-delete-box button', { hasText: 'Cancel' }).click();
  await va.locator('.confirm-delete-box').waitFor({ state: 'hidden' });
  assert.equal((await server.api(`/api/runs/${a}`)).run_id, a);
  // Confirmed: the tab closes, the runs list forgets it, the server too.
  await va.locator('button.run-delete').click();
  await va.locator('.confirm-delete').click();
  await page.locator(`.tab[data-run="${a}"]`).waitFor({ state: 'detached' });
  await showSide(page, 'runs');
  await page.locator(`.run-item[data-run="${a}"]`).waitFor({ state: 'detached' });
  await assert.rejects(server.api(`/api/runs/${a}`), /404/);
  await page.locator(`.run-item[data-run="${b}"]`).waitFor();
  await server.waitFinished(b);
  assert.deepEqual(errors, []);
  await context.close();
});
