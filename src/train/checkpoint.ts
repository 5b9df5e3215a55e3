// Training checkpoints: a Hugging Face model folder (model.safetensors + config.json + tokenizer files,
// loadable by `yi generate` and transformers) plus what an exact resume needs: the AdamW moments
// (optimizer.safetensors) and the trainer's position (trainer_state.json). A checkpoint, and the final
// model folder, is written into a temporary folder and renamed into place (run-folder.ts), so a crash
// never leaves a broken one under its name.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeAll, writeFileAtomic, writeJsonAtomic, type ByteStream } from '../formats/atomic.js';
import { openSafetensors, writeSafetensors, type SafetensorsWriteTensor } from '../formats/safetensors.js';
import { toHFConfig, type YiConfig } from '../model/config.js';
import { generationConfig, hfTokenizerConfig, modelProtoFromSpec } from '../model/convert.js';
import type { YiTrainable } from '../model/trainable.js';
import type { Tensor } from '../tensor/tensor.js';
import { loadTokenizerSpec } from '../tokenizer/load.js';
import { parseModelProto } from '../tokenizer/sentencepiece-proto.js';
import { tokenizerJson } from '../tokenizer/train-files.js';
import type { AdamW } from './optimizer.js';
import { crashPoint, publishFolder, tempFolder } from './run-folder.js';
import type { BudgetState } from './budget.js';

export const TRAINER_STATE_FORMAT = 'yi-ts-trainer-state';
export const TRAINER_STATE_VERSION = 1;

/** What trainer_state.json holds: enough to continue bit-identically. */
export interface TrainerState {
  format: typeof TRAINER_STATE_FORMAT;
  version: number;
  /** Optimizer steps done. */
  step: number;
  /** Training tokens consumed (inputs of every micro-batch). */
  tokens: number;
  /** The data sampler's position (see PackedSequences.state()). */
  data: unknown;
  /** Seconds of training so far (for tokens/s and ETA across resumes). */
  elapsedSeconds: number;
  /** The run's settings; a resume checks that the ones that change the trajectory did not change. */
  settings: Record<string, unknown>;
  /** A time-budgeted run's planner state (budget.ts): the decisions a resume continues from. */
  budget?: BudgetState;
}

export class CheckpointError extends Error {}

/** The folder name of step N's checkpoint (sorts by step). */
export function checkpointName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

/** The newest complete checkpoint under `dir` (folders named by checkpointName), if any. */
export function latestCheckpoint(dir: string): string | undefined {
  if (!existsSync(dir)) return undefined;
  const names = readdirSync(dir)
    .filter((n) => /^step-\d{8}$/.test(n) && existsSync(join(dir, n, 'trainer_state.json')))
    .sort();
  const last = names[names.length - 1];
  return last === undefined ? undefined : join(dir, last);
}

/** What a model folder carries besides the weights. */
export interface ModelFolderExtras {
  /** A Jinja chat template for tokenizer_config.json (a chat-finetuned model keeps the one it learned). */
  chatTemplate?: string;
}

/** Writes a Hugging Face model folder: model.safetensors (f32), config.json and, given a tokenizer, its files. */
export function writeModelFolder(dir: string, model: YiTrainable, tokenizerPath?: string, extras: ModelFolderExtras = {}): void {
  mkdirSync(dir, { recursive: true });
  const tensors = model.params.map((p) => f32Tensor(p.name, p.value));
  writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  crashPoint('model-partial');
  writeJson(join(dir, 'config.json'), toHFConfig(model.config, { torchDtype: 'float32' }));
  writeTokenizerFolder(dir, model.config, tokenizerPath, extras.chatTemplate);
}

/**
 * Writes the model folder `dir` whole: into a temp folder beside it, then renamed into place, replacing
 * an older one (see run-folder.ts). A kill leaves the old complete folder or the new one.
 */
export function publishModelFolder(dir: string, model: YiTrainable, tokenizerPath?: string, extras: ModelFolderExtras = {}): void {
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = tempFolder(dir);
  rmSync(tmp, { recursive: true, force: true });
  writeModelFolder(tmp, model, tokenizerPath, extras);
  publishFolder(tmp, dir);
}

/**
 * Saves a resumable checkpoint as `<dir>/step-NNNNNNNN` (temp folder + rename) and keeps the newest
 * `keep` checkpoints. Returns the checkpoint's folder.
 */
export function saveCheckpoint(
  dir: string,
  model: YiTrainable,
  opt: AdamW,
  state: TrainerState,
  opts: { tokenizerPath?: string; keep?: number; writeWeights?: (dir: string) => void } & ModelFolderExtras = {},
): string {
  mkdirSync(dir, { recursive: true });
  const final = join(dir, checkpointName(state.step));
  const tmp = tempFolder(final);
  rmSync(tmp, { recursive: true, force: true });
  // The trained parameters in a file of their own (LoRA: a PEFT adapter), else a whole model folder.
  if (opts.writeWeights) {
    mkdirSync(tmp, { recursive: true });
    opts.writeWeights(tmp);
  } else writeModelFolder(tmp, model, opts.tokenizerPath, opts);
  const moments: SafetensorsWriteTensor<ByteStream>[] = [];
  model.params.forEach((p, i) => {
    moments.push(f32Tensor(`exp_avg.${p.name}`, opt.m[i]!));
    moments.push(f32Tensor(`exp_avg_sq.${p.name}`, opt.v[i]!));
  });
  writeSafetensors(join(tmp, 'optimizer.safetensors'), moments, { format: 'yi-ts-adamw', step: String(opt.step) });
  writeJson(join(tmp, 'trainer_state.json'), state);
  publishFolder(tmp, final);
  const keep = opts.keep ?? 2;
  if (keep > 0) {
    const all = readdirSync(dir).filter((n) => /^step-\d{8}$/.test(n)).sort();
    for (const old of all.slice(0, Math.max(0, all.length - keep))) rmSync(join(dir, old), { recursive: true, force: true });
  }
  return final;
}

/** Restores parameters (from `weightsFile`, default model.safetensors) and AdamW moments from a checkpoint folder; returns its trainer state. */
export function loadCheckpoint(path: string, model: YiTrainable, opt: AdamW, weightsFile = 'model.safetensors'): TrainerState {
  const statePath = join(path, 'trainer_state.json');
  let state: TrainerState;
  try {
    state = JSON.parse(readFileSync(statePath, 'utf8')) as TrainerState;
  } catch (e) {
    throw new CheckpointError(`${statePath}: cannot read the trainer state (${(e as Error).message})`);
  }
  if (state.format !== TRAINER_STATE_FORMAT || state.version !== TRAINER_STATE_VERSION) {
    throw new CheckpointError(`${statePath}: expected format ${TRAINER_STATE_FORMAT} version ${TRAINER_STATE_VERSION}, got ${state.format} ${state.version}`);
  }
  if (!Number.isInteger(state.step) || state.step < 0) throw new CheckpointError(`${statePath}: field step must be an integer >= 0, got ${state.step}`);
  readInto(join(path, weightsFile), model.params.map((p) => [p.name, p.value]));
  readInto(
    join(path, 'optimizer.safetensors'),
    model.params.flatMap((p, i) => [
      [`exp_avg.${p.name}`, opt.m[i]!] as [string, Tensor],
      [`exp_avg_sq.${p.name}`, opt.v[i]!] as [string, Tensor],
    ]),
  );
  opt.step = state.step;
  return state;
}

/** Copies named f32 tensors of a safetensors file into tensors of the same shape. */
function readInto(file: string, targets: [string, Tensor][]): void {
  const st = openSafetensors(file);
  try {
    for (const [name, t] of targets) {
      const info = st.tensors.get(name);
      if (!info) throw new CheckpointError(`${file}: tensor ${name} is missing`);
      if (info.dtype !== 'F32' || info.shape.length !== t.rank || info.shape.some((d, i) => d !== t.shape[i])) {
        throw new CheckpointError(`${file}: tensor ${name} is ${info.dtype} [${info.shape.join(', ')}], expected F32 [${t.shape.join(', ')}]`);
      }
      st.readTensorBytes(name, t.bytes());
    }
  } finally {
    st.close();
  }
}

/** Streamed from wasm memory a window at a time: a checkpoint never copies the model (or its moments) whole. */
function f32Tensor(name: string, t: Tensor): SafetensorsWriteTensor<ByteStream> {
  const data: ByteStream = {
    byteLength: t.byteLength,
    write(emit) {
      // A fresh view per window: views of a wasm memory are detached when it grows.
      for (let at = 0; at < t.byteLength; at += STREAM_WINDOW) emit(t.bytes().subarray(at, Math.min(t.byteLength, at + STREAM_WINDOW)));
    },
  };
  return { name, dtype: 'F32', shape: t.shape, data };
}

const STREAM_WINDOW = 4 << 20;

/** tokenizer.model, tokenizer_config.json and generation_config.json from any tokenizer file or folder we read. */
function writeTokenizerFolder(dir: string, cfg: YiConfig, tokenizerPath?: string, chatTemplate?: string): void {
  if (tokenizerPath === undefined) {
    writeJson(join(dir, 'generation_config.json'), generationConfig(cfg));
    return;
  }
  const spec = loadTokenizerSpec(tokenizerPath);
  const proto = modelProtoFromSpec(spec);
  writeFileAtomic(join(dir, 'tokenizer.model'), (fd) => writeAll(fd, proto));
  // tokenizer.json too, so that transformers loads the fast tokenizer without converting (which needs
  // protobuf in Python); written for the vocabularies tokenizerJson describes exactly (Yi's settings).
  const parsed = parseModelProto(proto, join(dir, 'tokenizer.model'));
  if (parsed.normalizerSpec.name === 'identity' && !parsed.normalizerSpec.addDummyPrefix) writeJson(join(dir, 'tokenizer.json'), tokenizerJson(parsed));
  writeJson(join(dir, 'tokenizer_config.json'), hfTokenizerConfig(spec, cfg, chatTemplate));
  writeJson(join(dir, 'generation_config.json'), generationConfig(cfg, spec));
}

const writeJson = (path: string, value: unknown): void => writeJsonAtomic(path, value);
