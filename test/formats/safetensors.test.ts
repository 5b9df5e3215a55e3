import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SafetensorsError } from '../../src/formats/errors.js';
import {
  MAX_HEADER_BYTES,
  openSafetensors,
  openSafetensorsDir,
  safetensorsDTypeBytes,
  writeSafetensors,
  type SafetensorsDType,
  type SafetensorsWriteTensor,
} from '../../src/formats/safetensors.js';
import { tempDir } from './helpers.js';

const dir = tempDir();

function t(name: string, dtype: SafetensorsDType, shape: number[], seed = 1): SafetensorsWriteTensor {
  const n = shape.reduce((a, b) => a * b, 1) * safetensorsDTypeBytes(dtype);
  return { name, dtype, shape, data: Uint8Array.from({ length: n }, (_, i) => (i * 13 + seed * 7) & 255) };
}

/** A file from a header object (or raw header text) and a data area. */
function rawFile(name: string, header: unknown, data: Uint8Array | number = 0, lengthOverride?: bigint): string {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(lengthOverride ?? BigInt(json.length));
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([len, json, typeof data === 'number' ? Buffer.alloc(data) : data]));
  return path;
}

function expectError(path: string, re: RegExp): void {
  assert.throws(() => openSafetensors(path).close(), (e: unknown) => e instanceof SafetensorsError && e.message.startsWith(`safetensors: ${path}: `) && re.test(e.message), path);
}

test('the writer lays out bytes as the reference implementation: dtype-descending then name order, space padding to 8', () => {
  const path = join(dir, 'layout.safetensors');
  writeSafetensors(path, [t('a', 'U8', [2]), t('c', 'F32', [1]), t('b', 'F32', [1])]);
  const bytes = readFileSync(path);
  const json = '{"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"c":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"a":{"dtype":"U8","shape":[2],"data_offsets":[8,10]}}';
  const padded = Math.ceil(json.length / 8) * 8;
  assert.equal(bytes.readBigUInt64LE(0), BigInt(padded));
  assert.equal(bytes.subarray(8, 8 + json.length).toString(), json);
  assert.equal(bytes.subarray(8 + json.length, 8 + padded).toString(), ' '.repeat(padded - json.length));
  assert.equal(bytes.length, 8 + padded + 10);
  assert.deepEqual(bytes.subarray(8 + padded, 8 + padded + 4), Buffer.from(t('b', 'F32', [1]).data));
  // With metadata: __metadata__ comes first, as serde writes it.
  writeSafetensors(path, [t('x', 'BF16', [2])], { format: 'pt' });
  assert.match(readFileSync(path).subarray(8).toString(), /^\{"__metadata__":\{"format":"pt"\},"x":/);
});

test('round trip of every dtype, shapes including scalars and zero-size tensors, and metadata', () => {
  const dtypes: SafetensorsDType[] = ['BOOL', 'U8', 'I8', 'F8_E5M2', 'F8_E4M3', 'F8_E8M0', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64'];
  const tensors = dtypes.map((d, i) => t(`model.layers.${i}.w`, d, [i % 3 + 1, 5], i));
  tensors.push(t('scalar', 'F32', []), t('empty', 'F16', [0, 4]), t('__proto__', 'U8', [1]), t('ünï', 'I8', [3]));
  const path = join(dir, 'all.safetensors');
  writeSafetensors(path, tensors, { format: 'pt', note: 'héllo' });
  const f = openSafetensors(path);
  try {
    assert.deepEqual(f.metadata, { format: 'pt', note: 'héllo' });
    assert.equal(f.tensors.size, tensors.length);
    for (const w of tensors) {
      const info = f.tensors.get(w.name)!;
      assert.ok(info, w.name);
      assert.equal(info.dtype, w.dtype);
      assert.deepEqual(info.shape, w.shape);
      assert.equal(info.byteLength, w.data.length);
      assert.equal(info.file, path);
      assert.deepEqual(f.readTensorBytes(w.name), w.data);
    }
    // Into a window of a larger buffer.
    const big = new Uint8Array(200).fill(9);
    const info = f.tensors.get('model.layers.12.w')!;
    f.readTensorBytes(info.name, big.subarray(10, 10 + info.byteLength));
    assert.deepEqual(big.subarray(10, 10 + info.byteLength), tensors[12]!.data);
    assert.equal(big[9], 9);
    assert.throws(() => f.readTensorBytes('nope'), /no tensor named "nope"/);
    assert.throws(() => f.readTensorBytes(info.name, new Uint8Array(1)), /destination has 1 bytes/);
  } finally {
    f.close();
  }
});

test('every truncation of a small file fails with a SafetensorsError', () => {
  const path = join(dir, 'small.safetensors');
  writeSafetensors(path, [t('a', 'F32', [2, 2]), t('b', 'F16', [3])], { k: 'v' });
  const bytes = readFileSync(path);
  const cut = join(dir, 'cut.safetensors');
  for (let n = 0; n < bytes.length; n++) {
    writeFileSync(cut, bytes.subarray(0, n));
    assert.throws(() => openSafetensors(cut).close(), (e: unknown) => e instanceof SafetensorsError, `truncated at ${n} of ${bytes.length}`);
  }
});

test('random corruption never escapes as anything but a SafetensorsError', () => {
  const path = join(dir, 'small2.safetensors');
  writeSafetensors(path, [t('a', 'F32', [2, 2]), t('b', 'F16', [3])], { k: 'v' });
  const bytes = readFileSync(path);
  const bad = join(dir, 'corrupt.safetensors');
  let seed = 99;
  const rand = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  let detected = 0;
  for (let trial = 0; trial < 1000; trial++) {
    const b = Buffer.from(bytes);
    b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
    writeFileSync(bad, b);
    try {
      const f = openSafetensors(bad);
      for (const name of f.tensors.keys()) f.readTensorBytes(name);
      f.close();
    } catch (e) {
      if (!(e instanceof SafetensorsError)) throw new Error(`trial ${trial}: ${String(e)}`);
      detected++;
    }
  }
  assert.ok(detected > 300, `only ${detected} corruptions detected`);
});

test('malformed headers fail naming the field', () => {
  const ok = { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } };
  expectError(rawFile('huge.st', ok, 8, 2n ** 63n), /header length 9223372036854775808: larger than the 100000000-byte limit/);
  expectError(rawFile('past.st', ok, 8, 1000n), /header length 1000 runs past end of file/);
  assert.equal(MAX_HEADER_BYTES, 100_000_000);
  expectError(rawFile('notobj.st', '[1,2]', 0), /expected a JSON object starting with "\{"/);
  expectError(rawFile('badjson.st', '{"a":', 0), /header: invalid JSON/);
  expectError(rawFile('dtype.st', { a: { dtype: 'F4', shape: [2], data_offsets: [0, 1] } }, 8), /tensor "a" dtype: expected one of .*got "F4"/);
  expectError(rawFile('shape.st', { a: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, 8), /tensor "a" shape: expected an array of non-negative integers, got \[-2\]/);
  expectError(rawFile('shapef.st', { a: { dtype: 'F32', shape: [1.5], data_offsets: [0, 8] } }, 8), /tensor "a" shape/);
  expectError(rawFile('offs.st', { a: { dtype: 'F32', shape: [2], data_offsets: [0] } }, 8), /data_offsets: expected \[begin, end\]/);
  expectError(rawFile('rev.st', { a: { dtype: 'F32', shape: [0], data_offsets: [8, 0] } }, 8), /end before begin/);
  expectError(rawFile('pastdata.st', { a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, 8), /tensor "a" data_offsets \[0, 16\] runs past end of file \(data area has 8 bytes\)/);
  expectError(rawFile('size.st', { a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8), /tensor "a": F32 \[3\] needs 12 bytes, data_offsets \[0, 8\] hold 8/);
  expectError(
    rawFile('overlap.st', { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12),
    /tensor "b" data_offsets \[4, 12\]: expected to begin at 8, where tensor "a" ends \(overlap\)/,
  );
  expectError(rawFile('meta.st', { __metadata__: { n: 1 } }, 0), /__metadata__.n: expected a string, got 1/);
  expectError(rawFile('entry.st', { a: 5 }, 0), /tensor "a": expected an object with dtype, shape, data_offsets/);
  const bad = rawFile('utf8.st', 'x', 0);
  writeFileSync(bad, Buffer.concat([Buffer.from([2, 0, 0, 0, 0, 0, 0, 0]), Buffer.from([0xff, 0xfe])]));
  expectError(bad, /header: not valid UTF-8/);
});

test('tensors must cover the data area exactly, as the reference requires (no gap, no trailing bytes)', () => {
  const a = { dtype: 'F32', shape: [2], data_offsets: [0, 8] };
  expectError(rawFile('gap.st', { a, b: { dtype: 'F32', shape: [1], data_offsets: [12, 16] } }, 16), /tensor "b" data_offsets \[12, 16\]: expected to begin at 8, where tensor "a" ends \(gap\)/);
  expectError(rawFile('late.st', { a: { ...a, data_offsets: [4, 12] } }, 12), /tensor "a" data_offsets \[4, 12\]: expected to begin at 0, the start of the data area/);
  // Bytes after the last tensor: data shifted by an insertion would otherwise load as weights.
  expectError(rawFile('tail.st', { a }, 12), /the tensors cover 8 bytes of the 12-byte data area/);
  // Zero-size tensors take no room anywhere in the order.
  const ok = rawFile('zero.st', { z: { dtype: 'F32', shape: [0], data_offsets: [8, 8] }, a, y: { dtype: 'U8', shape: [0, 3], data_offsets: [0, 0] } }, 8);
  const f = openSafetensors(ok);
  assert.deepEqual([...f.tensors.keys()].sort(), ['a', 'y', 'z']);
  f.close();
});

test('the writer rejects bad input before creating anything and replaces files atomically', () => {
  const path = join(dir, 'atomic.safetensors');
  writeSafetensors(path, [t('a', 'F32', [1])]);
  const before = readFileSync(path);
  const bad = (ts: SafetensorsWriteTensor[], re: RegExp, meta?: Record<string, string>) =>
    assert.throws(() => writeSafetensors(path, ts, meta), (e: unknown) => e instanceof SafetensorsError && re.test(e.message));
  bad([{ name: 'a', dtype: 'F32', shape: [2], data: new Uint8Array(7) }], /tensor "a" data: F32 \[2\] needs 8 bytes, got 7/);
  bad([t('a', 'F32', [1]), t('a', 'U8', [1])], /tensor "a": duplicate name/);
  bad([t('__metadata__', 'F32', [1])], /reserved/);
  bad([{ name: 'a', dtype: 'Q8' as SafetensorsDType, shape: [1], data: new Uint8Array(1) }], /dtype: expected one of/);
  bad([t('a', 'F32', [1])], /__metadata__.k: expected a string/, { k: 3 as unknown as string });
  assert.deepEqual(readFileSync(path), before);
  assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), []);
});

test('sharded checkpoints: model.safetensors.index.json merges shards; mismatches name the shard and tensor', () => {
  const ck = join(dir, 'ck');
  mkdirSync(ck);
  const s1 = [t('model.embed_tokens.weight', 'BF16', [8, 4], 1), t('model.layers.0.mlp.up_proj.weight', 'BF16', [4, 4], 2)];
  const s2 = [t('model.norm.weight', 'F32', [4], 3), t('lm_head.weight', 'BF16', [8, 4], 4)];
  writeSafetensors(join(ck, 'model-00001-of-00002.safetensors'), s1, { format: 'pt' });
  writeSafetensors(join(ck, 'model-00002-of-00002.safetensors'), s2, { format: 'pt' });
  const weightMap: Record<string, string> = {};
  for (const x of s1) weightMap[x.name] = 'model-00001-of-00002.safetensors';
  for (const x of s2) weightMap[x.name] = 'model-00002-of-00002.safetensors';
  const writeIndex = (wm: Record<string, string>) => writeFileSync(join(ck, 'model.safetensors.index.json'), JSON.stringify({ metadata: { total_size: 200 }, weight_map: wm }));
  writeIndex(weightMap);
  const f = openSafetensorsDir(ck);
  try {
    assert.equal(f.tensors.size, 4);
    assert.equal(f.metadata.total_size, '200');
    for (const x of [...s1, ...s2]) assert.deepEqual(f.readTensorBytes(x.name), x.data, x.name);
    assert.equal(f.tensors.get('lm_head.weight')!.file, join(ck, 'model-00002-of-00002.safetensors'));
  } finally {
    f.close();
  }
  const dirError = (re: RegExp) => assert.throws(() => openSafetensorsDir(ck).close(), (e: unknown) => e instanceof SafetensorsError && re.test(e.message));
  writeIndex({ ...weightMap, 'model.layers.1.mlp.up_proj.weight': 'model-00001-of-00002.safetensors' });
  dirError(/model-00001-of-00002.safetensors: tensor "model.layers.1.mlp.up_proj.weight" is listed for this shard .* but the shard does not hold it/);
  writeIndex({ ...weightMap, 'model.norm.weight': 'model-00001-of-00002.safetensors' });
  dirError(/model-00001-of-00002.safetensors: tensor "model.norm.weight" is listed for this shard/);
  const { 'lm_head.weight': _omit, ...fewer } = weightMap;
  writeIndex(fewer);
  dirError(/model-00002-of-00002.safetensors: tensor "lm_head.weight" is in this shard but model.safetensors.index.json maps it nowhere/);
  writeIndex({ ...weightMap, 'x.weight': 'model-00003-of-00002.safetensors' });
  dirError(/weight_map.x.weight: shard model-00003-of-00002.safetensors does not exist/);
  writeIndex({ ...weightMap, 'x.weight': '../etc/passwd' });
  dirError(/weight_map.x.weight: expected a shard file name inside/);
  writeFileSync(join(ck, 'model.safetensors.index.json'), '{"weight_map": [');
  dirError(/model.safetensors.index.json: invalid JSON/);
  // A directory with a single file.
  const one = join(dir, 'one');
  mkdirSync(one);
  writeSafetensors(join(one, 'model.safetensors'), s2);
  const g = openSafetensorsDir(one);
  assert.equal(g.tensors.size, 2);
  g.close();
  assert.throws(() => openSafetensorsDir(join(dir, 'ck-missing')), /expected model.safetensors or model.safetensors.index.json/);
});
