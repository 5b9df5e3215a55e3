// The one model config type (DESIGN.md: one representation per idea), its presets, and its
// translations to and from Hugging Face config.json and GGUF llama.* metadata.
// Yi is a Llama decoder: pre-norm RMSNorm, GQA, SwiGLU, RoPE; values from YI-SPEC.md section 1.
import { ConfigError } from '../formats/errors.js';
import { parseHFConfig, type HFModelConfig } from '../formats/hf-config.js';
import { show } from '../formats/json-fields.js';
import { gguf, type GGUFTyped, type GGUFValue } from '../formats/gguf-types.js';

export interface YiConfig {
  vocabSize: number;
  /** Model width (d_model). */
  hidden: number;
  layers: number;
  /** Query heads. */
  heads: number;
  /** Key/value heads (grouped-query attention: heads % kvHeads == 0). */
  kvHeads: number;
  /** Per-head width; usually hidden / heads. */
  headDim: number;
  /** SwiGLU inner width. */
  ffn: number;
  maxPositions: number;
  ropeTheta: number;
  rmsEps: number;
  bosId: number;
  eosId: number;
  padId: number;
  /** Whether the output projection reuses the token embedding (false for every Yi release). */
  tieEmbeddings: boolean;
}

/** Shared by every Yi release: vocab 64000, head dim 128, bos 1 / eos 2 / pad 0, untied embeddings. */
const yiCommon = { vocabSize: 64000, headDim: 128, bosId: 1, eosId: 2, padId: 0, tieEmbeddings: false } as const;

export const PRESETS = {
  'yi-6b': { ...yiCommon, hidden: 4096, layers: 32, heads: 32, kvHeads: 4, ffn: 11008, maxPositions: 4096, ropeTheta: 5_000_000, rmsEps: 1e-5 },
  'yi-6b-200k': { ...yiCommon, hidden: 4096, layers: 32, heads: 32, kvHeads: 4, ffn: 11008, maxPositions: 200_000, ropeTheta: 5_000_000, rmsEps: 1e-5 },
  'yi-9b': { ...yiCommon, hidden: 4096, layers: 48, heads: 32, kvHeads: 4, ffn: 11008, maxPositions: 4096, ropeTheta: 10_000, rmsEps: 1e-6 },
  'yi-34b': { ...yiCommon, hidden: 7168, layers: 60, heads: 56, kvHeads: 8, ffn: 20480, maxPositions: 4096, ropeTheta: 5_000_000, rmsEps: 1e-5 },
  'yi-34b-200k': { ...yiCommon, hidden: 7168, layers: 60, heads: 56, kvHeads: 8, ffn: 20480, maxPositions: 200_000, ropeTheta: 5_000_000, rmsEps: 1e-5 },
  // Small shapes for the demo and for training from scratch (not released by 01.AI): Yi's
  // tokenizer and ids, GQA 3:1, head dim 64, Yi's RoPE base.
  'yi-174m': { ...yiCommon, hidden: 768, layers: 12, heads: 12, kvHeads: 4, headDim: 64, ffn: 2048, maxPositions: 4096, ropeTheta: 5_000_000, rmsEps: 1e-5 },
  // Scaled down from yi-6b for training from scratch on a laptop (the training benchmark's shape):
  // GQA 4:1, head dim 32, SwiGLU ffn ~2.7x hidden, Yi's RoPE base; vocab of a small trained tokenizer.
  'yi-mini': { vocabSize: 8000, hidden: 256, layers: 4, heads: 8, kvHeads: 2, headDim: 32, ffn: 688, maxPositions: 2048, ropeTheta: 5_000_000, rmsEps: 1e-5, bosId: 1, eosId: 2, padId: 0, tieEmbeddings: false },
  // For tests: every dimension small but non-trivial (GQA 2:1, ffn not a multiple of 32).
  tiny: { vocabSize: 512, hidden: 64, layers: 2, heads: 4, kvHeads: 2, headDim: 16, ffn: 172, maxPositions: 256, ropeTheta: 10_000, rmsEps: 1e-5, bosId: 1, eosId: 2, padId: 0, tieEmbeddings: false },
} as const satisfies Record<string, YiConfig>;
export type PresetName = keyof typeof PRESETS;

/** A fresh copy of a preset; unknown names fail listing the known ones. */
export function preset(name: string): YiConfig {
  if (!Object.prototype.hasOwnProperty.call(PRESETS, name)) {
    throw new ConfigError('presets', `unknown preset ${JSON.stringify(name)}; expected one of ${Object.keys(PRESETS).join(', ')}`);
  }
  return { ...PRESETS[name as PresetName] };
}

/**
 * Sane bounds for the sizes (inclusive). Far above any released Llama-family model (the largest have
 * ~256k-token vocabularies, hidden 16384, 126 layers, 128 heads, head dim 256, ffn 53248, 10M positions),
 * and low enough that a corrupt value fails here, naming its key, instead of as an allocation later.
 */
export const CONFIG_LIMITS = {
  vocabSize: 1 << 22,
  hidden: 1 << 16,
  layers: 1024,
  heads: 1024,
  kvHeads: 1024,
  headDim: 1024,
  ffn: 1 << 20,
  maxPositions: 1 << 24,
} as const;

/** The file's own key for each field, so that a message points at what to fix in the file. */
export type ConfigKeyNames = Partial<Record<keyof YiConfig, string>>;

/**
 * Checks the invariants the model code relies on and the value ranges that make sense; errors name
 * the field (and, given `keys`, the file's key for it). Returns cfg.
 */
export function validateConfig(cfg: YiConfig, source = 'YiConfig', keys: ConfigKeyNames = {}): YiConfig {
  const fail = (field: keyof YiConfig, expected: string): never => {
    const key = keys[field] ? ` (key ${keys[field]})` : '';
    throw new ConfigError(source, `field ${field}: expected ${expected}, got ${show(cfg[field])}${key}`);
  };
  for (const k of Object.keys(CONFIG_LIMITS) as (keyof typeof CONFIG_LIMITS)[]) {
    if (!Number.isSafeInteger(cfg[k]) || cfg[k] <= 0) fail(k, 'a positive integer');
    if (cfg[k] > CONFIG_LIMITS[k]) fail(k, `a positive integer of at most ${CONFIG_LIMITS[k]}`);
  }
  if (cfg.heads % cfg.kvHeads !== 0) fail('kvHeads', `a divisor of heads (${cfg.heads})`);
  // RoPE rotates pairs of dimensions.
  if (cfg.headDim % 2 !== 0) fail('headDim', 'an even number');
  if (!(typeof cfg.ropeTheta === 'number' && Number.isFinite(cfg.ropeTheta) && cfg.ropeTheta > 0)) fail('ropeTheta', 'a positive finite number');
  // An epsilon is added to a mean of squares to keep a division finite; 1 or more would swamp it.
  if (!(typeof cfg.rmsEps === 'number' && cfg.rmsEps > 0 && cfg.rmsEps < 1)) fail('rmsEps', 'a number in (0, 1)');
  for (const k of ['bosId', 'eosId', 'padId'] as const) {
    if (!Number.isSafeInteger(cfg[k]) || cfg[k] < 0 || cfg[k] >= cfg.vocabSize) fail(k, `a token id below vocabSize (${cfg.vocabSize})`);
  }
  if (typeof cfg.tieEmbeddings !== 'boolean') fail('tieEmbeddings', 'true or false');
  return cfg;
}

/** config.json's key for each field. */
const HF_KEYS: ConfigKeyNames = {
  vocabSize: 'vocab_size',
  hidden: 'hidden_size',
  layers: 'num_hidden_layers',
  heads: 'num_attention_heads',
  kvHeads: 'num_key_value_heads',
  headDim: 'head_dim',
  ffn: 'intermediate_size',
  maxPositions: 'max_position_embeddings',
  ropeTheta: 'rope_theta',
  rmsEps: 'rms_norm_eps',
  bosId: 'bos_token_id',
  eosId: 'eos_token_id',
  padId: 'pad_token_id',
  tieEmbeddings: 'tie_word_embeddings',
};

/** GGUF's key for each field (llama architecture). */
const GGUF_KEYS: ConfigKeyNames = {
  vocabSize: 'llama.vocab_size',
  hidden: 'llama.embedding_length',
  layers: 'llama.block_count',
  heads: 'llama.attention.head_count',
  kvHeads: 'llama.attention.head_count_kv',
  headDim: 'llama.attention.key_length',
  ffn: 'llama.feed_forward_length',
  maxPositions: 'llama.context_length',
  ropeTheta: 'llama.rope.freq_base',
  rmsEps: 'llama.attention.layer_norm_rms_epsilon',
  bosId: 'tokenizer.ggml.bos_token_id',
  eosId: 'tokenizer.ggml.eos_token_id',
  padId: 'tokenizer.ggml.padding_token_id',
};

/** headDim when a file does not give one: hidden / heads, which must divide evenly. */
function impliedHeadDim(hidden: number, heads: number, source: string, keys: string): number {
  if (hidden % heads !== 0) throw new ConfigError(source, `${keys}: hidden size ${hidden} is not a multiple of the head count ${heads}, and no head dimension is given`);
  return hidden / heads;
}

/**
 * From a config.json (parsed JSON, or already an HFModelConfig). Accepts LlamaForCausalLM and the
 * early YiForCausalLM. An eos list keeps its first id (YiConfig has one; stop lists live with sampling).
 */
export function fromHFConfig(json: unknown, source = 'config.json'): YiConfig {
  const hf: HFModelConfig = isParsed(json) ? json : parseHFConfig(json, source);
  const fail = (detail: string): never => {
    throw new ConfigError(source, detail);
  };
  if (!['llama', 'yi'].includes(hf.modelType.toLowerCase())) fail(`key "model_type": expected "llama" or "Yi", got ${JSON.stringify(hf.modelType)}`);
  if (hf.hiddenAct !== 'silu') fail(`key "hidden_act": expected "silu" (SwiGLU), got ${JSON.stringify(hf.hiddenAct)}`);
  // No scaled RoPE in YiConfig: reading one and ignoring it would silently change the model.
  if (hf.ropeScaling && hf.ropeScaling.type !== 'default') fail(`key "rope_scaling": type ${JSON.stringify(hf.ropeScaling.type)} is not supported (expected null)`);
  const cfg: YiConfig = {
    vocabSize: hf.vocabSize,
    hidden: hf.hiddenSize,
    layers: hf.numHiddenLayers,
    heads: hf.numAttentionHeads,
    kvHeads: hf.numKeyValueHeads,
    headDim: hf.headDim ?? impliedHeadDim(hf.hiddenSize, hf.numAttentionHeads, source, 'keys "hidden_size" / "num_attention_heads"'),
    ffn: hf.intermediateSize,
    maxPositions: hf.maxPositionEmbeddings,
    ropeTheta: hf.ropeTheta,
    rmsEps: hf.rmsNormEps,
    // LlamaConfig's defaults are bos 1, eos 2; pad defaults to Yi's <unk> (0).
    bosId: hf.bosTokenId ?? 1,
    eosId: hf.eosTokenId?.[0] ?? 2,
    padId: hf.padTokenId ?? 0,
    tieEmbeddings: hf.tieWordEmbeddings,
  };
  return validateConfig(cfg, source, HF_KEYS);
}

function isParsed(v: unknown): v is HFModelConfig {
  return typeof v === 'object' && v !== null && 'hiddenSize' in v && 'numHiddenLayers' in v;
}

/** A config.json that transformers' LlamaForCausalLM loads (the layout of Yi's own releases). */
export function toHFConfig(cfg: YiConfig, opts: { torchDtype?: string } = {}): Record<string, unknown> {
  validateConfig(cfg);
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    attention_bias: false,
    attention_dropout: 0.0,
    bos_token_id: cfg.bosId,
    eos_token_id: cfg.eosId,
    pad_token_id: cfg.padId,
    head_dim: cfg.headDim,
    hidden_act: 'silu',
    hidden_size: cfg.hidden,
    initializer_range: 0.02,
    intermediate_size: cfg.ffn,
    max_position_embeddings: cfg.maxPositions,
    mlp_bias: false,
    num_attention_heads: cfg.heads,
    num_hidden_layers: cfg.layers,
    num_key_value_heads: cfg.kvHeads,
    pretraining_tp: 1,
    rms_norm_eps: cfg.rmsEps,
    rope_scaling: null,
    rope_theta: cfg.ropeTheta,
    tie_word_embeddings: cfg.tieEmbeddings,
    torch_dtype: opts.torchDtype ?? 'bfloat16',
    use_cache: true,
    vocab_size: cfg.vocabSize,
  };
}

/**
 * llama.* GGUF metadata (the keys llama.cpp's llama architecture reads, with the types it checks:
 * u32 sizes, f32 rope base and epsilon), plus the token ids under tokenizer.ggml.*.
 * Tied embeddings are not a key in GGUF: they show as the absence of output.weight.
 */
export function toGGUFMetadata(cfg: YiConfig): Map<string, GGUFValue | GGUFTyped> {
  validateConfig(cfg);
  const m = new Map<string, GGUFValue | GGUFTyped>([
    ['general.architecture', 'llama'],
    ['llama.vocab_size', gguf.u32(cfg.vocabSize)],
    ['llama.context_length', gguf.u32(cfg.maxPositions)],
    ['llama.embedding_length', gguf.u32(cfg.hidden)],
    ['llama.block_count', gguf.u32(cfg.layers)],
    ['llama.feed_forward_length', gguf.u32(cfg.ffn)],
    ['llama.attention.head_count', gguf.u32(cfg.heads)],
    ['llama.attention.head_count_kv', gguf.u32(cfg.kvHeads)],
    ['llama.rope.freq_base', gguf.f32(cfg.ropeTheta)],
    ['llama.attention.layer_norm_rms_epsilon', gguf.f32(cfg.rmsEps)],
    ['llama.rope.dimension_count', gguf.u32(cfg.headDim)],
    ['tokenizer.ggml.bos_token_id', gguf.u32(cfg.bosId)],
    ['tokenizer.ggml.eos_token_id', gguf.u32(cfg.eosId)],
    ['tokenizer.ggml.padding_token_id', gguf.u32(cfg.padId)],
  ]);
  // llama.cpp assumes head dim = hidden / heads unless these are given.
  if (cfg.headDim * cfg.heads !== cfg.hidden) {
    m.set('llama.attention.key_length', gguf.u32(cfg.headDim));
    m.set('llama.attention.value_length', gguf.u32(cfg.headDim));
  }
  return m;
}

/**
 * From GGUF metadata (general.architecture must be llama). The vocabulary size comes from
 * llama.vocab_size or else the length of tokenizer.ggml.tokens. Pass the tensor names to learn
 * whether embeddings are tied (no output.weight).
 */
export function fromGGUFMetadata(meta: Map<string, GGUFValue>, opts: { source?: string; tensorNames?: readonly string[] } = {}): YiConfig {
  const source = opts.source ?? 'GGUF metadata';
  const fail = (detail: string): never => {
    throw new ConfigError(source, detail);
  };
  const arch = meta.get('general.architecture');
  if (arch !== 'llama') fail(`key general.architecture: expected "llama", got ${JSON.stringify(arch)}`);
  const int = (key: string, required: boolean, min = 1): number | undefined => {
    const v = meta.get(key);
    if (v === undefined) return required ? fail(`key ${key}: missing (expected a positive integer)`) : undefined;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) fail(`key ${key}: expected an integer >= ${min}, got ${String(v)}`);
    return v as number;
  };
  const float = (key: string, dflt: number): number => {
    const v = meta.get(key);
    if (v === undefined) return dflt;
    if (typeof v !== 'number' || !(v > 0)) fail(`key ${key}: expected a positive number, got ${String(v)}`);
    return shortestF32(v as number);
  };
  let vocabSize = int('llama.vocab_size', false);
  if (vocabSize === undefined) {
    const tokens = meta.get('tokenizer.ggml.tokens');
    if (!Array.isArray(tokens)) fail('keys llama.vocab_size and tokenizer.ggml.tokens: both missing (one gives the vocabulary size)');
    vocabSize = (tokens as unknown[]).length;
  }
  const hidden = int('llama.embedding_length', true)!;
  const heads = int('llama.attention.head_count', true)!;
  const keyLength = int('llama.attention.key_length', false);
  const headDim = keyLength ?? impliedHeadDim(hidden, heads, source, 'keys llama.embedding_length / llama.attention.head_count');
  const valueLength = int('llama.attention.value_length', false);
  if (valueLength !== undefined && valueLength !== headDim) fail(`key llama.attention.value_length: expected the key length ${headDim} (one head dimension for keys and values), got ${valueLength}`);
  const ropeDims = int('llama.rope.dimension_count', false);
  if (ropeDims !== undefined && ropeDims !== headDim) fail(`key llama.rope.dimension_count: expected the head dimension ${headDim} (partial RoPE is not supported), got ${ropeDims}`);
  const cfg: YiConfig = {
    vocabSize,
    hidden,
    layers: int('llama.block_count', true)!,
    heads,
    kvHeads: int('llama.attention.head_count_kv', false) ?? heads,
    headDim,
    ffn: int('llama.feed_forward_length', true)!,
    maxPositions: int('llama.context_length', true)!,
    ropeTheta: float('llama.rope.freq_base', 10000),
    rmsEps: float('llama.attention.layer_norm_rms_epsilon', 1e-5),
    bosId: int('tokenizer.ggml.bos_token_id', false, 0) ?? 1,
    eosId: int('tokenizer.ggml.eos_token_id', false, 0) ?? 2,
    padId: int('tokenizer.ggml.padding_token_id', false, 0) ?? 0,
    tieEmbeddings: opts.tensorNames ? !opts.tensorNames.includes('output.weight') : false,
  };
  return validateConfig(cfg, source, GGUF_KEYS);
}

/** The shortest decimal that rounds to the same float32 (GGUF stores 1e-5 as 9.99999974e-6). */
function shortestF32(x: number): number {
  const f = Math.fround(x);
  if (f !== x) return x; // not a float32 value: keep as is
  for (let p = 1; p <= 9; p++) {
    const d = Number(x.toPrecision(p));
    if (Math.fround(d) === f) return d;
  }
  return x;
}
