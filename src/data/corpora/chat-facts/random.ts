// Seeded choices for the chat-facts set: every pick goes through one generator per purpose, so the set is the
// same on every machine for a given seed.
import { mulberry32 } from '../../../tensor/random.js';

export interface Rand {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [lo, hi] (both included). */
  int(lo: number, hi: number): number;
  pick<T>(items: readonly T[]): T;
  /** A shuffled copy (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[];
  chance(p: number): boolean;
}

/** A generator for one purpose ('split', 'templates', ...): distinct streams, each fixed by (seed, purpose). */
export function rand(seed: number, purpose: string): Rand {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < purpose.length; i++) h = Math.imul(h ^ purpose.charCodeAt(i), 0x01000193);
  const next = mulberry32(h >>> 0);
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  return {
    next,
    int,
    pick: <T>(items: readonly T[]) => items[int(0, items.length - 1)]!,
    shuffle: <T>(items: readonly T[]) => {
      const a = items.slice();
      for (let i = a.length - 1; i > 0; i--) {
        const j = int(0, i);
        [a[i], a[j]] = [a[j]!, a[i]!];
      }
      return a;
    },
    chance: (p: number) => next() < p,
  };
}
