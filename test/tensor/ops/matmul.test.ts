import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Arena } from '../../../src/runtime/arena.js';
import { Runtime } from '../../../src/runtime/runtime.js';
import { gemm, matmul, type GemmBType } from '../../../src/tensor/ops/matmul.js';
import { Tensor } from '../../../src/tensor/tensor.js';
import { rng } from './helpers.js';
import { f16ToNumber } from './qref.js';

// ---- reference helpers ----------------------------------------------------------------------


const u32 = new Uint32Array(1);
const f32 = new Float32Array(u32.buffer);
function bf16ToNumber(h: number): number {
  u32[0] = h << 16;
  return f32[0]!;
}

/** Random B storage: element bits (u16 for f16/bf16) and the values they stand for. */
function randomB(btype: GemmBType, count: number, rand: () => number): { bits: Uint16Array | Float32Array; values: Float64Array } {
  const values = new Float64Array(count);
  if (btype === 'f32') {
    const bits = new Float32Array(count);
    for (let i = 0; i < count; i++) values[i] = bits[i] = rand() * 2 - 1;
    return { bits, values };
  }
  const bits = new Uint16Array(count);
  for (let i = 0; i < count; i++) {
    if (btype === 'f16') {
      // Exponents 0..17 cover subnormals up to ~4.
      const h = (rand() < 0.5 ? 0x8000 : 0) | (Math.floor(rand() * 18) << 10) | Math.floor(rand() * 1024);
      bits[i] = h;
      values[i] = f16ToNumber(h);
    } else {
      f32[0] = rand() * 2 - 1;
      bits[i] = u32[0]! >>> 16;
      values[i] = bf16ToNumber(bits[i]!);
    }
  }
  return { bits, values };
}

interface Case {
  m: number;
  n: number;
  k: number;
  transA?: boolean;
  transB?: boolean;
  btype?: GemmBType;
  alpha?: number;
  beta?: number;
  /** Extra elements per row beyond the width, for lda, ldb, ldc. */
  pad?: number;
}

/** Runs one GEMM on raw buffers and checks it against a float64 reference. */
function checkCase(rt: Runtime, arena: Arena, c: Case, seed: number, minUnits?: number): void {
  const { m, n, k, transA = false, transB = false, btype = 'f32', alpha = 1, beta = 0, pad = 0 } = c;
  const rand = rng(seed);
  const aRows = transA ? k : m, aCols = transA ? m : k;
  const bRows = transB ? n : k, bCols = transB ? k : n;
  const lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;
  const esz = btype === 'f32' ? 4 : 2;
  const A = new Float32Array(aRows * lda);
  for (let i = 0; i < A.length; i++) A[i] = rand() * 2 - 1;
  const B = randomB(btype, bRows * ldb, rand);
  const C0 = new Float32Array(m * ldc);
  // beta = 0 must overwrite whatever C holds, NaN included.
  for (let i = 0; i < C0.length; i++) C0[i] = beta === 0 ? NaN : rand() * 2 - 1;
  const pa = rt.alloc(A.length * 4, arena);
  const pb = rt.alloc(B.bits.length * esz, arena);
  const pc = rt.alloc(C0.length * 4, arena);
  try {
    arena.f32.set(A, pa.offset / 4);
    if (esz === 4) arena.f32.set(B.bits, pb.offset / 4);
    else arena.u16.set(B.bits, pb.offset / 2);
    arena.f32.set(C0, pc.offset / 4);
    gemm(rt, { arena, a: pa.offset, lda, transA, b: pb.offset, ldb, transB, btype, c: pc.offset, ldc, m, n, k, alpha, beta }, minUnits);
    const C = arena.f32.slice(pc.offset / 4, pc.offset / 4 + C0.length);
    const at = (i: number, p: number) => (transA ? A[p * lda + i]! : A[i * lda + p]!);
    const bt = (p: number, j: number) => (transB ? B.values[j * ldb + p]! : B.values[p * ldb + j]!);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0, mag = 0;
        for (let p = 0; p < k; p++) {
          const x = at(i, p) * bt(p, j);
          s += x;
          mag += Math.abs(x);
        }
        const c0 = beta === 0 ? 0 : beta * C0[i * ldc + j]!;
        const ref = alpha * s + c0;
        const tol = 1e-5 * (Math.abs(alpha) * mag + Math.abs(c0)) + 1e-30;
        const got = C[i * ldc + j]!;
        if (!(Math.abs(got - ref) <= tol)) {
          assert.fail(`${JSON.stringify(c)}: C[${i}, ${j}] = ${got}, reference ${ref} (tolerance ${tol})`);
        }
      }
      // Padding between rows of C must be untouched.
      for (let j = n; j < ldc; j++) assert.ok(Object.is(C[i * ldc + j], C0[i * ldc + j]), `${JSON.stringify(c)}: padding of C row ${i} was written`);
    }
  } finally {
    rt.release(pc);
    rt.release(pb);
    rt.release(pa);
  }
}

async function withRuntime(threads: number, fn: (rt: Runtime) => void | Promise<void>): Promise<void> {
  const rt = await Runtime.create({ threads, arenaBytes: 1 << 28 });
  try {
    await fn(rt);
  } finally {
    await rt.close();
  }
}

const TRANS: [boolean, boolean][] = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
];
const ALPHA_BETA: [number, number][] = [
  [1, 0],
  [0.5, 1],
  [-1.5, 0.25],
  [2, 0],
];

// Sizes straddle the register tile (4/5 x 8), the cache blocks (MC 120, KC 512, NC 512) and 1.
const SIZES: [number, number, number][] = [
  [1, 1, 1],
  [3, 17, 33],
  [17, 3, 1],
  [33, 65, 17],
  [65, 100, 3],
  [100, 257, 65],
  [257, 33, 100],
  [1, 257, 257],
  [257, 1, 33],
  [17, 257, 1],
  [65, 65, 65],
  [100, 100, 257],
  [33, 40, 600],
  [3, 1100, 17],
];

test('gemm f32 matches a float64 reference: sizes x transposes x alpha/beta x strides', async () => {
  await withRuntime(2, (rt) => {
    const arena = rt.arenas[0]!;
    let seed = 1;
    for (const [m, n, k] of SIZES) {
      for (const [transA, transB] of TRANS) {
        const [alpha, beta] = ALPHA_BETA[seed % ALPHA_BETA.length]!;
        checkCase(rt, arena, { m, n, k, transA, transB, alpha, beta, pad: seed % 3 === 0 ? 5 : 0 }, seed++, 1);
      }
    }
    checkCase(rt, arena, { m: 257, n: 257, k: 257, transB: true }, seed++);
  });
});

test('gemm with f16 and bf16 B matches a reference on the same rounded values', async () => {
  await withRuntime(2, (rt) => {
    const arena = rt.arenas[0]!;
    let seed = 100;
    for (const btype of ['f16', 'bf16'] as const) {
      for (const [m, n, k] of [
        [3, 17, 33],
        [100, 257, 65],
        [17, 33, 300],
        [65, 3, 100],
      ] as const) {
        for (const [transA, transB] of TRANS) {
          const [alpha, beta] = ALPHA_BETA[seed % ALPHA_BETA.length]!;
          checkCase(rt, arena, { m, n, k, transA, transB, btype, alpha, beta, pad: seed % 2 ? 3 : 0 }, seed++, 1);
        }
      }
    }
  });
});

test('leading dimensions larger than the width leave the padding alone', async () => {
  await withRuntime(1, (rt) => {
    const arena = rt.arenas[0]!;
    for (const [transA, transB] of TRANS) {
      checkCase(rt, arena, { m: 37, n: 29, k: 45, transA, transB, alpha: 1, beta: 1, pad: 11 }, 7);
      checkCase(rt, arena, { m: 37, n: 29, k: 45, transA, transB, btype: 'f16', pad: 1 }, 8);
    }
  });
});

test('f16 B converts subnormals, zeros, the largest value, inf and NaN exactly', async () => {
  const specials = [0x0001, 0x8001, 0x03ff, 0x0400, 0x0000, 0x8000, 0x7bff, 0xfbff, 0x3c00, 0x7c00, 0xfc00, 0x7e00, 0x7c01, 0xfe00];
  await withRuntime(1, (rt) => {
    // K = 1 and A = 1: C[0, j] = 1 * b[j] exactly, with no other term to turn inf into NaN.
    for (const transB of [false, true]) {
      const n = specials.length;
      const a = Tensor.fromF32(rt, [1, 1], [2, 1]);
      const b = Tensor.fromBytes(rt, 'f16', transB ? [n, 1] : [1, n], new Uint8Array(Uint16Array.from(specials).buffer), a.arena);
      const out = Tensor.zeros(rt, 'f32', [2, n], a.arena);
      const got = matmul(a, b, { out, transB }).toArray();
      for (let row = 0; row < 2; row++) {
        specials.forEach((h, j) => {
          const want = f16ToNumber(h);
          const v = got[row * n + j]!;
          if (Number.isNaN(want)) assert.ok(Number.isNaN(v), `f16 0x${h.toString(16)} should give NaN, got ${v}`);
          // == rather than Object.is: the sum starts at +0, and +0 + -0 is +0.
          else assert.ok(v === want, `f16 0x${h.toString(16)} should give ${want}, got ${v}`);
        });
      }
    }
  });
});

test('1 thread and 2 threads give bit-identical results', async () => {
  const cases: Case[] = [
    { m: 70, n: 203, k: 600, transB: true },
    { m: 9, n: 2100, k: 300, alpha: 0.7, beta: 0.3 },
    { m: 130, n: 77, k: 257, transA: true, btype: 'f16' },
    { m: 5, n: 1031, k: 40, transA: true, transB: true, btype: 'bf16' },
    // More rows than columns: split by rows (multiples of 20), every operand layout.
    { m: 367, n: 37, k: 129, transA: true },
    { m: 250, n: 20, k: 700, transB: true, alpha: 0.5, beta: 1 },
    { m: 500, n: 9, k: 33 },
    { m: 243, n: 64, k: 520, transA: true, transB: true, btype: 'f16' },
  ];
  const results: Uint32Array[][] = [];
  for (const threads of [1, 2]) {
    await withRuntime(threads, (rt) => {
      const arena = rt.arenas[0]!;
      const out: Uint32Array[] = [];
      cases.forEach((c, ci) => {
        const rand = rng(500 + ci);
        const { m, n, k, transA = false, transB = false, btype = 'f32' } = c;
        const A = new Float32Array(m * k).map(() => rand() * 2 - 1);
        const B = randomB(btype, n * k, rand);
        const C0 = new Float32Array(m * n).map(() => rand());
        const pa = rt.alloc(A.length * 4, arena), pb = rt.alloc(n * k * 4, arena), pc = rt.alloc(C0.length * 4, arena);
        arena.f32.set(A, pa.offset / 4);
        if (btype === 'f32') arena.f32.set(B.bits, pb.offset / 4);
        else arena.u16.set(B.bits, pb.offset / 2);
        arena.f32.set(C0, pc.offset / 4);
        const g = { arena, a: pa.offset, lda: transA ? m : k, transA, b: pb.offset, ldb: transB ? k : n, transB, btype, c: pc.offset, ldc: n, m, n, k, alpha: c.alpha, beta: c.beta };
        gemm(rt, g, 1);
        out.push(new Uint32Array(arena.f32.slice(pc.offset / 4, pc.offset / 4 + m * n).buffer));
        rt.release(pc), rt.release(pb), rt.release(pa);
      });
      results.push(out);
    });
  }
  cases.forEach((c, ci) => {
    const [one, two] = [results[0]![ci]!, results[1]![ci]!];
    const diff = one.findIndex((x, i) => x !== two[i]);
    assert.equal(diff, -1, `${JSON.stringify(c)}: element ${diff} differs between 1 and 2 threads`);
  });
});

test('matmul on tensors: batched A, A^T, W^T and accumulation', async () => {
  await withRuntime(2, (rt) => {
    const rand = rng(9);
    const [bt, s, k, n] = [2, 5, 12, 7];
    const xs = Array.from({ length: bt * s * k }, () => rand() - 0.5);
    const ws = Array.from({ length: n * k }, () => rand() - 0.5);
    const x = Tensor.fromF32(rt, xs, [bt, s, k]);
    const w = Tensor.fromF32(rt, ws, [n, k], x.arena);
    const y = Tensor.zeros(rt, 'f32', [bt, s, n], x.arena);
    matmul(x, w, { out: y, transB: true });
    const got = y.toArray();
    for (let r = 0; r < bt * s; r++) {
      for (let j = 0; j < n; j++) {
        let ref = 0;
        for (let p = 0; p < k; p++) ref += xs[r * k + p]! * ws[j * k + p]!;
        assert.ok(Math.abs(got[r * n + j]! - ref) < 1e-5, `y[${r}, ${j}]`);
      }
    }
    // Weight gradient dW [n, k] += dY^T [n, rows] * X [rows, k], accumulated twice.
    const dw = Tensor.zeros(rt, 'f32', [n, k], x.arena);
    const x2 = x.reshape([bt * s, k]);
    const dy = y.reshape([bt * s, n]);
    matmul(dy, x2, { out: dw, transA: true, beta: 1 });
    matmul(dy, x2, { out: dw, transA: true, beta: 1 });
    const g = dw.toArray();
    for (let j = 0; j < n; j++) {
      for (let p = 0; p < k; p++) {
        let ref = 0;
        for (let r = 0; r < bt * s; r++) ref += got[r * n + j]! * xs[r * k + p]!;
        assert.ok(Math.abs(g[j * k + p]! - 2 * ref) < 1e-5, `dW[${j}, ${p}]`);
      }
    }
  });
});

test('matmul rejects bad operands with errors naming them', async () => {
  await withRuntime(1, (rt) => {
    const a = Tensor.zeros(rt, 'f32', [4, 6]);
    const b = Tensor.zeros(rt, 'f32', [5, 3], a.arena);
    const out = Tensor.zeros(rt, 'f32', [4, 3], a.arena);
    assert.throws(() => matmul(a, b, { out }), /matmul: b must have shape \[6, 3\], got \[5, 3\]/);
    const b2 = Tensor.zeros(rt, 'f32', [6, 3], a.arena);
    assert.throws(() => matmul(a, b2, { out: Tensor.zeros(rt, 'f32', [4, 4], a.arena) }), /matmul: out must have shape \[4, 3\]/);
    assert.throws(() => matmul(Tensor.zeros(rt, 'f32', [6], a.arena), b2, { out }), /matmul: a must be at least 2-D/);
    assert.throws(() => matmul(Tensor.zeros(rt, 'f16', [4, 6], a.arena), b2, { out }), /matmul: a must be f32, got f16/);
    assert.throws(() => matmul(a, Tensor.zeros(rt, 'i32', [6, 3], a.arena), { out }), /matmul: b must be f32\|f16\|bf16, got i32/);
    assert.throws(() => matmul(a, b2, { out, transB: true }), /matmul: b must have shape \[6, 6\], got \[6, 3\]/);
    assert.throws(() => matmul(a, Tensor.zeros(rt, 'f32', [6, 6], a.arena), { out: a }), /out must not overlap/);
    assert.throws(
      () => gemm(rt, { arena: a.arena, a: a.offset, lda: 2, b: b2.offset, ldb: 3, c: out.offset, ldc: 3, m: 4, n: 3, k: 6 }),
      /gemm: lda must be an integer >= 6/,
    );
    assert.throws(() => matmul(a, b2, { beta: 1 }), /beta = 1 accumulates into out, but no out was given/);
    // Sanity: the well-formed calls run; without out, a fresh tensor of the right shape comes back.
    assert.equal(matmul(a, b2, { out }), out);
    assert.deepEqual(matmul(a, b2).shape, [4, 3]);
  });
});

test('gemm refuses a runtime whose scratch cannot hold the packed panels', async () => {
  const rt = await Runtime.create({ threads: 1, scratchBytesPerThread: 1 << 16, arenaBytes: 1 << 24 });
  try {
    const a = Tensor.zeros(rt, 'f32', [2, 2]);
    const out = Tensor.zeros(rt, 'f32', [2, 2], a.arena);
    assert.throws(() => matmul(a, Tensor.zeros(rt, 'f32', [2, 2], a.arena), { out }), /gemm: needs \d+ bytes of scratch per thread, the runtime has 65536/);
  } finally {
    await rt.close();
  }
});
