// One serving step of the Yi decoder over many sequences at once, reading YiModel's weights: the
// step's T tokens (decodes and prompt chunks of several sequences) go through each weight matrix
// as one [T, H] product, so a step reads the weights once whatever the number of sequences; K/V
// land in each sequence's blocks and attention reads them through its block table. Shapes: T =
// tokens in the step, S = sequences, H = hidden, Hq / Hkv = query / kv heads, D = head dim,
// F = ffn, V = vocab. The layer is YiModel.step's, with per-token positions and paged attention.
import type { YiConfig } from '../model/config.js';
import type { YiModel } from '../model/model.js';
import type { Arena } from '../runtime/arena.js';
import { naming } from '../runtime/arena.js';
import { QK } from '../tensor/dtype.js';
import { embedding } from '../tensor/ops/embedding.js';
import { actBytes } from '../tensor/ops/gemv.js';
import { linear } from '../tensor/ops/linear.js';
import { rmsnorm } from '../tensor/ops/norm.js';
import { layerHead, layerTail } from '../model/layer-parts.js';
import { pagedAttention, pagedWriteKV } from '../tensor/ops/paged-attention.js';
import { pagedAttentionI8, pagedWriteKVI8, type I8PoolShape } from '../tensor/ops/paged-attention-i8.js';
import { ropeTable, type RopeTable } from '../tensor/ops/rope.js';
import { Tensor } from '../tensor/tensor.js';
import type { ModelRunner, StepInput } from './engine.js';
import type { KVPool } from './kv-pool.js';

/** A step's limits: the buffers are sized for them once. */
export interface BatchLimits {
  /** Tokens per step at most (the scheduler's token budget). */
  maxTokens: number;
  /** Sequences per step at most. */
  maxSeqs: number;
  /** Positions a sequence may reach (the RoPE table and the block tables cover them). */
  contextLength: number;
}

/** Buffers of one arena that holds layers. [T, ...] views are cut per step. */
interface Workspace {
  x: Tensor; // [T, H] residual stream
  xb: Tensor; // [T, H] normed input of a sub-block
  q: Tensor; // [T, Hq * D]
  k: Tensor; // [T, Hkv * D]
  v: Tensor; // [T, Hkv * D]
  att: Tensor; // [T, Hq * D]
  proj: Tensor; // [T, H]
  gate: Tensor; // [T, F]
  up: Tensor; // [T, F]
  positions: Tensor; // i32 [T]
  seqOf: Tensor; // i32 [T] row of the token's sequence in `tables`
  slots: Tensor; // i32 [T] block * blockTokens + offset of the token's K/V
  tables: Tensor; // i32 [S, maxBlocks]
  rope: RopeTable;
  all: Tensor[];
}

/** A typed error for a step its caller built wrong (the engine never does). */
export class BatchStepError extends Error {
  override name = 'BatchStepError';
}

export class YiBatchRunner implements ModelRunner {
  readonly vocabSize: number;
  private readonly workspaces = new Map<Arena, Workspace>();
  private readonly maxBlocks: number;
  private readonly input: { ids: Tensor; x: Tensor }; // i32 [T], f32 [T, H] next to the embedding
  private readonly head: { x: Tensor; xn: Tensor; logits: Tensor }; // [S, H], [S, H], [S, V] next to the head
  private readonly out: Float32Array; // logits rows handed to the samplers
  private readonly meta: { positions: Int32Array; seqOf: Int32Array; slots: Int32Array; tables: Int32Array };
  /** The int8 pool's shape (kvType int8), else undefined. */
  private readonly i8?: I8PoolShape;

  constructor(
    private readonly model: YiModel,
    private readonly pool: KVPool,
    private readonly limits: BatchLimits,
  ) {
    const { rt, config: c } = model;
    const T = limits.maxTokens;
    const S = limits.maxSeqs;
    this.vocabSize = c.vocabSize;
    this.maxBlocks = Math.ceil(limits.contextLength / pool.blockTokens);
    if (pool.kvType === 'int8') this.i8 = { blocks: pool.numBlocks, blockTokens: pool.blockTokens, hkv: c.kvHeads, headDim: c.headDim };
    const made: Tensor[] = [];
    const z = (dtype: 'f32' | 'i32', shape: number[], arena: Arena, what: string): Tensor => {
      const t = naming(`the serving step's ${what} (--max-batched-tokens ${T}, --max-seqs ${S})`, () => Tensor.zeros(rt, dtype, shape, arena));
      made.push(t);
      return t;
    };
    try {
      for (const l of model.weights.layers) {
        const a = l.wq.arena;
        if (this.workspaces.has(a)) continue;
        const all: Tensor[] = [];
        const f = (shape: number[], what: string) => {
          const t = z('f32', shape, a, what);
          all.push(t);
          return t;
        };
        const i = (shape: number[], what: string) => {
          const t = z('i32', shape, a, what);
          all.push(t);
          return t;
        };
        const rope = ropeTable(rt, { headDim: c.headDim, maxPos: limits.contextLength, base: c.ropeTheta }, a);
        made.push(rope.cos, rope.sin);
        all.push(rope.cos, rope.sin);
        this.workspaces.set(a, {
          x: f([T, c.hidden], 'residual stream'),
          xb: f([T, c.hidden], 'normed input'),
          q: f([T, c.heads * c.headDim], 'queries'),
          k: f([T, c.kvHeads * c.headDim], 'keys'),
          v: f([T, c.kvHeads * c.headDim], 'values'),
          att: f([T, c.heads * c.headDim], 'attention output'),
          proj: f([T, c.hidden], 'projection'),
          gate: f([T, c.ffn], 'gate'),
          up: f([T, c.ffn], 'up'),
          positions: i([T], 'positions'),
          seqOf: i([T], 'token sequences'),
          slots: i([T], 'K/V slots'),
          tables: i([S, this.maxBlocks], 'block tables'),
          rope,
          all,
        });
      }
      const embArena = model.weights.embed.arena;
      this.input = { ids: z('i32', [T], embArena, 'token ids'), x: z('f32', [T, c.hidden], embArena, 'embeddings') };
      const headArena = model.weights.lmHead.arena;
      this.head = { x: z('f32', [S, c.hidden], headArena, 'head input'), xn: z('f32', [S, c.hidden], headArena, 'head input'), logits: z('f32', [S, c.vocabSize], headArena, 'logits') };
    } catch (e) {
      for (const t of made) t.dispose();
      throw e;
    }
    this.out = new Float32Array(S * c.vocabSize);
    this.meta = { positions: new Int32Array(T), seqOf: new Int32Array(T), slots: new Int32Array(T), tables: new Int32Array(S * this.maxBlocks) };
  }

  run(seqs: readonly StepInput[]): Float32Array[] {
    const c = this.model.config;
    const bt = this.pool.blockTokens;
    const S = seqs.length;
    const T = seqs.reduce((n, s) => n + s.tokens.length, 0);
    if (S < 1 || S > this.limits.maxSeqs) throw new BatchStepError(`a step runs 1 to ${this.limits.maxSeqs} sequences, got ${S}`);
    if (T < 1 || T > this.limits.maxTokens) throw new BatchStepError(`a step runs 1 to ${this.limits.maxTokens} tokens, got ${T}`);
    // Where every token goes: its sequence's table row, its position and its K/V slot.
    const m = this.meta;
    const ids = this.input.ids.slice(0, T);
    const idv = ids.arena.i32;
    let t = 0;
    const lastRows: number[] = [];
    seqs.forEach((s, i) => {
      const end = s.pos0 + s.tokens.length;
      if (s.tokens.length < 1 || s.pos0 < 0 || end > this.limits.contextLength) throw new BatchStepError(`sequence ${i}: positions ${s.pos0} .. ${end - 1} are outside the context of ${this.limits.contextLength}`);
      if (s.blockTable.length * bt < end) throw new BatchStepError(`sequence ${i}: ${s.blockTable.length} blocks of ${bt} tokens do not hold ${end} positions`);
      const nb = Math.ceil(end / bt);
      for (let b = 0; b < nb; b++) {
        const id = s.blockTable[b]!;
        if (!Number.isInteger(id) || id < 0 || id >= this.pool.numBlocks) throw new BatchStepError(`sequence ${i}: block table entry ${b} is ${id}, not a block of the pool's ${this.pool.numBlocks}`);
        m.tables[i * this.maxBlocks + b] = id;
      }
      for (let j = 0; j < s.tokens.length; j++, t++) {
        const id = s.tokens[j]!;
        if (!Number.isInteger(id) || id < 0 || id >= c.vocabSize) throw new BatchStepError(`sequence ${i}: token ${j} is ${id}, outside the vocabulary [0, ${c.vocabSize})`);
        const p = s.pos0 + j;
        idv[ids.offset / 4 + t] = id;
        m.positions[t] = p;
        m.seqOf[t] = i;
        m.slots[t] = s.blockTable[Math.floor(p / bt)]! * bt + (p % bt);
      }
      if (s.logits) lastRows.push(t - 1);
    });
    for (const ws of this.workspaces.values()) {
      const i32 = ws.positions.arena.i32;
      i32.set(m.positions.subarray(0, T), ws.positions.offset / 4);
      i32.set(m.seqOf.subarray(0, T), ws.seqOf.offset / 4);
      i32.set(m.slots.subarray(0, T), ws.slots.offset / 4);
      i32.set(m.tables.subarray(0, S * this.maxBlocks), ws.tables.offset / 4);
    }

    // x = embed[tokens]                                   [T, H]
    let x = embedding(this.model.weights.embed, ids, this.input.x.slice(0, T));
    for (let l = 0; l < c.layers; l++) {
      const w = this.model.weights.layers[l]!;
      const ws = this.workspaces.get(w.wq.arena)!;
      const kv = this.pool.layers[l]!;
      const h = ws.x.slice(0, T);
      // The residual stream follows the layers' weights into their arena's workspace.
      if (x.arena !== h.arena || x.offset !== h.offset) h.arena.u8.set(x.bytes(), h.offset);
      x = h;
      const pos = ws.positions.slice(0, T);

      // Attention: xb = rmsnorm(x); q, k, v = xb Wq^T, xb Wk^T, xb Wv^T; rope(q, k)   [T, Hq | Hkv, D]
      const { xb, q, k, v } = layerHead(x, w, c, pos, ws.rope, { xb: ws.xb.slice(0, T), q: ws.q.slice(0, T), k: ws.k.slice(0, T), v: ws.v.slice(0, T) });
      // K/V into each token's slot, then every token attends over its own sequence's blocks
      const layout = { tables: ws.tables.slice(0, S), seqOf: ws.seqOf.slice(0, T), positions: pos };
      const attOut = ws.att.slice(0, T).reshape([T, c.heads, c.headDim]);
      let att: Tensor;
      if (this.i8) {
        pagedWriteKVI8(k, v, kv.k, kv.v, this.i8, ws.slots.slice(0, T));
        att = pagedAttentionI8(q, kv.k, kv.v, this.i8, layout, attOut);
      } else {
        pagedWriteKV(k, v, kv.k, kv.v, ws.slots.slice(0, T));
        att = pagedAttention(q, kv.k, kv.v, layout, attOut);
      }
      // x += att Wo^T; MLP: x += (silu(xn Wgate^T) * (xn Wup^T)) Wdown^T, xn = rmsnorm(x)   [T, H]
      layerTail(x, att.reshape([T, c.heads * c.headDim]), w, c.rmsEps, { xb, proj: ws.proj.slice(0, T), gate: ws.gate.slice(0, T), up: ws.up.slice(0, T) });
    }
    return this.logits(x, lastRows);
  }

  /** logits = rmsnorm(x[r]) lm_head^T for the rows r that end a sampled sequence.   [n, V] */
  private logits(x: Tensor, rows: readonly number[]): Float32Array[] {
    const n = rows.length;
    if (n === 0) return [];
    const c = this.model.config;
    const hx = this.head.x.slice(0, n);
    const row = c.hidden * 4;
    rows.forEach((r, i) => {
      if (x.arena === hx.arena) hx.arena.u8.copyWithin(hx.offset + i * row, x.offset + r * row, x.offset + (r + 1) * row);
      else hx.arena.u8.set(x.arena.u8.subarray(x.offset + r * row, x.offset + (r + 1) * row), hx.offset + i * row);
    });
    const xn = rmsnorm(hx, this.model.weights.norm, c.rmsEps, this.head.xn.slice(0, n));
    const logits = linear(xn, this.model.weights.lmHead, this.head.logits.slice(0, n));
    const V = c.vocabSize;
    this.out.set(logits.arena.f32.subarray(logits.offset / 4, logits.offset / 4 + n * V));
    return rows.map((_, i) => this.out.subarray(i * V, (i + 1) * V));
  }

  dispose(): void {
    for (const w of this.workspaces.values()) for (const t of w.all) t.dispose();
    this.workspaces.clear();
    for (const t of [this.input.ids, this.input.x, this.head.x, this.head.xn, this.head.logits]) t.dispose();
  }

  /**
   * Bytes the step's buffers may take in one arena (an upper bound: the workspace, the embedding's
   * and the head's buffers, and the quantized products' activation records), which the model's
   * loader keeps free next to the layers (ModelOptions.reserveBytes).
   */
  static workspaceBytes(c: YiConfig, limits: BatchLimits, blockTokens: number): number {
    const T = limits.maxTokens;
    const S = limits.maxSeqs;
    const buf = (n: number) => Math.ceil((n * 4) / 64) * 64 + 64;
    const maxBlocks = Math.ceil(limits.contextLength / blockTokens);
    const ws =
      3 * buf(T * c.hidden) + 2 * buf(T * c.heads * c.headDim) + 2 * buf(T * c.kvHeads * c.headDim) + 2 * buf(T * c.ffn) +
      3 * buf(T) + buf(S * maxBlocks) + 2 * buf((limits.contextLength * c.headDim) / 2);
    const io = buf(T) + buf(T * c.hidden) + 2 * buf(S * c.hidden) + buf(S * c.vocabSize);
    const acts = actBytes(T, Math.ceil(Math.max(c.hidden, c.ffn, c.heads * c.headDim) / QK) * QK) + 64;
    return ws + io + acts;
  }
}
