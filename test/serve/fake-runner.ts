// A model stand-in for the scheduler and block-bookkeeping tests: its "K/V" is the token id stored
// in each slot, and its next token is a hash of the whole sequence read back through the block
// table. A block table naming a wrong block (a bad prefix-cache hit, a block reused while still
// held, a lost write) changes the tokens it reads back, hence the output.
import type { ModelRunner, StepInput } from '../../src/serve/engine.js';

/** The next token after `tokens` (FNV-1a over the ids). */
export function nextToken(tokens: readonly number[], vocab: number): number {
  let h = 2166136261;
  for (const t of tokens) h = Math.imul(h ^ t, 16777619);
  return (h >>> 0) % vocab;
}

/** The reference output: nextToken iterated, stopping as the engine does. */
export function fakeGenerate(prompt: readonly number[], maxTokens: number, contextLength: number, vocab: number, stop: readonly number[] = []): number[] {
  const seq = [...prompt];
  const out: number[] = [];
  for (;;) {
    const t = nextToken(seq, vocab);
    if (stop.includes(t)) break;
    out.push(t);
    seq.push(t);
    if (out.length >= maxTokens || seq.length >= contextLength) break;
  }
  return out;
}

export class FakeRunner implements ModelRunner {
  readonly slots: Int32Array;
  steps = 0;
  disposed = false;
  /** Called at the start of every step (e.g. the block pool's invariant check). */
  onStep?: (seqs: readonly StepInput[]) => void;
  /** Makes a step throw when it returns true. */
  failWhen?: (seqs: readonly StepInput[]) => boolean;

  constructor(
    readonly vocabSize: number,
    numBlocks: number,
    readonly blockTokens: number,
  ) {
    this.slots = new Int32Array(numBlocks * blockTokens).fill(-1);
  }

  run(seqs: readonly StepInput[]): Float32Array[] {
    this.steps++;
    this.onStep?.(seqs);
    if (this.failWhen?.(seqs)) throw new Error('the fake model failed');
    const bt = this.blockTokens;
    const slot = (s: StepInput, p: number) => s.blockTable[Math.floor(p / bt)]! * bt + (p % bt);
    // Every token's K/V is written before any is read, as in a layer of the real step.
    for (const s of seqs) s.tokens.forEach((t, j) => (this.slots[slot(s, s.pos0 + j)] = t));
    const out: Float32Array[] = [];
    for (const s of seqs) {
      if (!s.logits) continue;
      const seq: number[] = [];
      for (let p = 0; p < s.pos0 + s.tokens.length; p++) seq.push(this.slots[slot(s, p)]!);
      const row = new Float32Array(this.vocabSize);
      row[nextToken(seq, this.vocabSize)] = 1;
      out.push(row);
    }
    return out;
  }

  dispose(): void {
    this.disposed = true;
  }
}
