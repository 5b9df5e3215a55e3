// LoRA finetuning through the trainer: adapters learn on a frozen base (f32 or q4_0), the run writes a
// PEFT adapter folder and the merged model, a stopped and resumed run (dropout on) ends bit-identical,
// and the evaluation's in-memory merge is the model `yi lora merge` writes.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadModel } from '../../src/model/load.js';
import { openWeights } from '../../src/model/source.js';
import { YiTrainable } from '../../src/model/trainable.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { mulberry32 } from '../../src/tensor/random.js';
import { inferenceModel } from '../../src/sft/evaluate.js';
import { mergeLoraAdapter } from '../../src/sft/merge.js';
import { saveLoraAdapter } from '../../src/sft/peft.js';
import { sft, type SftOptions } from '../../src/sft/sft.js';
import { arithmeticRows, writeJsonl, writeTinyChatModel } from './sft-fixtures.js';

let tmp: string;
let rt: Runtime;
let baseModel: string;
let data: string;

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'yi-sft-lora-'));
  rt = await Runtime.create({ threads: 2, arenaBytes: 256 << 20 });
  baseModel = writeTinyChatModel(rt, join(tmp, 'base'));
  data = writeJsonl(join(tmp, 'chat.jsonl'), arithmeticRows(60, 12));
});
after(async () => {
  await rt.close();
  rmSync(tmp, { recursive: true, force: true });
});

const lora = { rank: 8, alpha: 16, dropout: 0.1, targets: ['q', 'k', 'v', 'o', 'gate', 'up', 'down'] as const, seed: 1 };
const opts = (out: string, extra: Partial<SftOptions> = {}): SftOptions => ({
  model: baseModel,
  data: [data],
  out: join(tmp, out),
  seqLen: 128,
  batch: 8,
  microBatch: 4,
  steps: 30,
  lr: 1e-2,
  neftuneAlpha: 0,
  evalInterval: 10,
  evalMaxTokens: 8,
  lora: { ...lora, targets: [...lora.targets] },
  ...extra,
});

test('LoRA finetuning lowers the held-out answer loss and writes a PEFT adapter and the merged model', async () => {
  const r = await sft(rt, opts('lora'));
  const out = join(tmp, 'lora');
  assert.equal(r.adapterDir, join(out, 'adapter'));
  assert.equal(r.modelDir, join(out, 'model'));
  const cfg = JSON.parse(readFileSync(join(out, 'adapter', 'adapter_config.json'), 'utf8')) as { r: number; peft_type: string };
  assert.equal(cfg.r, 8);
  assert.equal(cfg.peft_type, 'LORA');
  assert.ok(existsSync(join(out, 'adapter', 'adapter_model.safetensors')));
  const val = readFileSync(join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; val_loss: number }).filter((x) => x.type === 'val');
  assert.ok(val[val.length - 1]!.val_loss < val[0]!.val_loss - 0.5, `held-out answer loss ${val[0]!.val_loss} -> ${val[val.length - 1]!.val_loss}`);
  // The merged folder is chat-ready like a full finetune's.
  const tc = JSON.parse(readFileSync(join(out, 'model', 'tokenizer_config.json'), 'utf8')) as { chat_template?: string };
  assert.match(tc.chat_template ?? '', /<\|im_start\|>/);
  const gen = JSON.parse(readFileSync(join(out, 'model', 'generation_config.json'), 'utf8')) as { eos_token_id: number[] };
  assert.ok(gen.eos_token_id.includes(4), JSON.stringify(gen));
  // Checkpoints hold the adapter (PEFT files), not a model folder.
  const ckpt = join(out, 'checkpoints', 'step-00000030');
  assert.ok(existsSync(join(ckpt, 'adapter_model.safetensors')) && !existsSync(join(ckpt, 'model.safetensors')));
});

test('LoRA with dropout, stopped after step 4 and resumed: the adapter is bit-identical to an uninterrupted run', async () => {
  const run = (out: string, extra: Partial<SftOptions>) => sft(rt, { ...opts(out), steps: 7, checkpointInterval: 3, generationEval: false, neftuneAlpha: 5, merge: false, ...extra });
  await run('lora-whole', {});
  assert.equal((await run('lora-resumed', { stopAfterStep: 4 })).stoppedEarly, true);
  const r = await run('lora-resumed', { resume: true });
  assert.equal(r.modelDir, undefined);
  const adapter = (out: string) => readFileSync(join(tmp, out, 'adapter', 'adapter_model.safetensors'));
  assert.ok(adapter('lora-whole').equals(adapter('lora-resumed')));
});

test('a q4_0 base trains and evaluates (QLoRA-style)', async () => {
  const r = await sft(rt, opts('qlora', { loraBase: 'q4_0', steps: 20, evalGenerations: 4 }));
  assert.ok(Number.isFinite(r.finalLoss) && r.after && r.after.prompts === 4);
});

test("the evaluation's in-memory merge gives the logits of the model `yi lora merge` writes", async () => {
  const src = openWeights(baseModel);
  const t = YiTrainable.create(rt, src.config, { kind: 'source', source: src }, { maxSeqLen: 32, lora: { ...lora, targets: [...lora.targets], dropout: 0 } });
  src.close();
  // A trained-looking adapter: B is zero at the start, so give it values.
  const next = mulberry32(9);
  for (const p of t.params) {
    if (!p.name.includes('lora_B')) continue;
    const f = p.value.arena.f32.subarray(p.value.offset / 4, p.value.offset / 4 + p.value.numel);
    for (let i = 0; i < f.length; i++) f[i] = (next() - 0.5) * 0.2;
  }
  saveLoraAdapter(t, join(tmp, 'rand-adapter'));
  mergeLoraAdapter({ model: baseModel, adapter: join(tmp, 'rand-adapter'), out: join(tmp, 'rand-merged') });
  const mem = inferenceModel(rt, t, 32);
  const disk = loadModel(rt, join(tmp, 'rand-merged'), { dtype: 'f32', contextLength: 32 });
  const ids = [3, 20, 31, 7, 4, 50, 60];
  const a = mem.forward(ids).toArray();
  const b = disk.forward(ids).toArray();
  const base = loadModel(rt, baseModel, { dtype: 'f32', contextLength: 32 });
  const c = base.forward(ids).toArray();
  let diff = 0;
  let moved = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    moved = Math.max(moved, Math.abs(a[i]! - c[i]!));
  }
  assert.ok(moved > 1e-2, `the adapter changes the logits (by ${moved})`);
  assert.ok(diff < 1e-4, `in-memory vs merged folder: ${diff}`);
  for (const m of [mem, disk, base]) m.dispose();
  t.dispose();
});
