// Real vocabulary sizes load fast: a Llama-3-size and a Qwen-size tokenizer.json (128k-152k tokens,
// 150k-280k merges), and tens of thousands of added tokens from tokenizer.json and tokenizer_config.json.
// Before: more than ~125k tokens overflowed the stack (Math.max(...ids)) and 20k added tokens in
// tokenizer_config.json took minutes (the score and type arrays were copied once per token).
// CPU time is asserted (with a generous bound) rather than wall time: the test machine is shared.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { tempDir } from '../formats/helpers.js';
import { syntheticTokenizerJson } from './synthetic-vocab.js';

const SPACE = '\u2581';

function timed<T>(f: () => T): { value: T; wallMs: number; cpuMs: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = f();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { value, wallMs, cpuMs: (c.user + c.system) / 1000 };
}

for (const [name, vocabSize, merges] of [
  ['Llama-3-size', 128_256, 280_147],
  ['Qwen-size', 151_643, 151_387],
] as const) {
  test(`a ${name} tokenizer.json (${vocabSize} tokens, ${merges} merges) loads in well under 3 s`, (t) => {
    const dir = tempDir();
    const json = syntheticTokenizerJson({ vocabSize, merges });
    const path = join(dir, 'tokenizer.json');
    writeFileSync(path, JSON.stringify(json));
    const { value: tok, wallMs, cpuMs } = timed(() => Tokenizer.load(path));
    t.diagnostic(`${name}: Tokenizer.load took ${wallMs.toFixed(0)} ms wall, ${cpuMs.toFixed(0)} ms CPU`);
    assert.equal(tok.vocabSize, vocabSize);
    assert.ok(cpuMs < 3000, `loading took ${cpuMs.toFixed(0)} ms of CPU`);
    // The first six-character word is a token reached through its own merges; text round-trips.
    const vocab = (json.model as { vocab: Record<string, number> }).vocab;
    const word = Object.keys(vocab).find((p) => p.length === 6 && !p.startsWith('<'))!;
    assert.deepEqual(tok.encode(word), [1, vocab[SPACE], vocab[word]]);
    const text = `${word} mixed 文字 and bytes \u{1F600}`;
    assert.equal(tok.decode(tok.encode(text)), text);
  });
}

// 100k + 20k tokens stay below the old stack overflow, so this isolates the quadratic appends.
test('20k added tokens in tokenizer.json and 20k more in tokenizer_config.json load in linear time', (t) => {
  const dir = tempDir();
  const json = syntheticTokenizerJson({ vocabSize: 100_000, merges: 150_000, addedTokens: 20_000 });
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(json));
  const base = 100_000 + 20_000;
  const decoder: Record<string, unknown> = {};
  for (let i = 0; i < 20_000; i++) decoder[String(base + i)] = { content: `<|extra_${i}|>`, special: i % 2 === 0 };
  decoder['1'] = { content: '<s>', special: true };
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify({ add_bos_token: false, added_tokens_decoder: decoder, additional_special_tokens: Array.from({ length: 20_000 }, (_, i) => `<|extra_${i}|>`) }),
  );
  const { value: tok, wallMs, cpuMs } = timed(() => Tokenizer.load(dir));
  t.diagnostic(`120k tokens + 20k from tokenizer_config.json: ${wallMs.toFixed(0)} ms wall, ${cpuMs.toFixed(0)} ms CPU`);
  assert.equal(tok.vocabSize, base + 20_000);
  assert.ok(cpuMs < 3000, `loading took ${cpuMs.toFixed(0)} ms of CPU`);
  assert.equal(tok.pieceToId('<|extra_19999|>'), base + 19_999);
  assert.equal(tok.specials.named.get('<|extra_7|>'), base + 7);
  assert.deepEqual(tok.encode('<|reserved_5|>x<|extra_3|>', { parseSpecial: true }), [100_000 + 5, ...tok.encode('x'), base + 3]);
});
