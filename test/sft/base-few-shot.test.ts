// The base model's few-shot evaluation: the shots come from training conversations of the same task,
// never show the held-out entity nor the held-out answer, are the same for the same seed, and the
// prompt ends at the held-out question; the score counts the generated text only.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Conversation } from '../../src/sft/conversation.js';
import type { HeldoutConversation } from '../../src/sft/dataset.js';
import { scoreAnswers, type EvalPrompt } from '../../src/sft/evaluate.js';
import { chooseShots, fewShotMessages, fewShotPrompt, fewShotText } from '../../src/sft/few-shot.js';
import { CHATML_TEMPLATE } from '../../src/tokenizer/chat.js';
import { encodeModelProto } from '../../src/tokenizer/sentencepiece-proto.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { tinyTokenizerProto } from '../model/tiny-tokenizer.js';

const capitals: [string, string, string][] = [
  ['GH', 'Ghana', 'Accra'],
  ['FR', 'France', 'Paris'],
  ['PE', 'Peru', 'Lima'],
  ['JP', 'Japan', 'Tokyo'],
  ['KE', 'Kenya', 'Nairobi'],
  ['CL', 'Chile', 'Santiago'],
  ['EG', 'Egypt', 'Cairo'],
  ['IT', 'Italy', 'Rome'],
];

function capitalConv(code: string, name: string, capital: string, split: string, extra: Partial<Conversation> = {}): Conversation {
  return {
    id: `cap/${code}/${split}/${extra.id ?? ''}`,
    where: 'x.jsonl:1',
    messages: [
      { role: 'user', content: `What is the capital of ${name}?` },
      { role: 'assistant', content: `The capital of ${name} is **${capital}**.` },
    ],
    split,
    task: 'country-capital',
    entity: `country:${code}`,
    answer: capital,
    ...extra,
  };
}

function elementConv(i: number): Conversation {
  return {
    id: `el/${i}`,
    where: 'x.jsonl:2',
    messages: [
      { role: 'user', content: `Which element has atomic number ${i}?` },
      { role: 'assistant', content: `Element ${i}.` },
    ],
    split: 'train',
    task: 'element-name',
    entity: `element:${i}`,
    answer: `E${i}`,
  };
}

const target: HeldoutConversation = {
  conv: {
    ...capitalConv('GH', 'Ghana', 'Accra', 'heldout'),
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Tell me about Ghana.' },
      { role: 'assistant', content: 'Ghana is a country in West Africa.' },
      { role: 'user', content: 'And its capital city?' },
      { role: 'assistant', content: 'The capital of Ghana is **Accra**.' },
    ],
  },
  answer: 'Accra',
};

// A pool with the held-out entity itself (a training row about Ghana, as --eval-data could give), a
// row whose answer is the held-out answer, other capitals and another task.
const pool: Conversation[] = [
  capitalConv('GH', 'Ghana', 'Accra', 'train', { id: 'leak-entity' }),
  capitalConv('XX', 'Accraland', 'Accra', 'train', { id: 'leak-answer', entity: 'country:XX' }),
  ...capitals.slice(1).map(([c, n, k]) => capitalConv(c, n, k, 'train')),
  ...Array.from({ length: 10 }, (_, i) => elementConv(i + 1)),
];

test('shots: same task first, never the held-out entity or answer, fixed by the seed', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const shots = chooseShots(target, pool, 5, seed);
    assert.equal(shots.length, 5);
    for (const s of shots) {
      assert.notEqual(s.id, 'leak-entity', `seed ${seed}: a shot about the held-out entity`);
      assert.notEqual(s.id, 'leak-answer', `seed ${seed}: a shot with the held-out answer`);
      assert.notEqual(s.answer, 'Accra');
      assert.ok(s.id.startsWith('cap/'), `seed ${seed}: shot ${s.id} is not of the held-out task while 7 capital rows are`);
    }
    assert.deepEqual(chooseShots(target, pool, 5, seed), shots, 'the same seed gives the same shots');
  }
  const draws = new Set(Array.from({ length: 20 }, (_, i) => chooseShots(target, pool, 3, i + 1).map((s) => s.id).join()));
  assert.ok(draws.size > 1, 'the seed changes which shots are drawn');
  // More shots than the task has: the rest come from other tasks, still never the held-out entity.
  const many = chooseShots(target, pool, 12, 1);
  assert.equal(many.length, 12);
  assert.equal(many.filter((s) => s.id.startsWith('cap/')).length, 7);
  assert.ok(many.every((s) => !s.id.startsWith('leak') && s.answer !== 'Accra'));
  assert.deepEqual(chooseShots(target, pool, 0, 1), []);
});

test('the text prompt: shots as Q/A lines, then the held-out turns, ending at the question', () => {
  const shots = chooseShots(target, pool, 3, 7);
  const text = fewShotText(target, shots);
  assert.ok(text.startsWith('Be brief.\n\n'));
  for (const s of shots) assert.ok(text.includes(`Q: ${s.question}\nA: ${s.answer}\n\n`), `shot ${s.id} shown as Q/A`);
  assert.ok(text.endsWith('\n\nQ: Tell me about Ghana.\nA: Ghana is a country in West Africa.\nQ: And its capital city?\nA:'));
  assert.ok(!text.includes('Accra'), 'the held-out answer is nowhere in the prompt');
  const msgs = fewShotMessages(target, shots);
  assert.deepEqual(msgs[0], { role: 'system', content: 'Be brief.' });
  assert.deepEqual(msgs.at(-1), { role: 'user', content: 'And its capital city?' });
  assert.equal(msgs.length, 1 + 2 * shots.length + 3);
  assert.ok(msgs.every((m) => !m.content.includes('Accra')));
});

test('a prompt that would not fit drops shots, never the question', () => {
  const tok = Tokenizer.fromSentencePiece(encodeModelProto(tinyTokenizerProto()));
  const o = { shots: 5, seed: 1, template: CHATML_TEMPLATE, maxNewTokens: 8 };
  const full = fewShotPrompt(tok, target, pool, { ...o, format: 'text', maxTokens: 4096 });
  assert.equal(full.shots.length, 5);
  assert.equal(full.firstLine, true);
  assert.equal(tok.decode(full.ids), fewShotText(target, full.shots));
  const bound = full.ids.length - 10;
  const cut = fewShotPrompt(tok, target, pool, { ...o, format: 'text', maxTokens: bound });
  assert.ok(cut.shots.length < 5 && cut.shots.length > 0, `${cut.shots.length} shots`);
  assert.ok(cut.ids.length + 8 <= bound);
  assert.deepEqual(cut.shots, full.shots.slice(0, cut.shots.length));
  const none = fewShotPrompt(tok, target, pool, { ...o, format: 'chatml', maxTokens: 10 });
  assert.equal(none.shots.length, 0);
  assert.match(tok.decode(none.ids), /And its capital city\?<\|im_end\|>\n<\|im_start\|>assistant\n$/);
});

test('the score is computed on the generations only', async () => {
  const tok = Tokenizer.fromSentencePiece(encodeModelProto(tinyTokenizerProto()));
  const imEnd = tok.pieceToId('<|im_end|>')!;
  const held: HeldoutConversation[] = capitals.map(([c, n, k]) => ({ conv: capitalConv(c, n, k, 'heldout'), answer: k }));
  const prompts: EvalPrompt[] = held.map((h) => {
    const p = fewShotPrompt(tok, h, pool, { shots: 3, seed: 1, format: 'text', template: CHATML_TEMPLATE, maxTokens: 4096, maxNewTokens: 8 });
    return { h, ids: p.ids, question: '', firstLine: p.firstLine, shots: p.shots.map((s) => s.id) };
  });
  // Every prompt holds its shots' answers: an answerer that says nothing scores nothing.
  const silent = await scoreAnswers({ tokenizer: tok, imEnd }, prompts, () => ({ tokens: [], stoppedByImEnd: false }), { maxNewTokens: 8, contextLength: 4096 });
  assert.equal(silent.correct, 0);
  // Right on even prompts (the text form's answer: its first non-empty line, after a line break), a
  // shot's answer on odd ones; <|im_end|> on every third.
  const said = (i: number) => (i % 2 === 0 ? `\n ${held[i]!.answer}\nQ: what else` : ` ${prompts[i]!.shots!.length ? pool.find((c) => c.id === prompts[i]!.shots![0])!.answer : ''}`);
  const r = await scoreAnswers({ tokenizer: tok, imEnd }, prompts, (p) => {
    const i = prompts.indexOf(p);
    return { tokens: tok.encode(said(i), { addBos: false }), stoppedByImEnd: i % 3 === 0 };
  }, { maxNewTokens: 8, contextLength: 4096 });
  assert.equal(r.prompts, 8);
  assert.equal(r.correct, 4);
  assert.deepEqual(r.samples.map((s) => s.correct), [true, false, true, false, true, false, true, false]);
  assert.equal(r.samples[0]!.output, ' Accra');
  assert.equal(r.endedWithImEnd, 3);
  assert.deepEqual(r.samples[0]!.shots, prompts[0]!.shots);
});
