// Element type conversions between f32, f16 and bf16, elementwise over [start, end).
// Rounding is to nearest even; see simd.ts for the NaN/inf rules.
import { bf16ToF32, bf16x4ToF32, f16ToF32, f16x4ToF32, f32ToBf16, f32ToF16, f32x4ToBf16, f32x4ToF16, load4u16, store4u16 } from './simd';

/** dst f32[i] = f16 src[i] */
export function convert_f16_f32(src: usize, dst: usize, start: i32, end: i32, scratch: usize): void {
  let i = start;
  for (; i + 4 <= end; i += 4) v128.store(dst + (<usize>i << 2), f16x4ToF32(load4u16(src + (<usize>i << 1))));
  for (; i < end; i++) store<f32>(dst + (<usize>i << 2), f16ToF32(<u32>load<u16>(src + (<usize>i << 1))));
}

/** dst f16[i] = f32 src[i] */
export function convert_f32_f16(src: usize, dst: usize, start: i32, end: i32, scratch: usize): void {
  let i = start;
  for (; i + 4 <= end; i += 4) store4u16(dst + (<usize>i << 1), f32x4ToF16(v128.load(src + (<usize>i << 2))));
  for (; i < end; i++) store<u16>(dst + (<usize>i << 1), <u16>f32ToF16(load<f32>(src + (<usize>i << 2))));
}

/** dst f32[i] = bf16 src[i] */
export function convert_bf16_f32(src: usize, dst: usize, start: i32, end: i32, scratch: usize): void {
  let i = start;
  for (; i + 4 <= end; i += 4) v128.store(dst + (<usize>i << 2), bf16x4ToF32(load4u16(src + (<usize>i << 1))));
  for (; i < end; i++) store<f32>(dst + (<usize>i << 2), bf16ToF32(<u32>load<u16>(src + (<usize>i << 1))));
}

/** dst bf16[i] = f32 src[i] */
export function convert_f32_bf16(src: usize, dst: usize, start: i32, end: i32, scratch: usize): void {
  let i = start;
  for (; i + 4 <= end; i += 4) store4u16(dst + (<usize>i << 1), f32x4ToBf16(v128.load(src + (<usize>i << 2))));
  for (; i < end; i++) store<u16>(dst + (<usize>i << 1), <u16>f32ToBf16(load<f32>(src + (<usize>i << 2))));
}

/** dst bf16[i] = f16 src[i] (through f32, which holds every f16 exactly) */
export function convert_f16_bf16(src: usize, dst: usize, start: i32, end: i32, scratch: usize): void {
  let i = start;
  for (; i + 4 <= end; i += 4) store4u16(dst + (<usize>i << 1), f32x4ToBf16(f16x4ToF32(load4u16(src + (<usize>i << 1)))));
  for (; i < end; i++) store<u16>(dst + (<usize>i << 1), <u16>f32ToBf16(f16ToF32(<u32>load<u16>(src + (<usize>i << 1)))));
}

/** dst f16[i] = bf16 src[i] (through f32) */
export function convert_bf16_f16(src: usize, dst: usize, start: i32, end: i32, scratch: usize): void {
  let i = start;
  for (; i + 4 <= end; i += 4) store4u16(dst + (<usize>i << 1), f32x4ToF16(bf16x4ToF32(load4u16(src + (<usize>i << 1)))));
  for (; i < end; i++) store<u16>(dst + (<usize>i << 1), <u16>f32ToF16(bf16ToF32(<u32>load<u16>(src + (<usize>i << 1)))));
}
