// The page's first script. The HTML already shows what a cold load needs to
// show (the results list is drawn into it by the server), so the page's own
// work starts once that first frame is on screen: the answers and modules
// it fetched while the frame was being laid out held the frame up by
// ~30 ms on a 2-core machine (first contentful paint ~96 → ~70 ms from
// navigation, e2e/bench_inspect.mjs). Its tag lists what to fetch at once
// rather than import by import: `data-reads`, the lists' first reads
// (main.js's fetches take these answers), and, added by the server
// (server/assets.rs), `data-first`, every module main.js imports, and
// `data-later`, the views' modules, which main.js asks for as it starts.

const tag = document.querySelector('script[src="/assets/js/boot.js"]');
/** @param {string} attr @returns {string[]} */
const listed = (attr) => (tag?.getAttribute(attr) || '').split(' ').filter(Boolean);

/** Resolves once the page's first contentful paint has been shown, or at once in a hidden tab (which paints nothing). */
function afterFirstPaint() {
  return new Promise((resolve) => {
    if (document.visibilityState === 'hidden') { resolve(undefined); return; }
    // Buffered: a paint already shown is reported too.
    const paints = new PerformanceObserver((list) => {
      if (list.getEntries().some((e) => e.name === 'first-contentful-paint')) { paints.disconnect(); resolve(undefined); }
    });
    paints.observe({ type: 'paint', buffered: true });
    // A tab hidden while it loads, or a browser without paint timing, starts anyway.
    document.addEventListener('visibilitychange', () => resolve(undefined), { once: true });
    setTimeout(resolve, 2000);
  });
}

/** @param {Record<string, string>} attrs */
const link = (attrs) => document.head.append(Object.assign(document.createElement('link'), attrs));

// What is pressed in the first frame (the server's list, its tabs, the top bar's buttons) before
// main.js has set up its listeners is kept and done again once it has: a click is never lost.
/** @type {HTMLElement[]} */
const early = [];
const PRESSABLE = 'button, [role="button"]';
/** @param {Event} e */
const keepClick = (e) => {
  const t = /** @type {HTMLElement|null} */ (/** @type {Element} */ (e.target).closest?.(PRESSABLE));
  if (t) early.push(t);
};
/** Enter or Space on an item drawn as `role=button` (a real button turns these into a click itself). @param {KeyboardEvent} e */
const keepKey = (e) => {
  const t = /** @type {HTMLElement} */ (e.target);
  if ((e.key === 'Enter' || e.key === ' ') && t.matches?.('[role="button"]:not(button)')) { e.preventDefault(); early.push(t); }
};
document.addEventListener('click', keepClick, true);
document.addEventListener('keydown', keepKey, true);

await afterFirstPaint();
for (const href of listed('data-reads')) link({ rel: 'preload', as: 'fetch', crossOrigin: 'anonymous', href });
for (const href of listed('data-first')) link({ rel: 'modulepreload', href });
await import('./main.js');
document.removeEventListener('click', keepClick, true);
document.removeEventListener('keydown', keepKey, true);
// Still the elements pressed: main.js draws nothing again before its first reads come, a task after this.
for (const t of early) t.click();
// main.js has asked for views.js as it ran; the rest of the views' modules now come with it.
for (const href of listed('data-later')) link({ rel: 'modulepreload', href });
