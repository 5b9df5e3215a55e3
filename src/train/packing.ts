// Packing: fixed-length training sequences cut from a split's token stream (documents back to back,
// each ending with EOS, so a sequence may span documents). Sequence i holds tokens
// [i*seqLen, i*seqLen + seqLen] (seqLen + 1 tokens): inputs are the first seqLen, targets the last
// seqLen, so every token of the stream but the tail is an input exactly once per epoch. Each epoch
// visits the sequences in its own seeded Fisher–Yates order; the position in that order is a
// two-number state the trainer checkpoints.
import { mulberry32 } from '../tensor/random.js';
import type { TokenSplit } from './shards.js';

export interface TokenBatch {
  /** [batchSequences * seqLen] token ids, sequence after sequence. */
  inputs: Int32Array;
  /** [batchSequences * seqLen]: targets[i] is the token after inputs[i]. */
  targets: Int32Array;
}

/** Where a PackedSequences stream is: the epoch and how many of its sequences were already given. */
export interface PackingState {
  epoch: number;
  cursor: number;
}

export interface PackingOptions {
  /** Tokens per training sequence (the model's context for training). */
  seqLen: number;
  /** Seed of the shuffles (a 32-bit integer); epoch e uses mulberry32 seeded from (seed, e). */
  seed: number;
}

/** Sequences of seqLen + 1 tokens that fit a stream of `tokens` tokens (consecutive ones share a token). */
export function sequenceCount(tokens: number, seqLen: number): number {
  return tokens > seqLen ? Math.floor((tokens - 1) / seqLen) : 0;
}

/** One 32-bit seed per (seed, epoch): a golden-ratio step per epoch, mixed by MurmurHash3's fmix32. */
export function epochSeed(seed: number, epoch: number): number {
  let h = (seed ^ Math.imul(epoch + 1, 0x9e3779b9)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function checkSeqLen(seqLen: number): void {
  if (!Number.isSafeInteger(seqLen) || seqLen < 1) throw new RangeError(`seqLen must be a positive integer (got ${seqLen})`);
}

/** Copies sequence `seq` of `split` into row `row` of a batch. */
function fillRow(split: TokenSplit, seqLen: number, seq: number, window: Uint32Array, batch: TokenBatch, row: number): void {
  split.read(seq * seqLen, seqLen + 1, window);
  const at = row * seqLen;
  batch.inputs.set(window.subarray(0, seqLen), at);
  batch.targets.set(window.subarray(1, seqLen + 1), at);
}

/** Shuffled training sequences over a split, epoch after epoch, forever. */
export class PackedSequences {
  /** Sequences per epoch. */
  readonly sequences: number;
  readonly seqLen: number;
  readonly seed: number;
  private epoch = 0;
  private cursor = 0;
  /** The order of the current epoch: the only O(#sequences) memory; tokens are read per sequence. */
  private order?: Uint32Array;
  private orderEpoch = -1;
  private readonly window: Uint32Array;

  constructor(
    readonly split: TokenSplit,
    opts: PackingOptions,
  ) {
    checkSeqLen(opts.seqLen);
    if (!Number.isSafeInteger(opts.seed)) throw new RangeError(`seed must be an integer (got ${opts.seed})`);
    this.seqLen = opts.seqLen;
    this.seed = opts.seed >>> 0;
    this.sequences = sequenceCount(split.tokens, opts.seqLen);
    if (this.sequences === 0) throw new RangeError(`split '${split.name}' has ${split.tokens} tokens: too few for one sequence of ${opts.seqLen} + 1`);
    if (this.sequences > 0xffffffff) throw new RangeError(`split '${split.name}': ${this.sequences} sequences of ${opts.seqLen} is more than 2^32 - 1; use a longer seqLen`);
    this.window = new Uint32Array(opts.seqLen + 1);
  }

  /** The sequence order of an epoch: a permutation of 0 .. sequences - 1. */
  permutation(epoch: number): Uint32Array {
    const n = this.sequences;
    const p = new Uint32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    const rnd = mulberry32(epochSeed(this.seed, epoch));
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      const t = p[i]!;
      p[i] = p[j]!;
      p[j] = t;
    }
    return p;
  }

  /** The next `batchSequences` sequences (crossing into the next epoch when this one runs out). */
  next(batchSequences: number): TokenBatch {
    if (!Number.isSafeInteger(batchSequences) || batchSequences < 1) throw new RangeError(`batchSequences must be a positive integer (got ${batchSequences})`);
    const batch: TokenBatch = { inputs: new Int32Array(batchSequences * this.seqLen), targets: new Int32Array(batchSequences * this.seqLen) };
    for (let row = 0; row < batchSequences; row++) {
      if (this.orderEpoch !== this.epoch) {
        this.order = this.permutation(this.epoch);
        this.orderEpoch = this.epoch;
      }
      fillRow(this.split, this.seqLen, this.order![this.cursor]!, this.window, batch, row);
      if (++this.cursor === this.sequences) {
        this.epoch++;
        this.cursor = 0;
      }
    }
    return batch;
  }

  /** The position of the stream, to checkpoint: `restore` of it gives the same next batches. */
  state(): PackingState {
    return { epoch: this.epoch, cursor: this.cursor };
  }

  restore(s: PackingState): void {
    if (!Number.isSafeInteger(s?.epoch) || s.epoch < 0) throw new RangeError(`packing state: epoch must be a non-negative integer (got ${s?.epoch})`);
    if (!Number.isSafeInteger(s.cursor) || s.cursor < 0 || s.cursor >= this.sequences) {
      throw new RangeError(`packing state: cursor must be an integer in 0 .. ${this.sequences - 1} (got ${s.cursor}); was the state saved with another seqLen or dataset?`);
    }
    this.epoch = s.epoch;
    this.cursor = s.cursor;
  }
}

export interface ValidationOptions {
  seqLen: number;
  /** At most this many sequences, spread evenly over the split (all of them when it has fewer). */
  maxSequences: number;
  /** Sequences per batch; the last batch may be smaller. */
  batchSequences: number;
}

/**
 * Validation batches over a split: the same sequences in the same order every call (no shuffle),
 * sequence k of m being number floor(k * n / m) of the split's n, so a capped evaluation still
 * samples the whole split rather than its beginning.
 */
export function* validationBatches(split: TokenSplit, opts: ValidationOptions): Generator<TokenBatch> {
  checkSeqLen(opts.seqLen);
  if (!Number.isSafeInteger(opts.maxSequences) || opts.maxSequences < 1) throw new RangeError(`maxSequences must be a positive integer (got ${opts.maxSequences})`);
  if (!Number.isSafeInteger(opts.batchSequences) || opts.batchSequences < 1) throw new RangeError(`batchSequences must be a positive integer (got ${opts.batchSequences})`);
  const n = sequenceCount(split.tokens, opts.seqLen);
  const m = Math.min(n, opts.maxSequences);
  const window = new Uint32Array(opts.seqLen + 1);
  for (let k = 0; k < m; k += opts.batchSequences) {
    const rows = Math.min(opts.batchSequences, m - k);
    const batch: TokenBatch = { inputs: new Int32Array(rows * opts.seqLen), targets: new Int32Array(rows * opts.seqLen) };
    for (let r = 0; r < rows; r++) fillRow(split, opts.seqLen, Math.floor(((k + r) * n) / m), window, batch, r);
    yield batch;
  }
}
