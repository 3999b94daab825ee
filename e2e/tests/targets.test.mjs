// A run on another machine, from the page: pick the target beside Launch,
// launch, watch it stream; the header says where it runs. Uses the real test
// sshd (tests/targets/sshd.sh up, which ./run-tests does as root).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { Server, REPO, launchBrowser, openPage, launchFromPage, runView } from '../helper.mjs';

/** The facts `tests/targets/sshd.sh env` prints, as an object. */
function sshEnv() {
  const out = execFileSync('bash', [path.join(REPO, 'tests/targets/sshd.sh'), 'env'], { encoding: 'utf8' });
  return Object.fromEntries(out.split('\n').filter((l) => l.startsWith('export ')).map((l) => {
    const [k, ...v] = l.slice(7).split('=');
    return [k, v.join('=').replace(/^["']|["']$/g, '')];
  }));
}

test('pick a target beside Launch, launch, watch it stream from there', async () => {
  const env = sshEnv();
  const s = await Server.project({
    'devloop.toml': `[launch]\ncommand = ["python3", "{config}"]\n[targets.gpu-box]\nssh = "${env.DEVLOOP_SSH_HOST}"\nssh_config = "${env.DEVLOOP_SSH_CONFIG}"\n`,
    'configs/remote.py': "import os, time\nprint('running as', os.environ.get('USER'), flush=True)\nfor i in range(1, 31):\n    print('remote line', i, flush=True)\n    time.sleep(0.05)\n",
  });
  const browser = await launchBrowser();
  try {
    const { page, errors } = await openPage(browser, s.url);
    const pick = page.locator('select.target-pick');
    await pick.waitFor();
    await page.locator('select.target-pick option[value="gpu-box"]').waitFor({ state: 'attached' });
    assert.match(await page.locator('select.target-pick option[value="gpu-box"]').textContent(), /gpu-box · ssh · Linux/);
    await page.locator('.config[data-name="remote.py"]').click();
    await pick.selectOption('gpu-box');
    const id = await launchFromPage(page, 'remote.py');
    const view = runView(page, id);
    await view.locator('.log-row', { hasText: 'running as devloop-remote' }).waitFor({ timeout: 30_000 });
    await view.locator('.log-row', { hasText: 'remote line 30' }).waitFor({ timeout: 30_000 });
    await view.locator('.badge[data-status="succeeded"]').waitFor({ timeout: 30_000 });
    assert.match(await view.locator('.run-head').textContent(), /on gpu-box/);
    // The choice is remembered for this config.
    await page.reload();
    await page.locator('select.target-pick option[value="gpu-box"]').waitFor({ state: 'attached' });
    await page.locator('.config[data-name="remote.py"]').click();
    assert.equal(await page.locator('select.target-pick').inputValue(), 'gpu-box');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await s.close();
  }
});
