// Embedding lookup: out[t] = table[ids[t]] as f32, rows t in [start, end). ids are checked by the caller.
import { bf16x4ToF32, bf16ToF32, f16ToF32, f16x4ToF32, load4u16 } from './simd';

/** table: f32 [V, hidden]; ids: i32 [T]; out: f32 [T, hidden] */
export function embed_f32(table: usize, ids: usize, out: usize, hidden: i32, start: i32, end: i32, scratch: usize): void {
  const rowBytes = <usize>hidden << 2;
  for (let t = start; t < end; t++) {
    const id = load<i32>(ids + (<usize>t << 2));
    memory.copy(out + <usize>t * rowBytes, table + <usize>id * rowBytes, rowBytes);
  }
}

/** table: f16 [V, hidden]; ids: i32 [T]; out: f32 [T, hidden] */
export function embed_f16(table: usize, ids: usize, out: usize, hidden: i32, start: i32, end: i32, scratch: usize): void {
  for (let t = start; t < end; t++) {
    const id = load<i32>(ids + (<usize>t << 2));
    const src = table + <usize>id * (<usize>hidden << 1);
    const dst = out + <usize>t * (<usize>hidden << 2);
    let i = 0;
    for (; i + 4 <= hidden; i += 4) v128.store(dst + (<usize>i << 2), f16x4ToF32(load4u16(src + (<usize>i << 1))));
    for (; i < hidden; i++) store<f32>(dst + (<usize>i << 2), f16ToF32(<u32>load<u16>(src + (<usize>i << 1))));
  }
}

/** table: bf16 [V, hidden]; ids: i32 [T]; out: f32 [T, hidden] */
export function embed_bf16(table: usize, ids: usize, out: usize, hidden: i32, start: i32, end: i32, scratch: usize): void {
  for (let t = start; t < end; t++) {
    const id = load<i32>(ids + (<usize>t << 2));
    const src = table + <usize>id * (<usize>hidden << 1);
    const dst = out + <usize>t * (<usize>hidden << 2);
    let i = 0;
    for (; i + 4 <= hidden; i += 4) v128.store(dst + (<usize>i << 2), bf16x4ToF32(load4u16(src + (<usize>i << 1))));
    for (; i < hidden; i++) store<f32>(dst + (<usize>i << 2), bf16ToF32(<u32>load<u16>(src + (<usize>i << 1))));
  }
}
