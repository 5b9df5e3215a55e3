// Seeded fuzzing of tokenizer.model (SentencePiece ModelProto): generic byte mutations and
// protobuf-level edits (length claims, wire types, piece types, repeated pieces, truncated submessages,
// trainer/normalizer settings, garbage charsmaps), each loaded and used as a user would. Every case must
// load or fail with a TokenizerError naming the file; none may hang. The Llama 2 tokenizer.model from
// ../shared/data is fuzzed too when present.
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { tempDir } from '../formats/helpers.js';
import { llama2Model } from '../paths.js';
import { mutations } from './harness.js';
import { modelProtoMutations } from './model-proto-edits.js';
import { CaseFolders, runTokenizerFuzz } from './tokenizer-cases.js';
import { tokenizerSeeds } from './tokenizer-seeds.js';

test('fuzz tokenizer.model: byte and protobuf-level mutations give typed errors, never hangs', async (t) => {
  const seeds = (await tokenizerSeeds()).filter((s) => s.name === 'trained' || s.name === 'tiny');
  const folders = new CaseFolders(tempDir(), 'tokenizer.model');
  seeds.forEach((s, i) => {
    const bytes = s.model;
    folders.add({ name: `seed ${s.name}`, bytes });
    for (const c of mutations(bytes, 100 + i, 60)) folders.add(c);
    for (const c of modelProtoMutations(bytes, 200 + i, 110)) folders.add(c);
    folders.add({ name: `${s.name} in a sparse 2 MiB file`, bytes, sparseSize: 2 << 20 });
    folders.add({ name: `${s.name} in a sparse 65 MiB file`, bytes, sparseSize: 65 << 20 });
  });
  await runTokenizerFuzz(t, 'tokenizer.model', folders);
});

test('fuzz tokenizer.model: the Llama 2 tokenizer.model (when ../shared/data has it)', { skip: existsSync(llama2Model) ? false : 'no ../shared/data/llama2-tokenizer' }, async (t) => {
  const bytes = readFileSync(llama2Model);
  const folders = new CaseFolders(tempDir(), 'tokenizer.model');
  folders.add({ name: 'seed llama2', bytes });
  for (const c of mutations(bytes, 300, 10)) folders.add(c);
  for (const c of modelProtoMutations(bytes, 301, 15)) folders.add(c);
  await runTokenizerFuzz(t, 'llama2 tokenizer.model', folders, { expectBoth: false });
});
