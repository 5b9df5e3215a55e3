import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  GGMLType,
  GGUFError,
  GGUFTyped,
  GGUFValueType,
  gguf,
  ggmlByteLength,
  openGGUF,
  writeGGUF,
  type GGUFWriteTensor,
} from '../../src/formats/gguf.js';
import { Bytes, sharedData, tempDir } from './helpers.js';

const vocabDir = join(sharedData, 'llama.cpp-vocab');
const dir = tempDir();

/** Deterministic bytes so that a misplaced tensor shows as a mismatch. */
function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + seed * 17 + (i >> 8)) & 0xff;
  return out;
}

function tensor(name: string, type: number, shape: number[], seed: number): GGUFWriteTensor {
  return { name, type, shape, data: pattern(ggmlByteLength(type, shape), seed) };
}

test('reads the llama.cpp Llama SPM vocabulary GGUF (32000 tokens)', { skip: !existsSync(vocabDir) && `no ${vocabDir}` }, () => {
  const g = openGGUF(join(vocabDir, 'ggml-vocab-llama-spm.gguf'));
  try {
    assert.equal(g.version, 3);
    assert.equal(g.alignment, 32);
    assert.equal(g.tensors.length, 0);
    assert.equal(g.metadata.get('general.architecture'), 'llama');
    assert.equal(g.metadata.get('tokenizer.ggml.model'), 'llama');
    const tokens = g.metadata.get('tokenizer.ggml.tokens') as string[];
    assert.ok(Array.isArray(tokens));
    assert.equal(tokens.length, 32000);
    assert.deepEqual(tokens.slice(0, 4), ['<unk>', '<s>', '</s>', '<0x00>']);
    assert.equal(tokens[29871], '▁');
    const scores = g.metadata.get('tokenizer.ggml.scores');
    assert.ok(scores instanceof Float32Array);
    assert.equal(scores.length, 32000);
    const types = g.metadata.get('tokenizer.ggml.token_type');
    assert.ok(types instanceof Int32Array);
    assert.equal(types.length, 32000);
    assert.deepEqual([...types.slice(0, 4)], [2, 3, 3, 6]); // unknown, control, control, byte
    assert.equal(g.metadata.get('tokenizer.ggml.bos_token_id'), 1);
    assert.equal(g.metadataTypes.get('tokenizer.ggml.bos_token_id'), GGUFValueType.UINT32);
    assert.equal(g.metadata.get('tokenizer.ggml.add_bos_token'), true);
    assert.equal(g.metadata.get('llama.context_length'), 4096);
    assert.ok(Math.abs((g.metadata.get('llama.attention.layer_norm_rms_epsilon') as number) - 1e-5) < 1e-10);
  } finally {
    g.close();
  }
});

test('reads the Phi-3 vocabulary GGUF (32064 tokens, chat template)', { skip: !existsSync(vocabDir) && `no ${vocabDir}` }, () => {
  const g = openGGUF(join(vocabDir, 'ggml-vocab-phi-3.gguf'));
  g.close();
  assert.equal((g.metadata.get('tokenizer.ggml.tokens') as string[]).length, 32064);
  assert.equal((g.metadata.get('tokenizer.ggml.scores') as Float32Array).length, 32064);
  assert.match(g.metadata.get('tokenizer.chat_template') as string, /message\['role'\]/);
  assert.equal(g.metadata.get('tokenizer.ggml.eos_token_id'), 32000);
});

test('a real vocabulary survives read -> write -> read with identical values and types', { skip: !existsSync(vocabDir) && `no ${vocabDir}` }, () => {
  const src = openGGUF(join(vocabDir, 'ggml-vocab-llama-spm.gguf'));
  src.close();
  const metadata = new Map([...src.metadata].map(([k, v]) => [k, new GGUFTyped(src.metadataTypes.get(k)!, v)] as const));
  const out = join(dir, 'vocab-copy.gguf');
  writeGGUF(out, { metadata, tensors: [] });
  const back = openGGUF(out);
  back.close();
  assert.deepEqual(back.metadata, src.metadata);
  assert.deepEqual(back.metadataTypes, src.metadataTypes);
});

const allValues = () =>
  new Map<string, GGUFTyped | import('../../src/formats/gguf.js').GGUFValue>([
    ['t.u8', gguf.u8(255)],
    ['t.i8', gguf.i8(-128)],
    ['t.u16', gguf.u16(65535)],
    ['t.i16', gguf.i16(-32768)],
    ['t.u32', gguf.u32(4294967295)],
    ['t.i32', gguf.i32(-2147483648)],
    ['t.f32', gguf.f32(0.5)],
    ['t.f64', gguf.f64(Math.PI)],
    ['t.u64.small', gguf.u64(12345)],
    ['t.u64.big', gguf.u64(2n ** 64n - 1n)],
    ['t.i64.small', gguf.i64(-5)],
    ['t.i64.big', gguf.i64(-(2n ** 63n))],
    ['t.bool', true],
    ['t.bool.false', gguf.bool(false)],
    ['t.str', 'héllo ▁世界 🙂'],
    ['t.str.empty', ''],
    ['t.inferred.uint', 7],
    ['t.inferred.int', -7],
    ['t.inferred.float', 1.25],
    ['a.u8', Uint8Array.of(0, 1, 255)],
    ['a.i8', Int8Array.of(-128, 0, 127)],
    ['a.u16', Uint16Array.of(0, 65535)],
    ['a.i16', Int16Array.of(-32768, 32767)],
    ['a.u32', Uint32Array.of(0, 4294967295)],
    ['a.i32', Int32Array.of(-1, 2, 3)],
    ['a.f32', Float32Array.of(-1000, 0.25)],
    ['a.f64', Float64Array.of(Math.E)],
    ['a.u64', BigUint64Array.of(0n, 2n ** 64n - 1n)],
    ['a.i64', BigInt64Array.of(-(2n ** 63n), 5n)],
    ['a.bool', [true, false, true]],
    ['a.str', ['<unk>', '▁the', '']],
    ['a.str.empty', []],
    ['a.nested', [['a', 'b'], Int32Array.of(1, 2), [[true]]]],
    ['a.typed.from.plain', gguf.arrayOf(GGUFValueType.UINT16, [1, 2, 3])],
  ]);

test('round trip: every metadata type and several tensor types, alignment 32 and 64', () => {
  for (const alignment of [32, 64]) {
    const tensors = [
      tensor('token_embd.weight', GGMLType.Q8_0, [5, 64], 1),
      tensor('blk.0.attn_norm.weight', GGMLType.F32, [7], 2),
      tensor('blk.0.attn_q.weight', GGMLType.F16, [3, 5], 3),
      tensor('blk.0.attn_k.weight', GGMLType.BF16, [2, 3, 4], 4),
      tensor('blk.0.ffn_up.weight', GGMLType.Q4_0, [3, 96], 5),
      tensor('blk.0.ffn_down.weight', GGMLType.Q6_K, [2, 256], 6),
      tensor('ids', GGMLType.I32, [1, 1, 2, 3], 7),
    ];
    const path = join(dir, `all-${alignment}.gguf`);
    writeGGUF(path, { metadata: allValues(), tensors, alignment });
    const g = openGGUF(path);
    try {
      assert.equal(g.version, 3);
      assert.equal(g.alignment, alignment);
      assert.equal(g.dataOffset % alignment, 0);
      const m = g.metadata;
      assert.equal(m.get('t.u8'), 255);
      assert.equal(m.get('t.i8'), -128);
      assert.equal(m.get('t.u16'), 65535);
      assert.equal(m.get('t.i16'), -32768);
      assert.equal(m.get('t.u32'), 4294967295);
      assert.equal(m.get('t.i32'), -2147483648);
      assert.equal(m.get('t.f32'), 0.5);
      assert.equal(m.get('t.f64'), Math.PI);
      assert.equal(m.get('t.u64.small'), 12345);
      assert.equal(m.get('t.u64.big'), 2n ** 64n - 1n);
      assert.equal(m.get('t.i64.small'), -5);
      assert.equal(m.get('t.i64.big'), -(2n ** 63n));
      assert.equal(m.get('t.bool'), true);
      assert.equal(m.get('t.bool.false'), false);
      assert.equal(m.get('t.str'), 'héllo ▁世界 🙂');
      assert.equal(m.get('t.str.empty'), '');
      assert.equal(m.get('t.inferred.uint'), 7);
      assert.equal(g.metadataTypes.get('t.inferred.uint'), GGUFValueType.UINT32);
      assert.equal(g.metadataTypes.get('t.inferred.int'), GGUFValueType.INT32);
      assert.equal(g.metadataTypes.get('t.inferred.float'), GGUFValueType.FLOAT32);
      assert.equal(m.get('t.inferred.float'), 1.25);
      assert.deepEqual(m.get('a.u8'), Uint8Array.of(0, 1, 255));
      assert.deepEqual(m.get('a.i8'), Int8Array.of(-128, 0, 127));
      assert.deepEqual(m.get('a.u16'), Uint16Array.of(0, 65535));
      assert.deepEqual(m.get('a.i16'), Int16Array.of(-32768, 32767));
      assert.deepEqual(m.get('a.u32'), Uint32Array.of(0, 4294967295));
      assert.deepEqual(m.get('a.i32'), Int32Array.of(-1, 2, 3));
      assert.deepEqual(m.get('a.f32'), Float32Array.of(-1000, 0.25));
      assert.deepEqual(m.get('a.f64'), Float64Array.of(Math.E));
      assert.deepEqual(m.get('a.u64'), BigUint64Array.of(0n, 2n ** 64n - 1n));
      assert.deepEqual(m.get('a.i64'), BigInt64Array.of(-(2n ** 63n), 5n));
      assert.deepEqual(m.get('a.bool'), [true, false, true]);
      assert.deepEqual(m.get('a.str'), ['<unk>', '▁the', '']);
      assert.deepEqual(m.get('a.str.empty'), []);
      assert.deepEqual(m.get('a.nested'), [['a', 'b'], Int32Array.of(1, 2), [[true]]]);
      assert.deepEqual(m.get('a.typed.from.plain'), Uint16Array.of(1, 2, 3));
      assert.equal(m.get('general.alignment'), alignment === 32 ? undefined : alignment);

      assert.equal(g.tensors.length, tensors.length);
      let end = g.dataOffset;
      g.tensors.forEach((info, i) => {
        const t = tensors[i]!;
        assert.equal(info.name, t.name);
        assert.deepEqual(info.shape, t.shape);
        assert.equal(info.type, t.type);
        assert.equal(info.byteLength, t.data.length);
        assert.equal(info.offset % alignment, 0);
        assert.ok(info.offset >= end, `${info.name} overlaps the previous tensor`);
        end = info.offset + info.byteLength;
        assert.deepEqual(g.readTensorBytes(info), t.data);
      });
      assert.deepEqual(
        g.tensors.map((t) => t.typeName),
        ['Q8_0', 'F32', 'F16', 'BF16', 'Q4_0', 'Q6_K', 'I32'],
      );
      // Q8_0 [5, 64]: 5 rows of 2 blocks of 34 bytes.
      assert.equal(g.tensors[0]!.byteLength, 5 * 2 * 34);
      // Into a window of a larger buffer (as into wasm memory), without touching its neighbours.
      const big = new Uint8Array(1000).fill(0xee);
      const info = g.tensors[4]!;
      g.readTensorBytes(info, big.subarray(100, 100 + info.byteLength));
      assert.deepEqual(big.subarray(100, 100 + info.byteLength), tensors[4]!.data);
      assert.equal(big[99], 0xee);
      assert.equal(big[100 + info.byteLength], 0xee);
      assert.throws(() => g.readTensorBytes(info, new Uint8Array(3)), (e: unknown) => e instanceof GGUFError && /destination has 3 bytes/.test(e.message));
    } finally {
      g.close();
    }
    assert.throws(() => g.readTensorBytes(g.tensors[0]!), /closed/);
  }
});

/** A small file: a few keys of each kind and two tensors. */
function smallFile(): { path: string; bytes: Uint8Array; tensors: GGUFWriteTensor[] } {
  const path = join(dir, 'small.gguf');
  const tensors = [tensor('a', GGMLType.F32, [3], 1), tensor('b', GGMLType.Q8_0, [1, 32], 2)];
  writeGGUF(path, {
    metadata: { 'general.architecture': 'llama', n: gguf.u32(3), toks: ['x', 'yy'], scores: Float32Array.of(1, 2), flags: [true], nested: [[1]] },
    tensors,
  });
  return { path, bytes: readFileSync(path), tensors };
}

test('every truncation of a small file fails with a GGUFError (or, inside the final padding, still reads intact)', () => {
  const { bytes, tensors } = smallFile();
  const full = openGGUF(join(dir, 'small.gguf'));
  full.close();
  const last = full.tensors[full.tensors.length - 1]!;
  const dataEnd = last.offset + last.byteLength;
  assert.ok(dataEnd < bytes.length, 'the writer pads the last tensor, so the tail case is exercised');
  const cut = join(dir, 'cut.gguf');
  for (let n = 0; n < bytes.length; n++) {
    writeFileSync(cut, bytes.subarray(0, n));
    if (n >= dataEnd) {
      const g = openGGUF(cut);
      assert.deepEqual(g.tensors.map((t) => g.readTensorBytes(t)), tensors.map((t) => t.data));
      g.close();
      continue;
    }
    assert.throws(
      () => openGGUF(cut).close(),
      (e: unknown) => e instanceof GGUFError && e.message.startsWith(`gguf: ${cut}: `) && /past end of file/.test(e.message),
      `truncated at ${n} of ${bytes.length}`,
    );
  }
});

test('random byte corruption never escapes as anything but a GGUFError', () => {
  const { bytes } = smallFile();
  const bad = join(dir, 'corrupt.gguf');
  let seed = 12345;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  let failures = 0;
  for (let trial = 0; trial < 1500; trial++) {
    const b = bytes.slice();
    const flips = 1 + Math.floor(rand() * 3);
    for (let k = 0; k < flips; k++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
    writeFileSync(bad, b);
    try {
      const g = openGGUF(bad);
      for (const t of g.tensors) g.readTensorBytes(t);
      g.close();
    } catch (e) {
      if (!(e instanceof GGUFError)) throw new Error(`trial ${trial}: ${String(e)}`);
      failures++;
    }
  }
  assert.ok(failures > 100, `only ${failures} corruptions were detected`);
});

/** Header of a hand-made file: magic, version, tensor count, kv count. */
const header = (version = 3, tensors = 0, kvs = 1) => new Bytes().u32(0x46554747).u32(version).u64(tensors).u64(kvs);

function expectError(name: string, bytes: Uint8Array, re: RegExp): void {
  const path = join(dir, `${name}.gguf`);
  writeFileSync(path, bytes);
  assert.throws(() => openGGUF(path), (e: unknown) => e instanceof GGUFError && re.test(e.message), name);
}

test('malformed headers and metadata fail naming the field', () => {
  expectError('magic', new Bytes().u32(0x12345678).u32(3).u64(0).u64(0).build(), /header magic: expected "GGUF"/);
  expectError('v1', new Bytes().u32(0x46554747).u32(1).u32(0).u32(0).build(), /version 1.*not supported/);
  expectError('bigendian', new Bytes().u32(0x46554747).u32(0x03000000).build(), /big-endian/);
  expectError('v9', header(9).build(), /expected 2 or 3, got 9/);
  const big = header().str('general.name').u32(GGUFValueType.STRING).u64(4294967295).raw([65, 66]).build();
  expectError('strlen', big, new RegExp(`^gguf: .*strlen.gguf: metadata key #0 \\(general.name\\) string length 4294967295 runs past end of file \\(size ${big.length}\\)$`));
  expectError('keylen', header().u64(2n ** 63n).zeros(16).build(), /metadata key #0 string length 9223372036854775808 runs past end of file/);
  expectError('kvcount', header(3, 0, 1e9).build(), /metadata count 1000000000 runs past end of file/);
  expectError('tcount', header(3, 1e9, 0).build(), /tensor count 1000000000 runs past end of file/);
  expectError('vtype', header().str('k').u32(13).zeros(8).build(), /metadata key #0 \(k\) value type: expected 0..12, got 13/);
  expectError('arrlen', header().str('k').u32(GGUFValueType.ARRAY).u32(GGUFValueType.INT32).u64(1e12).zeros(16).build(), /\(k\) array length 1000000000000 runs past end of file/);
  expectError('arrtype', header().str('k').u32(GGUFValueType.ARRAY).u32(99).u64(1).zeros(8).build(), /array element type: expected 0..12, got 99/);
  expectError('bool', header().str('k').u32(GGUFValueType.BOOL).u8(2).build(), /bool: expected 0 or 1, got 2/);
  expectError('dupkey', header(3, 0, 2).str('k').u32(GGUFValueType.UINT8).u8(1).str('k').u32(GGUFValueType.UINT8).u8(1).build(), /\(k\): duplicate key/);
  const deep = header().str('k').u32(GGUFValueType.ARRAY);
  for (let i = 0; i < 20; i++) deep.u32(GGUFValueType.ARRAY).u64(1);
  expectError('deep', deep.build(), /nested deeper than 8/);
  expectError('align', header().str('general.alignment').u32(GGUFValueType.UINT32).u32(48).build(), /general.alignment: expected a power of two, got 48/);
  // The string count of a string array is checked before reading: 64-bit max elements.
  expectError('strarr', header().str('toks').u32(GGUFValueType.ARRAY).u32(GGUFValueType.STRING).u64(2n ** 40n).build(), /array length 1099511627776 runs past end of file/);
});

/** One tensor info (1-D), data section at 32. */
function withTensor(info: (b: Bytes) => Bytes, dataBytes: number): Uint8Array {
  const b = info(header(3, 1, 0));
  b.zeros((32 - (b.length % 32)) % 32);
  return b.zeros(dataBytes).build();
}

test('malformed tensor tables fail naming the tensor and field', () => {
  expectError('ttype', withTensor((b) => b.str('w').u32(1).u64(32).u32(31).u64(0), 128), /tensor #0 \(w\) type: unknown type 31 is not a ggml type/);
  expectError('ndims', withTensor((b) => b.str('w').u32(5).u64(1).u64(1).u64(1).u64(1).u64(1).u32(0).u64(0), 4), /dimension count: expected at most 4, got 5/);
  expectError('rows', withTensor((b) => b.str('w').u32(1).u64(33).u32(GGMLType.Q8_0).u64(0), 64), /Q8_0 rows must be a multiple of 32/);
  expectError('past', withTensor((b) => b.str('w').u32(2).u64(4).u64(8).u32(GGMLType.F32).u64(0), 64), /tensor #0 \(w\) data \[\d+, \d+\) \(F32 \[8, 4\]\) runs past end of file/);
  expectError('misaligned', withTensor((b) => b.str('w').u32(1).u64(4).u32(GGMLType.F32).u64(4), 64), /offset 4: expected a multiple of the alignment 32/);
  expectError('huge', withTensor((b) => b.str('w').u32(2).u64(2n ** 52n).u64(2n ** 52n).u32(GGMLType.F32).u64(0), 64), /too many elements|past end of file/);
  const two = header(3, 2, 0).str('a').u32(1).u64(16).u32(GGMLType.F32).u64(0).str('b').u32(1).u64(8).u32(GGMLType.F32).u64(32);
  two.zeros((32 - (two.length % 32)) % 32).zeros(128);
  expectError('overlap', two.build(), /tensor #1 \(b\) offset 32: expected 64, where the previous tensor a \(F32 \[16\], 64 bytes\) ends/);
  const dup = header(3, 2, 0).str('a').u32(1).u64(4).u32(GGMLType.F32).u64(0).str('a').u32(1).u64(4).u32(GGMLType.F32).u64(32);
  expectError('duptensor', dup.zeros(128).build(), /tensor #1 \(a\): duplicate tensor name/);
});

test('v2 files (same layout as v3) are accepted', () => {
  const b = header(2, 0, 1).str('general.name').u32(GGUFValueType.STRING).str('v2').build();
  const path = join(dir, 'v2.gguf');
  writeFileSync(path, b);
  const g = openGGUF(path);
  g.close();
  assert.equal(g.version, 2);
  assert.equal(g.metadata.get('general.name'), 'v2');
});

test('the writer validates tensors and values before creating anything, and replaces files atomically', () => {
  const path = join(dir, 'atomic.gguf');
  writeGGUF(path, { metadata: { k: 'old' }, tensors: [] });
  const before = readFileSync(path);
  const bad = (opts: Parameters<typeof writeGGUF>[1], re: RegExp) =>
    assert.throws(() => writeGGUF(path, opts), (e: unknown) => e instanceof GGUFError && re.test(e.message));
  bad({ metadata: {}, tensors: [{ name: 'w', shape: [4], type: GGMLType.F32, data: new Uint8Array(15) }] }, /tensor #0 \(w\) data: F32 \[4\] needs 16 bytes, got 15/);
  bad({ metadata: {}, tensors: [{ name: 'w', shape: [40], type: GGMLType.Q8_0, data: new Uint8Array(0) }] }, /rows must be a multiple of 32/);
  bad({ metadata: {}, tensors: [{ name: 'x'.repeat(64), shape: [1], type: GGMLType.F32, data: new Uint8Array(4) }] }, /name: expected 1 to 63 bytes/);
  bad({ metadata: {}, tensors: [tensor('w', GGMLType.F32, [1], 0), tensor('w', GGMLType.F32, [1], 0)] }, /tensor #1 \(w\): duplicate tensor name/);
  bad({ metadata: {}, tensors: [{ name: 'w', shape: [1], type: 4, data: new Uint8Array(4) }] }, /type: unknown type 4 is not a ggml type/);
  bad({ metadata: {}, tensors: [], alignment: 48 }, /alignment: expected a power of two, got 48/);
  bad({ metadata: { k: gguf.u8(256) }, tensors: [] }, /metadata k: expected an integer in \[0, 255\], got 256/);
  bad({ metadata: { k: gguf.arrayOf(GGUFValueType.INT8, [1, 200]) }, tensors: [] }, /metadata k element 1: expected an integer in \[-128, 127\], got 200/);
  bad({ metadata: { k: gguf.u32(1.5) }, tensors: [] }, /expected an integer/);
  bad({ metadata: { 'general.alignment': gguf.u32(64) }, tensors: [] }, /general.alignment is 64 but the alignment option is 32/);
  // A failure while writing (here: a value that only fails mid-stream) leaves the old file and no temp file.
  bad({ metadata: { a: 'fine', b: gguf.str(3 as unknown as string) }, tensors: [] }, /metadata b: expected a string/);
  assert.deepEqual(readFileSync(path), before);
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), []);
});

test('readTensorBytes fills a window of shared wasm memory directly', () => {
  const mem = new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true });
  const u8 = new Uint8Array(mem.buffer);
  const w = tensor('w', GGMLType.Q8_0, [2, 32], 9);
  const path = join(dir, 'wasm.gguf');
  writeGGUF(path, { metadata: {}, tensors: [w] });
  const g = openGGUF(path);
  try {
    g.readTensorBytes(g.tensors[0]!, u8.subarray(4096, 4096 + w.data.length));
    assert.deepEqual(u8.slice(4096, 4096 + w.data.length), w.data);
  } finally {
    g.close();
  }
});
