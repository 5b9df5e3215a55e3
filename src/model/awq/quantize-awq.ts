// `yi quantize --awq`: AWQ scales searched on calibration text (awq.ts), folded into the checkpoint
// (fold.ts), then the usual `yi quantize` mix written from the folded weights. The output is an
// ordinary GGUF: the scales live inside the weights, so llama.cpp and `yi generate` read it as any other.
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { Runtime } from '../../runtime/runtime.js';
import { loadTokenizerSpec } from '../../tokenizer/load.js';
import { Tokenizer } from '../../tokenizer/tokenizer.js';
import { hfToGGUFName } from '../../formats/llama-names.js';
import { convertSource, type ConvertResult } from '../convert.js';
import { fallbackType, mixOptions, mixType, QUANTIZE_TYPES, type QuantizeOptions, type QuantizeType } from '../quantize.js';
import { openWeights, type WeightSource } from '../source.js';
import { searchAwqScales, type AwqGroupReport, type TypeOf } from './awq.js';
import { calibrationFromFile, type CalibrationOptions } from './calibration.js';
import { AwqError } from './errors.js';
import { foldScales } from './fold.js';

/**
 * The types `--awq` accepts: 4 bits per weight and below. Above that, rounding error is already
 * small (Q5_K, Q6_K, Q8_0 lose well under 1% perplexity without help), so a calibration run buys little.
 */
export const AWQ_TYPES: readonly QuantizeType[] = ['q4_k_m', 'q4_k_s', 'q4_1', 'q4_0', 'q3_k_l', 'q3_k_m', 'q3_k_s', 'q2_k'];

export interface AwqQuantizeOptions extends QuantizeOptions, CalibrationOptions {
  /** The calibration text file. */
  calib: string;
  /** Points of the alpha grid over [0, 1] (default 20). */
  grid?: number;
  /** Called after each searched group with (done, total, what). */
  onSearch?: (done: number, total: number, what: string) => void;
}

export interface AwqQuantizeResult extends ConvertResult {
  /** The search's choice and errors per layer group. */
  awq: AwqGroupReport[];
  /** Calibration tokens used. */
  calibTokens: number;
  /** Groups the search left unscaled, and why (one line each). */
  awqSkipped: string[];
}

/** The type each matrix of `src` is written in under `t`'s mix (quantize.ts's rules), by Hugging Face name. */
export function mixTypeOf(src: WeightSource, t: QuantizeType): TypeOf {
  const cfg = src.config;
  const hasOutput = src.tensors.has('lm_head.weight');
  return (hfName, cols) => {
    const name = hfToGGUFName(hfName) ?? hfName;
    return fallbackType(mixType(t, name, cols, cfg.layers, hasOutput, cfg.heads / cfg.kvHeads), cols, name);
  };
}

function checkType(t: QuantizeType): void {
  if (!(QUANTIZE_TYPES as readonly string[]).includes(t)) throw new AwqError(`unsupported quantization type ${JSON.stringify(t)}; expected one of ${QUANTIZE_TYPES.join(', ')}`);
  if (!AWQ_TYPES.includes(t)) {
    throw new AwqError(`--awq is for 4-bit and lower types (${AWQ_TYPES.join(', ')}); ${t} rounds finely enough that activation-aware scaling gains little: quantize without --awq`);
  }
}

function tokenizerOf(input: string): Tokenizer {
  try {
    return new Tokenizer(loadTokenizerSpec(input));
  } catch (e) {
    throw new AwqError(`${input}: --awq tokenizes the calibration text with the model's tokenizer, and none could be read (${(e as Error).message})`);
  }
}

/** Quantizes `input` (a float Hugging Face folder or GGUF) to the GGUF `output` with AWQ scales folded in. */
export async function awqQuantizeCheckpoint(input: string, output: string, opts: AwqQuantizeOptions): Promise<AwqQuantizeResult> {
  checkType(opts.type);
  if (!output.endsWith('.gguf')) throw new AwqError(`yi quantize writes GGUF: the output must end in .gguf, got ${output}`);
  if (resolve(input) === resolve(output)) throw new AwqError(`input and output are the same path (${input})`);
  const src = openWeights(input);
  let rt = opts.runtime;
  const own = !rt;
  try {
    const tokenizer = tokenizerOf(input);
    const calib = calibrationFromFile(opts.calib, tokenizer, src.config.maxPositions, opts);
    rt ??= await Runtime.create({ threads: Math.min(2, availableParallelism()) });
    const typeOf = mixTypeOf(src, opts.type);
    const search = searchAwqScales(rt, src, calib, typeOf, { grid: opts.grid, onProgress: opts.onSearch });
    const folded = foldScales(src, search.scales);
    const res = await convertSource(folded, input, output, { ...mixOptions(opts), runtime: rt });
    return { ...res, awq: search.groups, calibTokens: calib.tokens.length, awqSkipped: search.skipped };
  } finally {
    src.close();
    if (own && rt) await rt.close();
  }
}
