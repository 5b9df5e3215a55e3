// yi quantize --awq end to end: an ordinary GGUF (the mix's tensor types, different weights from plain
// rounding) that yi generate runs; the same bytes from a float GGUF as from the Hugging Face folder;
// and a clear, typed refusal for every input AWQ cannot use, with nothing written.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ggmlTypeName, openGGUF } from '../../../src/formats/gguf.js';
import { AwqError } from '../../../src/model/awq/errors.js';
import { awqQuantizeCheckpoint } from '../../../src/model/awq/quantize-awq.js';
import { convertCheckpoint } from '../../../src/model/convert.js';
import { quantizeCheckpoint } from '../../../src/model/quantize.js';
import { Runtime } from '../../../src/runtime/runtime.js';
import { runYi, tinyModelFolder } from '../../cli/yi-cli.js';
import { repoRoot } from '../../paths.js';

let rt: Runtime;
let tmp: string;
let folder: string;
let calib: string;
before(async () => {
  rt = await Runtime.create({ threads: 2, arenaBytes: 128 << 20 });
  tmp = mkdtempSync(join(tmpdir(), 'yi-awq-cli-'));
  folder = tinyModelFolder(join(tmp, 'hf'));
  calib = join(tmp, 'calib.txt');
  writeFileSync(calib, readFileSync(join(repoRoot, 'README.md'), 'utf8').slice(0, 6000));
});
after(async () => {
  await rt.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Tensor name -> [GGML type name, bytes]. */
function tensors(file: string): Map<string, [string, Buffer]> {
  const g = openGGUF(file);
  try {
    return new Map(g.tensors.map((t) => [t.name, [ggmlTypeName(t.type), Buffer.from(g.readTensorBytes(t))]]));
  } finally {
    g.close();
  }
}

test('yi quantize --awq writes the q4_0 mix with scaled weights, reports the search, and yi generate runs the file', async () => {
  const out = join(tmp, 'awq.q4_0.gguf');
  const r = runYi(['quantize', '-m', folder, '--type', 'q4_0', '--awq', '--calib', calib, '--calib-tokens', '256', '--awq-grid', '6', '-o', out]);
  assert.equal(r.code, 0, r.err);
  // yi-tiny: 2 layers x (qkv, gate/up, down); o_proj's input is skipped under GQA.
  assert.match(r.err, /^awq search 6\/6 layer 1 down$/m);
  assert.match(r.err, /note: AWQ left unscaled: o_proj's input .*4 query heads share 2 KV heads/);
  assert.match(r.err, /AWQ: [1-6] of 6 layer groups scaled on 256 calibration tokens; their output error vs round-to-nearest: \d+\.\d\dx lower \(geometric mean; \d+\.\d\dx to \d+\.\d\dx\)/);
  assert.match(r.out, /wrote .*awq\.q4_0\.gguf \(GGUF, awq\+q4_0, 21 tensors, tokenizer\)/);

  const plain = join(tmp, 'plain.q4_0.gguf');
  await quantizeCheckpoint(folder, plain, { type: 'q4_0', runtime: rt });
  const a = tensors(out);
  const p = tensors(plain);
  assert.deepEqual([...a].map(([n, [t]]) => [n, t]), [...p].map(([n, [t]]) => [n, t]), 'the same tensor types as plain yi quantize');
  // The scales live in the weights: a scaled norm comes with scaled matrices reading it; the
  // embedding, the head and the final norm are untouched.
  const differs = (n: string) => !a.get(n)![1].equals(p.get(n)![1]);
  const norms = [0, 1].flatMap((l) => [`blk.${l}.attn_norm.weight`, `blk.${l}.ffn_norm.weight`]).filter(differs);
  assert.ok(norms.length > 0, 'no norm was scaled');
  for (const n of norms) {
    const readers = n.includes('attn_norm') ? ['attn_q', 'attn_k', 'attn_v'] : ['ffn_gate', 'ffn_up'];
    for (const m of readers) assert.ok(differs(n.replace(/attn_norm|ffn_norm/, m)), `${n} is scaled but ${m} is not`);
  }
  for (const n of ['token_embd.weight', 'output.weight', 'output_norm.weight']) assert.ok(!differs(n), n);

  const g = runYi(['generate', '-m', out, '-p', 'The', '-n', '8', '--temperature', '0']);
  assert.equal(g.code, 0, g.err);
  assert.ok(g.out.length > 0);
});

test('an F32 GGUF gives the same AWQ file as the Hugging Face folder it came from; F16 and BF16 GGUFs quantize too', async () => {
  const f32 = join(tmp, 'f32.gguf');
  await convertCheckpoint(folder, f32, { type: 'f32', runtime: rt });
  const opts = { type: 'q4_k_m' as const, calib, tokens: 256, grid: 5, name: 'same', runtime: rt };
  const fromHF = join(tmp, 'hf.awq.gguf');
  const fromGGUF = join(tmp, 'gguf.awq.gguf');
  const a = await awqQuantizeCheckpoint(folder, fromHF, opts);
  await awqQuantizeCheckpoint(f32, fromGGUF, opts);
  assert.ok(a.awq.some((g) => g.alpha > 0));
  assert.ok(readFileSync(fromHF).equals(readFileSync(fromGGUF)));
  // F16 and BF16 weights are read (and scaled) too.
  for (const type of ['f16', 'bf16'] as const) {
    const half = join(tmp, `${type}.gguf`);
    await convertCheckpoint(folder, half, { type, runtime: rt });
    const r = await awqQuantizeCheckpoint(half, join(tmp, `${type}.awq.gguf`), opts);
    assert.ok(r.awq.some((g) => g.alpha > 0), type);
    assert.deepEqual([...tensors(join(tmp, `${type}.awq.gguf`))].map(([n, [t]]) => [n, t]), [...tensors(fromHF)].map(([n, [t]]) => [n, t]));
  }
});

test('what --awq cannot use is refused with a typed error naming it, and no output appears', async () => {
  const out = join(tmp, 'never.gguf');
  const cli = (args: string[], re: RegExp) => {
    const r = runYi(['quantize', '-m', folder, '-o', out, ...args]);
    assert.notEqual(r.code, 0);
    assert.match(r.err, re);
  };
  cli(['--type', 'q4_0', '--awq'], /--awq needs calibration text: --calib FILE/);
  cli(['--type', 'q4_0', '--calib', calib], /--calib, --calib-tokens, --calib-ctx and --awq-grid are options of --awq/);
  cli(['--type', 'q4_0', '--awq', '--calib', join(tmp, 'missing.txt')], /calibration file .*missing\.txt: no such file/);
  cli(['--type', 'q8_0', '--awq', '--calib', calib], /--awq is for 4-bit and lower types .*q8_0 rounds finely enough/);
  cli(['--type', 'q4_0', '--awq', '--calib', calib, '--calib-tokens', '1'], /--calib-tokens.*expected an integer of at least 2/);
  const short = join(tmp, 'short.txt');
  writeFileSync(short, 'Only a few words.\n');
  cli(['--type', 'q4_0', '--awq', '--calib', short], /calibration file .*short\.txt has 18 tokens; 64 sequences of 64 \(--calib-tokens 4096\) need 4032: give a longer text or a smaller --calib-tokens/);
  const empty = join(tmp, 'empty.txt');
  writeFileSync(empty, '  \n');
  cli(['--type', 'q4_0', '--awq', '--calib', empty], /calibration file .*empty\.txt has no text/);
  assert.ok(!existsSync(out));

  const q8 = join(tmp, 'q8.gguf');
  await quantizeCheckpoint(folder, q8, { type: 'q8_0', runtime: rt });
  await assert.rejects(
    awqQuantizeCheckpoint(q8, out, { type: 'q4_0', calib, tokens: 64, runtime: rt }),
    (e: unknown) => e instanceof AwqError && /is Q8_0; AWQ scales the weights before rounding them, so it needs an F32, F16 or BF16 checkpoint/.test(e.message),
  );
  // A model without a tokenizer cannot read the calibration text.
  const bare = join(tmp, 'bare');
  await convertCheckpoint(folder, bare, { type: 'f32', runtime: rt });
  rmSync(join(bare, 'tokenizer.model'));
  await assert.rejects(awqQuantizeCheckpoint(bare, out, { type: 'q4_0', calib, tokens: 64, runtime: rt }), (e: unknown) => e instanceof AwqError && /tokenizes the calibration text with the model's tokenizer/.test(e.message));
  assert.ok(!existsSync(out));
});
