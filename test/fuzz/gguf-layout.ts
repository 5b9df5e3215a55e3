// Where each field of a valid GGUF file lies, so that format-aware mutations can rewrite one field
// (a tensor's type, a dimension, a string length) and leave the rest intact. Trusts its input: it
// only ever walks the seeds the fuzz suite wrote itself.

export interface KVField {
  key: string;
  /** Offset of the key's u64 length. */
  keyLenAt: number;
  /** Offset of the u32 value type. */
  typeAt: number;
  type: number;
  /** For a string value: the offset of its u64 length. */
  strLenAt?: number;
  /** For an array: offsets of its element type and u64 count, and the count. */
  elemTypeAt?: number;
  countAt?: number;
  count?: number;
  elemType?: number;
}

export interface TensorField {
  name: string;
  nDimsAt: number;
  nDims: number;
  /** Offsets of the u64 ne[] values, ne[0] first. */
  neAt: number[];
  ne: number[];
  typeAt: number;
  offsetAt: number;
  offset: number;
}

export interface GGUFLayout {
  tensorCountAt: number;
  kvCountAt: number;
  kvs: KVField[];
  tensors: TensorField[];
}

const FIXED: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

export function ggufLayout(bytes: Uint8Array): GGUFLayout {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let p = 8;
  const u32 = () => ((p += 4), dv.getUint32(p - 4, true));
  const u64 = () => ((p += 8), Number(dv.getBigUint64(p - 8, true)));
  const str = () => {
    const n = u64();
    p += n;
    return new TextDecoder().decode(bytes.subarray(p - n, p));
  };
  const skipValue = (type: number): void => {
    if (type === 8) str();
    else if (type === 9) {
      const et = u32();
      const n = u64();
      for (let i = 0; i < n; i++) skipValue(et);
    } else p += FIXED[type]!;
  };
  const tensorCountAt = p;
  const nTensors = u64();
  const kvCountAt = p;
  const nKV = u64();
  const kvs: KVField[] = [];
  for (let i = 0; i < nKV; i++) {
    const keyLenAt = p;
    const key = str();
    const typeAt = p;
    const type = u32();
    const f: KVField = { key, keyLenAt, typeAt, type };
    if (type === 8) f.strLenAt = p;
    if (type === 9) {
      f.elemTypeAt = p;
      f.elemType = dv.getUint32(p, true);
      f.countAt = p + 4;
      f.count = Number(dv.getBigUint64(p + 4, true));
    }
    skipValue(type);
    kvs.push(f);
  }
  const tensors: TensorField[] = [];
  for (let i = 0; i < nTensors; i++) {
    const name = str();
    const nDimsAt = p;
    const nDims = u32();
    const neAt: number[] = [];
    const ne: number[] = [];
    for (let d = 0; d < nDims; d++) {
      neAt.push(p);
      ne.push(u64());
    }
    const typeAt = p;
    u32();
    const offsetAt = p;
    const offset = u64();
    tensors.push({ name, nDimsAt, nDims, neAt, ne, typeAt, offsetAt, offset });
  }
  return { tensorCountAt, kvCountAt, kvs, tensors };
}
