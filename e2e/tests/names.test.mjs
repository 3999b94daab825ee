// Names as users give them: results, samples, configs and datasets named with
// spaces, parentheses, unicode, URL-special characters, HTML-looking text and
// control characters are listed, opened, compared and launched from the page;
// they survive the hash route and a reload; control characters are shown
// escaped; entries the server will not serve are listed greyed and inert.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Server, launchBrowser, openPage, runView, showSide } from '../helper.mjs';
import { writeResult } from '../fixtures.mjs';

const A = 'my eval (v2)_20261120_100000';
const B = '日本 r#1 100%_20261120_110000';
const SAMPLES = ['s 1', 'é#2', 'a+b&c=d %41', 'new\nline'];
const CAFE = 'café (v2).py';
const HTML = '<b>html</b>.py'; // a folder "<b>html<" holding "b>.py"
const NEWLINE = 'new\nline\tcfg.py';

/** A CSS attribute selector for `[attr="value"]` whatever the value holds. @param {string} attr @param {string} value */
const byAttr = (attr, value) => `[${attr}="${[...value].map((c) => /["\\]/.test(c) || c < ' ' ? `\\${c.charCodeAt(0).toString(16)} ` : c).join('')}"]`;

/** A result folder whose samples answer with text that names the result and the sample. */
function result(dir, name, evalName, rewards, time) {
  writeResult(dir, name, {
    report: { eval_name: evalName, dataset_path: 'datasets/q.jsonl', total_samples: SAMPLES.length, summary_metrics: { mean_reward: rewards.reduce((a, b) => a + b) / rewards.length }, timestamp: time },
    samples: SAMPLES.map((id, i) => ({ id, reward: rewards[i], messages: [{ role: 'user', content: `question for ${id}` }, { role: 'assistant', content: `ANSWER ${evalName} / ${id}` }] })),
  });
}

let server, browser;
before(async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'devloop-e2e-'));
  const dir = path.join(root, 'project');
  const put = (rel, content) => { mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true }); writeFileSync(path.join(dir, rel), content); };
  put('devloop.toml', '[launch]\ncommand = ["python3", "{config}"]\nenv = { PYTHONUNBUFFERED = "1" }\n[validate]\npy = ["python3", "-m", "py_compile", "{config}"]\n');
  put(`configs/${CAFE}`, 'import sys\nprint("hello from", sys.argv[0])\n');
  put(`configs/${HTML}`, 'print("<b>not bold</b> from a nested config")\n');
  put(`configs/${NEWLINE}`, 'print("from a name with a newline and a tab")\n');
  put('configs/plain.py', 'print("plain")\n');
  put('secret.py', 'print("outside")\n');
  symlinkSync('../secret.py', path.join(dir, 'configs', 'outside.py')); // points out of configs/: listed with the reason, never served
  put('datasets/données été.jsonl', '{"question": "q1", "answer": "a1"}\n{"question": "q2", "answer": "a2"}\n');
  put('datasets/broken (1).json', '[{"not": "finished"');
  result(dir, A, 'my eval (v2)', [1, 0, 1, 0], '2026-11-20T10:00:00');
  result(dir, B, '日本 r#1 100%', [1, 1, 0, 0], '2026-11-20T11:00:00');
  // A result folder whose name is not UTF-8: listed (under a lossy name) with the reason, not openable.
  mkdirSync(Buffer.concat([Buffer.from(path.join(dir, 'results') + '/'), Buffer.from([0x62, 0x61, 0x64, 0xff])]));
  server = new Server(dir, root);
  await server.start();
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await server?.close(); });

test('a result and its samples with odd names: opened from the list, kept across a reload, compared via the picker', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  await page.evaluate(() => { window.__sameDocument = true; });
  await page.locator(`.result-item${byAttr('data-name', A)}`).click();
  const rv = page.locator(`.result-view${byAttr('data-result', A)}`);
  await rv.locator('.rv-title', { hasText: 'my eval (v2)' }).waitFor();
  assert.equal(await rv.locator('.rv-name').textContent(), A);
  assert.equal(await page.locator(`.tab${byAttr('data-key', 'result:' + A)} .tab-label`).textContent(), 'my eval (v2) 10:00');
  await rv.locator('tbody .srow').nth(3).waitFor();
  // Ids shown as they are, the control character escaped (in the server's order: by file name).
  assert.deepEqual(await rv.locator('tbody .srow td.sid').allTextContents(), ['a+b&c=d %41', 'new\\nline', 's 1', 'é#2']);

  // A sample: its conversation; the hash names it, URL-encoded.
  await rv.locator(`tbody .srow${byAttr('data-id', 'é#2')}`).click();
  await rv.locator('.rv-sample .msg.role-assistant', { hasText: 'ANSWER my eval (v2) / é#2' }).waitFor();
  assert.equal(await page.evaluate(() => location.hash), `#result=${encodeURIComponent(A)}&sample=${encodeURIComponent('é#2')}`);
  // One whose id is full of URL syntax.
  await page.keyboard.press('Escape');
  await rv.locator(`tbody .srow${byAttr('data-id', 'a+b&c=d %41')}`).click();
  await rv.locator('.rv-sample .msg.role-assistant', { hasText: 'ANSWER my eval (v2) / a+b&c=d %41' }).waitFor();
  assert.equal(await rv.locator('.sv-id').textContent(), 'a+b&c=d %41');
  assert.equal(await page.evaluate(() => location.hash), `#result=${encodeURIComponent(A)}&sample=a%2Bb%26c%3Dd%20%2541`);
  // …and the one with a newline: shown escaped, still opens.
  await page.keyboard.press('j');
  await rv.locator('.rv-sample .msg.role-assistant', { hasText: 'ANSWER my eval (v2) / new' }).waitFor();
  assert.equal(await rv.locator('.sv-id').textContent(), 'new\\nline');
  assert.equal(await page.evaluate(() => location.hash), `#result=${encodeURIComponent(A)}&sample=new%0Aline`);

  // A reload on that hash lands on the same sample.
  await page.keyboard.press('k');
  await rv.locator('.sv-id', { hasText: 'a+b&c=d %41' }).waitFor();
  await page.reload();
  await rv.locator('.rv-sample .msg.role-assistant', { hasText: 'ANSWER my eval (v2) / a+b&c=d %41' }).waitFor();
  assert.equal(await rv.locator('.sv-id').textContent(), 'a+b&c=d %41');
  assert.equal(await page.locator('.result-view:not([hidden])').getAttribute('data-result'), A);
  // Following a link to another sample's hash opens it in place.
  await page.goto(`${server.url}#result=${encodeURIComponent(A)}&sample=s%201`);
  await rv.locator('.rv-sample .msg.role-assistant', { hasText: 'ANSWER my eval (v2) / s 1' }).waitFor();

  // Compare with the other odd-named result through the picker.
  await page.keyboard.press('Escape');
  await rv.locator('.rv-list').waitFor();
  const picker = rv.locator('.rv-compare-select');
  assert.equal(await picker.locator(`option${byAttr('value', B)}`).textContent().then((t) => t.startsWith('日本 r#1 100% · ')), true);
  await picker.selectOption(B);
  await rv.locator('.rv-compare').click();
  const cv = page.locator(`.compare-view${byAttr('data-a', A)}${byAttr('data-b', B)}`);
  await cv.locator('.cv-table tbody .srow').nth(3).waitFor();
  assert.equal(await cv.locator('.rv-count').textContent(), '2 changed of 4');
  assert.deepEqual((await cv.locator('.cv-table tbody td.sid').allTextContents()).sort(), ['a+b&c=d %41', 'new\\nline', 's 1', 'é#2'].sort());
  assert.equal(await page.evaluate(() => location.hash), `#compare=${encodeURIComponent(A)}&with=${encodeURIComponent(B)}`);
  assert.match(await page.locator('.tab.active .tab-label').textContent(), /^my eval \(v2\) ⇄ 日本 r#1 100%$/);
  await cv.locator(`.cv-table tbody .srow${byAttr('data-id', 'é#2')}`).click();
  await cv.locator('.cv-col[data-side="A"] .msg.role-assistant', { hasText: 'ANSWER my eval (v2) / é#2' }).waitFor();
  await cv.locator('.cv-col[data-side="B"] .msg.role-assistant', { hasText: 'ANSWER 日本 r#1 100% / é#2' }).waitFor();
  // A reload keeps the comparison and its pair; "Open ↗" opens B's own sample.
  await page.reload();
  await cv.locator('.cv-col[data-side="B"] .msg.role-assistant', { hasText: 'ANSWER 日本 r#1 100% / é#2' }).waitFor();
  await cv.locator('.cv-col[data-side="B"] .cv-col-head button', { hasText: 'Open' }).click();
  const rb = page.locator(`.result-view${byAttr('data-result', B)}`);
  await rb.locator('.rv-sample .msg.role-assistant', { hasText: 'ANSWER 日本 r#1 100% / é#2' }).waitFor();
  assert.equal(await page.evaluate(() => location.hash), `#result=${encodeURIComponent(B)}&sample=${encodeURIComponent('é#2')}`);

  // The folder the server cannot name is listed with the reason, greyed, and opens nothing.
  const bad = page.locator('.result-item.unusable');
  assert.equal(await bad.count(), 1);
  assert.match(await bad.locator('.result-error').textContent(), /not valid UTF-8/);
  assert.match(await bad.getAttribute('title'), /not valid UTF-8/);
  const tabs = await page.locator('.tab').count();
  await bad.click({ force: true });
  assert.equal(await page.locator('.tab').count(), tabs, 'no tab opened');
  assert.equal(await page.locator('.result-view:not([hidden])').getAttribute('data-result'), B);
  assert.deepEqual(errors, []);
  await context.close();
});

test('configs with odd names: listed (control characters escaped), opened, launched; one the server will not serve is greyed and inert', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  // The editor of café (v2).py: its hash, its title; Launch (validated, then launched) shows its output.
  await page.locator(`.config${byAttr('data-name', CAFE)}`).click();
  await page.locator(`.config${byAttr('data-name', CAFE)} .config-edit`).click();
  const view = page.locator(`.config-view${byAttr('data-config', CAFE)}`);
  await view.locator('.code-editor', { hasText: 'hello from' }).waitFor();
  assert.equal(await view.locator('.rv-title').textContent(), CAFE);
  assert.equal(await page.evaluate(() => location.hash), `#config=${encodeURIComponent(CAFE)}`);
  await view.locator('.cfg-launch').click();
  const runEl = page.locator('.run-view:not([hidden])');
  await runEl.waitFor();
  const id = await runEl.getAttribute('data-run');
  await runView(page, id).locator('.log-row', { hasText: `hello from configs/${CAFE}` }).waitFor({ timeout: 30_000 });
  await runView(page, id).locator('.badge[data-status="succeeded"]').waitFor({ timeout: 30_000 });
  assert.equal(await runView(page, id).locator('.run-title').textContent(), CAFE);
  assert.equal(await page.locator(`.tab[data-run="${id}"] .tab-label`).textContent(), CAFE);

  // The nested, HTML-looking name: shown as text, launched from the left pane, opened in the editor.
  const html = page.locator(`.config${byAttr('data-name', HTML)}`);
  assert.equal(await html.locator('.config-name').textContent(), HTML);
  assert.equal(await html.locator('.config-name b').count(), 0);
  await html.click();
  await page.locator('button.launch', { hasText: `Launch ${HTML}` }).click();
  const id2 = await page.waitForFunction((old) => { const v = document.querySelector('.run-view:not([hidden])'); return v && v.dataset.run !== old ? v.dataset.run : null; }, id).then((h) => h.jsonValue());
  const rv2 = runView(page, id2);
  await rv2.locator('.log-row', { hasText: '<b>not bold</b> from a nested config' }).waitFor({ timeout: 30_000 });
  assert.equal(await rv2.locator('.run-title').textContent(), HTML);
  assert.equal(await rv2.locator('.log-row b, .run-title b').count(), 0);
  await html.locator('.config-edit').click();
  await page.locator(`.config-view${byAttr('data-config', HTML)} .code-editor`, { hasText: 'not bold' }).waitFor();

  // A newline and a tab in the name: escaped in the list, the tab, the header and the title; it still opens and launches.
  const nl = page.locator(`.config${byAttr('data-name', NEWLINE)}`);
  assert.equal(await nl.locator('.config-name').textContent(), 'new\\nline\\tcfg.py');
  await nl.click();
  await nl.locator('.config-edit').click();
  const nv = page.locator(`.config-view${byAttr('data-config', NEWLINE)}`);
  await nv.locator('.code-editor', { hasText: 'a newline and a tab' }).waitFor();
  assert.equal(await nv.locator('.rv-title').textContent(), 'new\\nline\\tcfg.py');
  assert.equal(await page.locator('.tab.active .tab-label').textContent(), 'new\\nline\\tcfg.py');
  assert.match(await page.title(), /^new\\nline\\tcfg\.py — devloop/);
  await nv.locator('.cfg-launch').click();
  const id3 = await page.waitForFunction((old) => { const v = document.querySelector('.run-view:not([hidden])'); return v && !old.includes(v.dataset.run) ? v.dataset.run : null; }, [id, id2]).then((h) => h.jsonValue());
  await runView(page, id3).locator('.log-row', { hasText: 'from a name with a newline and a tab' }).waitFor({ timeout: 30_000 });
  assert.equal(await runView(page, id3).locator('.run-title').textContent(), 'new\\nline\\tcfg.py');
  await showSide(page, 'runs');
  assert.equal(await page.locator(`.run-item[data-run="${id3}"] .run-item-name`).textContent(), 'new\\nline\\tcfg.py');

  // A link out of configs/: listed with the reason, greyed, neither selected, launched nor opened.
  const out = page.locator('.config[data-name="outside.py"]');
  assert.ok(await out.evaluate((e) => e.classList.contains('bad') && e.getAttribute('aria-disabled') === 'true'));
  assert.match(await out.locator('.config-problem').textContent(), /outside the configs folder/);
  assert.match(await out.getAttribute('title'), /outside the configs folder/);
  assert.equal(await out.locator('.config-edit').count(), 0);
  const label = 'Launch new\\nline\\tcfg.py';
  await page.locator('button.launch:not(.ok):not(.bad):not(.busy)', { hasText: label }).waitFor();
  await out.click({ force: true }); // force: Playwright itself refuses to click what is aria-disabled
  await out.dblclick({ force: true });
  assert.equal(await page.locator('button.launch').textContent(), label, 'not selected');
  assert.equal(await out.getAttribute('aria-selected'), 'false');
  assert.equal(await page.locator('.config-view[data-config="outside.py"]').count(), 0, 'not opened');
  assert.deepEqual(errors, []);
  await context.close();
});

test('datasets with odd names: opened and routed by hash; one the server cannot read is greyed and inert', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  await showSide(page, 'datasets');
  const bad = page.locator(`.dataset-item${byAttr('data-name', 'broken (1).json')}`);
  assert.ok(await bad.evaluate((e) => e.classList.contains('unusable')));
  assert.ok((await bad.locator('.result-error').textContent()).length > 0, 'the reason is shown');
  await bad.click({ force: true });
  assert.equal(await page.locator('.dataset-view').count(), 0);
  await page.locator(`.dataset-item${byAttr('data-name', 'données été.jsonl')}`).click();
  const dv = page.locator(`.dataset-view${byAttr('data-dataset', 'données été.jsonl')}`);
  await dv.locator('tbody tr').nth(1).waitFor();
  assert.equal(await page.evaluate(() => location.hash), `#dataset=${encodeURIComponent('données été.jsonl')}`);
  await page.reload();
  await dv.locator('tbody tr').nth(1).waitFor();
  assert.equal(await dv.locator('.rv-title').textContent(), 'données été.jsonl');
  assert.deepEqual(errors, []);
  await context.close();
});
