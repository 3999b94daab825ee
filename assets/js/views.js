// The main pane's views: most of the page's script. main.js asks for this
// module with import() so the lists are drawn without waiting for it, and
// preloads it and what it imports as it starts (the server lists them on its
// tag: assets.rs), so it is usually there by the time anything is clicked.

export { RunSession } from './runview.js';
export { makeResultView } from './inspectview.js';
export { askFirstAhead } from './resultview.js';
export { feedRunSamples } from './inspectlive.js';
export { CompareView } from './compare.js';
export { ConfigView } from './editor.js';
export { warmFonts } from './fontwarm.js';
