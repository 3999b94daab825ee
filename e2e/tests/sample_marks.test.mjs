// The live Samples view: a sample's mark agrees with its reward (issue 16, item 8):
// no green ✓ beside reward 0.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, launchBrowser, openPage, launchFromPage, runView } from '../helper.mjs';

const SCRIPT = `import json, os
with open(os.environ["DEVLOOP_EVENTS"], "a") as f:
    def emit(**e):
        f.write(json.dumps(e) + "\\n"); f.flush()
    for sid, end in [("right", {"reward": 1.0}), ("wrong", {"reward": 0.0}), ("negative", {"reward": -0.5}),
                     ("partly", {"reward": 0.25}), ("unscored", {}), ("broken", {"reward": 0.0, "metadata": {"error": "boom"}})]:
        emit(type="sample_start", sample_id=sid)
        emit(type="sample_end", sample_id=sid, **end)
print("done")
`;

let server, browser;
before(async () => {
  server = await Server.project({
    'devloop.toml': '[launch]\ncommand = ["python3", "{config}"]\n',
    'configs/marks.py': SCRIPT,
  });
  browser = await launchBrowser();
});
after(async () => { await browser?.close(); await server?.close(); });

test('a sample is marked ✓ only when its reward is above 0', async () => {
  const { page, context, errors } = await openPage(browser, server.url);
  const id = await launchFromPage(page, 'marks.py');
  const view = runView(page, id);
  await view.locator('.badge[data-status="succeeded"]').waitFor({ timeout: 30_000 });
  await view.locator('.subtab', { hasText: 'Samples' }).click();
  await view.locator('.sample').nth(5).waitFor();
  const mark = async (sid) => {
    const s = view.locator(`.sample[data-sample="${sid}"]`);
    return [await s.locator('.sample-icon').textContent(), await s.locator('.sample-reward').textContent()];
  };
  assert.deepEqual(await mark('right'), ['✓', 'reward 1']);
  assert.deepEqual(await mark('wrong'), ['✗', 'reward 0']);
  assert.deepEqual(await mark('negative'), ['✗', 'reward -0.500']);
  assert.deepEqual(await mark('partly'), ['✓', 'reward 0.250']);
  assert.deepEqual(await mark('unscored'), ['○', '']);
  assert.deepEqual(await mark('broken'), ['✗', 'reward 0']);
  // The wrong answer's mark is not the green of a right one.
  const colour = (sid) => view.locator(`.sample[data-sample="${sid}"] .sample-icon`).evaluate((e) => getComputedStyle(e).color);
  assert.notEqual(await colour('wrong'), await colour('right'));
  assert.deepEqual(errors, []);
  await context.close();
});
