// Seeded fuzzing of Hugging Face tokenizer.json: generic byte mutations and JSON-level edits (wrong
// types for each field, nulls in arrays, Sequences nested thousands deep, huge and duplicate ids, gaps,
// malformed merges, thousands of added tokens, missing keys), each loaded and used as a user would.
// Every case must load or fail with a TokenizerError naming the file; none may hang.
import { test } from 'node:test';
import { tempDir } from '../formats/helpers.js';
import { mutations } from './harness.js';
import { CaseFolders, runTokenizerFuzz } from './tokenizer-cases.js';
import { jsonMutations, TOKENIZER_JSON_EDITS } from './tokenizer-json-edits.js';
import { tokenizerSeeds } from './tokenizer-seeds.js';

test('fuzz tokenizer.json: byte and JSON-level mutations give typed errors, never hangs', async (t) => {
  const seeds = await tokenizerSeeds();
  const folders = new CaseFolders(tempDir(), 'tokenizer.json');
  seeds.forEach((s, i) => {
    const bytes = Buffer.from(JSON.stringify(s.json));
    folders.add({ name: `seed ${s.name}`, bytes });
    for (const c of mutations(bytes, 400 + i, 30)) folders.add(c);
    for (const c of jsonMutations(s.json, 500 + i, 70, TOKENIZER_JSON_EDITS)) folders.add(c);
  });
  const bytes = Buffer.from(JSON.stringify(seeds[0]!.json));
  folders.add({ name: 'trained with 4 MiB of zeros after it', bytes, sparseSize: 4 << 20 });
  folders.add({ name: 'trained in a sparse 257 MiB file', bytes, sparseSize: 257 << 20 });
  await runTokenizerFuzz(t, 'tokenizer.json', folders);
});
