// Protobuf-level mutations of a tokenizer.model (SentencePiece ModelProto) for the fuzzer: length claims
// that lie, wrong wire types, piece types out of range, pieces repeated thousands of times, truncated
// submessages, odd trainer/normalizer settings, garbage charsmaps. A small wire reader/writer lets each
// edit change one field and re-serialize the rest exactly.
import type { FuzzCase } from './harness.js';
import { seeded } from './harness.js';

/** One protobuf field as it sits on the wire: varint and fixed values as bigint, length-delimited as bytes. */
export interface WireField {
  num: number;
  wire: number;
  value: bigint | Uint8Array;
}

/** The fields of a message, or undefined when the bytes are not a well-formed message. */
export function readFields(b: Uint8Array): WireField[] | undefined {
  const out: WireField[] = [];
  let pos = 0;
  const varint = (): bigint | undefined => {
    let v = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (pos >= b.length) return undefined;
      const x = b[pos++]!;
      v |= BigInt(x & 0x7f) << shift;
      if (x < 0x80) return v;
    }
    return undefined;
  };
  while (pos < b.length) {
    const tag = varint();
    if (tag === undefined) return undefined;
    const num = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (wire === 0) {
      const v = varint();
      if (v === undefined) return undefined;
      out.push({ num, wire, value: v });
    } else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (pos + n > b.length) return undefined;
      let v = 0n;
      for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[pos + i]!);
      pos += n;
      out.push({ num, wire, value: v });
    } else if (wire === 2) {
      const len = varint();
      if (len === undefined || pos + Number(len) > b.length) return undefined;
      out.push({ num, wire, value: b.slice(pos, pos + Number(len)) });
      pos += Number(len);
    } else {
      return undefined;
    }
  }
  return out;
}

export function varintBytes(v: bigint): number[] {
  const out: number[] = [];
  let x = BigInt.asUintN(64, v);
  do {
    let byte = Number(x & 0x7fn);
    x >>= 7n;
    if (x > 0n) byte |= 0x80;
    out.push(byte);
  } while (x > 0n);
  return out;
}

export function writeFields(fields: WireField[]): Uint8Array {
  const out: number[] = [];
  for (const f of fields) {
    out.push(...varintBytes(BigInt(f.num * 8 + f.wire)));
    if (f.value instanceof Uint8Array) {
      out.push(...varintBytes(BigInt(f.value.length)));
      for (const x of f.value) out.push(x);
    } else if (f.wire === 0) {
      out.push(...varintBytes(f.value));
    } else {
      const n = f.wire === 1 ? 8 : 4;
      for (let i = 0; i < n; i++) out.push(Number((f.value >> BigInt(8 * i)) & 0xffn));
    }
  }
  return Uint8Array.from(out);
}

const enc = new TextEncoder();
const PIECES = 1;
const TRAINER = 2;
const NORMALIZER = 3;

type Rand = (n: number) => number;
type Edit = (top: WireField[], r: Rand) => { name: string; bytes?: Uint8Array } | undefined;

function pick<T>(r: Rand, xs: readonly T[]): T {
  return xs[r(xs.length)]!;
}

/** Sets (or adds) a varint/bytes field inside the submessage `sub` of `top`, creating the submessage if absent. */
function setInSub(top: WireField[], sub: number, field: WireField): void {
  let holder = top.find((f) => f.num === sub && f.value instanceof Uint8Array);
  if (!holder) {
    holder = { num: sub, wire: 2, value: new Uint8Array(0) };
    top.push(holder);
  }
  const inner = readFields(holder.value as Uint8Array) ?? [];
  const rest = inner.filter((f) => f.num !== field.num);
  rest.push(field);
  holder.value = writeFields(rest);
}

const ODD_VARINTS: bigint[] = [0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 99n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 63n, -1n, -2n];

/** Edits of a ModelProto, each naming what it did. */
const EDITS: Edit[] = [
  // A top-level length claim that lies (kept with the original content after it).
  (top, r) => {
    const i = r(top.length);
    const f = top[i]!;
    if (!(f.value instanceof Uint8Array)) return undefined;
    const claim = pick(r, [BigInt(f.value.length + 1), BigInt(f.value.length + 1000), 2n ** 31n, 2n ** 32n - 1n, 2n ** 35n, 2n ** 64n - 1n]);
    const before = writeFields(top.slice(0, i));
    const after = writeFields(top.slice(i + 1));
    const head = [...varintBytes(BigInt(f.num * 8 + 2)), ...varintBytes(claim)];
    return { name: `field ${i} (number ${f.num}) claims ${claim} bytes`, bytes: Uint8Array.from([...before, ...head, ...f.value, ...after]) };
  },
  // A length claim inside a piece (the string's), the piece's own length kept consistent.
  (top, r) => {
    const pieces = top.filter((f) => f.num === PIECES);
    if (pieces.length === 0) return undefined;
    const p = pick(r, pieces);
    const inner = readFields(p.value as Uint8Array);
    const s = inner?.find((f) => f.num === 1);
    if (!inner || !s) return undefined;
    const claim = pick(r, [0n, 1n, 200n, 2n ** 31n, 2n ** 64n - 1n]);
    const rest = writeFields(inner.filter((f) => f !== s));
    p.value = Uint8Array.from([0x0a, ...varintBytes(claim), ...(s.value as Uint8Array), ...rest]);
    return { name: `a piece's string claims ${claim} bytes` };
  },
  // A wrong wire type on a top-level or piece field.
  (top, r) => {
    const i = r(top.length);
    const f = top[i]!;
    const wire = pick(r, [0, 1, 3, 4, 5, 6, 7]);
    const body = f.value instanceof Uint8Array ? [...varintBytes(BigInt(f.value.length)), ...f.value] : varintBytes(f.value as bigint);
    const before = writeFields(top.slice(0, i));
    const after = writeFields(top.slice(i + 1));
    return { name: `field ${i} (number ${f.num}) has wire type ${wire}`, bytes: Uint8Array.from([...before, ...varintBytes(BigInt(f.num * 8 + wire)), ...body, ...after]) };
  },
  // A piece type out of range (or a legal one in the wrong place).
  (top, r) => {
    const pieces = top.filter((f) => f.num === PIECES);
    if (pieces.length === 0) return undefined;
    const p = pick(r, pieces);
    const inner = (readFields(p.value as Uint8Array) ?? []).filter((f) => f.num !== 3);
    const type = pick(r, ODD_VARINTS);
    inner.push({ num: 3, wire: 0, value: type });
    p.value = writeFields(inner);
    return { name: `piece ${pieces.indexOf(p)} has type ${type}` };
  },
  // Score bits: NaN, infinities, huge.
  (top, r) => {
    const pieces = top.filter((f) => f.num === PIECES);
    if (pieces.length === 0) return undefined;
    const p = pick(r, pieces);
    const inner = (readFields(p.value as Uint8Array) ?? []).filter((f) => f.num !== 2);
    const bits = pick(r, [0x7fc00000n, 0x7f800000n, 0xff800000n, 0x7f7fffffn, 0x80000000n]);
    inner.push({ num: 2, wire: 5, value: bits });
    p.value = writeFields(inner);
    return { name: `piece score bits 0x${bits.toString(16)}` };
  },
  // A repeated piece: the same entry many times (duplicates), or many new distinct pieces.
  (top, r) => {
    const pieces = top.filter((f) => f.num === PIECES);
    if (pieces.length === 0) return undefined;
    const k = pick(r, [2, 100, 5000, 20000]);
    if (r(2) === 0) {
      const p = pick(r, pieces);
      for (let i = 0; i < k; i++) top.push({ num: PIECES, wire: 2, value: p.value });
      return { name: `one piece repeated ${k} more times` };
    }
    for (let i = 0; i < k; i++) top.push({ num: PIECES, wire: 2, value: writeFields([{ num: 1, wire: 2, value: enc.encode(`x${i.toString(36)}`) }, { num: 2, wire: 5, value: BigInt(0xc0000000 + (i % 1000)) }]) });
    return { name: `${k} distinct pieces appended` };
  },
  // A submessage cut short (its length claim matching the cut).
  (top, r) => {
    const subs = top.filter((f) => f.value instanceof Uint8Array && f.value.length > 1);
    if (subs.length === 0) return undefined;
    const f = pick(r, subs);
    const v = f.value as Uint8Array;
    const at = 1 + r(v.length - 1);
    f.value = v.slice(0, at);
    return { name: `field number ${f.num} truncated to ${at} of ${v.length} bytes` };
  },
  // A whole part removed: the trainer spec, the normalizer spec, or every piece.
  (top, r) => {
    const num = pick(r, [PIECES, TRAINER, NORMALIZER]);
    const kept = top.filter((f) => f.num !== num);
    top.length = 0;
    top.push(...kept);
    return { name: `every field number ${num} removed` };
  },
  // Trainer spec settings: model type, byte fallback, special ids and pieces, whitespace as suffix.
  (top, r) => {
    const [num, wire] = pick(r, [
      [3, 0], [35, 0], [40, 0], [41, 0], [42, 0], [43, 0], [24, 0], [45, 2], [46, 2], [47, 2], [48, 2], [44, 2],
    ] as const);
    const value = wire === 0 ? pick(r, ODD_VARINTS) : enc.encode(pick(r, ['', '<unk>', '<s>', 'a', '\u2581', 'x'.repeat(5000), '<|im_end|>']));
    setInSub(top, TRAINER, { num, wire, value });
    return { name: `trainer_spec field ${num} = ${value instanceof Uint8Array ? `${value.length} bytes` : value}` };
  },
  // Normalizer spec flags and a precompiled charsmap of garbage (with a header that fits or lies).
  (top, r) => {
    if (r(2) === 0) {
      const num = pick(r, [3, 4, 5]);
      const value = pick(r, [0n, 1n, 2n, 2n ** 63n]);
      setInSub(top, NORMALIZER, { num, wire: 0, value });
      return { name: `normalizer_spec field ${num} = ${value}` };
    }
    const len = pick(r, [0, 3, 4, 8, 64, 1024]);
    const blob = new Uint8Array(len);
    for (let i = 0; i < len; i++) blob[i] = r(256);
    if (len >= 8 && r(2) === 0) new DataView(blob.buffer).setUint32(0, pick(r, [4, (len - 4) & ~3, len, 0xfffffffc]), true);
    setInSub(top, NORMALIZER, { num: 2, wire: 2, value: blob });
    return { name: `precompiled_charsmap of ${len} random bytes` };
  },
  // Piece text: empty, not UTF-8, a byte piece out of form, very long, a copy of another piece.
  (top, r) => {
    const pieces = top.filter((f) => f.num === PIECES);
    if (pieces.length < 2) return undefined;
    const p = pick(r, pieces);
    const other = readFields(pick(r, pieces).value as Uint8Array)?.find((f) => f.num === 1)?.value as Uint8Array | undefined;
    const text = pick(r, [new Uint8Array(0), Uint8Array.from([0xff, 0xfe]), enc.encode('<0xZZ>'), enc.encode('<0x41>'), enc.encode('ab'.repeat(3000)), other ?? new Uint8Array(0)]);
    const inner = (readFields(p.value as Uint8Array) ?? []).filter((f) => f.num !== 1);
    inner.unshift({ num: 1, wire: 2, value: text });
    p.value = writeFields(inner);
    return { name: `piece ${pieces.indexOf(p)} text set to ${text.length} bytes` };
  },
  // A group (wire types 3/4) or unknown extension fields inside a piece or a spec.
  (top, r) => {
    const subs = top.filter((f) => f.value instanceof Uint8Array);
    if (subs.length === 0) return undefined;
    const f = pick(r, subs);
    const extra = pick(r, [[0x0b, 0x0c], [0x0b, 0x0b, 0x0b], [0x0c], [0xc0, 0x0c, 0x05], [0x0b, ...new Array(2000).fill(0x0b)]]);
    f.value = Uint8Array.from([...(f.value as Uint8Array), ...extra]);
    return { name: `field number ${f.num} gets ${extra.length} group/extension bytes` };
  },
];

/** `count` protobuf-level mutations of a valid tokenizer.model. */
export function* modelProtoMutations(valid: Uint8Array, seed: number, count: number): Generator<FuzzCase> {
  const r = seeded(seed);
  for (let made = 0, tries = 0; made < count && tries < count * 4; tries++) {
    const top = readFields(valid);
    if (!top) throw new Error('seed is not a protobuf message');
    const edits: string[] = [];
    let bytes: Uint8Array | undefined;
    // Usually one edit, sometimes two on top of each other.
    for (let k = 0, n = r(4) === 0 ? 2 : 1; k < n && !bytes; k++) {
      const e = EDITS[r(EDITS.length)]!(top, r);
      if (!e) continue;
      edits.push(e.name);
      bytes = e.bytes;
    }
    if (edits.length === 0) continue;
    made++;
    yield { name: `proto: ${edits.join('; ')}`, bytes: bytes ?? writeFields(top) };
  }
}
