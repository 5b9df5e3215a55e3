// Whatever a JSON line or a Parquet row holds, reading it gives a conversation or a typed SftDataError,
// never a TypeError: seeded mutations of valid records (values swapped for other types, keys dropped,
// roles and texts rewritten) and Parquet's own value types (bigint, bytes).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SftDataError } from '../../src/sft/conversation.js';
import { conversationFromRecord } from '../../src/sft/parse-conversation.js';
import { renderConversation } from '../../src/sft/render.js';
import { trainedChatTokenizer } from '../tokenizer/chat-tokenizers.js';

function lcg(seed: number): (k: number) => number {
  let s = seed >>> 0 || 1;
  return (k) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.floor((s / 4294967296) * k);
  };
}

const ODD_VALUES: unknown[] = [null, undefined, 0, 1, 0.5, -1, 2n, 0n, 1n, '', ' ', 'x', 'assistant', 'gpt', 'system', '\uD800', '\uFDD3', '<|im_end|>', [], [1], {}, { a: 1 }, true, new Uint8Array([104, 105]), NaN];

const SEEDS: Record<string, unknown>[] = [
  { id: 'a', messages: [{ role: 'system', content: 's' }, { role: 'user', content: 'u' }, { role: 'assistant', content: 'a', weight: 1 }] },
  { conversations: [{ from: 'human', value: 'h' }, { from: 'gpt', value: 'g' }], system: 'sys' },
];

function mutate(v: unknown, rnd: (k: number) => number, depth = 0): unknown {
  if (rnd(4) === 0 || depth > 4) return ODD_VALUES[rnd(ODD_VALUES.length)];
  if (Array.isArray(v)) {
    const out = v.map((x) => (rnd(3) === 0 ? mutate(x, rnd, depth + 1) : x));
    if (rnd(5) === 0) out.splice(rnd(out.length + 1), 0, mutate(v[0], rnd, depth + 1));
    if (rnd(5) === 0) out.splice(rnd(out.length + 1), 1);
    return out;
  }
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (rnd(8) === 0) continue;
      out[k] = rnd(3) === 0 ? mutate(x, rnd, depth + 1) : x;
    }
    if (rnd(8) === 0) out[['messages', 'conversations', 'weight', 'tool_calls', 'system', 'role', 'from'][rnd(7)]!] = ODD_VALUES[rnd(ODD_VALUES.length)];
    return out;
  }
  return rnd(2) === 0 ? ODD_VALUES[rnd(ODD_VALUES.length)] : v;
}

test('any record gives a conversation that renders, or an SftDataError (3000 seeded mutations)', async () => {
  const tok = await trainedChatTokenizer();
  const rnd = lcg(42);
  const outcomes = new Map<string, number>();
  for (let i = 0; i < 3000; i++) {
    const record = mutate(SEEDS[i % SEEDS.length], rnd);
    let outcome: string;
    try {
      const conv = conversationFromRecord(record, `m.jsonl:${i + 1}`);
      const s = renderConversation(tok, conv);
      assert.ok(s.trained.some((t) => t === 1), `${i}: an accepted sample has something to learn`);
      outcome = 'ok';
    } catch (e) {
      if (!(e instanceof SftDataError)) assert.fail(`mutation ${i} ${String(JSON.stringify(record, (_, v) => (typeof v === 'bigint' ? `${v}n` : v)))}: untyped ${(e as Error).stack}`);
      assert.ok(e.message.startsWith(`m.jsonl:${i + 1}: `));
      outcome = e.reason;
    }
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
  }
  // The mutations reach the accepted path and most reasons, or the test proves little.
  assert.ok((outcomes.get('ok') ?? 0) > 100, JSON.stringify([...outcomes]));
  assert.ok(outcomes.size >= 7, JSON.stringify([...outcomes]));
});

test("Parquet's value types: bigint ids and weights are numbers, bytes are not text", () => {
  const c = conversationFromRecord({ id: 12n, messages: [{ role: 'user', content: 'u', weight: null }, { role: 'assistant', content: 'a', weight: 0n }, { role: 'assistant', content: 'b', weight: 1n }] }, 'p.parquet:row 0');
  assert.equal(c.id, '12');
  assert.deepEqual(c.messages.map((m) => m.train), [undefined, false, true]);
  assert.throws(
    () => conversationFromRecord({ messages: [{ role: 'user', content: new Uint8Array([104]) }] }, 'p.parquet:row 1'),
    (e: unknown) => e instanceof SftDataError && e.message === 'p.parquet:row 1: messages[0].content: expected a string, got bytes (bad-shape)',
  );
});
