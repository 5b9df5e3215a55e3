// The load checks as a user meets them on the command line: --strict and --check on the model
// commands and on yi info -m, and yi convert refusing NaN/Inf weights (always) and unused tensors (with --strict).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openSafetensors, writeSafetensors, type SafetensorsWriteTensor } from '../../src/formats/safetensors.js';
import { runYi, tinyModelFolder, yiEnv } from './yi-cli.js';

const work = mkdtempSync(join(tmpdir(), 'yi-cli-checks-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** The yi-tiny fixture with a tokenizer, its tensors passed through `edit`. */
function model(name: string, edit: (ts: SafetensorsWriteTensor[]) => SafetensorsWriteTensor[]): string {
  const dir = tinyModelFolder(join(work, name));
  const st = openSafetensors(join(dir, 'model.safetensors'));
  const ts = [...st.tensors.values()].map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, data: st.readTensorBytes(t.name) }));
  st.close();
  writeSafetensors(join(dir, 'model.safetensors'), edit(ts));
  return dir;
}

const run = (...args: string[]) => runYi(args, { env: yiEnv(1) });

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

test('yi info -m checks a checkpoint as the model commands do: unused tensors warned, refused with --strict; --check names NaN weights', () => {
  const ok = run('info', '-m', extra);
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.err, /^warning: .*extra: 1 tensor in the file is not read by a Llama\/Yi model and ignored \(refused with --strict\): mm_projector.weight\n$/);
  assert.match(ok.out, /^layers +2$/m);
  assert.match(ok.out, /^unused +1 tensors \(not read\)$/m);
  const strict = run('info', '-m', extra, '--strict');
  assert.equal(strict.code, 1);
  assert.match(strict.err, /extra: strict: 1 tensor is in the file but not read by a Llama\/Yi model: mm_projector.weight/);

  // Without --check the NaN goes unseen, as on load; with it, the same message as yi generate --check.
  const unchecked = run('info', '-m', nan);
  assert.equal(unchecked.code, 0, unchecked.err);
  assert.match(unchecked.out, /^checked +not scanned for NaN\/Inf/m);
  const checked = run('info', '-m', nan, '--check');
  assert.equal(checked.code, 1);
  assert.match(checked.err, /nan: 1 tensor has NaN or infinite weights: model.layers.1.self_attn.v_proj.weight: 1 NaN\/Inf values \(the first at row 1, column 6\)/);
  const clean = run('info', '-m', extra, '--check', '--json');
  assert.equal(clean.code, 0, clean.err);
  const info = JSON.parse(clean.out) as { model: { checked: boolean; parameters: number; tensorTypes: Record<string, number>; unused: string[] } };
  assert.equal(info.model.checked, true);
  assert.deepEqual(info.model.tensorTypes, { f32: 21 });
  assert.deepEqual(info.model.unused, ['mm_projector.weight']);
});

test('yi info: --strict and --check without -m are refused, naming -m', () => {
  const r = run('info', '--check');
  assert.equal(r.code, 1);
  assert.match(r.err, /--strict and --check describe a checkpoint: give it with -m/);
});
