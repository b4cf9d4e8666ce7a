/** Edits between two words, a swap of neighbours counting one ("stauts" is one edit from "status"). */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  return rows[a.length]![b.length]!;
}

/**
 * The command a mistyped word most likely meant: within one edit for short names, two for names of five letters or
 * more; null when none is that close, or two are equally close.
 */
export function didYouMean(word: string, names: readonly string[]): string | null {
  const typed = word.toLowerCase();
  if (names.includes(typed)) return null;
  const close = names
    .map((name) => ({ name, distance: editDistance(typed, name) }))
    .filter(({ name, distance }) => distance <= (name.length >= 5 ? 2 : 1))
    .sort((a, b) => a.distance - b.distance);
  if (close.length === 0 || (close.length > 1 && close[0]!.distance === close[1]!.distance)) return null;
  return close[0]!.name;
}
