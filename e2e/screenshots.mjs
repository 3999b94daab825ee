// Screenshots of the page for a human to look at: 1280×800 and 800 px wide,
// dark and light, with a live evaluation run (output and samples) open.
// Usage: node screenshots.mjs  → e2e/screenshots/*.png
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Server, launchBrowser, openPage, launchFromPage, runView, SHOTS } from './helper.mjs';

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
      const id = await launchFromPage(page, 'full_eval.toml');
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
  console.log(`screenshots in ${SHOTS}`);
} finally {
  await browser.close();
  await server.close();
}
