// Paged attention and the K/V write over an int8 KV cache (per block and kv head f32 scales): the
// serving engine's `kvType: 'int8'`. A layer's K (or V) region lives in the bytes of any buffer
// (the engine uses the model's f32 KV cache memory): scales f32 [blocks, Hkv] first, then quants i8
// [blocks, blockTokens, Hkv, D] from the next 64-byte boundary. See src/kernels/paged-attention-i8.ts.
import { expectShape, type Tensor } from '../tensor.js';
import { checkPagedLayout, type PagedLayout } from './paged-attention.js';
import { arenaOf, expectDType, expectRank, outputTensor } from './util.js';

/** The shape of an int8 region: blocks of blockTokens positions of hkv heads of headDim values. */
export interface I8PoolShape {
  blocks: number;
  blockTokens: number;
  hkv: number;
  headDim: number;
}

const align64 = (n: number) => Math.ceil(n / 64) * 64;

/** Bytes of one int8 region (K or V of one layer). */
export function i8RegionBytes(s: I8PoolShape): number {
  return align64(s.blocks * s.hkv * 4) + s.blocks * s.blockTokens * s.hkv * s.headDim;
}

/** Blocks an int8 region of `bytes` holds. */
export function i8RegionBlocks(bytes: number, blockTokens: number, hkv: number, headDim: number): number {
  // Scales take 4 bytes per head per block, plus up to 64 bytes of alignment once.
  return Math.max(0, Math.floor((bytes - 64) / (blockTokens * hkv * headDim + hkv * 4)));
}

/** Byte offsets of a region's scales and quants; throws unless `region` holds the shape. */
function regionOffsets(op: string, name: string, region: Tensor, s: I8PoolShape): { scales: number; quants: number } {
  if (region.byteLength < i8RegionBytes(s)) {
    throw new RangeError(`${op}: ${name} has ${region.byteLength} bytes, an int8 region of ${s.blocks} blocks of ${s.blockTokens} x ${s.hkv} x ${s.headDim} needs ${i8RegionBytes(s)}`);
  }
  if (region.offset % 64 !== 0) throw new RangeError(`${op}: ${name} must start on a 64-byte boundary`);
  return { scales: region.offset, quants: region.offset + align64(s.blocks * s.hkv * 4) };
}

/** pagedAttention (paged-attention.ts) over int8 K and V regions; q, out: f32 [T, Hq, D]. */
export function pagedAttentionI8(q: Tensor, kRegion: Tensor, vRegion: Tensor, shape: I8PoolShape, layout: PagedLayout, out?: Tensor): Tensor {
  const op = 'pagedAttentionI8';
  expectDType(op, 'q', q, ['f32']);
  expectRank(op, 'q', q, 3);
  const [t, hq, d] = q.shape as [number, number, number];
  const { blocks, blockTokens, hkv } = shape;
  if (d !== shape.headDim) throw new RangeError(`${op}: q has head dim ${d}, the pool ${shape.headDim}`);
  if (hkv < 1 || hq % hkv !== 0) throw new RangeError(`${op}: q has ${hq} heads, not a multiple of the pool's ${hkv} kv heads`);
  const arena = arenaOf(op, { q, kRegion, vRegion, tables: layout.tables, seqOf: layout.seqOf, positions: layout.positions });
  const k = regionOffsets(op, 'kRegion', kRegion, shape);
  const v = regionOffsets(op, 'vRegion', vRegion, shape);
  const { t: tl, maxLen, maxBlocks } = checkPagedLayout(op, layout, blocks, blockTokens);
  if (tl !== t) throw new RangeError(`${op}: q has ${t} tokens but seqOf ${tl}`);
  const rt = q.rt;
  if (maxLen * 4 > rt.scratchBytesPerThread) {
    throw new RangeError(`${op}: ${maxLen} cached positions need ${maxLen * 4} bytes of scores, more than the ${rt.scratchBytesPerThread} bytes of scratch per thread (Runtime option scratchBytesPerThread)`);
  }
  const o = outputTensor(op, q, out, 'f32', q.shape, arena);
  const scale = Math.fround(1 / Math.sqrt(d));
  const args = [q.offset, k.quants, k.scales, v.quants, v.scales, o.offset, hq, hkv, d, blockTokens, layout.tables.offset, maxBlocks, layout.seqOf.offset, layout.positions.offset, scale];
  rt.parallel('paged_attention_i8', arena, args, t * hq, 1, Math.max(1, Math.ceil(16384 / Math.max(1, maxLen * d))));
  return o;
}

/** Quantizes the step's new rows k[t], v[t] (f32 [T, Hkv, D]) into slot slots[t] of the int8 regions. */
export function pagedWriteKVI8(k: Tensor, v: Tensor, kRegion: Tensor, vRegion: Tensor, shape: I8PoolShape, slots: Tensor): void {
  const op = 'pagedWriteKVI8';
  expectRank(op, 'k', k, 3);
  const t = k.shape[0]!;
  expectShape(op, 'k', k, 'f32', [t, shape.hkv, shape.headDim]);
  expectShape(op, 'v', v, 'f32', [t, shape.hkv, shape.headDim]);
  expectShape(op, 'slots', slots, 'i32', [t]);
  const arena = arenaOf(op, { k, v, kRegion, vRegion, slots });
  const kr = regionOffsets(op, 'kRegion', kRegion, shape);
  const vr = regionOffsets(op, 'vRegion', vRegion, shape);
  const sv = arena.i32.subarray(slots.offset / 4, slots.offset / 4 + t);
  const n = shape.blocks * shape.blockTokens;
  for (let i = 0; i < t; i++) if (sv[i]! < 0 || sv[i]! >= n) throw new RangeError(`${op}: slots[${i}] = ${sv[i]} is outside the pool's ${n} slots`);
  k.rt.call('paged_kv_write_i8', arena, k.offset, v.offset, kr.quants, kr.scales, vr.quants, vr.scales, shape.hkv, shape.headDim, shape.blockTokens, slots.offset, t);
}
