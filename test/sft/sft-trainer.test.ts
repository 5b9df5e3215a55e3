// Chat finetuning end to end on a tiny model: the held-out answer loss falls and the model learns to
// end its answers with <|im_end|>; the loss is the cross-entropy of the answer tokens only, normalised
// by their count; a run stopped after a step and resumed ends with weights bit-identical to an
// uninterrupted run's; the finetuned folder is chat-ready (template, <|im_end|> as an eos).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadModel } from '../../src/model/load.js';
import { openWeights } from '../../src/model/source.js';
import { YiTrainable } from '../../src/model/trainable.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { encodeChat } from '../../src/tokenizer/chat.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { sft, type SftOptions } from '../../src/sft/sft.js';
import { arithmeticRows, writeJsonl, writeTinyChatModel, type ChatRow } from './sft-fixtures.js';

let tmp: string;
let rt: Runtime;
let baseModel: string;
let data: string;
let rows: ChatRow[];

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'yi-sft-'));
  rt = await Runtime.create({ threads: 2, arenaBytes: 256 << 20 });
  baseModel = writeTinyChatModel(rt, join(tmp, 'base'));
  rows = arithmeticRows(60, 12);
  data = writeJsonl(join(tmp, 'chat.jsonl'), rows);
});
after(async () => {
  await rt.close();
  rmSync(tmp, { recursive: true, force: true });
});

const opts = (out: string, extra: Partial<SftOptions> = {}): SftOptions => ({
  model: baseModel,
  data: [data],
  out: join(tmp, out),
  seqLen: 128,
  batch: 8,
  microBatch: 4,
  steps: 40,
  lr: 3e-3,
  neftuneAlpha: 0,
  evalInterval: 10,
  evalMaxTokens: 8,
  ...extra,
});

function records(out: string): Record<string, unknown>[] {
  return readFileSync(join(out, 'log.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

test('a tiny model learns to answer: the held-out answer loss falls and answers end with <|im_end|>', async () => {
  const r = await sft(rt, opts('learn'));
  assert.equal(r.steps, 40);
  assert.equal(r.stoppedEarly, false);
  assert.equal(r.heldoutSamples, 12);
  assert.equal(r.trainSamples, 48);
  const val = records(join(tmp, 'learn')).filter((x) => x.type === 'val') as { step: number; val_loss: number }[];
  assert.deepEqual(val.map((v) => v.step), [0, 10, 20, 30, 40]);
  assert.ok(val[4]!.val_loss < val[0]!.val_loss / 2, `held-out answer loss ${val[0]!.val_loss} -> ${val[4]!.val_loss}`);
  assert.ok(r.before && r.after);
  assert.equal(r.before.prompts, 12);
  assert.ok(r.before.imEndShare < 0.5, `random weights end ${r.before.imEndShare} of answers with <|im_end|>`);
  assert.ok(r.after.imEndShare >= 0.9, `after finetuning ${r.after.imEndShare} of answers end with <|im_end|>`);
  // The base model few-shot, on the same held-out prompts, each with 5 training conversations as shots.
  assert.ok(r.baseFewShot);
  assert.equal(r.baseFewShot.prompts, 12);
  assert.equal(r.baseFewShot.shots, 5);
  assert.equal(r.baseFewShot.format, 'text');
  const fewShot = readFileSync(join(tmp, 'learn', 'eval', 'base-few-shot.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; shots: string[] });
  const heldIds = new Set(rows.filter((x) => x.split === 'heldout').map((x) => x.id));
  assert.deepEqual(fewShot.map((x) => x.id), [...heldIds]);
  for (const x of fewShot) {
    // The character tokenizer's prompts are long: shots are dropped to keep within --seq-len 128.
    assert.ok(x.shots.length >= 2 && x.shots.length <= 5, `${x.id}: ${x.shots.length} shots`);
    assert.ok(x.shots.every((id) => !heldIds.has(id)), `${x.id}: a held-out conversation shown as a shot`);
  }
  assert.match(readFileSync(join(tmp, 'learn', 'report.md'), 'utf8'), /held-out exact match, base model 5-shot \(text\) \| \d+\.\d%/);
  // The held-out samples' answers, one per line with what the model said.
  const answers = readFileSync(join(tmp, 'learn', 'eval', 'after.jsonl'), 'utf8').trim().split('\n');
  assert.equal(answers.length, 12);
  assert.ok(existsSync(join(tmp, 'learn', 'report.html')) && existsSync(join(tmp, 'learn', 'report.md')));
  assert.match(readFileSync(join(tmp, 'learn', 'report.md'), 'utf8'), /answers ending with <\\\|im_end\\\|> before -> after \| 0\.0% -> (9\d|100)\.\d%/);
});

test('the finetuned folder is chat-ready: it loads, keeps the chat template, and stops on <|im_end|>', async () => {
  const dir = join(tmp, 'learn', 'model');
  if (!existsSync(dir)) await sft(rt, opts('learn'));
  const cfg = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')) as { chat_template?: string };
  assert.match(cfg.chat_template ?? '', /<\|im_start\|>/);
  const gen = JSON.parse(readFileSync(join(dir, 'generation_config.json'), 'utf8')) as { eos_token_id: number[] };
  const tok = Tokenizer.load(dir);
  assert.ok(gen.eos_token_id.includes(tok.pieceToId('<|im_end|>')!));
  const m = loadModel(rt, dir, { dtype: 'f32', contextLength: 64 });
  assert.equal(m.forward(tok.encode('what')).toArray().length, 96);
  m.dispose();
});

for (const packing of [false, true]) test(`the loss is the cross-entropy of the answer tokens (and their <|im_end|>) only, over their count (${packing ? 'packed' : 'one conversation a sequence'})`, async () => {
  // One step over every training conversation, no noise: the logged loss is the base model's mean
  // cross-entropy over the assistant tokens of each conversation run alone, computed here from the
  // template; packed, the conversations sharing a sequence must not see each other.
  const out = join(tmp, `mask-${packing}`);
  const r = await sft(rt, { ...opts(`mask-${packing}`), steps: undefined, epochs: 1, batch: 48, microBatch: 8, packing, evalInterval: 0, generationEval: false });
  assert.equal(r.steps, 1);
  const logged = (records(out).find((x) => x.type === 'train') as { loss: number }).loss;

  const tok = Tokenizer.load(baseModel);
  const imEnd = tok.pieceToId('<|im_end|>')!;
  const src = openWeights(baseModel);
  const m = YiTrainable.create(rt, src.config, { kind: 'source', source: src }, { maxSeqLen: 128 });
  src.close();
  let sum = 0;
  let count = 0;
  for (const row of rows.filter((x) => x.split === 'train')) {
    const msgs = row.messages as { role: 'system' | 'user' | 'assistant'; content: string }[];
    const ids = encodeChat(tok, msgs, { addGenerationPrompt: false });
    const trained = new Uint8Array(ids.length);
    msgs.forEach((msg, i) => {
      if (msg.role !== 'assistant') return;
      // The answer starts after the prompt that asks for it and ends with its <|im_end|>.
      const start = encodeChat(tok, msgs.slice(0, i), { addGenerationPrompt: true }).length;
      const end = start + tok.encode(msg.content).length;
      assert.equal(ids[end], imEnd);
      for (let j = start; j <= end; j++) trained[j] = 1;
    });
    const targets = ids.map((_, j) => (j + 1 < ids.length && trained[j + 1] ? ids[j + 1]! : -1));
    const l = m.loss(ids, targets, 1, ids.length);
    sum += l.sum;
    count += l.count;
  }
  m.dispose();
  assert.equal(r.trainedTokens, count);
  assert.ok(Math.abs(logged - sum / count) < 1e-5 * (sum / count), `logged ${logged}, answers only ${sum / count}`);
});

test('stopped after step 3 and resumed: weights and loss curve bit-identical to an uninterrupted run', async () => {
  // NEFTune on (its noise is part of the trajectory), checkpoints every 2 steps, a stop between them.
  const run = (out: string, extra: Partial<SftOptions>) => sft(rt, { ...opts(out), steps: 7, neftuneAlpha: 5, checkpointInterval: 2, evalInterval: 2, generationEval: false, ...extra });
  await run('whole', {});
  const stopped = await run('resumed', { stopAfterStep: 3 });
  assert.equal(stopped.stoppedEarly, true);
  assert.equal(stopped.steps, 3);
  assert.equal(existsSync(join(tmp, 'resumed', 'model')), false, 'no final model before the run ends');
  const resumed = await run('resumed', { resume: true });
  assert.equal(resumed.steps, 7);
  const weights = (out: string) => readFileSync(join(tmp, out, 'model', 'model.safetensors'));
  assert.ok(weights('whole').equals(weights('resumed')), 'final weights differ');
  const curve = (out: string) => records(join(tmp, out)).map(({ tokens_per_s: _a, elapsed_s: _b, ...rest }) => JSON.stringify(rest));
  assert.deepEqual(curve('resumed'), curve('whole'));
});

test('a run folder is not overwritten without resume, and a resume refuses changed settings', async () => {
  const out = 'guard';
  await sft(rt, { ...opts(out), steps: 2, generationEval: false, evalInterval: 0 });
  await assert.rejects(sft(rt, { ...opts(out), steps: 2 }), /already holds a finetuning run.*--resume/);
  await assert.rejects(sft(rt, { ...opts(out), steps: 2, lr: 1e-3, resume: true }), /settings differ from the checkpoint's: lr/);
});
