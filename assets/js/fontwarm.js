// The fonts the views use and the lists do not, laid out once while the page
// is idle. The first text in a new font size or weight costs Chromium on Linux
// a round trip to its browser process for the size's render settings, and a
// new weight walks the whole family list (one round trip per family missing
// from the machine) and opens another font file: ~7 ms of the ~14 ms first
// layout of a result view (trace, 1,000-sample Inspect log). Once laid out,
// the renderer keeps them for every view after.

/**
 * `font` shorthands: what the result, Inspect, compare and run views and
 * their samples show beyond the lists. The browser tests that open result,
 * Inspect and compare views fail on a font shown that is neither here nor
 * in the lists.
 */
export const VIEW_FONTS = [
  '600 17px var(--mono)', '700 16px var(--mono)', '600 15px var(--mono)', '400 14px var(--mono)',
  '600 13px var(--mono)', '700 13px var(--mono)', '400 12.5px var(--mono)', '600 12.5px var(--mono)', '700 12.5px var(--mono)',
  'italic 400 12.5px var(--mono)', '700 12px var(--mono)', '400 11.5px var(--mono)', '600 11px var(--mono)',
  '400 13.5px var(--sans)', '700 13.5px var(--sans)', '400 12.5px var(--sans)', '600 12.5px var(--sans)',
  'italic 600 12px var(--sans)', '400 11.5px var(--sans)', '700 11px var(--sans)',
];

/** Lay out a line in each of VIEW_FONTS when the page is next idle, then drop it. */
export function warmFonts() {
  requestIdleCallback(() => {
    const box = document.createElement('div');
    box.setAttribute('aria-hidden', 'true');
    // Out of sight and of the page's layout; its text is still shaped, which is the point.
    box.style.cssText = 'position: absolute; top: 0; left: -10000px; visibility: hidden; contain: strict; width: 1px; height: 1px; overflow: hidden';
    for (const font of VIEW_FONTS) {
      const line = document.createElement('span');
      line.style.font = font;
      line.textContent = 'Ag0';
      box.append(line);
    }
    document.body.append(box);
    void box.offsetWidth;
    box.remove();
  }, { timeout: 2000 });
}
