// Tokenizer.load on each kind of path: tokenizer.model, Hugging Face folder with tokenizer_config.json,
// tokenizer.json, and a .gguf file.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { fixture, llama2Model, llamaCppVocab, missing } from '../paths.js';

test('load: tokenizer.model, a folder with tokenizer_config.json, and a .gguf file', { skip: missing(llama2Model) }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'yi-tok-'));
  try {
    const direct = Tokenizer.load(llama2Model);
    assert.deepEqual(direct.encode('Hello world'), [15043, 3186]);
    copyFileSync(llama2Model, join(dir, 'tokenizer.model'));
    writeFileSync(
      join(dir, 'tokenizer_config.json'),
      JSON.stringify({
        add_bos_token: true,
        add_eos_token: false,
        bos_token: { content: '<s>' },
        eos_token: '</s>',
        pad_token: '<unk>',
        added_tokens_decoder: { '0': { content: '<unk>', special: true }, '32000': { content: '<|im_end|>', special: true } },
      }),
    );
    const tok = Tokenizer.load(dir);
    assert.equal(tok.vocabSize, 32001);
    assert.deepEqual(tok.encode('Hello world'), [1, 15043, 3186]);
    assert.deepEqual(tok.encode('Hi<|im_end|>', { addBos: false, parseSpecial: true }), [...direct.encode('Hi'), 32000]);
    assert.equal(tok.specials.pad, 0);
    assert.ok(tok.endOfGenerationIds.includes(32000) && tok.endOfGenerationIds.includes(2));
    writeFileSync(join(dir, 'tokenizer_config.json'), '{"add_bos_token": tr');
    assert.throws(() => Tokenizer.load(dir), /tokenizer_config.json: not valid JSON/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('load: a .gguf vocabulary gives the same ids as the tokenizer.model (Llama 2)', { skip: missing(llama2Model) || missing(llamaCppVocab) }, () => {
  const g = Tokenizer.load(join(llamaCppVocab, 'ggml-vocab-llama-spm.gguf'));
  const m = Tokenizer.load(llama2Model);
  const cases = fixture<{ cases: Array<{ text: string; ids: number[] }> }>('sentencepiece-llama2.json').cases;
  // llama.cpp and sentencepiece agree on plain text without special-token lookalikes.
  for (const c of cases.filter((c) => !c.text.includes('<'))) {
    assert.deepEqual(g.encode(c.text, { addBos: false }), m.encode(c.text), JSON.stringify(c.text));
  }
  assert.equal(g.spec.addBos, true);
});

test('load: tokenizer.json path and missing files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'yi-tok-'));
  try {
    assert.throws(() => Tokenizer.load(dir), /no tokenizer.model or tokenizer.json/);
    writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify({ model: { type: 'BPE', vocab: { '<unk>': 0, a: 1, b: 2, ab: 3 }, merges: ['a b'], unk_token: '<unk>' } }));
    const tok = Tokenizer.load(join(dir, 'tokenizer.json'));
    assert.deepEqual(tok.encode('abab'), [3, 3]);
    assert.deepEqual(Tokenizer.load(dir).encode('ba'), [2, 1]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
