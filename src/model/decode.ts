// The one-token decode step, planned once: every kernel call of a layer with its operands fixed
// (only the position moves), so a token costs one call per kernel and no tensor views, checks or
// allocations. Numerically it is YiModel's step() for T = 1, bit for bit:
//   - q, k, v (and gate, up) read one quantization of their shared input instead of one each;
//   - RMSNorm and SwiGLU write the activation records of the next quantized GEMV in the same pass
//     (rmsnorm_quantize_act, swiglu_quantize_act: the same values quantize_act would read);
//   - wo and w_down add into the residual stream (gemv_*_add: x + W a, the add_f32 sum);
//   - k and v land in their cache rows directly (k roped there), with no copy.
// k-type matrices (kx4 layouts) read quantize_act_k records of their block size (256 values for
// the k-quants, 32 for Q4_1 / Q5_0 / Q5_1), written once per input and block size from the f32
// values their op would quantize (gemv_kx4 / gemv_kxl and the _add forms: kMatvec's bits).
import type { Arena } from '../runtime/arena.js';
import type { Runtime } from '../runtime/runtime.js';
import { blockBytes, elementBytes, isKType, isKX4, isQuantized, KTYPES, kRowBytes, QK, QROWS } from '../tensor/dtype.js';
import { ACT_BLOCK } from '../tensor/ops/gemv.js';
import { actRecordBytes, kx4Kernels } from '../tensor/ops/kquant.js';
import { quantBytes } from '../tensor/ops/quant.js';
import { MIN_ELEMENTS_PER_THREAD, minRowsPerThread } from '../tensor/ops/util.js';
import type { Tensor } from '../tensor/tensor.js';
import type { YiConfig } from './config.js';

/** One kernel call: rt.parallel(name, arena, args, total, align, minUnits). */
interface Call {
  name: string;
  arena: Arena;
  args: number[];
  total: number;
  align: number;
  minUnits: number;
}

/** What the plan needs of one layer: its weights, KV cache and workspace buffers. */
export interface DecodeLayer {
  attnNorm: Tensor;
  wq: Tensor;
  wk: Tensor;
  wv: Tensor;
  wo: Tensor;
  ffnNorm: Tensor;
  wGate: Tensor;
  wUp: Tensor;
  wDown: Tensor;
  cacheK: Tensor; // [ctx, Hkv, D]
  cacheV: Tensor;
  ws: { x: Tensor; xb: Tensor; q: Tensor; att: Tensor; proj: Tensor; gate: Tensor; up: Tensor; positions: Tensor; rope: { cos: Tensor; sin: Tensor } };
}

export interface DecodeModel {
  embed: Tensor;
  ids: Tensor; // i32, first element holds the token
  embedOut: Tensor; // f32 [1+, H] next to the embedding
  layers: DecodeLayer[];
  norm: Tensor;
  lmHead: Tensor;
  headX: Tensor; // f32 [1, H]
  headXn: Tensor;
  logits: Tensor; // f32 [1, V]
}

/** Whether the decode plan can run a matrix of this dtype (the k-types only in the kx4 layout). */
export function plannableDType(d: Tensor['dtype']): boolean {
  return !isKType(d) || isKX4(d);
}

function isK(w: Tensor): boolean {
  return isKType(w.dtype) && isKX4(w.dtype);
}

/** Activation record block size of a k-type matrix. */
function kBlock(w: Tensor): number {
  return KTYPES[w.dtype as keyof typeof KTYPES].block;
}

function kNames(w: Tensor): ReturnType<typeof kx4Kernels> {
  return kx4Kernels(w.dtype as keyof typeof KTYPES);
}

function gemvMinRows(w: Tensor): number {
  const K = w.shape[1]!;
  const rowBytes = isQuantized(w.dtype) ? (K / QK) * blockBytes[w.dtype] : isKType(w.dtype) ? kRowBytes(w.dtype, K) : K * elementBytes(w.dtype);
  return Math.max(QROWS, Math.ceil(64 * 1024 / Math.max(1, rowBytes) / QROWS) * QROWS);
}

export class DecodePlan {
  private readonly acts = new Map<Arena, number>();
  /** quantize_act_k records per arena and block size (256 or 32 values), for the kx4 matrices. */
  private readonly kacts = new Map<Arena, Map<number, number>>();
  private readonly layerCalls: Call[][] = [];
  private readonly head: Call[];
  private readonly embedCall: Call;
  /** Per layer: the calls whose arguments hold the position (patched each token). */
  private readonly posArgs: { kOut: number[]; vOut: number[]; kRope: number[]; attn: Call; cacheRow: number; kBase: number; vBase: number; positions: Tensor }[] = [];

  constructor(
    private readonly rt: Runtime,
    private readonly cfg: YiConfig,
    private readonly m: DecodeModel,
  ) {
    const H = cfg.hidden;
    const D = cfg.headDim;
    const hq = cfg.heads;
    const hkv = cfg.kvHeads;
    const maxK = Math.max(H, cfg.ffn, hq * D);
    for (const l of m.layers) {
      const arena = l.wq.arena;
      if (!this.acts.has(arena)) this.acts.set(arena, rt.alloc((Math.ceil(maxK / QK) * ACT_BLOCK), arena, false, 'decode activation records').offset);
    }
    const headArena = m.lmHead.arena;
    if (!this.acts.has(headArena)) this.acts.set(headArena, rt.alloc(Math.ceil(maxK / QK) * ACT_BLOCK, headArena, false, 'decode activation records').offset);
    const kact = (arena: Arena, B: number): number => {
      let byB = this.kacts.get(arena);
      if (!byB) this.kacts.set(arena, (byB = new Map()));
      let o = byB.get(B);
      if (o === undefined) byB.set(B, (o = rt.alloc(Math.ceil(maxK / B) * actRecordBytes(B), arena, false, 'decode k-quant activation records').offset));
      return o;
    };
    const quantizeK = (calls: Call[], arena: Arena, src: number, K: number, B: number): number => {
      const a = kact(arena, B);
      calls.push({ name: 'quantize_act_k', arena, args: [src, a, K, B], total: 1, align: 1, minUnits: 1 });
      return a;
    };

    const e = m.embed;
    this.embedCall = isK(e)
      ? { name: kNames(e).rows, arena: e.arena, args: [e.offset, e.shape[0]!, H, KTYPES[e.dtype as keyof typeof KTYPES].code, m.ids.offset, m.embedOut.offset], total: 1, align: 1, minUnits: 1 }
      : isQuantized(e.dtype)
      ? { name: 'dequantize_rows_x4', arena: e.arena, args: [e.offset, e.shape[0]!, H, quantBytes(e.dtype), m.ids.offset, m.embedOut.offset], total: 1, align: 1, minUnits: 1 }
      : { name: `embed_${e.dtype}`, arena: e.arena, args: [e.offset, m.ids.offset, m.embedOut.offset, H], total: 1, align: 1, minUnits: 1 };

    for (const l of m.layers) {
      const arena = l.wq.arena;
      const act = this.acts.get(arena)!;
      const x = l.ws.x.offset;
      const calls: Call[] = [];
      const kvRow = hkv * D * 4;
      // xb (f32) only when some consumer reads f32; act when some consumer is quantized.
      // kx4 consumers read records of the f32 xb.
      const norm = (w: Tensor, consumers: Tensor[]) => {
        const q = consumers.some((c) => isQuantized(c.dtype));
        const f = consumers.some((c) => !isQuantized(c.dtype));
        if (q) calls.push({ name: 'rmsnorm_quantize_act', arena, args: [x, w.offset, f ? l.ws.xb.offset : 0, act, H, cfg.rmsEps], total: 1, align: 1, minUnits: 1 });
        else calls.push({ name: 'rmsnorm_f32', arena, args: [x, w.offset, l.ws.xb.offset, H, cfg.rmsEps], total: 1, align: 1, minUnits: 1 });
        for (const B of new Set(consumers.filter(isK).map(kBlock))) quantizeK(calls, arena, l.ws.xb.offset, H, B);
      };
      const gemv = (w: Tensor, input: number, out: number, add: boolean): number[] => {
        if (isK(w)) {
          const [N, K] = w.shape as [number, number];
          this.checkKScratch(arena, w, K);
          const args = [w.offset, kact(arena, kBlock(w)), out, N, K, KTYPES[w.dtype as keyof typeof KTYPES].code];
          calls.push({ name: kNames(w).gemv, arena, args, total: N, align: QROWS, minUnits: gemvMinRows(w) });
          return args;
        }
        const q = isQuantized(w.dtype);
        const addKernel = add && w.dtype !== 'f16' && w.dtype !== 'bf16';
        const [N, K] = w.shape as [number, number];
        if (q) this.checkScratch(arena, K);
        const args = [w.offset, q ? act : input, out, N, K];
        calls.push({ name: `gemv_${w.dtype}${addKernel ? '_add' : ''}`, arena, args, total: N, align: QROWS, minUnits: gemvMinRows(w) });
        return args;
      };
      // Attention: q, k, v = rmsnorm(x) W^T; rope; attend over the cache; x += att Wo^T.
      norm(l.attnNorm, [l.wq, l.wk, l.wv]);
      gemv(l.wq, l.ws.xb.offset, l.ws.q.offset, false);
      const kOut = gemv(l.wk, l.ws.xb.offset, l.cacheK.offset, false);
      const vOut = gemv(l.wv, l.ws.xb.offset, l.cacheV.offset, false);
      const rope = (ptr: number, heads: number): number[] => {
        const args = [ptr, l.ws.positions.offset, l.ws.rope.cos.offset, l.ws.rope.sin.offset, heads, D, 0];
        calls.push({ name: 'rope_f32', arena, args, total: heads, align: 1, minUnits: minRowsPerThread(D) });
        return args;
      };
      rope(l.ws.q.offset, hq);
      const kRope = rope(l.cacheK.offset, hkv);
      const attn: Call = {
        name: 'attention_f32',
        arena,
        args: [l.ws.q.offset, l.cacheK.offset, l.cacheV.offset, l.ws.att.offset, hq, hkv, D, 0, Math.fround(1 / Math.sqrt(D))],
        total: hq,
        align: 1,
        minUnits: 1,
      };
      calls.push(attn);
      this.residual(calls, arena, l.wo, l.ws.att.offset, act, x, hq * D, l.ws.proj.offset, 'quantize_act', 0, quantizeK);
      // MLP: x += (silu(rmsnorm(x) Wg^T) * (rmsnorm(x) Wu^T)) Wd^T.
      norm(l.ffnNorm, [l.wGate, l.wUp]);
      gemv(l.wGate, l.ws.xb.offset, l.ws.gate.offset, false);
      gemv(l.wUp, l.ws.xb.offset, l.ws.up.offset, false);
      this.residual(calls, arena, l.wDown, l.ws.gate.offset, act, x, cfg.ffn, l.ws.proj.offset, 'swiglu', l.ws.up.offset, quantizeK);
      this.layerCalls.push(calls);
      this.posArgs.push({ kOut, vOut, kRope, attn, cacheRow: kvRow, kBase: l.cacheK.offset, vBase: l.cacheV.offset, positions: l.ws.positions });
    }

    // logits = rmsnorm(x) lm_head^T
    const hAct = this.acts.get(headArena)!;
    const lm = m.lmHead;
    const head: Call[] = [];
    if (isK(lm)) {
      head.push({ name: 'rmsnorm_f32', arena: headArena, args: [m.headX.offset, m.norm.offset, m.headXn.offset, H, cfg.rmsEps], total: 1, align: 1, minUnits: 1 });
      const a = quantizeK(head, headArena, m.headXn.offset, H, kBlock(lm));
      this.checkKScratch(headArena, lm, H);
      head.push({ name: kNames(lm).gemv, arena: headArena, args: [lm.offset, a, m.logits.offset, lm.shape[0]!, H, KTYPES[lm.dtype as keyof typeof KTYPES].code], total: lm.shape[0]!, align: QROWS, minUnits: gemvMinRows(lm) });
      this.head = head;
      return;
    }
    if (isQuantized(lm.dtype)) {
      head.push({ name: 'rmsnorm_quantize_act', arena: headArena, args: [m.headX.offset, m.norm.offset, 0, hAct, H, cfg.rmsEps], total: 1, align: 1, minUnits: 1 });
      this.checkScratch(headArena, H);
    } else {
      head.push({ name: 'rmsnorm_f32', arena: headArena, args: [m.headX.offset, m.norm.offset, m.headXn.offset, H, cfg.rmsEps], total: 1, align: 1, minUnits: 1 });
    }
    head.push({ name: `gemv_${lm.dtype}`, arena: headArena, args: [lm.offset, isQuantized(lm.dtype) ? hAct : m.headXn.offset, m.logits.offset, lm.shape[0]!, H], total: lm.shape[0]!, align: QROWS, minUnits: gemvMinRows(lm) });
    this.head = head;
  }

  /** x += W a for the layer's output projections. `kind` says how a is made from its f32 source:
   *  quantize_act(src), or swiglu(src = gate, up) (fused with the quantization). */
  private residual(calls: Call[], arena: Arena, w: Tensor, src: number, act: number, x: number, K: number, proj: number, kind: 'quantize_act' | 'swiglu', up: number, quantizeK: (calls: Call[], arena: Arena, src: number, K: number, B: number) => number): void {
    const [N] = w.shape as [number, number];
    const minUnits = gemvMinRows(w);
    if (isK(w)) {
      this.checkKScratch(arena, w, K);
      if (kind === 'swiglu') calls.push({ name: 'swiglu_f32', arena, args: [src, up, src], total: K, align: 4, minUnits: MIN_ELEMENTS_PER_THREAD });
      const a = quantizeK(calls, arena, src, K, kBlock(w));
      calls.push({ name: kNames(w).gemvAdd, arena, args: [w.offset, a, x, N, K, KTYPES[w.dtype as keyof typeof KTYPES].code], total: N, align: QROWS, minUnits });
      return;
    }
    if (isQuantized(w.dtype)) {
      this.checkScratch(arena, K);
      if (kind === 'quantize_act') calls.push({ name: 'quantize_act', arena, args: [src, act, K], total: 1, align: 1, minUnits: 1 });
      else calls.push({ name: 'swiglu_quantize_act', arena, args: [src, up, 0, act], total: K / QK, align: 1, minUnits: MIN_ELEMENTS_PER_THREAD / QK });
      calls.push({ name: `gemv_${w.dtype}_add`, arena, args: [w.offset, act, x, N, K], total: N, align: QROWS, minUnits });
      return;
    }
    if (kind === 'swiglu') calls.push({ name: 'swiglu_f32', arena, args: [src, up, src], total: K, align: 4, minUnits: MIN_ELEMENTS_PER_THREAD });
    if (w.dtype === 'f32') {
      calls.push({ name: 'gemv_f32_add', arena, args: [w.offset, src, x, N, K], total: N, align: QROWS, minUnits });
      return;
    }
    // f16 / bf16: the product into proj, then the add (as step() does).
    calls.push({ name: `gemv_${w.dtype}`, arena, args: [w.offset, src, proj, N, K], total: N, align: QROWS, minUnits });
    calls.push({ name: 'add_f32', arena, args: [x, proj, x], total: N, align: 4, minUnits: MIN_ELEMENTS_PER_THREAD });
  }

  private checkScratch(arena: Arena, K: number): void {
    const need = this.rt.call('gemv_q_scratch_bytes', arena, K);
    if (need > this.rt.scratchBytesPerThread) {
      throw new RangeError(`decode: K = ${K} needs ${need} bytes of scratch per thread, more than the ${this.rt.scratchBytesPerThread} bytes (Runtime option scratchBytesPerThread)`);
    }
  }

  private checkKScratch(arena: Arena, w: Tensor, K: number): void {
    const need = this.rt.call(kNames(w).gemvScratch, arena, K);
    if (need > this.rt.scratchBytesPerThread) {
      throw new RangeError(`decode: K = ${K} needs ${need} bytes of scratch per thread, more than the ${this.rt.scratchBytesPerThread} bytes (Runtime option scratchBytesPerThread)`);
    }
  }

  /** Runs token `id` at position `pos` through every layer; returns the logits tensor [1, V]. */
  step(id: number, pos: number): Tensor {
    const rt = this.rt;
    const m = this.m;
    m.ids.arena.i32[m.ids.offset / 4] = id;
    run(rt, this.embedCall);
    const len = pos + 1;
    if (len * 4 > rt.scratchBytesPerThread) {
      throw new RangeError(
        `attention: ${len} cached positions need ${len * 4} bytes of scores, more than the ${rt.scratchBytesPerThread} bytes of scratch per thread (Runtime option scratchBytesPerThread)`,
      );
    }
    const attnMin = Math.max(1, Math.ceil(16384 / Math.max(1, len * this.cfg.headDim)));
    let prev = m.embedOut;
    for (let i = 0; i < this.layerCalls.length; i++) {
      const l = m.layers[i]!;
      const p = this.posArgs[i]!;
      copyRow(prev, l.ws.x, this.cfg.hidden);
      prev = l.ws.x;
      p.positions.arena.i32[p.positions.offset / 4] = pos;
      p.kOut[2] = p.kBase + pos * p.cacheRow;
      p.vOut[2] = p.vBase + pos * p.cacheRow;
      p.kRope[0] = p.kOut[2];
      p.attn.args[7] = pos;
      p.attn.minUnits = attnMin;
      for (const c of this.layerCalls[i]!) run(rt, c);
    }
    copyRow(prev, m.headX, this.cfg.hidden);
    for (const c of this.head) run(rt, c);
    return m.logits;
  }

  /** Frees the activation buffers. */
  dispose(): void {
    for (const [arena, offset] of this.acts) this.rt.release({ arena, offset });
    for (const [arena, byB] of this.kacts) for (const offset of byB.values()) this.rt.release({ arena, offset });
    this.acts.clear();
    this.kacts.clear();
  }
}

function run(rt: Runtime, c: Call): void {
  rt.parallel(c.name, c.arena, c.args, c.total, c.align, c.minUnits);
}

/** Copies the first row (n f32) of src into dst unless they are the same buffer. */
function copyRow(src: Tensor, dst: Tensor, n: number): void {
  if (src.arena === dst.arena) {
    if (src.offset !== dst.offset) dst.arena.u8.copyWithin(dst.offset, src.offset, src.offset + n * 4);
  } else {
    dst.arena.f32.set(src.arena.f32.subarray(src.offset / 4, src.offset / 4 + n), dst.offset / 4);
  }
}
