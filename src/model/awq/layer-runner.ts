// The float model run one decoder layer at a time over the calibration sequences, as AutoAWQ runs
// it: only one layer's f32 weights and the residual stream of every calibration token are held at
// once, so a model far larger than memory calibrates. Each layer also hands back the inputs of its
// four groups of matrices (scales.ts). The layer's math is model.ts's, on the same ops.
// Shapes: N = calibration tokens (S sequences of T), H = hidden, Hq / Hkv = heads, D = head dim, F = ffn.
import type { Arena } from '../../runtime/arena.js';
import type { Runtime } from '../../runtime/runtime.js';
import { add, swiglu } from '../../tensor/ops/activation.js';
import { attention, writeKV } from '../../tensor/ops/attention.js';
import { linear } from '../../tensor/ops/linear.js';
import { rmsnorm } from '../../tensor/ops/norm.js';
import { applyRope, ropeTable, type RopeTable } from '../../tensor/ops/rope.js';
import { Tensor } from '../../tensor/tensor.js';
import type { YiConfig } from '../config.js';
import { fillFrom } from '../load.js';
import type { WeightSource } from '../source.js';
import { layerBytes, layerTensorShape, layerTensors, type LayerWeights } from '../weights.js';
import { decodeFloatRow, requireFloat } from './float-rows.js';
import type { GroupName } from './scales.js';

export type AttentionWeights = Pick<LayerWeights, 'wq' | 'wk' | 'wv' | 'wo'>;
export type MlpWeights = Pick<LayerWeights, 'wGate' | 'wUp' | 'wDown'>;
export type BlockWeights = AttentionWeights | MlpWeights;

function f32(t: Tensor): Float32Array {
  return t.arena.f32.subarray(t.offset / 4, t.offset / 4 + t.numel);
}

/** What the matrices of each group read, for every calibration token: [N, width] row-major (empty: not kept). */
export type GroupInputs = Record<GroupName, Float32Array>;

/** x[N, H] = embed[tokens], read row by row from the checkpoint. */
export function embedTokens(src: WeightSource, tokens: Int32Array): Float32Array {
  const name = 'model.embed_tokens.weight';
  const e = src.tensors.get(name)!;
  const dtype = e.dtype;
  requireFloat(name, dtype);
  const H = src.config.hidden;
  const x = new Float32Array(tokens.length * H);
  const raw = new Uint8Array(e.rowBytes);
  for (let i = 0; i < tokens.length; i++) {
    e.readRows(tokens[i]!, 1, raw);
    decodeFloatRow(dtype, raw, x.subarray(i * H, (i + 1) * H));
  }
  return x;
}

/** Runs layers over S sequences of T tokens; one arena holds the current layer and the workspace. */
export class LayerRunner {
  private readonly ws: Record<'x' | 'xb' | 'q' | 'k' | 'v' | 'att' | 'proj' | 'gate' | 'up' | 'cacheK' | 'cacheV', Tensor>;
  private readonly positions: Tensor;
  private readonly rope: RopeTable;

  readonly arena: Arena;

  constructor(
    readonly rt: Runtime,
    readonly src: WeightSource,
    readonly seqLen: number,
  ) {
    const c = src.config;
    // One layer in f32, a rounded copy of its largest group and the search's buffers, with slack;
    // an arena with that much room is reused (a table run quantizes several files on one runtime).
    const layer = layerBytes(c, 0, () => 'f32');
    const need = 3 * layer + 16 * seqLen * (4 * c.hidden + 2 * c.ffn + 2 * c.heads * c.headDim) + (64 << 20);
    const arena = rt.arenas.find((a) => a.available >= need) ?? rt.newArena();
    this.arena = arena;
    const T = seqLen;
    const z = (shape: number[]) => Tensor.zeros(rt, 'f32', shape, arena);
    this.ws = {
      x: z([T, c.hidden]),
      xb: z([T, c.hidden]),
      q: z([T, c.heads, c.headDim]),
      k: z([T, c.kvHeads, c.headDim]),
      v: z([T, c.kvHeads, c.headDim]),
      att: z([T, c.heads, c.headDim]),
      proj: z([T, c.hidden]),
      gate: z([T, c.ffn]),
      up: z([T, c.ffn]),
      cacheK: z([T, c.kvHeads, c.headDim]),
      cacheV: z([T, c.kvHeads, c.headDim]),
    };
    this.positions = Tensor.fromI32(rt, Array.from({ length: T }, (_, i) => i), [T], arena);
    this.rope = ropeTable(rt, { headDim: c.headDim, maxPos: T, base: c.ropeTheta }, arena);
  }

  get config(): YiConfig {
    return this.src.config;
  }

  /** Layer l's weights in f32 in the runner's arena (dispose them with disposeLayer). */
  loadLayer(l: number): LayerWeights {
    const cfg = this.config;
    return layerTensors(l, (name, field) => {
      const s = this.src.tensors.get(name)!;
      requireFloat(name, s.dtype);
      const t = Tensor.zeros(this.rt, 'f32', layerTensorShape(cfg, field), this.arena);
      fillFrom(s, t);
      return t;
    });
  }

  disposeLayer(w: LayerWeights): void {
    for (const t of Object.values(w) as Tensor[]) t.dispose();
  }

  /**
   * x[N, H] (the residual stream entering layer w) becomes the stream leaving it; `capture` (when
   * given) receives each group's input for every token.
   */
  run(w: LayerWeights, x: Float32Array, capture?: GroupInputs): void {
    const c = this.config;
    const T = this.seqLen;
    const H = c.hidden;
    const { ws } = this;
    // Groups that are not searched have empty arrays.
    const keep = (g: GroupName, t: Tensor, s: number) => {
      if (capture && capture[g].length > 0) capture[g].set(f32(t), s * t.numel);
    };
    const S = x.length / (T * H);
    for (let s = 0; s < S; s++) {
      const h = ws.x;
      f32(h).set(x.subarray(s * T * H, (s + 1) * T * H));
      // h += attention(rmsnorm(h))                                                       [T, H]
      const xb = rmsnorm(h, w.attnNorm, c.rmsEps, ws.xb);
      keep('attn', xb, s);
      add(h, this.attentionStep(w, xb), h);
      keep('o', ws.att, s);
      // h += mlp(rmsnorm(h))                                                             [T, H]
      rmsnorm(h, w.ffnNorm, c.rmsEps, xb);
      keep('mlp', xb, s);
      add(h, this.mlpStep(w, xb), h);
      keep('down', ws.gate, s);
      x.set(f32(h), s * T * H);
    }
  }

  /**
   * The output [N, H] of one sub-block (attention with o_proj, or the MLP with down_proj) of weights
   * `w` on normed inputs xb [N, H]: what AutoAWQ compares when it searches the scales of the
   * matrices that read xb (module2inspect).
   */
  block(kind: 'attention' | 'mlp', w: BlockWeights, xb: Float32Array, out: Float32Array): void {
    const H = this.config.hidden;
    const T = this.seqLen;
    const S = xb.length / (T * H);
    for (let s = 0; s < S; s++) {
      f32(this.ws.xb).set(xb.subarray(s * T * H, (s + 1) * T * H));
      const y = kind === 'attention' ? this.attentionStep(w as AttentionWeights, this.ws.xb) : this.mlpStep(w as MlpWeights, this.ws.xb);
      out.set(f32(y), s * T * H);
    }
  }

  /** o_proj(attention(rope(xb Wq^T), rope(xb Wk^T), xb Wv^T)) for one sequence; leaves att in ws.att. */
  private attentionStep(w: AttentionWeights, xb: Tensor): Tensor {
    const c = this.config;
    const T = this.seqLen;
    const { ws } = this;
    linear(xb, w.wq, ws.q.reshape([T, c.heads * c.headDim]));
    linear(xb, w.wk, ws.k.reshape([T, c.kvHeads * c.headDim]));
    linear(xb, w.wv, ws.v.reshape([T, c.kvHeads * c.headDim]));
    applyRope(ws.q, this.positions, this.rope);
    applyRope(ws.k, this.positions, this.rope);
    writeKV(ws.cacheK, ws.k, 0);
    writeKV(ws.cacheV, ws.v, 0);
    // att = softmax(q k^T / sqrt(D), causal) v                                           [T, Hq, D]
    const att = attention(ws.q, ws.cacheK, ws.cacheV, 0, ws.att).reshape([T, c.heads * c.headDim]);
    return linear(att, w.wo, ws.proj);
  }

  /** (silu(xb Wgate^T) * (xb Wup^T)) Wdown^T for one sequence; leaves silu(g) * u in ws.gate.   [T, F] -> [T, H] */
  private mlpStep(w: MlpWeights, xb: Tensor): Tensor {
    const { ws } = this;
    linear(xb, w.wGate, ws.gate);
    linear(xb, w.wUp, ws.up);
    swiglu(ws.gate, ws.up, ws.gate);
    return linear(ws.gate, w.wDown, ws.proj);
  }

  dispose(): void {
    for (const t of Object.values(this.ws)) t.dispose();
    this.positions.dispose();
    this.rope.cos.dispose();
    this.rope.sin.dispose();
  }
}
