// The Yi decoder (Llama architecture: pre-norm RMSNorm, GQA with RoPE, SwiGLU MLP, untied head)
// with a KV cache, on the engine's kernels. Reads top to bottom like the paper; shapes in comments
// use T = tokens in this step, H = hidden, Hq / Hkv = query / kv heads, D = head dim, F = ffn, V = vocab.
import type { Arena } from '../runtime/arena.js';
import type { Runtime } from '../runtime/runtime.js';
import { byteSize, type DType } from '../tensor/dtype.js';
import { attention, writeKV } from '../tensor/ops/attention.js';
import { embedding } from '../tensor/ops/embedding.js';
import { linear } from '../tensor/ops/linear.js';
import { rmsnorm } from '../tensor/ops/norm.js';
import { layerHead, layerTail } from './layer-parts.js';
import { ropeTable, type RopeTable } from '../tensor/ops/rope.js';
import { Tensor } from '../tensor/tensor.js';
import type { YiConfig } from './config.js';
import { mulberry32 } from '../tensor/random.js';
import { DecodePlan, plannableDType } from './decode.js';
import { matrixType } from './weight-types.js';
import { ArenaPlacer, fillUniform, layerBytes, layerMatrixShapes, layerTensors, stagingBytes, type LayerWeights, type MatrixTypes, type YiWeights } from './weights.js';

export interface ModelOptions {
  /** Positions the KV cache holds (default: the config's maxPositions, capped at 4096). */
  contextLength?: number;
  /** Tokens one forward step processes at most (prompt chunks); default 128. */
  batch?: number;
  /** Bytes kept free in every arena that holds layers, for buffers a caller places next to them
   *  (the serving engine's step workspace); default 0. */
  reserveBytes?: number;
}

/** Buffers of one forward step, one set per arena that holds layers. [T, ...] views are cut per step. */
interface Workspace {
  arena: Arena;
  x: Tensor; // [B, H] residual stream
  xb: Tensor; // [B, H] normed input of a sub-block
  q: Tensor; // [B, Hq * D]
  k: Tensor; // [B, Hkv * D]
  v: Tensor; // [B, Hkv * D]
  att: Tensor; // [B, Hq * D]
  proj: Tensor; // [B, H] output of wo / w_down
  gate: Tensor; // [B, F]
  up: Tensor; // [B, F]
  positions: Tensor; // i32 [B]
  rope: RopeTable; // cos/sin [ctx, D / 2]
}

interface LayerCache {
  k: Tensor; // [ctx, Hkv, D]
  v: Tensor; // [ctx, Hkv, D]
}

export class YiModel {
  readonly contextLength: number;
  readonly batch: number;
  private readonly workspaces = new Map<Arena, Workspace>();
  private readonly caches: LayerCache[] = [];
  private input!: { ids: Tensor; x: Tensor }; // i32 [B] and f32 [B, H], next to the embedding
  private head!: { x: Tensor; xn: Tensor; logits: Tensor }; // [1, H], [1, H], [1, V], next to the head
  private headAll?: { x: Tensor; xn: Tensor; logits: Tensor }; // [B, H], [B, H], [B, V], for forwardAll
  private plan?: DecodePlan; // the one-token step, built on first use
  private plannable?: boolean;
  /** Tokens whose keys and values are in the cache, in order (position = tokens.length). */
  readonly tokens: number[] = [];

  private constructor(
    readonly rt: Runtime,
    readonly config: YiConfig,
    readonly weights: YiWeights,
    opts: { contextLength: number; batch: number },
  ) {
    this.contextLength = opts.contextLength;
    this.batch = opts.batch;
  }

  /** Bytes of one arena's workspace (and of one layer's KV cache) for a config and options. */
  static workspaceBytes(cfg: YiConfig, ctx: number, batch: number): number {
    const q = cfg.heads * cfg.headDim;
    const kv = cfg.kvHeads * cfg.headDim;
    const f32 = (n: number) => byteSize('f32', [n]) + 64;
    return f32(batch * cfg.hidden) * 3 + f32(batch * q) * 2 + f32(batch * kv) * 2 + f32(batch * cfg.ffn) * 2 + f32(batch) + f32(ctx * cfg.headDim) + stagingBytes(Math.max(cfg.hidden, cfg.ffn));
  }

  /**
   * Allocates a model whose weights are filled by `fill(name, tensor)` (a loader, or random values),
   * layer by layer, each layer with its KV cache in one arena. Names are Hugging Face's
   * (`model.layers.3.self_attn.q_proj.weight`); norms are f32 [H], matrices [out, in] of `types`:
   * one type for all (a block type falls back to f16 where rows are not whole blocks, see
   * weight-types.ts), or a type per matrix.
   */
  static create(rt: Runtime, cfg: YiConfig, types: DType | MatrixTypes, fill: (name: string, t: Tensor) => void, opts: ModelOptions = {}): YiModel {
    const ctx = opts.contextLength ?? Math.min(cfg.maxPositions, 4096);
    const batch = opts.batch ?? 128;
    if (!Number.isInteger(ctx) || ctx < 1) throw new RangeError(`contextLength must be a positive integer, got ${ctx}`);
    if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`batch must be a positive integer, got ${batch}`);
    const reserve = opts.reserveBytes ?? 0;
    if (!Number.isInteger(reserve) || reserve < 0) throw new RangeError(`reserveBytes must be an integer >= 0, got ${reserve}`);
    const wsBytes = YiModel.workspaceBytes(cfg, ctx, batch);
    const placer = new ArenaPlacer(rt, wsBytes + reserve);
    const kvBytes = 2 * byteSize('f32', [ctx, cfg.kvHeads, cfg.headDim]);
    const typeOf: MatrixTypes = typeof types === 'function' ? types : (_name, [, cols]) => matrixType(types, cols);
    const matrix = (name: string, shape: [number, number], arena: Arena) => {
      const t = Tensor.zeros(rt, typeOf(name, shape), shape, arena);
      fill(name, t);
      return t;
    };
    const vector = (name: string, n: number, arena: Arena) => {
      const t = Tensor.zeros(rt, 'f32', [n], arena);
      fill(name, t);
      return t;
    };

    const embArena = placer.place(byteSize(typeOf('model.embed_tokens.weight', [cfg.vocabSize, cfg.hidden]), [cfg.vocabSize, cfg.hidden]) + byteSize('f32', [batch, cfg.hidden + 1]));
    const embed = matrix('model.embed_tokens.weight', [cfg.vocabSize, cfg.hidden], embArena);
    const shapes = layerMatrixShapes(cfg);
    const layers: LayerWeights[] = [];
    const caches: LayerCache[] = [];
    const arenasUsed: Arena[] = [];
    for (let l = 0; l < cfg.layers; l++) {
      const arena = placer.place(layerBytes(cfg, l, typeOf) + kvBytes);
      if (!arenasUsed.includes(arena)) arenasUsed.push(arena);
      layers.push(layerTensors(l, (name, field) => (field === 'attnNorm' || field === 'ffnNorm' ? vector(name, cfg.hidden, arena) : matrix(name, shapes[field], arena))));
      caches.push({
        k: Tensor.zeros(rt, 'f32', [ctx, cfg.kvHeads, cfg.headDim], arena),
        v: Tensor.zeros(rt, 'f32', [ctx, cfg.kvHeads, cfg.headDim], arena),
      });
    }
    const headBytes = byteSize(typeOf('lm_head.weight', [cfg.vocabSize, cfg.hidden]), [cfg.vocabSize, cfg.hidden]);
    const headArena = placer.place(headBytes + byteSize('f32', [cfg.hidden]) * 2 + byteSize('f32', [cfg.vocabSize]));
    const norm = vector('model.norm.weight', cfg.hidden, headArena);
    const lmHead = matrix('lm_head.weight', [cfg.vocabSize, cfg.hidden], headArena);

    const model = new YiModel(rt, cfg, { embed, layers, norm, lmHead }, { contextLength: ctx, batch });
    model.caches.push(...caches);
    for (const a of arenasUsed) model.workspaces.set(a, model.makeWorkspace(a));
    model.input = { ids: Tensor.zeros(rt, 'i32', [batch], embArena), x: Tensor.zeros(rt, 'f32', [batch, cfg.hidden], embArena) };
    model.head = {
      x: Tensor.zeros(rt, 'f32', [1, cfg.hidden], headArena),
      xn: Tensor.zeros(rt, 'f32', [1, cfg.hidden], headArena),
      logits: Tensor.zeros(rt, 'f32', [1, cfg.vocabSize], headArena),
    };
    return model;
  }

  /** A model with uniform random weights (tests, benchmarks); norms are 1 + small noise. */
  static random(rt: Runtime, cfg: YiConfig, types: DType | MatrixTypes, seed = 1, opts: ModelOptions = {}): YiModel {
    const next = mulberry32(seed);
    return YiModel.create(rt, cfg, types, (name, t) => {
      if (t.rank === 1) {
        const f = t.arena.f32;
        for (let i = 0; i < t.numel; i++) f[t.offset / 4 + i] = 1 + (next() - 0.5) * 0.2;
      } else {
        fillUniform(t, 1 / Math.sqrt(t.cols), next);
      }
    }, opts);
  }

  private makeWorkspace(arena: Arena): Workspace {
    const { rt, config: c, batch: b } = this;
    const z = (shape: number[]) => Tensor.zeros(rt, 'f32', shape, arena);
    return {
      arena,
      x: z([b, c.hidden]),
      xb: z([b, c.hidden]),
      q: z([b, c.heads * c.headDim]),
      k: z([b, c.kvHeads * c.headDim]),
      v: z([b, c.kvHeads * c.headDim]),
      att: z([b, c.heads * c.headDim]),
      proj: z([b, c.hidden]),
      gate: z([b, c.ffn]),
      up: z([b, c.ffn]),
      positions: Tensor.zeros(rt, 'i32', [b], arena),
      rope: ropeTable(rt, { headDim: c.headDim, maxPos: this.contextLength, base: c.ropeTheta }, arena),
    };
  }

  /** Positions already in the KV cache. */
  get position(): number {
    return this.tokens.length;
  }

  /** Layer l's KV cache: keys and values, f32 [contextLength, Hkv, D] in the layer's arena. The
   *  serving engine uses this memory as its paged block pool, so a model serving an engine must not
   *  run forward() meanwhile. */
  kvCache(l: number): { k: Tensor; v: Tensor } {
    const c = this.caches[l];
    if (!c) throw new RangeError(`kvCache: layer ${l} is not one of the model's ${this.caches.length}`);
    return c;
  }

  /** Forgets the KV cache (a new sequence). */
  reset(): void {
    this.tokens.length = 0;
  }

  /** Keeps only the first `n` cached positions: later rows are simply overwritten by the next
   *  forward(), since attention reads rows below the current position only. */
  truncate(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > this.position) throw new RangeError(`truncate: ${n} is not between 0 and ${this.position}`);
    this.tokens.length = n;
  }

  /**
   * Runs `tokens` at positions position .. position + n - 1 (in chunks of `batch`), appends their
   * K/V to the cache and returns the logits of the last token, f32 [1, V]: a view that the next
   * forward() overwrites (copy it with toArray() to keep it).
   */
  forward(tokens: ArrayLike<number>): Tensor {
    const n = tokens.length;
    this.checkTokens('forward', tokens);
    if (n === 1 && this.canPlanDecode()) {
      const logits = this.decodePlan().step(tokens[0]!, this.position);
      this.tokens.push(tokens[0]!);
      return logits;
    }
    let x!: Tensor;
    for (let s = 0; s < n; s += this.batch) {
      const t = Math.min(this.batch, n - s);
      x = this.step(tokens, s, t);
    }
    return this.logits(x);
  }

  /**
   * Runs `tokens` like forward() and hands the logits of each token from index `from` on to
   * `onLogits(i, row)`, in order: row is f32 [V], a view valid only during the call (evaluation
   * scores every position; generation needs only the last, which forward() gives without this cost).
   */
  forwardAll(tokens: ArrayLike<number>, onLogits: (index: number, logits: Float32Array) => void, from = 0): void {
    const n = tokens.length;
    this.checkTokens('forwardAll', tokens);
    const V = this.config.vocabSize;
    for (let s = 0; s < n; s += this.batch) {
      const t = Math.min(this.batch, n - s);
      const x = this.step(tokens, s, t);
      const skip = Math.max(0, Math.min(t, from - s));
      if (skip === t) continue;
      // logits = rmsnorm(x) lm_head^T for the rows wanted                [t - skip, V]
      const rows = this.headRows();
      const hx = rows.x.slice(0, t - skip);
      hx.arena.u8.set(x.slice(skip, t - skip).bytes(), hx.offset);
      const xn = rmsnorm(hx, this.weights.norm, this.config.rmsEps, rows.xn.slice(0, t - skip));
      const logits = linear(xn, this.weights.lmHead, rows.logits.slice(0, t - skip));
      for (let i = 0; i < t - skip; i++) {
        const o = logits.offset / 4 + i * V;
        onLogits(s + skip + i, logits.arena.f32.subarray(o, o + V));
      }
    }
  }

  /** The head's [B, ...] buffers for forwardAll, allocated on its first call (generation never pays for [B, V]). */
  private headRows(): { x: Tensor; xn: Tensor; logits: Tensor } {
    if (this.headAll) return this.headAll;
    const { rt, config: c, batch: b } = this;
    const arena = this.head.x.arena;
    this.headAll = {
      x: Tensor.zeros(rt, 'f32', [b, c.hidden], arena),
      xn: Tensor.zeros(rt, 'f32', [b, c.hidden], arena),
      logits: Tensor.zeros(rt, 'f32', [b, c.vocabSize], arena),
    };
    return this.headAll;
  }

  private checkTokens(what: string, tokens: ArrayLike<number>): void {
    const n = tokens.length;
    if (n === 0) throw new RangeError(`${what}: no tokens`);
    if (this.position + n > this.contextLength) {
      throw new RangeError(`${what}: ${this.position + n} positions exceed the context length ${this.contextLength}`);
    }
    for (let i = 0; i < n; i++) {
      const id = tokens[i]!;
      if (!Number.isInteger(id) || id < 0 || id >= this.config.vocabSize) {
        throw new RangeError(`${what}: token ${i} is ${id}, outside the vocabulary [0, ${this.config.vocabSize})`);
      }
    }
  }

  /** The planned step runs the 32-block and kx4 (Q4_K, Q5_K, Q6_K) kernels; a model with other k-types decodes through the ops. */
  private canPlanDecode(): boolean {
    this.plannable ??= this.weightTensors().every((t) => plannableDType(t.dtype));
    return this.plannable;
  }

  private weightTensors(): Tensor[] {
    const w = this.weights;
    return [w.embed, w.norm, w.lmHead, ...w.layers.flatMap((l) => Object.values(l) as Tensor[])];
  }

  private decodePlan(): DecodePlan {
    if (this.plan) return this.plan;
    const w = this.weights;
    const layers = w.layers.map((l, i) => {
      const ws = this.workspaces.get(l.wq.arena)!;
      return { ...l, cacheK: this.caches[i]!.k, cacheV: this.caches[i]!.v, ws };
    });
    this.plan = new DecodePlan(this.rt, this.config, {
      embed: w.embed,
      ids: this.input.ids,
      embedOut: this.input.x,
      layers,
      norm: w.norm,
      lmHead: w.lmHead,
      headX: this.head.x,
      headXn: this.head.xn,
      logits: this.head.logits,
    });
    return this.plan;
  }

  /** One chunk of T tokens through every layer; returns the residual stream [T, H] of the last arena. */
  private step(tokens: ArrayLike<number>, from: number, T: number): Tensor {
    const c = this.config;
    const pos0 = this.position;
    // x = embed[tokens]                                   [T, H]
    const ids = this.input.ids.slice(0, T);
    const idv = ids.arena.i32;
    for (let i = 0; i < T; i++) idv[ids.offset / 4 + i] = tokens[from + i]!;
    let x = embedding(this.weights.embed, ids, this.input.x.slice(0, T));
    for (let l = 0; l < c.layers; l++) {
      const w = this.weights.layers[l]!;
      const ws = this.workspaces.get(w.wq.arena)!;
      const cache = this.caches[l]!;
      const h = ws.x.slice(0, T);
      // The residual stream follows the layers' weights into their arena's workspace.
      if (x.arena !== h.arena || x.offset !== h.offset) h.arena.u8.set(x.bytes(), h.offset);
      x = h;
      const pos = ws.positions.slice(0, T);
      for (let i = 0; i < T; i++) pos.arena.i32[pos.offset / 4 + i] = pos0 + i;

      // Attention: xb = rmsnorm(x); q, k, v = xb Wq^T, xb Wk^T, xb Wv^T; rope(q, k)   [T, Hq | Hkv, D]
      const { xb, q, k, v } = layerHead(x, w, c, pos, ws.rope, { xb: ws.xb.slice(0, T), q: ws.q.slice(0, T), k: ws.k.slice(0, T), v: ws.v.slice(0, T) });
      writeKV(cache.k, k, pos0);
      writeKV(cache.v, v, pos0);
      // att = softmax(q k^T / sqrt(D), causal) v over cache rows 0 .. pos0 + t   [T, Hq, D]
      const att = attention(q, cache.k, cache.v, pos0, ws.att.slice(0, T).reshape([T, c.heads, c.headDim]));
      // x += att Wo^T; MLP: x += (silu(xn Wgate^T) * (xn Wup^T)) Wdown^T, xn = rmsnorm(x)   [T, H]
      layerTail(x, att.reshape([T, c.heads * c.headDim]), w, c.rmsEps, { xb, proj: ws.proj.slice(0, T), gate: ws.gate.slice(0, T), up: ws.up.slice(0, T) });
    }
    for (let i = 0; i < T; i++) this.tokens.push(tokens[from + i]!);
    return x;
  }

  /** logits = rmsnorm(x_last) lm_head^T for the last token of the step.   [V] */
  private logits(x: Tensor): Tensor {
    const T = x.shape[0]!;
    const last = x.slice(T - 1, 1);
    const hx = this.head.x;
    hx.arena.u8.set(last.bytes(), hx.offset);
    const xn = rmsnorm(hx, this.weights.norm, this.config.rmsEps, this.head.xn);
    return linear(xn, this.weights.lmHead, this.head.logits);
  }

  /** Frees every buffer of the model. */
  dispose(): void {
    const w = this.weights;
    const all: Tensor[] = [w.embed, w.norm, w.lmHead, this.input.ids, this.input.x, this.head.x, this.head.xn, this.head.logits];
    for (const l of w.layers) all.push(...Object.values(l));
    for (const c of this.caches) all.push(c.k, c.v);
    for (const ws of this.workspaces.values()) {
      all.push(ws.x, ws.xb, ws.q, ws.k, ws.v, ws.att, ws.proj, ws.gate, ws.up, ws.positions, ws.rope.cos, ws.rope.sin);
    }
    if (this.headAll) all.push(this.headAll.x, this.headAll.xn, this.headAll.logits);
    this.headAll = undefined;
    for (const t of all) t.dispose();
    this.plan?.dispose();
    this.plan = undefined;
  }
}
