// Seeded fuzzing of tokenizer_config.json, loaded with its folder (a valid tokenizer.model or
// tokenizer.json beside it): generic byte mutations and JSON-level edits (null and mistyped
// added_tokens_decoder entries, bad id keys, gaps, clashing contents, thousands of added tokens, wrong
// types for the token fields). Every case must load or fail with a TokenizerError naming the config;
// none may hang.
import { test } from 'node:test';
import { tempDir } from '../formats/helpers.js';
import { mutations } from './harness.js';
import { CaseFolders, runTokenizerFuzz } from './tokenizer-cases.js';
import { jsonMutations, tokenizerConfigEdits } from './tokenizer-json-edits.js';
import { tokenizerSeeds } from './tokenizer-seeds.js';

test('fuzz tokenizer_config.json: byte and JSON-level mutations give typed errors, never hangs', async (t) => {
  const seeds = (await tokenizerSeeds()).filter((s) => s.name === 'trained' || s.name === 'tiny');
  const folders = new CaseFolders(tempDir(), 'tokenizer_config.json');
  seeds.forEach((s, i) => {
    // Alternate the tokenizer beside the config: the sentencepiece and the Hugging Face paths differ.
    const besides: Array<Record<string, Uint8Array | string>> = [{ 'tokenizer.model': s.model }, { 'tokenizer.json': JSON.stringify(s.json) }];
    const bytes = Buffer.from(JSON.stringify(s.config));
    besides.forEach((b) => folders.add({ name: `seed ${s.name}`, bytes }, b));
    let k = 0;
    for (const c of mutations(bytes, 600 + i, 30)) folders.add(c, besides[k++ % 2]);
    for (const c of jsonMutations(s.config, 700 + i, 110, tokenizerConfigEdits(s.vocabSize))) folders.add(c, besides[k++ % 2]);
  });
  const bytes = Buffer.from(JSON.stringify(seeds[0]!.config));
  folders.add({ name: 'trained config in a sparse 257 MiB file', bytes, sparseSize: 257 << 20 }, { 'tokenizer.model': seeds[0]!.model });
  await runTokenizerFuzz(t, 'tokenizer_config.json', folders);
});
