import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError } from '../../src/formats/errors.js';
import { parseGenerationConfig, parseHFConfig, parseTokenizerConfig, readHFDir, readHFConfig } from '../../src/formats/hf-config.js';
import { tempDir } from './helpers.js';

const dir = tempDir();

/** The shape of Yi-6B's released config.json. */
export const yi6bConfig = {
  architectures: ['LlamaForCausalLM'],
  attention_bias: false,
  bos_token_id: 1,
  eos_token_id: 2,
  hidden_act: 'silu',
  hidden_size: 4096,
  initializer_range: 0.02,
  intermediate_size: 11008,
  max_position_embeddings: 4096,
  model_type: 'llama',
  num_attention_heads: 32,
  num_hidden_layers: 32,
  num_key_value_heads: 4,
  pad_token_id: 0,
  pretraining_tp: 1,
  rms_norm_eps: 1e-5,
  rope_scaling: null,
  rope_theta: 5000000.0,
  tie_word_embeddings: false,
  torch_dtype: 'bfloat16',
  transformers_version: '4.34.0',
  use_cache: true,
  vocab_size: 64000,
};

function configError(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => e instanceof ConfigError && re.test(e.message));
}

test('config.json: a Yi-6B style LlamaForCausalLM config', () => {
  const c = parseHFConfig(yi6bConfig);
  assert.deepEqual(c, {
    architectures: ['LlamaForCausalLM'],
    modelType: 'llama',
    hiddenSize: 4096,
    intermediateSize: 11008,
    numHiddenLayers: 32,
    numAttentionHeads: 32,
    numKeyValueHeads: 4,
    maxPositionEmbeddings: 4096,
    ropeTheta: 5e6,
    rmsNormEps: 1e-5,
    vocabSize: 64000,
    tieWordEmbeddings: false,
    hiddenAct: 'silu',
    bosTokenId: 1,
    eosTokenId: [2],
    padTokenId: 0,
    torchDtype: 'bfloat16',
  });
});

test('config.json: the early YiForCausalLM form and LlamaConfig defaults for missing keys', () => {
  const { num_key_value_heads: _a, rope_theta: _b, rms_norm_eps: _c, tie_word_embeddings: _d, ...rest } = yi6bConfig;
  const c = parseHFConfig({ ...rest, architectures: ['YiForCausalLM'], model_type: 'Yi', eos_token_id: [2, 7], head_dim: 128, rope_scaling: { type: 'linear', factor: 2 } });
  assert.equal(c.modelType, 'Yi');
  assert.equal(c.numKeyValueHeads, 32);
  assert.equal(c.ropeTheta, 10000);
  assert.equal(c.rmsNormEps, 1e-6);
  assert.equal(c.tieWordEmbeddings, false);
  assert.deepEqual(c.eosTokenId, [2, 7]);
  assert.equal(c.headDim, 128);
  assert.equal(c.ropeScaling?.type, 'linear');
  assert.equal(c.ropeScaling?.factor, 2);
});

test('config.json: wrong types name the file, key and expected type', () => {
  configError(() => parseHFConfig({ ...yi6bConfig, hidden_size: '4096' }, 'x/config.json'), /^config: x\/config.json: key "hidden_size": expected a positive integer, got "4096"$/);
  configError(() => parseHFConfig({ ...yi6bConfig, num_key_value_heads: 0 }), /key "num_key_value_heads": expected a positive integer, got 0/);
  configError(() => parseHFConfig({ ...yi6bConfig, rope_theta: 'big' }), /key "rope_theta": expected a positive number/);
  configError(() => parseHFConfig({ ...yi6bConfig, tie_word_embeddings: 'no' }), /key "tie_word_embeddings": expected true or false/);
  configError(() => parseHFConfig({ ...yi6bConfig, eos_token_id: [2, 'x'] }), /key "eos_token_id": expected a token id or a list of token ids/);
  configError(() => parseHFConfig({ ...yi6bConfig, architectures: 'Llama' }), /key "architectures": expected a list of strings/);
  configError(() => parseHFConfig({ ...yi6bConfig, rope_scaling: { factor: 2 } }), /key "rope_scaling": expected an object with a string "type"/);
  const { vocab_size: _v, ...noVocab } = yi6bConfig;
  configError(() => parseHFConfig(noVocab), /key "vocab_size": expected an integer \(the key is required\)/);
  configError(() => parseHFConfig([1]), /expected a JSON object at the top level/);
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{"hidden_size": 4096,');
  configError(() => readHFConfig(bad), /bad.json: invalid JSON/);
});

test('generation_config.json: eos as a number or a list, sampling options, validation', () => {
  const g = parseGenerationConfig({ bos_token_id: 1, eos_token_id: 2, pad_token_id: 0, temperature: 0.3, top_p: 0.8, top_k: 40, repetition_penalty: 1.05, do_sample: true, max_new_tokens: 256, transformers_version: '4.40.0' });
  assert.deepEqual(g, { bosTokenId: 1, eosTokenId: [2], padTokenId: 0, temperature: 0.3, topP: 0.8, topK: 40, repetitionPenalty: 1.05, doSample: true, maxNewTokens: 256 });
  assert.deepEqual(parseGenerationConfig({ eos_token_id: [2, 7] }).eosTokenId, [2, 7]);
  assert.deepEqual(parseGenerationConfig({}), {});
  configError(() => parseGenerationConfig({ top_p: 1.5 }, 'g.json'), /g.json: key "top_p": expected a number in \(0, 1\], got 1.5/);
  configError(() => parseGenerationConfig({ do_sample: 1 }), /key "do_sample": expected true or false, got 1/);
  configError(() => parseGenerationConfig({ top_k: 2.5 }), /key "top_k": expected a non-negative integer/);
  configError(() => parseGenerationConfig({ temperature: -1 }), /key "temperature": expected a non-negative number/);
});

test('tokenizer_config.json: AddedToken objects, chat templates in both forms, added_tokens_decoder', () => {
  const t = parseTokenizerConfig({
    add_bos_token: false,
    add_eos_token: false,
    bos_token: { __type: 'AddedToken', content: '<|startoftext|>', lstrip: false, normalized: true, rstrip: false, single_word: false },
    eos_token: '<|im_end|>',
    unk_token: { content: '<unk>' },
    pad_token: '<unk>',
    additional_special_tokens: ['<|im_sep|>'],
    chat_template: "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}",
    added_tokens_decoder: {
      '7': { content: '<|im_end|>', lstrip: false, normalized: false, rstrip: false, single_word: false, special: true },
      '0': { content: '<unk>', special: true },
      '6': { content: '<|im_start|>', special: true, normalized: false },
    },
    model_max_length: 4096,
    tokenizer_class: 'LlamaTokenizer',
    sp_model_kwargs: {},
  });
  assert.equal(t.addBosToken, false);
  assert.equal(t.addEosToken, false);
  assert.equal(t.bosToken, '<|startoftext|>');
  assert.equal(t.eosToken, '<|im_end|>');
  assert.equal(t.unkToken, '<unk>');
  assert.equal(t.padToken, '<unk>');
  assert.deepEqual(t.additionalSpecialTokens, ['<|im_sep|>']);
  assert.match(t.chatTemplate!, /^\{% for message in messages %\}/);
  assert.deepEqual(
    t.addedTokens.map((a) => [a.id, a.content, a.special, a.normalized]),
    [
      [0, '<unk>', true, false],
      [6, '<|im_start|>', true, false],
      [7, '<|im_end|>', true, false],
    ],
  );
  assert.equal(t.modelMaxLength, 4096);
  assert.equal(t.tokenizerClass, 'LlamaTokenizer');

  const list = parseTokenizerConfig({ chat_template: [{ name: 'default', template: 'D' }, { name: 'tool_use', template: 'T' }], pad_token: null, model_max_length: 1e30 });
  assert.equal(list.chatTemplate, 'D');
  assert.equal(list.chatTemplates.get('tool_use'), 'T');
  assert.equal(list.padToken, undefined);
  assert.equal(list.modelMaxLength, 1e30);

  configError(() => parseTokenizerConfig({ bos_token: 5 }, 't.json'), /t.json: key "bos_token": expected a string or an AddedToken object/);
  configError(() => parseTokenizerConfig({ chat_template: [{ name: 'x' }] }), /key "chat_template": expected a string or a list of \{name, template\}/);
  configError(() => parseTokenizerConfig({ chat_template: 3 }), /key "chat_template"/);
  configError(() => parseTokenizerConfig({ added_tokens_decoder: { x: { content: 'a' } } }), /key "added_tokens_decoder.x": expected a token id as the key/);
  configError(() => parseTokenizerConfig({ added_tokens_decoder: { '3': { content: 'a', special: 'yes' } } }), /key "added_tokens_decoder.3.special": expected true or false/);
  configError(() => parseTokenizerConfig({ add_bos_token: 'false' }), /key "add_bos_token": expected true or false, got "false"/);
});

test('readHFDir reads config.json and the optional files', () => {
  const ck = join(dir, 'ck');
  mkdirSync(ck);
  writeFileSync(join(ck, 'config.json'), JSON.stringify(yi6bConfig));
  let r = readHFDir(ck);
  assert.equal(r.config.hiddenSize, 4096);
  assert.equal(r.generation, undefined);
  assert.equal(r.tokenizer, undefined);
  writeFileSync(join(ck, 'generation_config.json'), JSON.stringify({ eos_token_id: [2, 7] }));
  writeFileSync(join(ck, 'tokenizer_config.json'), JSON.stringify({ add_bos_token: false }));
  r = readHFDir(ck);
  assert.deepEqual(r.generation?.eosTokenId, [2, 7]);
  assert.equal(r.tokenizer?.addBosToken, false);
  writeFileSync(join(ck, 'tokenizer_config.json'), '{');
  configError(() => readHFDir(ck), /tokenizer_config.json: invalid JSON/);
});
