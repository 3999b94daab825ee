// Configs: the editor (edit, save, unsaved mark), the form (inferred and from
// _schema.json) in step with the text, validation with the line marked, copy,
// conflicts with changes on disk, launch of an edited config; saving one
// with errors asks first; datasets; the configs pane folded at 800 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Server, launchBrowser, openPage, runView, showSide } from '../helper.mjs';

let server, browser;
before(async () => { server = await Server.demo(); browser = await launchBrowser(); });
after(async () => { await browser?.close(); await server?.close(); });

const cfgPath = (name) => path.join(server.dir, 'configs', name);

/** Open a config's editor from the left pane. */
async function openEditor(page, name) {
  await page.locator(`.config[data-name="${name}"]`).click();
  await page.locator(`.config[data-name="${name}"] .config-edit`).click();
  const view = page.locator(`.config-view[data-config="${name}"]`);
  await view.locator('.code-lines div').first().waitFor();
  return view;
}

/** Type on a new line after the editor's last line. */
async function typeAtEnd(page, view, text) {
  await view.locator('.code-editor').click();
  await page.keyboard.press('Control+End');
  await page.keyboard.press('Enter');
  await page.keyboard.type(text);
}

const editorText = (view) => view.locator('.code-editor').evaluate((e) => e.textContent);

test('edit and save: colours and line numbers, unsaved mark, closing asks first, Ctrl+S saves', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  const view = await openEditor(page, 'slow_eval.toml');
  assert.equal(await view.locator('.code-lines div').count(), 6);
  assert.ok(await view.locator('.code-editor .token.string').count() > 0, 'syntax colours');
  assert.ok(await view.locator('.code-editor .token.comment').count() > 0);
  const tab = page.locator('.tab[data-key="config:slow_eval.toml"]');
  assert.equal(await tab.evaluate((t) => t.classList.contains('dirty')), false);

  await typeAtEnd(page, view, 'extra_note = "hello"');
  await page.waitForFunction(() => document.querySelector('.tab[data-key="config:slow_eval.toml"]').classList.contains('dirty'));
  assert.match(await view.locator('.cfg-state').textContent(), /unsaved/);
  assert.equal(await view.locator('.code-lines div').count(), 7);

  // Closing an unsaved tab asks; dismissing keeps it.
  let asked = '';
  page.once('dialog', (d) => { asked = d.message(); d.dismiss(); });
  await tab.locator('.tab-close').click();
  assert.match(asked, /unsaved/);
  assert.equal(await tab.count(), 1);

  await view.locator('.code-editor').click();
  await page.keyboard.press('Control+s');
  await page.waitForFunction(() => !document.querySelector('.tab[data-key="config:slow_eval.toml"]').classList.contains('dirty'));
  assert.match(readFileSync(cfgPath('slow_eval.toml'), 'utf8'), /seed = 1\nextra_note = "hello"/);

  // Tab indents; Ctrl+Z undoes.
  await typeAtEnd(page, view, '');
  await page.keyboard.press('Tab');
  await page.keyboard.type('zz');
  assert.match(await editorText(view), /\n {2}zz/);
  await page.keyboard.press('Control+z');
  await page.waitForFunction(() => !document.querySelector('.config-view[data-config="slow_eval.toml"] .code-editor').textContent.includes('zz'));
  assert.deepEqual(errors, []);
  await context.close();
});

test('the form follows the file (TOML and YAML, comments kept) and a _schema.json; it stays in step with the text', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  const view = await openEditor(page, 'slow_eval.toml');
  await view.locator('.cfg-mode-form').click();
  const seed = view.locator('.field[data-path="seed"] input');
  assert.equal(await seed.inputValue(), '1');
  assert.equal(await view.locator('.field[data-path="eval_name"]').getAttribute('data-type'), 'string');
  await seed.fill('9');
  await view.locator('.cfg-mode-text').click();
  const text = await editorText(view);
  assert.match(text, /^# A slower evaluation/, 'the comment is kept');
  assert.match(text, /\nseed = 9\n/);
  // …and text edits show in the form.
  await typeAtEnd(page, view, 'temperature = 0.7');
  await view.locator('.cfg-mode-form').click();
  assert.equal(await view.locator('.field[data-path="temperature"] input').inputValue(), '0.7');
  await view.locator('.cfg-mode-text').click();
  await view.locator('.code-editor').click();
  await page.keyboard.press('Control+s');
  await page.waitForFunction(() => !document.querySelector('.tab[data-key="config:slow_eval.toml"]').classList.contains('dirty'));

  // A project schema: enums as selects, min/max, required, descriptions as help.
  writeFileSync(cfgPath('_schema.json'), JSON.stringify({
    type: 'object', required: ['model'],
    properties: {
      model: { type: 'string', enum: ['small', 'large'], description: 'Which model answers' },
      temperature: { type: 'number', minimum: 0, maximum: 2, description: 'Sampling temperature' },
      samples: { type: 'integer', minimum: 1 },
    },
  }));
  const { page: p2, context: c2 } = await openPage(browser, server.url);
  const jv = await openEditor(p2, 'ten_minutes.json');
  await jv.locator('.cfg-mode-form').click();
  const model = jv.locator('.field[data-path="model"] select');
  await model.waitFor();
  assert.deepEqual(await model.locator('option').allTextContents(), ['small', 'large']);
  assert.match(await jv.locator('.field[data-path="model"] .field-label').textContent(), /\*/);
  assert.equal(await jv.locator('.field[data-path="temperature"] .field-help').textContent(), 'Sampling temperature');
  await jv.locator('.field[data-path="temperature"] input').fill('3');
  assert.equal(await jv.locator('.field[data-path="temperature"] .field-err').textContent(), 'at most 2');
  await jv.locator('.field[data-path="temperature"] input').fill('1.5');
  await model.selectOption({ label: 'large' });
  await jv.locator('.cfg-mode-text').click();
  const json = JSON.parse(await editorText(jv));
  assert.equal(json.model, 'large');
  assert.equal(json.temperature, 1.5);
  assert.equal(json.eval_name, 'calc_long', 'keys outside the schema are kept');

  // YAML too, comments kept.
  writeFileSync(cfgPath('exp.yaml'), '# an experiment\nmodel: small\nsamples: 3  # a few\n');
  await p2.locator('.config[data-name="exp.yaml"]').waitFor();
  const yv = await openEditor(p2, 'exp.yaml');
  await yv.locator('.cfg-mode-form').click();
  await yv.locator('.field[data-path="model"] select').selectOption({ label: 'large' });
  await yv.locator('.field[data-path="samples"] input').fill('5');
  await yv.locator('.cfg-mode-text').click();
  const yaml = await editorText(yv);
  assert.match(yaml, /^# an experiment\nmodel: large\nsamples: 5 +# a few\n$/);
  // The schema is this test's: the demo's other configs do not follow it (saving them would ask).
  rmSync(cfgPath('_schema.json'));
  assert.deepEqual(errors, []);
  await c2.close();
  await context.close();
});

test('validation shows problems with their line marked; Launch refuses an invalid config', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  const view = await openEditor(page, 'quick.py');
  await typeAtEnd(page, view, 'broken = (1,');
  await view.locator('.cfg-validate').click();
  const where = view.locator('.problem-where').first();
  await where.waitFor();
  const line = Number((await where.textContent()).match(/line (\d+)/)[1]);
  assert.equal(line, 5);
  assert.match(await view.locator('.cfg-problems').textContent(), /never closed|SyntaxError/);
  assert.match(await view.locator('.problem-output').textContent(), /SyntaxError/, "the validator's output");
  assert.equal(await view.locator('.code-lines .err').textContent(), '5');
  assert.equal(await view.locator('.code-mark').getAttribute('data-line'), '5');

  const runsBefore = (await server.api('/api/runs')).runs.length;
  await view.locator('.cfg-launch').click();
  await view.locator('.cfg-notice', { hasText: 'Not launched' }).waitFor();
  assert.equal((await server.api('/api/runs')).runs.length, runsBefore, 'nothing was launched');
  assert.equal(await page.locator('.run-view').count(), 0);
  assert.doesNotMatch(readFileSync(cfgPath('quick.py'), 'utf8'), /broken/, 'an invalid config is not saved by Launch');
  assert.deepEqual(errors, []);
  await context.close();
});

test('saving a config with errors asks first, in plain words: Cancel keeps it unsaved, Save anyway saves it', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  const view = await openEditor(page, 'slow_eval.toml');
  const before = readFileSync(cfgPath('slow_eval.toml'), 'utf8');
  await typeAtEnd(page, view, 'samples = = 3');
  const dirty = () => page.locator('.tab[data-key="config:slow_eval.toml"]').evaluate((t) => t.classList.contains('dirty'));

  // Ctrl+S asks, saying what is wrong and where (not "invalid string, expected …").
  await page.keyboard.press('Control+s');
  const ask = view.locator('.cfg-notice.ask-save');
  await ask.waitFor();
  const L = before.replace(/\n$/, '').split('\n').length + 1; // the line typed
  assert.match(await ask.locator('.cfg-notice-text').textContent(), new RegExp(`^This config has errors: line ${L}, column 11: there is one \`=\` too many.*Save anyway\\?$`));
  assert.equal(await view.locator('.code-lines .err').textContent(), String(L), 'the line is marked');
  assert.match(await view.locator('.problem-detail').textContent(), /invalid string/, "the parser's words are kept beside");
  // Cancel: nothing saved, still unsaved.
  await ask.locator('button', { hasText: 'Cancel' }).click();
  await ask.waitFor({ state: 'hidden' });
  assert.equal(readFileSync(cfgPath('slow_eval.toml'), 'utf8'), before);
  assert.equal(await dirty(), true);
  assert.match(await view.locator('.cfg-state').textContent(), /unsaved/);

  // The Save button asks the same; "Save anyway" saves what is there.
  await view.locator('.cfg-save').click();
  await ask.waitFor();
  await ask.locator('button', { hasText: 'Save anyway' }).click();
  await page.waitForFunction(() => !document.querySelector('.tab[data-key="config:slow_eval.toml"]').classList.contains('dirty'));
  assert.match(readFileSync(cfgPath('slow_eval.toml'), 'utf8'), /\nsamples = = 3\n?$/);

  writeFileSync(cfgPath('slow_eval.toml'), before); // later tests launch it

  // A valid edit saves without asking.
  const quick = await openEditor(page, 'quick.py');
  await typeAtEnd(page, quick, '# fine');
  await page.keyboard.press('Control+s');
  await page.waitForFunction(() => !document.querySelector('.tab[data-key="config:quick.py"]').classList.contains('dirty'));
  assert.match(readFileSync(cfgPath('quick.py'), 'utf8'), /# fine/);
  assert.equal(await quick.locator('.cfg-notice.ask-save').isVisible(), false);
  assert.equal(await ask.isVisible(), false);
  assert.deepEqual(errors, []);
  await context.close();
});

test('launch from an edited config: validated, saved, launched with the edit; the run shows its exact config', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  const view = await openEditor(page, 'stubborn.py');
  await typeAtEnd(page, view, 'SAMPLES = 2\nIGNORE_SIGTERM = False\nDELAY = 0.01\nDURATION = 0');
  await view.locator('.cfg-launch').click();
  const runEl = page.locator('.run-view:not([hidden])');
  await runEl.waitFor();
  const id = await runEl.getAttribute('data-run');
  await runView(page, id).locator('.badge[data-status="succeeded"]').waitFor({ timeout: 60_000 });
  const used = await server.api(`/api/runs/${id}/config`);
  assert.match(used.content, /\nSAMPLES = 2\nIGNORE_SIGTERM = False\nDELAY = 0.01\nDURATION = 0\n?$/);
  assert.equal(readFileSync(cfgPath('stubborn.py'), 'utf8'), used.content, 'saved before launching');

  // The config's tab lists the run; its exact config can be diffed and copied.
  await page.locator('.tab[data-key="config:stubborn.py"]').click();
  const run = view.locator(`.cfg-run[data-run="${id}"]`);
  await run.waitFor();
  await run.locator('.cfg-run-config').click();
  await view.locator('.diff.runcfg', { hasText: 'SAMPLES = 2' }).waitFor();
  await typeAtEnd(page, view, '# after the run');
  await view.locator('.cfg-runcfg-diff').click();
  await view.locator('.diff-line.add', { hasText: '# after the run' }).waitFor();
  // The run's view links to its config too.
  await page.locator(`.tab[data-run="${id}"]`).click();
  await runView(page, id).locator('.run-config').click();
  await view.locator('.diff.runcfg').waitFor();
  await view.locator('.cfg-runcfg-copy').click();
  await view.locator('.cfg-copy-name').fill('from_run.py');
  await view.locator('.cfg-copy-go').click();
  await page.locator('.config-view[data-config="from_run.py"]').waitFor();
  assert.equal(readFileSync(cfgPath('from_run.py'), 'utf8'), used.content);
  assert.deepEqual(errors, []);
  await context.close();
});

test('copy: the suggested name prefilled, the server\'s name errors shown, the copy opened', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  const view = await openEditor(page, 'stress_flood.py');
  await view.locator('.cfg-copy').click();
  const input = view.locator('.cfg-copy-name');
  assert.equal(await input.inputValue(), '01_stress_flood.py');
  await input.fill('../evil.py');
  await view.locator('.cfg-copy-go').click();
  await view.locator('.cfg-copy-error', { hasText: /invalid name/ }).waitFor();
  await input.fill('flood_copy.py');
  await view.locator('.cfg-copy-go').click();
  await page.locator('.config-view[data-config="flood_copy.py"]:not([hidden])').waitFor();
  await page.locator('.config[data-name="flood_copy.py"]').waitFor();
  assert.equal(readFileSync(cfgPath('flood_copy.py'), 'utf8'), readFileSync(cfgPath('stress_flood.py'), 'utf8'));
  assert.deepEqual(errors, []);
  await context.close();
});

test('changes on disk: an unmodified tab reloads; a modified one is warned, and Save offers compare and overwrite', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  const view = await openEditor(page, 'ten_minutes.json');
  const orig = readFileSync(cfgPath('ten_minutes.json'), 'utf8');
  writeFileSync(cfgPath('ten_minutes.json'), orig.replace('calc_long', 'calc_disk1'));
  await page.waitForFunction(() => document.querySelector('.config-view[data-config="ten_minutes.json"] .code-editor').textContent.includes('calc_disk1'));
  await view.locator('.cfg-notice', { hasText: 'Reloaded' }).waitFor();

  await typeAtEnd(page, view, '');
  await page.waitForFunction(() => document.querySelector('.tab[data-key="config:ten_minutes.json"]').classList.contains('dirty'));
  writeFileSync(cfgPath('ten_minutes.json'), orig.replace('calc_long', 'calc_disk2'));
  await view.locator('.cfg-notice', { hasText: 'changed on disk while you were editing' }).waitFor();
  assert.match(await editorText(view), /calc_disk1/, 'my edits are not replaced');

  await view.locator('.cfg-save').click();
  const notice = view.locator('.cfg-notice.conflict', { hasText: 'changed elsewhere' });
  await notice.waitFor();
  await notice.locator('button', { hasText: 'Compare' }).click();
  await view.locator('.diff-line.del', { hasText: 'calc_disk2' }).waitFor();
  await view.locator('.diff-line.add', { hasText: 'calc_disk1' }).waitFor();
  await notice.locator('button', { hasText: 'Overwrite' }).click();
  await page.waitForFunction(() => !document.querySelector('.tab[data-key="config:ten_minutes.json"]').classList.contains('dirty'));
  assert.match(readFileSync(cfgPath('ten_minutes.json'), 'utf8'), /calc_disk1/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('datasets: listed with rows, previewed as a table; their fields shown beside the editor', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  await showSide(page, 'datasets');
  const item = page.locator('.dataset-item[data-name="arith.jsonl"]');
  assert.match(await item.textContent(), /20 rows/);
  await item.click();
  const dv = page.locator('.dataset-view[data-dataset="arith.jsonl"]');
  await dv.locator('tbody tr').first().waitFor();
  assert.deepEqual(await dv.locator('thead th').allTextContents(), ['#', 'question', 'answer']);
  assert.equal(await dv.locator('tbody tr').count(), 20);
  assert.equal(await dv.locator('tbody tr').first().locator('td').nth(1).textContent(), 'What is 17 * 25?');
  const view = await openEditor(page, 'slow_eval.toml');
  await view.locator('.field-chip', { hasText: '{question}' }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('datasets: rows that are not valid JSON are counted and marked, not shown as empty rows', async () => {
  writeFileSync(path.join(server.dir, 'datasets', 'broken.jsonl'), '{"q": "one", "a": 1}\n{"q": "two", \n\n{"q": "three", "a": 3}\n');
  const { page, context, errors } = await openPage(browser, server.url);
  await showSide(page, 'datasets');
  const item = page.locator('.dataset-item[data-name="broken.jsonl"]');
  await item.waitFor({ timeout: 15_000 });
  assert.match(await item.locator('.dataset-sub').textContent(), /^3 rows, 1 not valid JSON · /);
  await item.click();
  const dv = page.locator('.dataset-view[data-dataset="broken.jsonl"]');
  await dv.locator('tbody tr').nth(2).waitFor();
  assert.equal(await dv.locator('.ds-rows').textContent(), '3 rows, 1 not valid JSON');
  assert.deepEqual(await dv.locator('thead th').allTextContents(), ['#', 'q', 'a']);
  assert.equal(await dv.locator('tbody tr').count(), 3);
  const bad = dv.locator('tbody tr.ds-bad');
  assert.equal(await bad.count(), 1);
  assert.equal(await bad.locator('td').first().textContent(), '1');
  assert.match(await bad.locator('.ds-bad-cell').textContent(), /^⚠ row 2 is not valid JSON/);
  assert.equal(await dv.locator('tbody tr').nth(2).locator('td').nth(1).textContent(), 'three');
  assert.deepEqual(errors, []);
  await context.close();
});

test('at 800 px the configs pane collapses to a rail, giving the main pane its width, and stays so across reloads', async () => {
  const { page, context, errors } = await openPage(browser, server.url, { width: 800 });
  await openEditor(page, 'slow_eval.toml');
  const width = (sel) => page.locator(sel).evaluate((e) => e.getBoundingClientRect().width);
  const open = await width('main.pane.main');
  assert.ok(open < 640, `the configs pane takes room at first (main pane ${open} px)`);

  await page.locator('button.configs-collapse').click();
  await page.locator('.config').first().waitFor({ state: 'hidden' });
  const folded = await width('main.pane.main');
  assert.ok(folded >= 760, `the main pane gets the width (${folded} px of 800)`);
  assert.ok(await width('#configs') <= 40, 'only the rail is left');
  assert.ok((await width('.config-view .code-editor')) > open, 'the editor grew with it');

  // Remembered: a reload comes back folded; the rail opens it again, also remembered.
  await page.reload();
  await page.locator('.configs-rail').waitFor();
  assert.equal(await page.locator('.config').first().isVisible(), false);
  assert.ok(await width('main.pane.main') >= 760);
  await page.locator('.configs-rail').click();
  await page.locator('.config').first().waitFor();
  assert.ok(Math.abs((await width('main.pane.main')) - open) <= 1, 'back to the width it had');
  await page.reload();
  await page.locator('.config').first().waitFor();
  assert.equal(await page.locator('.configs-rail').isVisible(), false);
  assert.deepEqual(errors, []);
  await context.close();
});
