// Being told when it matters: with notification permission granted and the
// bell on, a run's end and a line matching [notify] patterns each raise a
// browser notification (Chromium's own Notification API, recorded as it is
// called). The run header shows what the run uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Server, launchBrowser, launchFromPage, runView } from '../helper.mjs';

test('a run end and a matching line notify; the header shows CPU and memory', async () => {
  const s = await Server.project({
    'devloop.toml': '[launch]\ncommand = ["python3", "{config}"]\n[notify]\npatterns = ["Traceback", "CUDA out of memory"]\n',
    'configs/oom.py': "import time\nb = bytearray(64 << 20)\nb[::4096] = b'x' * len(b[::4096])\nt = time.time()\nwhile time.time() - t < 2.5: pass\nprint('RuntimeError: CUDA out of memory', flush=True)\ntime.sleep(0.5)\nraise SystemExit(2)\n",
  });
  const browser = await launchBrowser();
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    await context.grantPermissions(['notifications'], { origin: s.url.replace(/\/$/, '') });
    await context.addInitScript(() => {
      const Real = window.Notification;
      /** @type {{title: string, body: string}[]} */
      const shown = [];
      Object.defineProperty(window, 'shownNotifications', { value: shown });
      class Recorded extends Real {
        constructor(title, opts) { super(title, opts); shown.push({ title, body: opts?.body || '' }); }
      }
      window.Notification = Recorded;
    });
    const page = await context.newPage();
    await page.goto(s.url);
    await page.locator('.config').first().waitFor();
    await page.locator('#notify-toggle').click();
    assert.equal(await page.locator('#notify-toggle').getAttribute('aria-pressed'), 'true');
    const id = await launchFromPage(page, 'oom.py');
    const view = runView(page, id);
    await view.locator('.gauges .gauge[data-gauge="Memory"] .gauge-now').filter({ hasText: /MiB/ }).waitFor({ timeout: 20_000 });
    await page.waitForFunction(() => window.shownNotifications.some((n) => n.title.includes('CUDA out of memory')), null, { timeout: 20_000 });
    await page.waitForFunction(() => window.shownNotifications.some((n) => /oom\.py failed/.test(n.title)), null, { timeout: 20_000 });
    const shown = await page.evaluate(() => window.shownNotifications);
    const alert = shown.find((n) => n.title.includes('CUDA'));
    assert.match(alert.body, /line \d+: RuntimeError: CUDA out of memory/);
    assert.match(shown.find((n) => n.title.includes('failed')).title, /exit 2/);
    const peak = await view.locator('.gauge[data-gauge="Memory"] .gauge-peak').textContent();
    assert.match(peak, /peak (6\d|7\d|8\d|9\d|\d{3}) MiB/);
    await page.screenshot({ path: 'screenshots/notify-gauges.png' });
  } finally {
    await browser.close();
    await s.close();
  }
});
