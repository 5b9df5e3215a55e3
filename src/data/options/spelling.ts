// Option names in both spellings: the stages' own camelCase (minDocWords) and the snake_case that
// YAML users and datatrove's keyword arguments use (min_doc_words); and the "did you mean" for a
// name that is neither.

/** minDocWords -> min_doc_words (digits stay with the word before: topNGrams -> top_n_grams). */
export function snakeCase(camel: string): string {
  return camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** min_doc_words -> minDocWords; a name without '_' is returned as it is. */
export function camelCase(snake: string): string {
  return snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Whether a name is written snake_case (so that suggestions answer in the same spelling). */
export function isSnake(name: string): boolean {
  return name.includes('_') && name === name.toLowerCase();
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

const words = (name: string): string[] => snakeCase(name).toLowerCase().split('_').filter(Boolean);

/** Whether every word of `given` appears, in order, among the words of `known` (min_words ~ minDocWords). */
function wordsWithin(given: string, known: string): boolean {
  const g = words(given);
  if (g.length === 0) return false;
  const k = words(known);
  let at = 0;
  for (const w of g) {
    at = k.indexOf(w, at);
    if (at < 0) return false;
    at++;
  }
  return true;
}

/**
 * The known name closest to `given`: a small edit away, or holding all of its words. Compared in
 * one spelling (snake_case, lower case); returned as known (camelCase), or undefined.
 */
export function closest(given: string, known: readonly string[]): string | undefined {
  const g = snakeCase(given).toLowerCase();
  let best: { name: string; score: number } | undefined;
  for (const name of known) {
    const d = editDistance(g, snakeCase(name).toLowerCase());
    const near = d <= Math.max(2, Math.floor(g.length / 3));
    if (!near && !wordsWithin(given, name)) continue;
    // A near miss beats a word match; among equals, the smaller edit.
    const score = (near ? 0 : 1000) + d;
    if (!best || score < best.score) best = { name, score };
  }
  return best?.name;
}
