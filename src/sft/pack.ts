// Rendered samples as training batches. With packing, several short conversations share a row of
// seqLen tokens, each with its own positions (restarting at 0) and segment number, so the model can
// keep attention inside each sample (a block-diagonal causal mask); without, one conversation a row.
//
// Rows are filled first-fit decreasing: the samples in the epoch's seeded order, sorted by length
// (longest first, ties kept in the seeded order), each placed in the first row with room. That wastes
// the least padding of the simple rules (FFD uses at most 11/9 of the optimal rows); the rows are then
// shuffled by the same seed, so a batch is not a run of equally long rows. A sample never spans rows.
// Each epoch draws its own seed from (seed, epoch), so rows are re-made and reordered every epoch.
import { mulberry32 } from '../tensor/random.js';
import { epochSeed } from '../train/packing.js';
import { SftDataError } from './conversation.js';
import type { RenderedSample } from './render.js';

export interface SftBatch {
  /** Rows in this batch (the last batch of an epoch may have fewer than batchSize). */
  B: number;
  /** Tokens per row. */
  T: number;
  /** [B*T] token ids; padding is padId. */
  inputs: Int32Array;
  /** [B*T] the next token where it is trained (targets[i] = ids[j+1] if trained[j+1]), else -1; -1 on padding and each sample's last token. */
  targets: Int32Array;
  /** [B*T] position of each token within its sample (0 at each sample's start); 0 on padding. */
  positions: Int32Array;
  /** [B*T] index of the token's sample within its row (0, 1, 2...); -1 on padding. */
  segments: Int32Array;
  /** Samples in this batch. */
  samples: number;
  /** Targets that count in the loss (targets >= 0). */
  trainedTokens: number;
}

export interface PackOptions {
  /** Tokens per row; a longer sample is refused ('too-long'). */
  seqLen: number;
  /** Rows per batch. */
  batchSize: number;
  /** Several samples a row (true) or one (false). */
  packing: boolean;
  /** Seed of the order (a 32-bit integer). */
  seed: number;
  /** Id written into padding (its target is -1 either way). Default 0 (Yi's <unk>, also its pad). */
  padId?: number;
  /** T = the longest row of each batch instead of seqLen: less work without packing. Default false. */
  trimToLongest?: boolean;
}

/** The rows of one epoch (sample indices, in row order) and the batches they make. */
export interface EpochPlan {
  rows: Int32Array[];
  /** Batches in the epoch: ceil(rows / batchSize). */
  batches: number;
  /** Batch k (0-based) of the epoch, made on demand. */
  batch(k: number): SftBatch;
}

function checkOptions(o: PackOptions): void {
  const positive = (v: number, name: string): void => {
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer (got ${v})`);
  };
  positive(o.seqLen, 'seqLen');
  positive(o.batchSize, 'batchSize');
  if (!Number.isSafeInteger(o.seed)) throw new RangeError(`seed must be an integer (got ${o.seed})`);
}

function shuffled(n: number, rand: () => number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}

/**
 * First-fit of `order` (sample indices) into rows of `cap` tokens. A max-tree over the rows' free room
 * finds the leftmost row with room in O(log rows), so a large set packs in O(n log n).
 */
function firstFit(order: Int32Array, lengths: ArrayLike<number>, cap: number): Int32Array[] {
  let size = 1;
  while (size < order.length) size *= 2;
  const free = new Float64Array(2 * size).fill(cap);
  const rows: number[][] = [];
  for (const s of order) {
    const len = lengths[s]!;
    let node = 1;
    while (node < size) node = free[2 * node]! >= len ? 2 * node : 2 * node + 1;
    const row = node - size;
    (rows[row] ??= []).push(s);
    free[node] = free[node]! - len;
    for (node >>= 1; node >= 1; node >>= 1) free[node] = Math.max(free[2 * node]!, free[2 * node + 1]!);
  }
  return rows.map((r) => Int32Array.from(r));
}

/** The rows of an epoch: which samples share each row, in the order the batches take them. */
export function planRows(lengths: ArrayLike<number>, opts: PackOptions, epoch = 0): Int32Array[] {
  checkOptions(opts);
  const rand = mulberry32(epochSeed(opts.seed >>> 0, epoch));
  const order = shuffled(lengths.length, rand);
  if (!opts.packing) return Array.from(order, (s) => Int32Array.of(s));
  // Stable: equal lengths keep the seeded order.
  const byLength = Int32Array.from([...order].sort((a, b) => lengths[b]! - lengths[a]!));
  const rows = firstFit(byLength, lengths, opts.seqLen);
  const rowOrder = shuffled(rows.length, rand);
  return Array.from(rowOrder, (r) => rows[r]!);
}

/** Lays out rows [first, first + B) of `rows` as one batch. */
function makeBatch(samples: readonly RenderedSample[], rows: readonly Int32Array[], first: number, opts: PackOptions): SftBatch {
  const B = Math.min(opts.batchSize, rows.length - first);
  let T = opts.seqLen;
  if (opts.trimToLongest) {
    T = 1;
    for (let r = 0; r < B; r++) {
      let used = 0;
      for (const s of rows[first + r]!) used += samples[s]!.ids.length;
      T = Math.max(T, used);
    }
  }
  const inputs = new Int32Array(B * T).fill(opts.padId ?? 0);
  const targets = new Int32Array(B * T).fill(-1);
  const positions = new Int32Array(B * T);
  const segments = new Int32Array(B * T).fill(-1);
  let count = 0;
  let trainedTokens = 0;
  for (let r = 0; r < B; r++) {
    let at = r * T;
    for (const [seg, s] of rows[first + r]!.entries()) {
      const { ids, trained } = samples[s]!;
      const L = ids.length;
      inputs.set(ids, at);
      for (let j = 0; j < L; j++) {
        positions[at + j] = j;
        segments[at + j] = seg;
      }
      // Token j predicts token j + 1 of the same sample; the sample's last token predicts nothing.
      for (let j = 0; j + 1 < L; j++) {
        if (trained[j + 1]) {
          targets[at + j] = ids[j + 1]!;
          trainedTokens++;
        }
      }
      at += L;
      count++;
    }
  }
  return { B, T, inputs, targets, positions, segments, samples: count, trainedTokens };
}

function checkLengths(samples: readonly RenderedSample[], seqLen: number): number[] {
  return samples.map((s) => {
    if (s.ids.length > seqLen) throw new SftDataError('too-long', s.id, undefined, `${s.ids.length} tokens, more than the sequence length ${seqLen}`);
    if (s.ids.length === 0 || s.trained.length !== s.ids.length) {
      throw new SftDataError('bad-shape', s.id, undefined, `a rendered sample needs as many mask entries as ids, and at least one (got ${s.ids.length} ids, ${s.trained.length} mask entries)`);
    }
    return s.ids.length;
  });
}

/** An epoch's rows and its batches, each made when asked for (resuming at batch k costs nothing before it). */
export function planEpoch(samples: readonly RenderedSample[], opts: PackOptions, epoch: number): EpochPlan {
  const rows = planRows(checkLengths(samples, opts.seqLen), opts, epoch);
  const batches = Math.ceil(rows.length / opts.batchSize);
  return {
    rows,
    batches,
    batch: (k: number): SftBatch => {
      if (!Number.isSafeInteger(k) || k < 0 || k >= batches) throw new RangeError(`batch ${k} of an epoch of ${batches}`);
      return makeBatch(samples, rows, k * opts.batchSize, opts);
    },
  };
}

/** Every batch of epoch `epoch` (its order and rows seeded by (seed, epoch)). */
export function epochBatches(samples: readonly RenderedSample[], opts: PackOptions, epoch: number): SftBatch[] {
  const plan = planEpoch(samples, opts, epoch);
  return Array.from({ length: plan.batches }, (_, k) => plan.batch(k));
}

/** The batches of the first epoch: samples packed several a row (or one with packing false), seeded. */
export function packSamples(samples: readonly RenderedSample[], opts: PackOptions): SftBatch[] {
  return epochBatches(samples, opts, 0);
}
