/**
 * "Did you mean …?" for names a user typed: agent names in AGENT_NOT_FOUND
 * and the CLI's commands. Light (no imports), so the CLI can load it at
 * every start.
 */

/** Optimal string alignment distance (Levenshtein with adjacent transpositions), case-insensitive. */
export function editDistance(a: string, b: string): number {
  a = a.toLowerCase();
  b = b.toLowerCase();
  let prev2: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      let v = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2]! + 1);
      row.push(v);
    }
    prev2 = prev;
    prev = row;
  }
  return prev[b.length]!;
}

/**
 * The known names closest to `given`, best first, at most `max`: those within
 * a third of the longer name's length in edits (at least 1, at most 3), and
 * those that contain `given` or that `given` contains ("order" → "order-processor").
 */
export function closestNames(given: string, known: Iterable<string>, max = 3): string[] {
  const g = given.toLowerCase();
  const scored: { name: string; score: number }[] = [];
  for (const name of known) {
    if (name === given) continue;
    const n = name.toLowerCase();
    const d = editDistance(g, n);
    const limit = Math.min(3, Math.max(1, Math.floor(Math.max(g.length, n.length) / 3)));
    const contains = g.length >= 3 && (n.includes(g) || g.includes(n));
    if (d <= limit || contains) scored.push({ name, score: d });
  }
  return scored.sort((x, y) => x.score - y.score || x.name.localeCompare(y.name)).slice(0, max).map((s) => s.name);
}

/** ` Did you mean "a" or "b"?` (with a leading space), or '' when nothing is close. */
export function didYouMean(given: string, known: Iterable<string>): string {
  const names = closestNames(given, known);
  if (names.length === 0) return '';
  const quoted = names.map((n) => `"${n}"`);
  return ` Did you mean ${quoted.length === 1 ? quoted[0] : `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`}?`;
}
