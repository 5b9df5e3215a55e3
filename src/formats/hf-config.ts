// Hugging Face JSON files next to a checkpoint: config.json (LlamaForCausalLM and the early
// YiForCausalLM), generation_config.json and tokenizer_config.json. Parsed into typed, camelCase
// objects with the defaults transformers applies; wrong types fail naming the file and key.
// Keys we do not model are ignored (they are many and mostly irrelevant to a Llama decoder).
import { join } from 'node:path';
import { ConfigError } from './errors.js';
import { isObject, JsonFields, readJsonObject, type JsonObject } from './json-fields.js';

export interface HFModelConfig {
  architectures: string[];
  modelType: string;
  hiddenSize: number;
  intermediateSize: number;
  numHiddenLayers: number;
  numAttentionHeads: number;
  /** Defaults to numAttentionHeads (no grouped-query attention), as in LlamaConfig. */
  numKeyValueHeads: number;
  /** Only when the file gives it; else hiddenSize / numAttentionHeads. */
  headDim?: number;
  maxPositionEmbeddings: number;
  /** Default 10000, as in LlamaConfig. */
  ropeTheta: number;
  /** Default 1e-6, as in LlamaConfig. */
  rmsNormEps: number;
  vocabSize: number;
  bosTokenId?: number;
  /** One id or several (newer configs list several). */
  eosTokenId?: number[];
  padTokenId?: number;
  tieWordEmbeddings: boolean;
  torchDtype?: string;
  hiddenAct: string;
  /** rope_scaling as given ({type | rope_type, factor, ...}) or undefined. */
  ropeScaling?: { type: string; factor?: number } & JsonObject;
}

/** Parses a config.json object; `file` names it in errors. */
export function parseHFConfig(json: unknown, file = 'config.json'): HFModelConfig {
  if (!isObject(json)) throw new ConfigError(file, 'expected a JSON object at the top level');
  const f = new JsonFields(file, json);
  const heads = f.requiredInt('num_attention_heads', { min: 1 });
  let ropeScaling: HFModelConfig['ropeScaling'];
  const rs = f.object('rope_scaling');
  if (rs) {
    const type = rs['rope_type'] ?? rs['type'];
    if (typeof type !== 'string') f.fail('rope_scaling', 'an object with a string "type" or "rope_type"', rs);
    if (rs['factor'] !== undefined && (typeof rs['factor'] !== 'number' || !(rs['factor'] > 0))) f.fail('rope_scaling', 'a positive "factor"', rs);
    ropeScaling = { ...rs, type: type as string } as HFModelConfig['ropeScaling'];
  }
  const cfg: HFModelConfig = {
    architectures: f.strList('architectures') ?? [],
    modelType: f.str('model_type') ?? 'llama',
    hiddenSize: f.requiredInt('hidden_size', { min: 1 }),
    intermediateSize: f.requiredInt('intermediate_size', { min: 1 }),
    numHiddenLayers: f.requiredInt('num_hidden_layers', { min: 1 }),
    numAttentionHeads: heads,
    numKeyValueHeads: f.int('num_key_value_heads', { min: 1 }) ?? heads,
    maxPositionEmbeddings: f.int('max_position_embeddings', { min: 1 }) ?? 2048,
    ropeTheta: f.num('rope_theta', { positive: true }) ?? 10000,
    rmsNormEps: f.num('rms_norm_eps', { positive: true }) ?? 1e-6,
    vocabSize: f.requiredInt('vocab_size', { min: 1 }),
    tieWordEmbeddings: f.bool('tie_word_embeddings') ?? false,
    hiddenAct: f.str('hidden_act') ?? 'silu',
  };
  const headDim = f.int('head_dim', { min: 1 });
  if (headDim !== undefined) cfg.headDim = headDim;
  const bos = f.int('bos_token_id', { min: 0 });
  if (bos !== undefined) cfg.bosTokenId = bos;
  const eos = f.idList('eos_token_id');
  if (eos !== undefined) cfg.eosTokenId = eos;
  const pad = f.int('pad_token_id', { min: 0 });
  if (pad !== undefined) cfg.padTokenId = pad;
  const dtype = f.str('torch_dtype') ?? f.str('dtype');
  if (dtype !== undefined) cfg.torchDtype = dtype;
  if (ropeScaling) cfg.ropeScaling = ropeScaling;
  return cfg;
}

export function readHFConfig(path: string): HFModelConfig {
  return parseHFConfig(readJsonObject(path), path);
}

export interface HFGenerationConfig {
  bosTokenId?: number;
  /** Always a list: generation stops on any of them. */
  eosTokenId?: number[];
  padTokenId?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  repetitionPenalty?: number;
  doSample?: boolean;
  maxNewTokens?: number;
  maxLength?: number;
}

export function parseGenerationConfig(json: unknown, file = 'generation_config.json'): HFGenerationConfig {
  if (!isObject(json)) throw new ConfigError(file, 'expected a JSON object at the top level');
  const f = new JsonFields(file, json);
  const out: HFGenerationConfig = {};
  const set = <K extends keyof HFGenerationConfig>(k: K, v: HFGenerationConfig[K] | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set('bosTokenId', f.int('bos_token_id', { min: 0 }));
  set('eosTokenId', f.idList('eos_token_id'));
  set('padTokenId', f.int('pad_token_id', { min: 0 }));
  const temperature = f.num('temperature');
  if (temperature !== undefined && temperature < 0) f.fail('temperature', 'a non-negative number', temperature);
  set('temperature', temperature);
  const topP = f.num('top_p');
  if (topP !== undefined && (topP <= 0 || topP > 1)) f.fail('top_p', 'a number in (0, 1]', topP);
  set('topP', topP);
  set('topK', f.int('top_k', { min: 0 }));
  set('repetitionPenalty', f.num('repetition_penalty', { positive: true }));
  set('doSample', f.bool('do_sample'));
  set('maxNewTokens', f.int('max_new_tokens', { min: 1 }));
  set('maxLength', f.int('max_length', { min: 1 }));
  return out;
}

export function readGenerationConfig(path: string): HFGenerationConfig {
  return parseGenerationConfig(readJsonObject(path), path);
}

export interface HFAddedToken {
  id: number;
  content: string;
  special: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  singleWord: boolean;
}

export interface HFTokenizerConfig {
  addBosToken?: boolean;
  addEosToken?: boolean;
  bosToken?: string;
  eosToken?: string;
  unkToken?: string;
  padToken?: string;
  additionalSpecialTokens: string[];
  /** The default chat template: the string form, or the entry named "default" of the list form. */
  chatTemplate?: string;
  /** Every named template (the string form is stored as "default"). */
  chatTemplates: Map<string, string>;
  /** added_tokens_decoder, sorted by id. */
  addedTokens: HFAddedToken[];
  modelMaxLength?: number;
  tokenizerClass?: string;
}

export function parseTokenizerConfig(json: unknown, file = 'tokenizer_config.json'): HFTokenizerConfig {
  if (!isObject(json)) throw new ConfigError(file, 'expected a JSON object at the top level');
  const f = new JsonFields(file, json);
  // A token is a string or an AddedToken object {content, lstrip, ...} (serialized with "__type": "AddedToken").
  const token = (key: string, v: unknown = f.get(key)): string | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    if (isObject(v) && typeof v['content'] === 'string') return v['content'];
    return f.fail(key, 'a string or an AddedToken object with a string "content"', v);
  };
  const out: HFTokenizerConfig = { additionalSpecialTokens: [], chatTemplates: new Map(), addedTokens: [] };
  const set = <K extends keyof HFTokenizerConfig>(k: K, v: HFTokenizerConfig[K] | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set('addBosToken', f.bool('add_bos_token'));
  set('addEosToken', f.bool('add_eos_token'));
  set('bosToken', token('bos_token'));
  set('eosToken', token('eos_token'));
  set('unkToken', token('unk_token'));
  set('padToken', token('pad_token'));
  const extra = f.get('additional_special_tokens');
  if (extra !== undefined) {
    if (!Array.isArray(extra)) f.fail('additional_special_tokens', 'a list of tokens', extra);
    out.additionalSpecialTokens = (extra as unknown[]).map((t) => token('additional_special_tokens', t)!);
  }

  const tpl = f.get('chat_template');
  if (typeof tpl === 'string') {
    out.chatTemplates.set('default', tpl);
  } else if (Array.isArray(tpl)) {
    for (const t of tpl) {
      if (!isObject(t) || typeof t['name'] !== 'string' || typeof t['template'] !== 'string') {
        f.fail('chat_template', 'a string or a list of {name, template} strings', t);
      }
      out.chatTemplates.set(t['name'] as string, t['template'] as string);
    }
  } else if (tpl !== undefined) {
    f.fail('chat_template', 'a string or a list of {name, template}', tpl);
  }
  set('chatTemplate', out.chatTemplates.get('default'));

  const added = f.object('added_tokens_decoder');
  if (added) {
    for (const [id, t] of Object.entries(added)) {
      const key = `added_tokens_decoder.${id}`;
      if (!/^\d+$/.test(id)) f.fail(key, 'a token id as the key', id);
      if (!isObject(t) || typeof t['content'] !== 'string') f.fail(key, 'an AddedToken object with a string "content"', t);
      const flag = (name: string, dflt: boolean): boolean => {
        const v = (t as JsonObject)[name];
        if (v === undefined) return dflt;
        if (typeof v !== 'boolean') f.fail(`${key}.${name}`, 'true or false', v);
        return v as boolean;
      };
      const special = flag('special', false);
      out.addedTokens.push({
        id: Number(id),
        content: (t as JsonObject)['content'] as string,
        special,
        lstrip: flag('lstrip', false),
        rstrip: flag('rstrip', false),
        // transformers: normalized defaults to the opposite of special.
        normalized: flag('normalized', !special),
        singleWord: flag('single_word', false),
      });
    }
    out.addedTokens.sort((a, b) => a.id - b.id);
  }
  // model_max_length is often a huge float (1e30) meaning "no limit": keep any positive number.
  set('modelMaxLength', f.num('model_max_length', { positive: true }));
  set('tokenizerClass', f.str('tokenizer_class'));
  return out;
}

export function readTokenizerConfig(path: string): HFTokenizerConfig {
  return parseTokenizerConfig(readJsonObject(path), path);
}

/** The three files of a checkpoint directory; generation and tokenizer configs are optional. */
export function readHFDir(dir: string): { config: HFModelConfig; generation?: HFGenerationConfig; tokenizer?: HFTokenizerConfig } {
  const config = readHFConfig(join(dir, 'config.json'));
  const opt = <T>(name: string, read: (p: string) => T): T | undefined => {
    try {
      return read(join(dir, name));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  };
  const out: ReturnType<typeof readHFDir> = { config };
  const generation = opt('generation_config.json', readGenerationConfig);
  if (generation) out.generation = generation;
  const tokenizer = opt('tokenizer_config.json', readTokenizerConfig);
  if (tokenizer) out.tokenizer = tokenizer;
  return out;
}
