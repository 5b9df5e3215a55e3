// A GGUF tensor's byte size follows from its type and shape; the reader checks it against where the
// next tensor starts (llama.cpp's rule: tensors in table order, each padded to the alignment) and, for
// the last one, against the end of the file. So F32 data relabelled Q8_0 (or a dimension rewritten)
// is refused, naming the tensor, instead of loading as garbage.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { GGMLType, GGUFError, openGGUF } from '../../src/formats/gguf.js';
import { ggufLayout } from '../fuzz/gguf-layout.js';
import { ggufSeed } from '../fuzz/seeds.js';
import { tempDir } from './helpers.js';

const dir = tempDir();

function rewritten(name: string, seed: Uint8Array, edit: (dv: DataView) => void): string {
  const b = seed.slice();
  edit(new DataView(b.buffer));
  const path = join(dir, name);
  writeFileSync(path, b);
  return path;
}

function refused(path: string, re: RegExp): void {
  assert.throws(() => openGGUF(path), (e: unknown) => e instanceof GGUFError && e.message.includes(path) && re.test(e.message), path);
}

test('a tensor type rewritten from F32 to Q8_0 is refused: its size no longer reaches the next tensor', () => {
  const seed = ggufSeed(dir, 'f32');
  openGGUF(join(dir, 'seed-f32.gguf')).close();
  const layout = ggufLayout(seed);
  const i = layout.tensors.findIndex((t) => t.name === 'blk.0.attn_q.weight');
  const q = layout.tensors[i]!;
  const next = layout.tensors[i + 1]!;
  const path = rewritten('f32-as-q8.gguf', seed, (dv) => dv.setUint32(q.typeAt, GGMLType.Q8_0, true));
  // [32, 32] F32 is 4096 bytes; as Q8_0 it would be 1088, so the next tensor "should" start 3008 bytes earlier.
  refused(
    path,
    new RegExp(`tensor #${i + 1} \\(${next.name}\\) offset ${next.offset}: expected ${q.offset + 1088}, where the previous tensor blk.0.attn_q.weight \\(Q8_0 \\[32, 32\\], 1088 bytes\\) ends`),
  );
});

test('the last tensor relabelled to a smaller type is refused by the bytes left at the end of the file', () => {
  const seed = ggufSeed(dir, 'f32');
  const layout = ggufLayout(seed);
  const last = layout.tensors[layout.tensors.length - 1]!;
  const path = rewritten('last-as-f16.gguf', seed, (dv) => dv.setUint32(last.typeAt, GGMLType.F16, true));
  refused(path, new RegExp(`tensor #${layout.tensors.length - 1} \\(output.weight\\) data ends at \\d+ \\(F16 \\[64, 32\\]\\) but the file has 4096 more bytes`));
});

test('Q8_0 data relabelled F32, and a dimension rewritten, are refused naming the tensor', () => {
  const seed = ggufSeed(dir, 'q8_0');
  const layout = ggufLayout(seed);
  const i = layout.tensors.findIndex((t) => t.name === 'blk.1.ffn_up.weight');
  const t = layout.tensors[i]!;
  // 3.8 times the bytes: here, more than the rest of the file holds.
  refused(rewritten('q8-as-f32.gguf', seed, (dv) => dv.setUint32(t.typeAt, GGMLType.F32, true)), new RegExp(`tensor #${i} \\(blk.1.ffn_up.weight\\) data \\[\\d+, \\d+\\) \\(F32 \\[64, 32\\]\\) runs past end of file`));
  // ne[1] (rows) 64 -> 32: half the bytes.
  refused(rewritten('rows.gguf', seed, (dv) => dv.setBigUint64(t.neAt[1]!, 32n, true)), /where the previous tensor blk.1.ffn_up.weight \(Q8_0 \[32, 32\], 1088 bytes\) ends/);
});
