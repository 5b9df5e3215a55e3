// The noisy variant of the chat-facts training split (the science experiment: N clean vs 4N with 60% corrupted):
// exactly the asked share corrupted, every kind of corruption present, the clean lines those of the clean set,
// corrupted lines wrong only in their final answer, the held-out split untouched.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { buildChatFactsFrom, type ChatFactsLine, type ChatFactsSample, ChatFactsError, chatFactsLines, CORRUPTION_KINDS, loadChatFactsSources, noisyTrainingLines, truncateAnswer } from '../../../src/data/corpora/chat-facts/index.js';
import { exactMatch } from '../../../src/sft/score.js';

let set: ChatFactsSample[];
let train: ChatFactsSample[];

before(async () => {
  set = buildChatFactsFrom(await loadChatFactsSources(), { seed: 1 });
  train = set.filter((s) => s.line.split === 'train');
});

test('truncateAnswer keeps the first half of the words, or of the characters of one word; nothing to cut in one character', () => {
  assert.equal(truncateAnswer('North America'), 'North');
  assert.equal(truncateAnswer('Saint Kitts and Nevis'), 'Saint Kitts');
  assert.equal(truncateAnswer('Paris'), 'Par');
  assert.equal(truncateAnswer('391'), '39');
  assert.equal(truncateAnswer('法国'), '法');
  assert.equal(truncateAnswer('W AO1 T ER0'), 'W AO1');
  assert.equal(truncateAnswer('7'), undefined);
});

test('--noisy N --corrupt 0.6: 4N training lines, exactly 60% corrupted, all three kinds, clean lines identical to the clean set', () => {
  const n = 250;
  const lines = noisyTrainingLines(train, { n, corrupt: 0.6, seed: 1 });
  assert.equal(lines.length, 4 * n);
  const corrupted = lines.filter((l) => l.corruption !== undefined);
  assert.equal(corrupted.length, Math.round(0.6 * 4 * n));
  const kinds = new Map<string, number>();
  for (const l of corrupted) kinds.set(l.corruption!, (kinds.get(l.corruption!) ?? 0) + 1);
  for (const k of CORRUPTION_KINDS) assert.ok((kinds.get(k) ?? 0) >= 0.1 * corrupted.length, `${k}: ${kinds.get(k) ?? 0} of ${corrupted.length}`);
  const clean = new Map(set.map((s) => [s.line.id, s.line] as const));
  for (const [i, l] of lines.entries()) {
    assert.equal(l.split, 'train');
    assert.equal(l.id, train[i]!.line.id, 'the noisy set is the first 4N training lines, in order');
    const original = clean.get(l.id)!;
    if (l.corruption === undefined) {
      assert.deepEqual(l, original);
      continue;
    }
    assert.equal(l.trueAnswer, original.answer);
    assert.deepEqual(l.messages.slice(0, -1), original.messages.slice(0, -1), 'earlier turns stay true');
    const reply = l.messages[l.messages.length - 1]!;
    assert.equal(reply.role, 'assistant');
    assert.ok(exactMatch(reply.content, l.answer), `${l.id}: the corrupted reply states its answer`);
    assert.ok(!exactMatch(reply.content, original.answer), `${l.id}: ${reply.content} must be wrong (true: ${original.answer})`);
  }
  for (const l of corrupted.filter((x) => x.corruption === 'truncated')) assert.equal(l.answer, truncateAnswer(l.trueAnswer!));
  const heldoutAnswers = new Set(set.filter((s) => s.line.split === 'heldout').map((s) => `${s.line.task}/${s.line.answer}`));
  const trainAnswers = new Set(train.map((s) => `${s.line.task}/${s.line.answer}`));
  for (const l of corrupted.filter((x) => x.corruption === 'wrong-entity')) {
    assert.ok(trainAnswers.has(`${l.task}/${l.answer}`), `${l.id}: a wrong entity's answer comes from the training split`);
    assert.notEqual(l.answer, l.trueAnswer);
  }
  const wrongLanguage = corrupted.filter((x) => x.corruption === 'wrong-language');
  const cjk = /\p{Script=Han}/u;
  for (const l of wrongLanguage) assert.notEqual(cjk.test(l.answer), cjk.test(l.trueAnswer!), `${l.id}: ${l.answer} vs ${l.trueAnswer}`);
  assert.ok(heldoutAnswers.size > 0);
});

test('the noisy variant is seeded, leaves the held-out split untouched, and refuses sizes it cannot meet', async () => {
  const a = noisyTrainingLines(train, { n: 100, corrupt: 0.6, seed: 7 });
  const b = noisyTrainingLines(train, { n: 100, corrupt: 0.6, seed: 7 });
  const c = noisyTrainingLines(train, { n: 100, corrupt: 0.6, seed: 8 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.equal(noisyTrainingLines(train, { n: 100, corrupt: 0, seed: 7 }).filter((l) => l.corruption).length, 0);
  assert.equal(noisyTrainingLines(train, { n: 100, corrupt: 1, seed: 7 }).filter((l) => l.corruption).length, 400);
  const all = await chatFactsLines({ noisy: 100, seed: 1 });
  const heldout = (ls: ChatFactsLine[]) => ls.filter((l) => l.split === 'heldout');
  assert.deepEqual(heldout(all), heldout(set.map((s) => s.line)));
  assert.equal(all.filter((l) => l.split === 'train').length, 400);
  assert.throws(() => noisyTrainingLines(train, { n: Math.floor(train.length / 4) + 1, corrupt: 0.6, seed: 1 }), (e: unknown) => e instanceof ChatFactsError && /needs \d+ training conversations; the set has \d+/.test(e.message));
  assert.throws(() => noisyTrainingLines(train, { n: 10, corrupt: 1.5, seed: 1 }), ChatFactsError);
  assert.throws(() => noisyTrainingLines(train, { n: 0, corrupt: 0.6, seed: 1 }), ChatFactsError);
  await assert.rejects(chatFactsLines({ corrupt: 0.6 }), /--corrupt applies to the noisy variant only/);
  await assert.rejects(chatFactsLines({ noisy: 10, trainSamples: 10 }), ChatFactsError);
  // The clean side of the experiment: the first N training lines of the same order.
  const clean = await chatFactsLines({ trainSamples: 100, split: 'train', seed: 1 });
  assert.deepEqual(clean, train.slice(0, 100).map((s) => s.line));
});
