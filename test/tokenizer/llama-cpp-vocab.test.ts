// Exact parity with llama.cpp's tokenizer conformance vectors (tests/test-tokenizer-0): the Llama SPM and
// Phi-3 vocabularies from their GGUF files, every input of the .inp file against its line in .out
// (no BOS, special-token text treated as plain text, the vocabulary's space prefix applied).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openGGUF } from '../../src/formats/gguf.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { llamaCppVocab, missing } from '../paths.js';

const SEPARATOR = '\n__ggml_vocab_test__\n';

/** Inputs are separated by the separator line; the file ends after the last separator. */
export function readVectors(base: string): Array<{ text: string; ids: number[] }> {
  const inputs = readFileSync(base + '.inp', 'utf8').split(SEPARATOR);
  assert.equal(inputs.pop(), '', `${base}.inp must end with the separator`);
  const lines = readFileSync(base + '.out', 'utf8').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  assert.equal(lines.length, inputs.length, `${base}: ${inputs.length} inputs but ${lines.length} output lines`);
  return inputs.map((text, i) => ({ text, ids: lines[i]!.trim() === '' ? [] : lines[i]!.trim().split(/\s+/).map(Number) }));
}

for (const vocab of ['ggml-vocab-llama-spm.gguf', 'ggml-vocab-phi-3.gguf']) {
  const path = join(llamaCppVocab, vocab);
  test(`llama.cpp vectors: ${vocab}`, { skip: missing(path) }, () => {
    const f = openGGUF(path);
    let tok: Tokenizer;
    try {
      tok = Tokenizer.fromGGUFMetadata(f.metadata, path);
    } finally {
      f.close();
    }
    const vectors = readVectors(path);
    assert.ok(vectors.length >= 30, `only ${vectors.length} vectors`);
    let matched = 0;
    for (const v of vectors) {
      assert.deepEqual(tok.encode(v.text, { addBos: false, parseSpecial: false }), v.ids, `input ${JSON.stringify(v.text)}`);
      matched++;
    }
    assert.equal(matched, vectors.length);
  });
}
