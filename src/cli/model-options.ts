// Options every model command shares (--model, --type, --threads, --ctx) and the loading step,
// with a progress bar on stderr.
import { SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readTokenizerConfig } from '../formats/hf-config.js';
import { openGGUF } from '../formats/gguf.js';
import { loadModel } from '../model/load.js';
import { openWeights } from '../model/source.js';
import type { YiConfig } from '../model/config.js';
import type { ModelOptions, YiModel } from '../model/model.js';
import { Runtime } from '../runtime/runtime.js';
import type { DType } from '../tensor/dtype.js';
import { Tokenizer } from '../tokenizer/tokenizer.js';

export interface ModelCliOptions {
  model: string;
  type?: string;
  threads?: string;
  ctx?: string;
  batch?: string;
  tokenizer?: string;
  strict?: boolean;
  check?: boolean;
}

const TYPES = ['f32', 'f16', 'bf16', 'q8_0', 'q4_0', 'q6_k', 'q5_k', 'q4_k', 'q3_k', 'q2_k', 'q5_1', 'q5_0', 'q4_1'];

/** A model command's flag that is malformed or does not fit the model. */
export class ModelOptionError extends Error {}

export function addModelOptions(cmd: Command): Command {
  return cmd
    .requiredOption('-m, --model <path>', 'a Hugging Face model folder or a .gguf file')
    .option('--type <dtype>', `weights in memory: ${TYPES.join(', ')} (default: as stored)`)
    .option('-t, --threads <n>', 'threads (default: one per core)')
    .option('-c, --ctx <n>', 'context length in tokens, at most the model\'s maximum (default: that maximum, capped at 4096)')
    .option('-b, --batch <n>', 'prompt tokens run per step (default 128); Ctrl-C is seen between steps, so a smaller batch answers it sooner')
    .option('--tokenizer <path>', 'tokenizer to use instead of the model\'s own')
    .option('--strict', 'refuse a checkpoint with tensors the model does not read (default: warn)')
    .option('--check', 'scan the weights for NaN and infinite values while loading');
}

export function intOption(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new ModelOptionError(`--${name} must be an integer >= ${min}, got '${v}'`);
  return n;
}

export function numberOption(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || n > max) throw new ModelOptionError(`--${name} must be a number from ${min} to ${max}, got '${v}'`);
  return n;
}

export function parseType(v: string | undefined): DType | undefined {
  if (v === undefined) return undefined;
  if (!TYPES.includes(v)) throw new ModelOptionError(`--type must be one of ${TYPES.join(', ')}, got '${v}'`);
  return v as DType;
}

/** The chat template that comes with a model: tokenizer_config.json's, or the GGUF's. */
function chatTemplateOf(path: string): string | undefined {
  if (path.endsWith('.gguf')) {
    const g = openGGUF(path);
    try {
      const t = g.metadata.get('tokenizer.chat_template');
      return typeof t === 'string' ? t : undefined;
    } finally {
      g.close();
    }
  }
  const file = join(path, 'tokenizer_config.json');
  return existsSync(file) ? readTokenizerConfig(file).chatTemplate : undefined;
}

export interface LoadedModel {
  rt: Runtime;
  model: YiModel;
  tokenizer: Tokenizer;
  chatTemplate?: string;
  loadSeconds: number;
}

/**
 * The context length to run with, checked against the model before anything loads: -m must be a
 * model (a run folder or a tokenizer fails here, naming the model folder inside a run), and --ctx
 * at most the positions the model was trained for. Refused rather than clamped: a longer context
 * than the model knows gives garbage past its end and costs KV-cache memory for nothing.
 */
export function checkModelArgs(o: Pick<ModelCliOptions, 'model' | 'ctx'>): number | undefined {
  const ctx = intOption('ctx', o.ctx, 1);
  const src = openWeights(o.model);
  try {
    const max = src.config.maxPositions;
    if (ctx !== undefined && ctx > max) {
      const field = src.format === 'gguf' ? 'llama.context_length in its GGUF metadata' : 'max_position_embeddings in its config.json';
      throw new ModelOptionError(`--ctx ${ctx} is more than ${o.model} can take: ${max} positions (${field}); give --ctx ${max} or less`);
    }
  } finally {
    src.close();
  }
  return ctx;
}

export interface LoadForCliExtra {
  batch?: number;
  quiet?: boolean;
  /** Sizes the model's buffers from its config and --ctx instead (yi serve: the KV block pool). */
  size?: (config: YiConfig, ctx: number | undefined) => ModelOptions;
}

export async function loadForCli(o: ModelCliOptions, extra: LoadForCliExtra = {}): Promise<LoadedModel> {
  const ctx = checkModelArgs(o);
  let sizes: ModelOptions = { contextLength: ctx, batch: intOption('batch', o.batch, 1) ?? extra.batch };
  if (extra.size) {
    const src = openWeights(o.model);
    try {
      sizes = extra.size(src.config, ctx);
    } finally {
      src.close();
    }
  }
  const rt = await Runtime.create({ threads: intOption('threads', o.threads, 1) });
  const t0 = performance.now();
  const tokenizer = Tokenizer.load(o.tokenizer ?? o.model);
  const bar = process.stderr.isTTY ? new SingleBar({ format: 'loading {bar} {value}/{total} tensors', stream: process.stderr, clearOnComplete: true }) : undefined;
  let started = false;
  const model = loadModel(rt, o.model, {
    dtype: parseType(o.type),
    ...sizes,
    onMessage: (m, level) => {
      if (level === 'warning' || !extra.quiet) process.stderr.write(`warning: ${m}\n`);
    },
    strict: o.strict,
    check: o.check,
    onProgress: (done, total) => {
      if (!bar) return;
      if (!started) bar.start(total, 0);
      started = true;
      bar.update(done);
    },
  });
  bar?.stop();
  if (model.config.vocabSize < tokenizer.vocabSize) {
    throw new Error(`the tokenizer has ${tokenizer.vocabSize} tokens but the model only ${model.config.vocabSize}`);
  }
  return { rt, model, tokenizer, chatTemplate: chatTemplateOf(o.tokenizer ?? o.model), loadSeconds: (performance.now() - t0) / 1e3 };
}
