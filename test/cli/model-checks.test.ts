// The load checks as a user meets them on the command line: --strict and --check on the model
// commands, and yi convert refusing NaN/Inf weights (always) and unused tensors (with --strict).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openSafetensors, writeSafetensors, type SafetensorsWriteTensor } from '../../src/formats/safetensors.js';
import { encodeModelProto } from '../../src/tokenizer/sentencepiece-proto.js';
import { tinyTokenizerProto } from '../model/tiny-tokenizer.js';
import { repoRoot } from '../paths.js';

const yi = join(repoRoot, 'dist', 'src', 'cli', 'yi.js');
const work = mkdtempSync(join(tmpdir(), 'yi-cli-checks-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** The yi-tiny fixture with a tokenizer, its tensors passed through `edit`. */
function model(name: string, edit: (ts: SafetensorsWriteTensor[]) => SafetensorsWriteTensor[]): string {
  const dir = join(work, name);
  cpSync(join(repoRoot, 'test', 'fixtures', 'yi-tiny'), dir, { recursive: true });
  writeFileSync(join(dir, 'tokenizer.model'), encodeModelProto(tinyTokenizerProto()));
  const st = openSafetensors(join(dir, 'model.safetensors'));
  const ts = [...st.tensors.values()].map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, data: st.readTensorBytes(t.name) }));
  st.close();
  writeSafetensors(join(dir, 'model.safetensors'), edit(ts));
  return dir;
}

function run(...args: string[]): { code: number | null; err: string } {
  const r = spawnSync(process.execPath, [yi, ...args], { encoding: 'utf8', input: '', env: { ...process.env, YI_THREADS: '1' } });
  return { code: r.status, err: r.stderr };
}

const extra = model('extra', (ts) => [...ts, { name: 'mm_projector.weight', dtype: 'F32', shape: [4], data: new Uint8Array(16) }]);
const nan = model('nan', (ts) =>
  ts.map((t) => {
    if (t.name !== 'model.layers.1.self_attn.v_proj.weight') return t;
    const b = t.data.slice();
    new DataView(b.buffer, b.byteOffset).setFloat32(4 * 70, NaN, true);
    return { ...t, data: b };
  }),
);

test('yi generate: unused tensors are a warning, refused with --strict', () => {
  const ok = run('generate', '-m', extra, '-p', 'hi', '-n', '1', '--temperature', '0', '--quiet');
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.err, /^warning: .*extra: 1 tensor in the file is not read by a Llama\/Yi model and ignored \(refused with --strict\): mm_projector.weight\n$/);
  const strict = run('generate', '-m', extra, '-p', 'hi', '-n', '1', '--strict');
  assert.equal(strict.code, 1);
  assert.match(strict.err, /extra: strict: 1 tensor is in the file but not read by a Llama\/Yi model: mm_projector.weight/);
});

test('yi generate --check names a NaN weight; yi convert refuses it without being asked', () => {
  const r = run('generate', '-m', nan, '-p', 'hi', '-n', '1', '--check');
  assert.equal(r.code, 1);
  assert.match(r.err, /nan: 1 tensor has NaN or infinite weights: model.layers.1.self_attn.v_proj.weight: 1 NaN\/Inf values \(the first at row 1, column 6\)/);
  const out = join(work, 'nan.gguf');
  const c = run('convert', nan, out, '--quiet');
  assert.equal(c.code, 1);
  assert.match(c.err, /tensor model.layers.1.self_attn.v_proj.weight has 1 NaN\/Inf values/);
  assert.equal(existsSync(out), false);
});

test('yi convert --strict refuses unused tensors; without it they are left out with a warning', () => {
  const strict = run('convert', extra, join(work, 'x.gguf'), '--quiet', '--strict');
  assert.equal(strict.code, 1);
  assert.match(strict.err, /strict: 1 tensor is in the file but not read by a Llama\/Yi model: mm_projector.weight/);
  const ok = run('convert', extra, join(work, 'x.gguf'), '--quiet');
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.err, /warning: .*mm_projector.weight/);
});
