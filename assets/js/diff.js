// A simple line diff (longest common subsequence) for comparing two versions
// of a config. Configs are small; past MAX lines each side it falls back to
// "all removed, all added".

const MAX = 3000;

/**
 * @param {string} a old text @param {string} b new text
 * @returns {{op: " "|"-"|"+", text: string}[]}
 */
export function lineDiff(a, b) {
  const x = a.split('\n'), y = b.split('\n');
  if (x[x.length - 1] === '' && y[y.length - 1] === '') { x.pop(); y.pop(); }
  const n = x.length, m = y.length;
  if (n > MAX || m > MAX) return [...x.map((t) => ({ op: /** @type {'-'} */ ('-'), text: t })), ...y.map((t) => ({ op: /** @type {'+'} */ ('+'), text: t }))];
  // lcs[i][j] = LCS length of x[i:] and y[j:]
  const lcs = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) lcs[i][j] = x[i] === y[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
  /** @type {{op: " "|"-"|"+", text: string}[]} */
  const out = [];
  let i = 0, j = 0;
  while (i < n && j < m) {
    if (x[i] === y[j]) { out.push({ op: ' ', text: x[i] }); i++; j++; }
    else if (lcs[i + 1][j] >= lcs[i][j + 1]) out.push({ op: '-', text: x[i++] });
    else out.push({ op: '+', text: y[j++] });
  }
  while (i < n) out.push({ op: '-', text: x[i++] });
  while (j < m) out.push({ op: '+', text: y[j++] });
  return out;
}
