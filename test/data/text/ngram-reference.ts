// datatrove's n-gram functions (gopher_repetition_filter.py) transcribed with strings: the
// reference the hashed implementation and the repetition filter's tests are checked against.

/** find_top_duplicate over n-grams joined by a space. */
export function refTopNGramChars(words: readonly string[], n: number): number {
  const counts = new Map<string, number>();
  for (let i = 0; i + n <= words.length; i++) {
    const g = words.slice(i, i + n).join(' ');
    counts.set(g, (counts.get(g) ?? 0) + 1);
  }
  let best = '';
  let bestCount = 0;
  for (const [g, c] of counts) if (c > bestCount) [best, bestCount] = [g, c];
  return best.length * bestCount;
}

/** find_all_duplicate over n-grams joined with no separator. */
export function refDuplicatedNGramChars(words: readonly string[], n: number): number {
  const seen = new Set<string>();
  let repeated = 0;
  let i = 0;
  while (i < words.length - n + 1) {
    const g = words.slice(i, i + n).join('');
    if (seen.has(g)) {
      repeated += g.length;
      i += n;
    } else {
      seen.add(g);
      i++;
    }
  }
  return repeated;
}
