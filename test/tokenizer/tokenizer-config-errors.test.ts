// A malformed tokenizer_config.json is refused with a TokenizerError naming it and the field. Before:
// `added_tokens_decoder: {"1200": null}` threw a TypeError, non-boolean add_bos_token and non-string
// token names were silently ignored, and an added token repeating a piece of the vocabulary under a new
// id was accepted (and then failed later, naming the wrong file).
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { TokenizerError } from '../../src/tokenizer/errors.js';
import { encodeModelProto } from '../../src/tokenizer/sentencepiece-proto.js';
import { Tokenizer } from '../../src/tokenizer/tokenizer.js';
import { tempDir } from '../formats/helpers.js';
import { tinyTokenizerProto } from '../model/tiny-tokenizer.js';

/** A folder with the 96-piece tiny tokenizer.model and `config` as tokenizer_config.json. */
function folder(config: unknown): { dir: string; config: string } {
  const dir = join(tempDir(), 'tok');
  mkdirSync(dir);
  writeFileSync(join(dir, 'tokenizer.model'), encodeModelProto(tinyTokenizerProto()));
  const path = join(dir, 'tokenizer_config.json');
  writeFileSync(path, typeof config === 'string' ? config : JSON.stringify(config));
  return { dir, config: path };
}

function configError(config: unknown): string {
  const f = folder(config);
  try {
    Tokenizer.load(f.dir);
  } catch (e) {
    assert.ok(e instanceof TokenizerError, `expected a TokenizerError, got ${String(e)}`);
    assert.ok(e.message.startsWith(`tokenizer: ${f.config}: `), e.message);
    return e.message;
  }
  assert.fail('loaded without an error');
}

test('tokenizer_config.json: a valid config adds tokens and sets the specials', () => {
  const f = folder({
    add_bos_token: true,
    bos_token: { content: '<|startoftext|>' },
    eos_token: '<|endoftext|>',
    pad_token: null,
    added_tokens_decoder: { '0': { content: '<unk>', special: true }, '96': { content: '<tool>', special: false }, '97': { content: '<x>', special: true } },
    additional_special_tokens: ['<x>', { content: '<tool>' }, '<not-in-vocab>'],
  });
  const tok = Tokenizer.load(f.dir);
  assert.equal(tok.vocabSize, 98);
  assert.deepEqual(tok.encode('a<tool>'), [1, ...tok.encode('a', { addBos: false }), 96]);
  assert.equal(tok.specials.named.get('<x>'), 97);
});

test('tokenizer_config.json: null entries and wrong types are typed errors naming the field', () => {
  assert.match(configError({ added_tokens_decoder: { '1200': null } }), /added_tokens_decoder\["1200"\]: expected an object, found null/);
  assert.match(configError({ add_bos_token: 'yes' }), /add_bos_token: expected a boolean, found "yes"/);
  assert.match(configError({ add_eos_token: 1 }), /add_eos_token: expected a boolean, found 1/);
  assert.match(configError({ added_tokens_decoder: [] }), /added_tokens_decoder: expected an object, found an array of 0/);
  assert.match(configError({ added_tokens_decoder: { abc: { content: 'x' } } }), /added_tokens_decoder\["abc"\]: the key is not a token id/);
  assert.match(configError({ added_tokens_decoder: { '96': { content: 5 } } }), /added_tokens_decoder\["96"\]\.content: expected a string, found 5/);
  assert.match(configError({ added_tokens_decoder: { '96': { content: '' } } }), /added_tokens_decoder\["96"\]\.content: a token cannot be empty/);
  assert.match(configError({ added_tokens_decoder: { '96': { content: 'x', special: 'no' } } }), /\.special: expected a boolean, found "no"/);
  assert.match(configError({ bos_token: 5 }), /bos_token: expected a string, found 5/);
  assert.match(configError({ eos_token: { content: null } }), /eos_token\.content: expected a string, found null/);
  assert.match(configError({ additional_special_tokens: 'x' }), /additional_special_tokens: expected an array, found "x"/);
  assert.match(configError({ additional_special_tokens: [null] }), /additional_special_tokens\[0\]: expected a token, found null/);
  assert.match(configError([]), /expected an object, found an array of 0/);
  assert.match(configError('{"add_bos_token": tr'), /not valid JSON/);
});

test('tokenizer_config.json: added tokens must agree with the vocabulary and follow it without gaps', () => {
  assert.match(configError({ added_tokens_decoder: { '3': { content: '<other>' } } }), /added_tokens_decoder\["3"\]: is "<other>" but the vocabulary has "<\|im_start\|>" at id 3/);
  assert.match(configError({ added_tokens_decoder: { '1200': { content: '<x>' } } }), /added_tokens_decoder\["1200"\]: id 1200 leaves a gap after 95/);
  assert.match(configError({ added_tokens_decoder: { '96': { content: 'a' } } }), /added_tokens_decoder\["96"\]: "a" is already token \d+/);
  assert.match(configError({ added_tokens_decoder: { '96': { content: '<x>' }, '97': { content: '<x>' } } }), /added_tokens_decoder\["97"\]: "<x>" is already token 96/);
});
