// Untrusted text is shown as text: HTML in a run's output, in a result's
// folder name and in its eval name never becomes markup, and no script runs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, launchBrowser, openPage, runView, showSide } from '../helper.mjs';
import { writeResult } from '../fixtures.mjs';

const EVIL = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
let server, browser;

before(async () => {
  server = await Server.project({
    'devloop.toml': '[launch]\ncommand = ["python3", "{config}"]\n',
    'configs/html.py': `print(${JSON.stringify(EVIL)})\nprint("after the html")\n`,
  });
  writeResult(server.dir, '<b>bold<b> folder <img src=y onerror=window.__pwned=3>', {
    report: { eval_name: `<i>eval</i>${EVIL}`, total_samples: 0, summary_metrics: { mean_reward: 0.5 } },
    samples: [],
  });
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await server?.close(); });

test('HTML in log lines and result names is shown as text and runs nothing', async () => {
  const { page, context } = await openPage(browser, server.url);
  const id = await server.launch('html.py');
  await page.goto(`${server.url}#run=${id}`);
  const view = runView(page, id);
  await view.locator('.log-row', { hasText: 'after the html' }).waitFor({ timeout: 20_000 });
  const row = view.locator('.log-row', { hasText: '<script>window.__pwned=2</script>' });
  await row.waitFor();
  assert.equal(await view.locator('.log-row img, .log-row script').count(), 0, 'no markup from the log');
  await showSide(page, 'results');
  // The eval name heads its group, as text.
  await page.locator('.group-name', { hasText: '<i>eval</i><img src=x' }).waitFor();
  await page.locator('.result-item').first().waitFor();
  assert.equal(await page.locator('#runs img, #runs b, #runs i, #runs script').count(), 0, 'no markup from names');
  assert.equal(await page.evaluate(() => window.__pwned), undefined, 'no script ran');
  await context.close();
});
