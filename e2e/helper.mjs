// Test helpers: start the real devloop server on a copy of the demo project (or
// a project made by the test), drive Debian's Chromium with playwright-core,
// and clean up (stop live runs, kill the server, remove the folder).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const E2E_DIR = path.dirname(fileURLToPath(import.meta.url));
export const REPO = path.resolve(E2E_DIR, '..');
export const BIN = process.env.DEVLOOP_BIN || path.join(REPO, 'target', 'debug', 'devloop');
/** Serve the page from the work tree (the same files the binary embeds) unless E2E_EMBEDDED=1. */
const UI_ARGS = process.env.E2E_EMBEDDED === '1' ? [] : ['--ui-dir', path.join(REPO, 'assets')];
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const SHOTS = path.join(E2E_DIR, 'screenshots');

if (!existsSync(BIN)) throw new Error(`devloop binary not found at ${BIN}: run \`cargo build\` first`);

/**
 * Start `devloop` and wait for its URL on the first stdout line.
 * @param {string[]} args
 * @returns {Promise<{proc: import('node:child_process').ChildProcess, url: string, port: number}>}
 */
function startProcess(args) {
  return new Promise((resolve, reject) => {
    const proc = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'warn' } });
    let out = '', err = '';
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`devloop did not print its URL in 30s\nstdout: ${out}\nstderr: ${err}`)); }, 30_000);
    proc.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/at (http:\/\/[^\s]+)/);
      if (m) {
        clearTimeout(timer);
        const u = new URL(m[1]);
        resolve({ proc, url: u.origin + '/', port: Number(u.port), token: u.searchParams.get('token') });
      }
    });
    proc.stderr.on('data', (d) => { err += d; if (process.env.E2E_SERVER_LOG) process.stderr.write(d); });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`devloop exited (${code}) before serving\nstdout: ${out}\nstderr: ${err}`)); });
  });
}

export class Server {
  /** @param {string} dir project folder @param {string} root temp folder to remove */
  constructor(dir, root) {
    this.dir = dir;
    this.root = root;
    /** @type {import('node:child_process').ChildProcess|null} */
    this.proc = null;
    this.url = '';
    this.port = 0;
    /** @type {string[]} more `devloop serve` arguments */
    this.extraArgs = [];
    /** @type {string|null} the token printed in the URL, if the server has one */
    this.token = null;
  }

  /** Copy the bundled demo project into a temp folder and serve it. */
  static async demo() {
    const root = mkdtempSync(path.join(tmpdir(), 'devloop-e2e-'));
    const dir = path.join(root, 'project');
    const s = new Server(dir, root);
    const p = await startProcess(['demo', dir, '--port', '0', ...UI_ARGS]);
    Object.assign(s, { proc: p.proc, url: p.url, port: p.port });
    return s;
  }

  /**
   * Serve a project made from `files` ({relative path: content}).
   * @param {Record<string, string>} files
   */
  static async project(files) {
    const root = mkdtempSync(path.join(tmpdir(), 'devloop-e2e-'));
    const dir = path.join(root, 'project');
    for (const [rel, content] of Object.entries(files)) {
      const f = path.join(dir, rel);
      mkdirSync(path.dirname(f), { recursive: true });
      writeFileSync(f, content);
    }
    const s = new Server(dir, root);
    await s.start();
    return s;
  }

  /** (Re)start `devloop serve` on this project, on the same port as before if it had one. */
  async start() {
    const p = await startProcess(['serve', '--project', this.dir, '--port', String(this.port || 0), ...UI_ARGS, ...this.extraArgs]);
    Object.assign(this, { proc: p.proc, url: p.url, port: p.port, token: p.token });
  }

  /** Kill the server process only (runs keep going under their supervisors). */
  async kill() {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    const gone = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await gone;
    this.proc = null;
  }

  /** @param {string} p @param {RequestInit} [init] */
  async api(p, init) {
    const auth = this.token ? { authorization: `Bearer ${this.token}` } : {};
    const res = await fetch(this.url + p.replace(/^\//, ''), { ...init, headers: { ...auth, ...(init?.headers || {}) } });
    const body = await res.json().catch(() => null);
    if (!res.ok) throw new Error(`${init?.method || 'GET'} ${p}: ${res.status} ${JSON.stringify(body)}`);
    return body;
  }

  /** Launch a config through the API; returns the run id. @param {string} name */
  async launch(name) {
    const r = await this.api('/api/launch', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ configName: name }) });
    return r.run_id;
  }

  /** Wait (polling the API, one overall timeout) until the run has a final status. */
  async waitFinished(id, timeoutMs = 120_000) {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.api(`/api/runs/${id}`);
      if (['succeeded', 'failed', 'stopped', 'lost'].includes(r.status)) return r;
      if (Date.now() > end) throw new Error(`run ${id} still ${r.status} after ${timeoutMs} ms`);
      await new Promise((res) => setTimeout(res, 200));
    }
  }

  /** Stop live runs, kill the server, remove the folder. */
  async close() {
    if (this.proc && this.proc.exitCode === null) {
      try {
        const { runs } = await this.api('/api/runs');
        const live = runs.filter((r) => r.status === 'running' || r.status === 'queued');
        await Promise.all(live.map((r) => this.api(`/api/runs/${r.run_id}/stop`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }).catch(() => {})));
        const end = Date.now() + 15_000;
        for (const r of live) {
          while (Date.now() < end) {
            const x = await this.api(`/api/runs/${r.run_id}`).catch(() => null);
            if (!x || !['running', 'queued'].includes(x.status)) break;
            await new Promise((res) => setTimeout(res, 200));
          }
        }
      } catch { /* server already gone */ }
    }
    await this.kill();
    try { rmSync(this.root, { recursive: true, force: true }); } catch { /* best effort */ }
  }
}

/**
 * Hold the page's requests matching `glob` until the returned function is called.
 * @param {import('playwright-core').Page} page @param {string} glob
 * @returns {Promise<() => void>}
 */
export async function holdRoute(page, glob) {
  /** @type {() => void} */
  let release = () => {};
  const held = new Promise((r) => { release = () => r(undefined); });
  await page.route(glob, async (route) => { await held; await route.continue(); });
  return release;
}

/**
 * The fonts (family, size, weight, style) of the text shown in the page.
 * @param {import('playwright-core').Page} page @returns {Promise<string[]>}
 */
export function fontsShown(page) {
  return page.evaluate(() => {
    const fonts = new Set();
    for (const e of document.querySelectorAll('body *')) {
      if (![...e.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim()) || !e.checkVisibility()) continue;
      const c = getComputedStyle(e);
      fonts.add(`${c.fontWeight} ${c.fontStyle} ${c.fontSize} ${c.fontFamily}`);
    }
    return [...fonts].sort();
  });
}

/**
 * The fonts the page lays out while idle for the views (fontwarm.js), in
 * fontsShown's terms.
 * @param {import('playwright-core').Page} page @returns {Promise<string[]>}
 */
export function fontsWarmed(page) {
  return page.evaluate(async () => {
    const { VIEW_FONTS } = await import('/assets/js/fontwarm.js');
    return VIEW_FONTS.map((/** @type {string} */ font) => {
      const s = document.body.appendChild(document.createElement('span'));
      s.style.font = font;
      const c = getComputedStyle(s);
      const out = `${c.fontWeight} ${c.fontStyle} ${c.fontSize} ${c.fontFamily}`;
      s.remove();
      return out;
    });
  });
}

/** Launch headless Chromium (Debian's, never a downloaded one). */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * A page on the server's URL; collects console errors and failed requests so
 * tests can assert the page ran clean.
 * @param {import('playwright-core').Browser} browser
 * @param {string} url
 * @param {{width?: number, height?: number, colorScheme?: 'dark'|'light'}} [o]
 */
export async function openPage(browser, url, o = {}) {
  const context = await browser.newContext({ viewport: { width: o.width || 1280, height: o.height || 800 }, colorScheme: o.colorScheme || 'dark', reducedMotion: 'reduce' });
  const page = await context.newPage();
  /** @type {string[]} */
  const errors = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource|net::ERR_|EventSource/.test(m.text())) errors.push(`console: ${m.text()}`); });
  await page.goto(url);
  await page.locator('.config').first().waitFor();
  return { page, context, errors };
}

/** Select a config in the left pane and press Launch; resolves with the new run's id. */
export async function launchFromPage(page, name) {
  const before = await page.$$eval('.run-view', (vs) => vs.map((v) => v.dataset.run));
  await page.locator(`.config[data-name="${name}"]`).click();
  await page.locator('button.launch').click();
  const handle = await page.waitForFunction((old) => {
    const v = document.querySelector('.run-view:not([hidden])');
    return v && !old.includes(v.dataset.run) ? v.dataset.run : null;
  }, before);
  const id = await handle.jsonValue();
  await page.locator(`.run-view[data-run="${id}"] .run-title`).filter({ hasText: name }).waitFor();
  return id;
}

/** Show a section of the right pane: 'results', 'runs' or 'datasets'. @param {import('playwright-core').Page} page @param {string} which */
export async function showSide(page, which) {
  await page.locator(`.side-tab[data-side="${which}"]`).click();
  await page.locator(`.side-box[data-side="${which}"]`).waitFor();
}

/** The visible run view of run `id`. */
export function runView(page, id) {
  return page.locator(`.run-view[data-run="${id}"]`);
}

/**
 * Text of every line the page's virtualised log has rendered while scrolling it
 * from top to bottom, as {lineno: text}; scrolls by a page at a time.
 * @param {import('playwright-core').Page} page @param {string} id
 */
export async function collectAllLines(page, id) {
  const scroller = runView(page, id).locator('.log-scroll');
  /** @type {Map<number, string>} */
  const seen = new Map();
  await scroller.evaluate((s) => { s.scrollTop = 0; s.dispatchEvent(new Event('scroll')); });
  for (let guard = 0; guard < 10_000; guard++) {
    // Wait until the rendered rows have their text (no "…" placeholders).
    await page.waitForFunction((sel) => {
      const rows = [...document.querySelectorAll(sel + ' .log-row:not([hidden])')];
      return rows.length > 0 && rows.every((r) => !r.classList.contains('missing'));
    }, `.run-view[data-run="${id}"]`);
    const { rows, atEnd } = await scroller.evaluate((s) => {
      const out = [];
      const top = s.getBoundingClientRect().top, bottom = s.getBoundingClientRect().bottom;
      for (const r of s.querySelectorAll('.log-row:not([hidden])')) {
        const b = r.getBoundingClientRect();
        if (b.bottom <= top || b.top >= bottom) continue;
        out.push([Number(r.dataset.line), r.querySelector('.tx').textContent]);
      }
      const atEnd = s.scrollTop + s.clientHeight >= s.scrollHeight - 2;
      s.scrollTop += s.clientHeight - 36;
      s.dispatchEvent(new Event('scroll'));
      return { rows: out, atEnd };
    });
    for (const [n, t] of rows) seen.set(n, t);
    if (atEnd) break;
  }
  return seen;
}
