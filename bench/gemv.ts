// GEMV throughput: y = W x for W 4096x4096 and 11008x4096 in every weight dtype, 1 and 2 threads,
// as GB/s of weight bytes (GGUF size, scales included) next to the machine's read bandwidth
// measured in the same run. Several copies of each matrix are cycled so reads come from DRAM.
// For the k-types (all in a 4-row kx4 layout in memory) a second figure times the GGUF-order
// kernel (gemv_k) on the same blocks, interleaved with the kx4 one: the layout's speed-up.
import { Runtime } from '../src/runtime/runtime.js';
import { ggufByteSize, isKType, isKX4, KTYPES, type KType } from '../src/tensor/dtype.js';
import { matvec } from '../src/tensor/ops/gemv.js';
import { actRecordBytes, kFromGGUF, kToGGUF } from '../src/tensor/ops/kquant.js';
import { quantize } from '../src/tensor/ops/quant.js';
import { Tensor } from '../src/tensor/tensor.js';
import { timeIt, type Reporter } from './harness.js';

type WType = 'f32' | 'f16' | 'bf16' | 'q8_0' | 'q4_0' | KType;
const ALL_DTYPES: WType[] = ['f32', 'f16', 'bf16', 'q8_0', 'q4_0', 'q6_k', 'q5_k', 'q4_k', 'q3_k', 'q2_k', 'q5_1', 'q5_0', 'q4_1'];
/** GEMV_TYPES=q3_k,q2_k,... limits the run to those types (the read bandwidth is measured anyway). */
const DTYPES: WType[] = process.env.GEMV_TYPES ? (process.env.GEMV_TYPES.split(',') as WType[]).filter((t) => ALL_DTYPES.includes(t)) : ALL_DTYPES;
/** Targets at 2 threads, % of the read bandwidth (issue #12 / #13; the low-bit kx4 types: their brief). */
const TARGET: Partial<Record<WType, number>> = { q8_0: 80, q4_0: 80, q4_k: 80, q6_k: 80, q3_k: 70, q2_k: 70, q4_1: 70, q5_0: 70, q5_1: 70 };
const SIZES: [number, number][] = [
  [4096, 4096],
  [11008, 4096],
];

/** Read bandwidth (GB/s) of `threads` threads summing a buffer far larger than any cache. */
function readBandwidth(rt: Runtime, bytes: number): number {
  const n = bytes / 4;
  const buf = rt.alloc(bytes);
  const out = rt.alloc(64 * 64 * rt.threads, buf.arena);
  try {
    buf.arena.f32.fill(1, buf.offset / 4, buf.offset / 4 + n);
    const chunk = Math.ceil(n / rt.threads / 16) * 16;
    const s = timeIt(() => rt.parallel('read_sum', buf.arena, [buf.offset, out.offset, chunk], n, chunk), { warmup: 2, runs: 5, minSeconds: 0.3 });
    return bytes / s / 1e9;
  } finally {
    rt.release(buf);
    rt.release(out);
  }
}

/** GGUF-order blocks of a k-type matrix: random quant bytes with small finite fp16 scales
 *  (quantizing 45M weights with the reference k-quant search would take the bench minutes; the
 *  speed does not depend on values). */
function randomKBytes(dtype: KType, N: number, K: number, seed: number): Uint8Array {
  const u8 = new Uint8Array(ggufByteSize(dtype, [N, K]));
  let s = seed;
  for (let i = 0; i < u8.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    u8[i] = s >>> 24;
  }
  // Every f16 field a block may hold at these offsets (d, dmin / m) set to 0x1400 (about 0.001).
  const scales: Record<KType, number[]> = { q4_1: [0, 2], q5_0: [0], q5_1: [0, 2], q2_k: [80, 82], q3_k: [108], q4_k: [0, 2], q5_k: [0, 2], q6_k: [208] };
  const bb = KTYPES[dtype].bytes;
  for (let b = 0; b < u8.length; b += bb) for (const o of scales[dtype]) u8[b + o + 1] = 0x14, (u8[b + o] = 0);
  return u8;
}

/** Weights of `dtype` [N, K] with values in [-1, 1); quantized ones through `quantize`. */
function makeWeights(rt: Runtime, dtype: WType, N: number, K: number, seed: number): Tensor {
  const f = new Float32Array(N * K);
  let s = seed;
  for (let i = 0; i < f.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    f[i] = s / 2 ** 31 - 1;
  }
  if (dtype === 'f32') return Tensor.fromF32(rt, f, [N, K]);
  if (isKType(dtype)) return kFromGGUF(rt, dtype, [N, K], randomKBytes(dtype, N, K, seed));
  if (dtype === 'q8_0' || dtype === 'q4_0') {
    const t = Tensor.fromF32(rt, f, [N, K]);
    try {
      return quantize(t, dtype);
    } finally {
      t.dispose();
    }
  }
  // f16 / bf16: the upper bits of the f32 values are valid bf16; for f16 use the f32 -> f16 kernel.
  const u32 = new Uint32Array(f.buffer);
  const t = Tensor.zeros(rt, dtype, [N, K]);
  const u16 = t.arena.u16;
  const o = t.offset / 2;
  if (dtype === 'bf16') {
    for (let i = 0; i < u32.length; i++) u16[o + i] = u32[i]! >>> 16;
  } else {
    const src = Tensor.fromF32(rt, f, [N, K], t.arena);
    rt.call('convert_f32_f16', t.arena, src.offset, t.offset, 0, N * K, 0);
    src.dispose();
  }
  return t;
}

/** The kx4 GEMV against gemv_k on the same blocks in GGUF order, timed alternately (A B A B ...) so
 *  load on a shared machine hits both alike; reports GGUF-order GB/s and the ratio of medians. */
function layoutSpeedup(rep: Reporter, rt: Runtime, dtype: KType, ws: Tensor[], x: Tensor, y: Tensor, threads: number, timing: { runs: number }): void {
  const [N, K] = ws[0]!.shape as [number, number];
  const arena = ws[0]!.arena;
  const bytes = ggufByteSize(dtype, [N, K]);
  const raw = rt.alloc(bytes * ws.length, arena);
  const B = KTYPES[dtype].block;
  const act = rt.alloc((K / B) * actRecordBytes(B), arena);
  try {
    for (let c = 0; c < ws.length; c++) {
      arena.u8.set(kToGGUF(ws[c]!), raw.offset + c * bytes);
    }
    rt.call('quantize_act_k', arena, x.offset, act.offset, K, B, 0, 1, 0);
    const code = KTYPES[dtype].code;
    const ggufOrder = (): void => {
      for (let c = 0; c < ws.length; c++) rt.parallel('gemv_k', arena, [raw.offset + c * bytes, act.offset, y.offset, N, K, code], N, 4, 16);
    };
    const kx4 = (): void => {
      for (const w of ws) matvec(w, x, y);
    };
    const a: number[] = [];
    const b: number[] = [];
    ggufOrder();
    kx4();
    for (let i = 0; i < Math.max(5, timing.runs); i++) {
      a.push(timeIt(ggufOrder, { warmup: 0, runs: 1, minSeconds: 0 }));
      b.push(timeIt(kx4, { warmup: 0, runs: 1, minSeconds: 0 }));
    }
    const med = (v: number[]): number => [...v].sort((p, q) => p - q)[v.length >> 1]!;
    const gbs = (bytes * ws.length) / med(a) / 1e9;
    rep.add({ bench: 'gemv', case: `${dtype} ${N}x${K} GGUF order (gemv_k)`, threads, value: gbs, unit: 'GB/s', note: `kx4 layout ${(med(a) / med(b)).toFixed(2)}x faster (medians of ${a.length} interleaved runs)` });
  } finally {
    rt.release(raw);
    rt.release(act);
  }
}

export async function benchGemv(rep: Reporter, opts: { quick?: boolean }): Promise<void> {
  const quick = opts.quick ?? false;
  // Cycle through at least this many bytes of weights so each matvec reads DRAM, not L3.
  const span = quick ? 96 << 20 : 256 << 20;
  const timing = quick ? { warmup: 2, runs: 5, minSeconds: 0.1 } : { warmup: 3, runs: 9, minSeconds: 0.3 };
  const bw = new Map<number, number>();
  for (const threads of [1, 2]) {
    const rt = await Runtime.create({ threads });
    try {
      const mem = readBandwidth(rt, quick ? 256 << 20 : 512 << 20);
      bw.set(threads, mem);
      rep.add({ bench: 'memory', case: 'read_sum', threads, value: mem, unit: 'GB/s', note: `${quick ? 256 : 512} MB buffer, ${rt.flavor}` });
      for (const [N, K] of SIZES) {
        for (const dtype of DTYPES) {
          const bytes = ggufByteSize(dtype, [N, K]);
          const copies = Math.max(2, Math.ceil(span / bytes));
          const ws: Tensor[] = [makeWeights(rt, dtype, N, K, 1)];
          // Copies share the first one's arena (a kernel sees one memory) and its bytes.
          for (let c = 1; c < copies; c++) {
            const w = Tensor.zeros(rt, dtype, [N, K], ws[0]!.arena);
            w.arena.u8.copyWithin(w.offset, ws[0]!.offset, ws[0]!.offset + w.byteLength);
            ws.push(w);
          }
          const arena = ws[0]!.arena;
          const x = Tensor.fromF32(rt, Float32Array.from({ length: K }, (_, i) => Math.sin(i)), [K], arena);
          const y = Tensor.zeros(rt, 'f32', [N], arena);
          let next = 0;
          const s = timeIt(() => {
            for (let c = 0; c < copies; c++) matvec(ws[(next + c) % copies]!, x, y);
            next++;
          }, timing);
          const gbs = (bytes * copies) / s / 1e9;
          const pct = (100 * gbs) / mem;
          let note = `${pct.toFixed(0)}% of read bandwidth; ${(s / copies * 1e3).toFixed(2)} ms/matvec; ${rt.flavor}`;
          const target = TARGET[dtype];
          if (threads === 2 && target !== undefined) note += `; target >= ${target}%: ${pct >= target ? 'met' : 'NOT met'}`;
          rep.add({ bench: 'gemv', case: `${dtype} ${N}x${K}`, threads, value: gbs, unit: 'GB/s', note });
          if (isKType(dtype) && isKX4(dtype)) layoutSpeedup(rep, rt, dtype, ws, x, y, threads, timing);
          x.dispose();
          y.dispose();
          for (const w of ws) w.dispose();
        }
      }
    } finally {
      await rt.close();
    }
  }
}
