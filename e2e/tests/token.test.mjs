// A server reachable from other machines needs its token: the page opened
// with ?token=… works, and the token leaves the address bar and history.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Server, launchBrowser, openPage } from '../helper.mjs';

test('the token leaves the address bar once the page has its cookie', async () => {
  const s = await Server.project({ 'configs/hello.py': "print('hello')\n" });
  const browser = await launchBrowser();
  try {
    await s.kill();
    s.extraArgs = ['--host', '0.0.0.0', '--token', 'e2e-token-1234'];
    await s.start();
    assert.equal(s.token, 'e2e-token-1234');
    const { page, errors } = await openPage(browser, `${s.url}?token=${s.token}#config=hello.py`);
    await page.locator('.config', { hasText: 'hello.py' }).waitFor();
    assert.equal(new URL(page.url()).search, '', 'no token in the address bar');
    assert.ok(page.url().includes('#config=hello.py'), 'the route is kept');
    await page.reload();
    await page.locator('.config', { hasText: 'hello.py' }).waitFor();
    assert.deepEqual(errors, []);
    await page.goBack();
    assert.ok(!page.url().includes('token='), `history kept the token: ${page.url()}`);
  } finally {
    await browser.close();
    await s.close();
  }
});
