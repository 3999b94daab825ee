// The server draws the results list into the page (server/first_paint.rs) so
// it shows before the page's modules have run; the page takes the pane as its
// own and draws the items again once it has read them. The two drawings are
// written apart (Rust and results.js): these tests hold them to the same
// markup over every kind of entry, check the list is there with no script at
// all, and that the server's drawing answers clicks and keys before the
// page's script is in (boot.js keeps them) and before it has read its lists.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { mkdirSync, copyFileSync, writeFileSync } from 'node:fs';
import { Server, REPO, launchBrowser, holdRoute } from '../helper.mjs';
import { writeResult } from '../fixtures.mjs';

let server, browser;

/** Local ISO time (no offset) `days` days ago at `hh:mm`, as rollouts writes report timestamps. */
function localStamp(days, hh, mm) {
  const d = new Date();
  d.setDate(d.getDate() - days);
  d.setHours(hh, mm, 0, 0);
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:00`;
}

before(async () => {
  server = await Server.project({ 'configs/quick.py': 'print("hi")\n' });
  const sample = (id, reward) => ({ id, reward, messages: [{ role: 'user', content: 'Q' }, { role: 'assistant', content: 'A' }] });
  const report = (eval_name, timestamp, metrics, n = 2) => ({ eval_name, timestamp, total_samples: n, summary_metrics: metrics, sample_ids: ['s1', 's2'].slice(0, n) });
  // Two of one eval today (each then named by its folder too), metrics of every shape.
  writeResult(server.dir, 'calc_20261125_231716_848593', { report: report('calc', localStamp(0, 9, 5), { mean_reward: 0.5, format_reward: 1, length_reward: 0.0625, tokens: 1234.25, note: null }), samples: [sample('s1', 0), sample('s2', 1)] });
  writeResult(server.dir, 'calc run 2 — ünïcödé "quoted" <b>', { report: report('calc', localStamp(0, 11, 40), { mean_reward: 1 }), samples: [sample('s1', 1), sample('s2', 1)] });
  // A carriage return in a folder's name (the parser would turn a raw one into a line feed).
  writeResult(server.dir, 'carriage\rreturn', { report: report('cr', localStamp(0, 8, 0), { mean_reward: 0 }, 1), samples: [sample('s1', 0)] });
  // Yesterday at midnight: always a day or more ago, so its tooltip gives the date and time.
  writeResult(server.dir, 'yesterday_eval', { report: report('other', localStamp(1, 0, 0), { mean_reward: 0.25 }, 1), samples: [sample('s1', 0.25)] });
  // An old one in September (en-GB writes its month "Sept").
  writeResult(server.dir, 'old_eval', { report: report('old', '2026-09-14T10:00:00', { mean_reward: 12345.678 }, 1), samples: [sample('s1', 1)] });
  // A malformed report and a folder without one (still running as far as anyone knows).
  writeResult(server.dir, 'broken', { report: '{"eval_name": ', samples: [sample('s1', 0)] });
  writeResult(server.dir, 'pending_20261201_101010', { samples: [sample('s1', 0)] });
  // Inspect logs of every status (the pinned inspect-ai writes them).
  const py = execFileSync('bash', [path.join(REPO, 'tests/inspect/setup.sh'), 'path'], { encoding: 'utf8' }).trim();
  const out = path.join(server.root, 'made');
  const made = execFileSync(py, [path.join(REPO, 'tests/inspect/make_logs.py'), out, 'suite'], { encoding: 'utf8' }).trim().split('\n');
  mkdirSync(path.join(server.dir, 'logs'), { recursive: true });
  for (const f of made) copyFileSync(f, path.join(server.dir, 'logs', path.basename(f)));
  writeFileSync(path.join(server.dir, 'logs', 'garbage.eval'), 'not a zip');
  // A dataset and a config that does not parse, for the other panes' lists.
  mkdirSync(path.join(server.dir, 'datasets'), { recursive: true });
  writeFileSync(path.join(server.dir, 'datasets', 'qa.jsonl'), '{"q": 1}\nnot json\n');
  writeFileSync(path.join(server.dir, 'configs', 'bad.toml'), 'command = [\n');
  // Started with all of it there, so the list the page reads is the one drawn.
  await server.kill();
  await server.start();
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await server?.close(); });

/** The list as the server drew it, and as the page drew it again. */
const DRAWN = '#runs .result-list[data-drawn]';
const OWN = '#runs .result-list:not([data-drawn])';

/**
 * In the page: `root`'s subtree as [tag, sorted attributes, children…] (text
 * as strings). How long ago a result was made ("5 min ago" in its tooltip)
 * may move between the two page loads, so it is compared as "(ago)"; the
 * server's `fmt_ago` has its own unit test.
 */
function tree(root) {
  const ago = (v) => v.replace(/ · (just now|\d+ min ago|\d+ h ago)/, ' · (ago)');
  /** @param {Node} n @returns {any} */
  const walk = (n) => n.nodeType === Node.TEXT_NODE ? n.textContent
    : [n.nodeName.toLowerCase(), [...n.attributes].filter((a) => a.name !== 'data-drawn').map((a) => `${a.name}=${a.name === 'title' ? ago(a.value) : a.value}`).sort().join(' '), ...[...n.childNodes].map(walk).filter((c) => c !== '')];
  return [...root.childNodes].map(walk);
}

async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  return { context, page, errors };
}

/** A page loaded with its read of the results list held: only the server's drawing stands until `release()`. */
async function pageWithListHeld() {
  const p = await newPage();
  const release = await holdRoute(p.page, '**/api/results?limit=200');
  await p.page.goto(server.url);
  // The page's script is in (it starts after the first frame, boot.js): only the lists are not.
  await p.page.waitForFunction(() => document.readyState === 'complete' && /** @type {any} */ (window).devloop);
  return { ...p, release };
}

test('the server draws the results list as the page does, and it is there with no script at all', async () => {
  // No script: only the server's drawing.
  const bare = await newPage();
  await bare.page.route('**/assets/js/**', (r) => r.abort());
  await bare.page.goto(server.url);
  const drawn = bare.page.locator(`${DRAWN} .result-item`);
  assert.ok(await drawn.count() >= 12, `every result and log is drawn (${await drawn.count()})`);
  await bare.page.locator(`${DRAWN} .result-item[data-name="old_eval"]`).waitFor();
  const serverSide = await bare.page.evaluate(tree, await bare.page.locator('#runs > .side-box[data-side="results"]').elementHandle());
  const serverTab = await bare.page.evaluate(tree, await bare.page.locator('#runs .side-tab[data-side="results"]').elementHandle());
  await bare.context.close();

  // The page's own drawing, once it has drawn the list again.
  const live = await newPage();
  await live.page.goto(server.url);
  await live.page.locator(`${OWN} .result-item[data-name="old_eval"]`).waitFor();
  assert.equal(await live.page.locator(DRAWN).count(), 0, 'the server\'s items are gone');
  const pageSide = await live.page.evaluate(tree, await live.page.locator('#runs > .side-box[data-side="results"]').elementHandle());
  const pageTab = await live.page.evaluate(tree, await live.page.locator('#runs .side-tab[data-side="results"]').elementHandle());
  assert.deepEqual(serverSide, pageSide);
  assert.deepEqual(serverTab, pageTab);
  // What the comparison covered (so it cannot pass on two empty lists).
  const text = JSON.stringify(pageSide);
  for (const seen of ['0.063', '1234.3', 'carriage\\rreturn', 'Today', 'Yesterday', 'Mon, 14 Sept 2026', 'calc run 2 — ünïcödé \\"quoted\\" <b>', 'malformed', 'inspect', 'cancelled', 'error', 'garbage.eval', '×2', '12345.7']) {
    assert.ok(text.includes(seen), `the compared lists hold ${seen}`);
  }
  assert.deepEqual(live.errors, []);
  await live.context.close();
});

test('a result clicked in the server\'s drawing, before the page has read its lists, opens', async () => {
  const { context, page, errors, release } = await pageWithListHeld();
  await page.locator(`${DRAWN} .result-item[data-name="yesterday_eval"]`).click();
  release();
  await page.locator('.result-view[data-result="yesterday_eval"] tr.srow').first().waitFor();
  // The page draws its own items once its read comes (after the view may have opened).
  await page.locator(`${OWN} .result-item.active[data-name="yesterday_eval"]`).waitFor();
  assert.equal(await page.locator('.result-view').count(), 1, 'opened once');
  assert.deepEqual(errors, []);
  await context.close();
});

for (const press of ['click', 'Enter']) {
  test(`a result pressed (${press}) in the server's drawing before the page's script is in opens once the script is`, async () => {
    const { context, page, errors } = await newPage();
    const releaseScript = await holdRoute(page, '**/assets/js/main.js');
    const releaseList = await holdRoute(page, '**/api/results?limit=200');
    await page.goto(server.url);
    const item = page.locator(`${DRAWN} .result-item[data-name="yesterday_eval"]`);
    if (press === 'click') await item.click();
    else { await item.focus(); await page.keyboard.press('Enter'); }
    assert.equal(await page.evaluate(() => 'devloop' in window), false, 'pressed before the script ran');
    releaseScript();
    await page.locator('.result-view[data-result="yesterday_eval"] tr.srow').first().waitFor();
    releaseList();
    await page.locator(`${OWN} .result-item.active[data-name="yesterday_eval"]`).waitFor();
    assert.equal(await page.locator('.result-view').count(), 1, 'opened once');
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test('a tab of the server\'s drawing clicked before the page has read its lists shows that tab', async () => {
  const { context, page, errors, release } = await pageWithListHeld();
  assert.equal(await page.locator(DRAWN).count(), 1, 'still the server\'s drawing');
  await page.locator('#runs .side-tab[data-side="runs"]').click();
  await page.locator('#runs > .side-tabs .side-tab.active[data-side="runs"]').waitFor();
  release();
  await page.locator('#runs .side-tab[data-side="results"]').click();
  await page.locator(`${OWN} .result-item[data-name="old_eval"]`).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('a result with the keyboard\'s focus keeps it when the page draws the list again', async () => {
  const { context, page, errors, release } = await pageWithListHeld();
  await page.locator(`${DRAWN} .result-item[data-name="old_eval"]`).focus();
  release();
  await page.locator(`${OWN} .result-item[data-name="old_eval"]`).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.closest('.result-list:not([data-drawn])') && /** @type {HTMLElement} */ (document.activeElement).dataset.name), 'old_eval');
  await page.keyboard.press('Enter');
  await page.locator('.result-view[data-result="old_eval"] tr.srow').first().waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('one who keeps the Runs tab open sees it at once, and the results list after', async () => {
  const { context, page, errors } = await newPage();
  await page.addInitScript(() => localStorage.setItem('devloop.side', 'runs'));
  await page.goto(server.url);
  await page.locator('#runs > .side-tabs .side-tab.active[data-side="runs"]').waitFor();
  assert.ok(await page.locator('#runs > .side-box[data-side="results"]').isHidden(), 'not the drawn Results tab');
  await page.locator('#runs .side-tab[data-side="results"]').click();
  await page.locator(`${OWN} .result-item[data-name="old_eval"]`).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('what the first frame shows is styled by the page alone: the views\' stylesheets change none of it', async () => {
  // The page carries only style.css; views.css and /highlight.css come with the views.
  await server.waitFinished(await server.launch('quick'));
  const { context, page, errors } = await newPage();
  await page.emulateMedia({ reducedMotion: 'reduce' }); // a pulsing dot is not a change of style
  const releases = [await holdRoute(page, '**/assets/views.css'), await holdRoute(page, '**/highlight.css')];
  await page.goto(server.url);
  await page.locator(`${OWN} .result-item[data-name="old_eval"]`).waitFor();
  await page.locator('#configs .config-name').first().waitFor();
  await page.locator('#runs .run-item').first().waitFor({ state: 'attached' });
  // Everything read (the project's name last): what changes after this is style, not content.
  await page.waitForFunction(() => document.getElementById('project')?.textContent && /** @type {any} */ (window).devloop?.synced);
  /** Every element's computed style, those of the first snapshot kept for the second. */
  const styles = () => page.evaluate(() => {
    const w = /** @type {any} */ (window);
    w.__els ??= [...document.body.querySelectorAll('*')];
    return w.__els.map((/** @type {Element} */ e) => {
      if (!e.isConnected) return null;
      const c = getComputedStyle(e);
      const o = {};
      for (let i = 0; i < c.length; i++) o[c[i]] = c.getPropertyValue(c[i]);
      return { at: `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}.${[...e.classList].join('.')}`, text: e.textContent, o };
    });
  });
  const first = await styles();
  assert.equal(await page.evaluate(() => [...document.styleSheets].filter((s) => s.href).length), 0, 'only the page\'s own stylesheet so far');
  for (const r of releases) r();
  await page.waitForFunction(() => ['/assets/views.css', '/highlight.css'].every((h) => [...document.styleSheets].some((s) => s.href?.endsWith(h))));
  const second = await styles();
  const changed = [];
  first.forEach((a, i) => {
    const b = second[i];
    if (!a || !b || a.text !== b.text) return; // drawn again with other content (a count, a time)
    for (const k of Object.keys(a.o)) if (a.o[k] !== b.o[k]) changed.push(`${a.at} ${k}: ${a.o[k]} → ${b.o[k]}`);
  });
  assert.deepEqual(changed, []);
  // What the comparison covered: every pane's list, with items of each kind.
  const covered = first.filter(Boolean).map((x) => x.at).join(' ');
  for (const seen of ['.result-item', '.day-head', '.group-head', '.dot.rs-success', '.config-name', '.run-item', '.side-tab', 'button#theme-toggle', 'kbd']) {
    assert.ok(covered.includes(seen), `the compared elements hold ${seen}`);
  }
  assert.deepEqual(errors, []);
  await context.close();
});
