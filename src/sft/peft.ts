// LoRA adapters as PEFT saves them: a folder with adapter_config.json (peft_type LORA, r, lora_alpha,
// lora_dropout, target_modules in Hugging Face module names...) and adapter_model.safetensors with
// PEFT's tensor names (base_model.model.model.layers.{i}.self_attn.q_proj.lora_A.weight [r, in],
// ...lora_B.weight [out, r]), so that `PeftModel.from_pretrained(base, dir)` loads what we train and
// we load what PEFT trains. Reads are bounded (a config of at most 1 MiB, safetensors by their size)
// and every problem is an AdapterError naming the file and the field.
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeJsonAtomic } from '../formats/atomic.js';
import { FormatError } from '../formats/errors.js';
import { openSafetensors, writeSafetensors, type SafetensorsDType } from '../formats/safetensors.js';
import type { YiConfig } from '../model/config.js';
import { adapterShapes, LORA_TARGETS, moduleName, TARGET_MODULES, targetOfModule, type LoraOptions, type LoraTarget } from '../model/lora.js';
import type { YiTrainable } from '../model/trainable.js';
import { bf16BitsToF32, f16BitsToF32 } from '../tensor/half.js';
import { publishFolder, tempFolder } from '../train/run-folder.js';

export const ADAPTER_CONFIG = 'adapter_config.json';
export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';
/** Larger than any real adapter_config.json (a few KB): a bigger file is not one. */
const MAX_CONFIG_BYTES = 1 << 20;

/** An adapter folder that is not what PEFT writes, or does not fit the model it is used with. */
export class AdapterError extends FormatError {
  constructor(file: string, detail: string) {
    super('adapter', file, detail);
  }
}

/** What the adapter folder says about itself besides its tensors. */
export interface LoraAdapterMeta {
  /** base_model_name_or_path: the base model's folder or hub id (null when unknown). */
  baseModel?: string;
}

/** A loaded adapter folder: its settings and its tensors in f32. */
export interface LoraAdapterFiles {
  dir: string;
  /** rank, alpha, dropout, targets, rslora (seed: 0, it is not saved). */
  options: LoraOptions;
  baseModel: string | null;
  /** By PEFT name: [r, in] for lora_A, [out, r] for lora_B. */
  tensors: Map<string, { shape: [number, number]; values: Float32Array }>;
}

/** adapter_config.json as PEFT writes it for a LoRA on a causal LM (the keys PEFT has read since 0.7). */
export function adapterConfigJson(o: Pick<LoraOptions, 'rank' | 'alpha' | 'dropout' | 'targets' | 'rslora'>, meta: LoraAdapterMeta = {}): Record<string, unknown> {
  return {
    alpha_pattern: {},
    auto_mapping: null,
    base_model_name_or_path: meta.baseModel ?? null,
    bias: 'none',
    fan_in_fan_out: false,
    inference_mode: true,
    init_lora_weights: true,
    layers_pattern: null,
    layers_to_transform: null,
    lora_alpha: o.alpha,
    lora_dropout: o.dropout,
    modules_to_save: null,
    peft_type: 'LORA',
    r: o.rank,
    rank_pattern: {},
    revision: null,
    target_modules: o.targets.map(moduleName),
    task_type: 'CAUSAL_LM',
    use_dora: false,
    use_rslora: o.rslora ?? false,
  };
}

/**
 * Writes adapter_model.safetensors and adapter_config.json of a LoRA model into the existing folder
 * `dir`, each file atomically (temp + rename). For a folder that holds other files too (a checkpoint).
 */
export function writeLoraAdapterFiles(model: YiTrainable, dir: string, meta: LoraAdapterMeta = {}): void {
  const lora = model.lora;
  if (!lora) throw new AdapterError(dir, 'the model has no LoRA adapters to save (create it with the lora option)');
  const tensors = model.params.map((p) => {
    const b = p.value.bytes();
    return { name: p.name, dtype: 'F32' as const, shape: p.value.shape, data: new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)) };
  });
  writeSafetensors(join(dir, ADAPTER_WEIGHTS), tensors, { format: 'pt' });
  writeJsonAtomic(join(dir, ADAPTER_CONFIG), adapterConfigJson(lora, meta));
}

/** Writes the PEFT adapter folder `dir` whole: into a temp folder beside it, then renamed into place. */
export function saveLoraAdapter(model: YiTrainable, dir: string, meta: LoraAdapterMeta = {}): void {
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = tempFolder(dir);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  try {
    writeLoraAdapterFiles(model, tmp, meta);
    publishFolder(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Reads a PEFT LoRA adapter folder (ours or PEFT's), refusing what we cannot apply as it would be applied. */
export function loadLoraAdapter(dir: string): LoraAdapterFiles {
  const cfgPath = join(dir, ADAPTER_CONFIG);
  const { options, baseModel } = readAdapterConfig(cfgPath);
  const weights = join(dir, ADAPTER_WEIGHTS);
  if (!isFile(weights)) {
    const hint = isFile(join(dir, 'adapter_model.bin')) ? ' (adapter_model.bin is a pickle; save with safe_serialization=True)' : '';
    throw new AdapterError(weights, `no such file: an adapter folder holds ${ADAPTER_WEIGHTS}${hint}`);
  }
  const st = openSafetensors(weights);
  const tensors = new Map<string, { shape: [number, number]; values: Float32Array }>();
  try {
    for (const [name, info] of st.tensors) {
      const m = /^base_model\.model\.model\.layers\.(\d+)\.((?:self_attn|mlp)\.\w+)\.lora_([AB])\.weight$/.exec(name);
      const target = m ? LORA_TARGETS.find((t) => TARGET_MODULES[t].module === m[2]) : undefined;
      if (!m || !target) throw new AdapterError(weights, `tensor ${name}: expected base_model.model.model.layers.N.{self_attn.(q|k|v|o)_proj, mlp.(gate|up|down)_proj}.lora_(A|B).weight`);
      if (!options.targets.includes(target)) throw new AdapterError(weights, `tensor ${name}: ${moduleName(target)} is not in target_modules [${options.targets.map(moduleName).join(', ')}] of ${ADAPTER_CONFIG}`);
      if (info.shape.length !== 2) throw new AdapterError(weights, `tensor ${name}: shape [${info.shape.join(', ')}], expected a matrix`);
      const [rows, cols] = info.shape as [number, number];
      const rankDim = m[3] === 'A' ? rows : cols;
      if (rankDim !== options.rank) throw new AdapterError(weights, `tensor ${name}: shape [${rows}, ${cols}] has rank ${rankDim}, ${ADAPTER_CONFIG} says r = ${options.rank}`);
      tensors.set(name, { shape: [rows, cols], values: decodeF32(info.dtype, st.readTensorBytes(name), weights, name) });
    }
  } finally {
    st.close();
  }
  return { dir, options, baseModel, tensors };
}

/**
 * Checks that an adapter fits a model config: every targeted projection of every layer has its A
 * [r, in] and B [out, r]; AdapterError naming the first missing or mis-shaped tensor otherwise.
 */
export function checkAdapterFits(adapter: LoraAdapterFiles, cfg: YiConfig): void {
  const file = join(adapter.dir, ADAPTER_WEIGHTS);
  const expected = adapterShapes(cfg, adapter.options);
  const names = new Set<string>();
  for (const s of expected) {
    for (const { name, shape } of [s.a, s.b]) {
      names.add(name);
      const t = adapter.tensors.get(name);
      if (!t) throw new AdapterError(file, `tensor ${name} is missing (the model has ${cfg.layers} layers; target_modules lists ${adapter.options.targets.map(moduleName).join(', ')})`);
      if (t.shape[0] !== shape[0] || t.shape[1] !== shape[1]) throw new AdapterError(file, `tensor ${name} has shape [${t.shape.join(', ')}], the model needs [${shape.join(', ')}]`);
    }
  }
  for (const name of adapter.tensors.keys()) {
    if (!names.has(name)) throw new AdapterError(file, `tensor ${name} has no place in a model of ${cfg.layers} layers`);
  }
}

/** Copies a loaded adapter's tensors into a LoRA model with the same rank and targets (resume, evaluation). */
export function applyLoraAdapter(model: YiTrainable, adapter: LoraAdapterFiles): void {
  const lora = model.lora;
  const cfgPath = join(adapter.dir, ADAPTER_CONFIG);
  if (!lora) throw new AdapterError(cfgPath, 'the model has no LoRA adapters to load into (create it with the lora option)');
  if (lora.rank !== adapter.options.rank) throw new AdapterError(cfgPath, `field r: ${adapter.options.rank}, the model's adapters have rank ${lora.rank}`);
  const same = lora.targets.length === adapter.options.targets.length && lora.targets.every((t) => adapter.options.targets.includes(t));
  if (!same) throw new AdapterError(cfgPath, `field target_modules: [${adapter.options.targets.map(moduleName).join(', ')}], the model's adapters are on [${lora.targets.map(moduleName).join(', ')}]`);
  checkAdapterFits(adapter, model.config);
  for (const p of model.params) p.value.arena.f32.set(adapter.tensors.get(p.name)!.values, p.value.offset / 4);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function readJsonBounded(path: string): Record<string, unknown> {
  if (!existsSync(path)) throw new AdapterError(path, `no such file: an adapter folder holds ${ADAPTER_CONFIG} and ${ADAPTER_WEIGHTS}`);
  const st = statSync(path);
  if (!st.isFile()) throw new AdapterError(path, 'expected a JSON file');
  if (st.size > MAX_CONFIG_BYTES) throw new AdapterError(path, `${st.size} bytes, more than the ${MAX_CONFIG_BYTES} an adapter config may have`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new AdapterError(path, `not valid JSON (${(e as Error).message})`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new AdapterError(path, 'expected a JSON object');
  return json as Record<string, unknown>;
}

function readAdapterConfig(path: string): { options: LoraOptions; baseModel: string | null } {
  const j = readJsonBounded(path);
  const fail = (field: string, want: string): never => {
    throw new AdapterError(path, `field ${field}: expected ${want}, got ${JSON.stringify(j[field]) ?? 'nothing'}`);
  };
  if (j['peft_type'] !== 'LORA') fail('peft_type', '"LORA" (other PEFT methods are not supported)');
  const r = j['r'];
  if (typeof r !== 'number' || !Number.isSafeInteger(r) || r < 1) fail('r', 'an integer >= 1');
  const alpha = j['lora_alpha'];
  if (typeof alpha !== 'number' || !(alpha > 0) || !Number.isFinite(alpha)) fail('lora_alpha', 'a positive number');
  const dropout = j['lora_dropout'] ?? 0;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) fail('lora_dropout', 'a number in [0, 1)');
  const modules = j['target_modules'];
  if (!Array.isArray(modules) || modules.length === 0 || !modules.every((m) => typeof m === 'string')) {
    fail('target_modules', `a list of module names (${LORA_TARGETS.map(moduleName).join(', ')}); a regular expression is not supported`);
  }
  const targets = new Set<LoraTarget>();
  for (const m of modules as string[]) {
    const t = targetOfModule(m);
    if (!t) fail('target_modules', `names among ${LORA_TARGETS.map(moduleName).join(', ')} (${JSON.stringify(m)} is not a projection of a Llama/Yi layer)`);
    targets.add(t!);
  }
  if ((j['bias'] ?? 'none') !== 'none') fail('bias', '"none" (adapters with biases are not supported)');
  if (j['fan_in_fan_out'] === true) fail('fan_in_fan_out', 'false (Llama/Yi linear layers store [out, in])');
  if (j['use_dora'] === true) fail('use_dora', 'false (DoRA is not supported)');
  for (const f of ['rank_pattern', 'alpha_pattern']) {
    const v = j[f];
    if (v !== undefined && v !== null && (typeof v !== 'object' || Object.keys(v as object).length > 0)) fail(f, 'empty (one rank and alpha for every module)');
  }
  for (const f of ['layers_to_transform', 'modules_to_save']) {
    const v = j[f];
    if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0)) fail(f, 'null (adapters on every layer, no fully trained modules)');
  }
  const rslora = j['use_rslora'] ?? false;
  if (typeof rslora !== 'boolean') fail('use_rslora', 'true or false');
  const base = j['base_model_name_or_path'];
  return {
    options: { rank: r as number, alpha: alpha as number, dropout: dropout as number, targets: LORA_TARGETS.filter((t) => targets.has(t)), seed: 0, rslora: rslora as boolean },
    baseModel: typeof base === 'string' ? base : null,
  };
}

/** An adapter tensor's values in f32 (PEFT saves f32, or f16 / bf16 for a half-precision run). */
function decodeF32(dtype: SafetensorsDType, bytes: Uint8Array, file: string, name: string): Float32Array {
  const copy = bytes.slice();
  switch (dtype) {
    case 'F32':
      return new Float32Array(copy.buffer, 0, copy.length / 4);
    case 'F16':
    case 'BF16': {
      const h = new Uint16Array(copy.buffer, 0, copy.length / 2);
      const f = dtype === 'F16' ? f16BitsToF32 : bf16BitsToF32;
      return Float32Array.from(h, (x) => f(x));
    }
    default:
      throw new AdapterError(file, `tensor ${name}: dtype ${dtype}, expected F32, F16 or BF16`);
  }
}
