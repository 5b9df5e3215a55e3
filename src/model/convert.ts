// Checkpoint conversion: a Hugging Face folder (safetensors + config.json + tokenizer files) or a GGUF
// file in, either of them out (the output's name picks: *.gguf -> GGUF v3, anything else -> an HF
// folder), with the weights in f32, f16, bf16, q8_0 or q4_0 (GGUF only).
//
// Tensor by tensor, a few rows at a time: rows are read in the file's own encoding, decoded to f32
// with the engine's kernels (convert_*_f32, dequantize_gguf) and encoded to the target (convert_f32_*,
// or quantize_gguf: llama.cpp's reference quantizer, bit-exact); rows already in the target encoding are
// copied as bytes. The writers stream each tensor to a temp file that is renamed into place at the end.
//
// What llama.cpp's convert_hf_to_gguf.py does and we do too: q/k rows permuted for its interleaved RoPE
// (un-permuted on the way back: WeightSource reads GGUF rows in HF order); 1-D tensors (norms) kept F32
// in GGUF; a quantized type falls back to F16 for a matrix whose rows are not whole 32-weight blocks
// (weight-types.ts, the rule the loader's load-time quantization follows too), in a file whose
// general.file_type still names the type asked for;
// the token list padded with [PAD<id>] (UNUSED) pieces up to the embedding's vocabulary size.
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { writeFileAtomic, writeAll, writeJsonAtomic, type ByteStream } from '../formats/atomic.js';
import { ggmlTypeOfDType } from '../formats/ggml-types.js';
import { gguf, GGUFTyped, GGUFValueType, openGGUF, writeGGUF, type GGUFValue, type GGUFWriteTensor } from '../formats/gguf.js';
import { readTokenizerConfig } from '../formats/hf-config.js';
import { hfToGGUFName, hfToGGUFRowOrder, ropePermutedKind } from '../formats/llama-names.js';
import { writeSafetensors, type SafetensorsDType, type SafetensorsWriteTensor } from '../formats/safetensors.js';
import { Runtime } from '../runtime/runtime.js';
import { blockBytes, isKType, kRowBytes, QK } from '../tensor/dtype.js';
import { K_QUANTIZABLE, kDequantizeAt, kQuantizeAt } from '../tensor/ops/kquant.js';
import { quantBytes } from '../tensor/ops/quant.js';
import { loadTokenizerSpec } from '../tokenizer/load.js';
import { encodeModelProto, ModelType, PieceType } from '../tokenizer/sentencepiece-proto.js';
import { specFromGGUFMetadata } from '../tokenizer/sources/gguf.js';
import type { TokenizerSpec } from '../tokenizer/spec.js';
import { toGGUFMetadata, toHFConfig, type YiConfig } from './config.js';
import { describeNonFinite, scanningReads } from './finite.js';
import { LoadError, openWeights, type SourceDType, type SourceTensor, type WeightSource } from './source.js';
import { selectTensors, unusedWarning } from './tensor-set.js';
import { fallbackSummary, matrixType, type WeightFallback } from './weight-types.js';

export type ConvertType = SourceDType;
export const CONVERT_TYPES: readonly ConvertType[] = ['f32', 'f16', 'bf16', 'q8_0', 'q4_0'];

/** llama.cpp's llama_ftype (general.file_type) for a file whose matrices are of this type. */
// A file mostly in a k-quant is labelled as llama-quantize labels its _M mix (Q4_K -> MOSTLY_Q4_K_M).
export const GGUF_FILE_TYPE: Readonly<Record<ConvertType, number>> = {
  f32: 0, f16: 1, q4_0: 2, q4_1: 3, q8_0: 7, q5_0: 8, q5_1: 9, q2_k: 10, q3_k: 12, q4_k: 15, q5_k: 17, q6_k: 18, bf16: 32,
};
/** GGML_QUANT_VERSION (ggml.h), written as general.quantization_version as convert_hf_to_gguf.py does. */
const GGML_QUANT_VERSION = 2;

/** A conversion that cannot be done as asked; the message is one line for the CLI. */
export class ConvertError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConvertError';
  }
}

export interface ConvertOptions {
  /**
   * Encoding of the output's matrices. Default: each tensor keeps its own encoding where the output
   * format can hold it; a quantized GGUF tensor going to a Hugging Face folder is dequantized to f32
   * (lossless: every q8_0/q4_0 weight is an f16 scale times a small integer, exact in f32).
   * q8_0 / q4_0 are for GGUF output only.
   */
  type?: ConvertType;
  /** Runs the conversion kernels; default: a 2-thread runtime created for the call and closed after it. */
  runtime?: Runtime;
  /** general.name of a GGUF output (default: the source GGUF's, else the input's file or folder name). */
  name?: string;
  /** Called after each tensor is written with (done, total, output tensor name). */
  onProgress?: (done: number, total: number, tensor: string) => void;
  /** Refuse an input with tensors a Llama/Yi model does not read (default: leave them out, with a warning). */
  strict?: boolean;
  /** GGUF output: each matrix's type by its GGUF name (a quantization mix, src/model/quantize.ts); `to`
   *  differs from `want` where the rows are not whole blocks of `want` (listed in a warning). */
  matrixType?: (m: { name: string; cols: number; layers: number; hasOutput: boolean; gqa: number }) => { want: ConvertType; to: ConvertType };
  /** general.file_type to write instead of the one of the main matrix type (a mix's llama_ftype). */
  fileType?: number;
  /** What the result's `type` says for a mix (e.g. q4_k_m). */
  fileTypeLabel?: string;
}

export interface ConvertResult {
  output: string;
  format: 'gguf' | 'hf';
  /** The matrices' encoding (general.file_type for GGUF), or the mix's name for yi quantize. */
  type: ConvertType | string;
  tensors: number;
  /** Whether tokenizer data was written. */
  tokenizer: boolean;
  /** Things the user should know, one line each (no tokenizer found, matrices that fell back to F16 ...). */
  warnings: string[];
}

/** One output tensor and how to produce it. */
interface PlanItem {
  name: string;
  src: SourceTensor;
  shape: number[];
  rows: number;
  cols: number;
  to: ConvertType;
  /** GGUF output of q/k: output row r is source (HF-order) row order[r]. */
  order?: Int32Array;
}

/** Rows of f32 staged per kernel call: about this many bytes. */
const CHUNK_BYTES = 4 << 20;

function rowBytesOf(t: ConvertType, cols: number): number {
  switch (t) {
    case 'f32':
      return cols * 4;
    case 'f16':
    case 'bf16':
      return cols * 2;
    case 'q8_0':
    case 'q4_0':
      return (cols / QK) * blockBytes[t];
    default:
      return kRowBytes(t, cols);
  }
}

/**
 * Converts the checkpoint at `input` (a Hugging Face folder or a .gguf file) to `output`: a GGUF v3
 * file when it ends in .gguf, else a Hugging Face folder (created if missing; files in it replaced).
 */
export async function convertCheckpoint(input: string, output: string, opts: ConvertOptions = {}): Promise<ConvertResult> {
  if (opts.type !== undefined && !CONVERT_TYPES.includes(opts.type)) {
    throw new ConvertError(`unsupported type ${JSON.stringify(opts.type)}; expected one of ${CONVERT_TYPES.join(', ')}`);
  }
  const toGGUF = output.endsWith('.gguf');
  if (!toGGUF && (opts.type === 'q8_0' || opts.type === 'q4_0')) {
    throw new ConvertError(
      `${opts.type} cannot be written to a Hugging Face folder (safetensors holds F32, F16 or BF16 weights); give an output ending in .gguf, or --type f32, f16 or bf16`,
    );
  }
  if (resolve(input) === resolve(output)) throw new ConvertError(`input and output are the same path (${input})`);
  if (!toGGUF && existsSync(output) && !statSync(output).isDirectory()) {
    throw new ConvertError(`${output} exists and is not a folder (a Hugging Face output is a folder; name a .gguf file for GGUF)`);
  }

  if (!toGGUF && existsSync(join(output, 'model.safetensors.index.json'))) {
    // Loaders prefer the index: a single model.safetensors written beside it would be ignored.
    throw new ConvertError(`${output} holds a sharded checkpoint (model.safetensors.index.json); choose an empty folder`);
  }
  const src = openWeights(input);
  try {
    return await convertSource(src, input, output, opts);
  } finally {
    src.close();
  }
}

/**
 * convertCheckpoint from an open source (e.g. one whose tensors are transformed as they are read,
 * as AWQ's fold does); `input` names the checkpoint for defaults (general.name). `src` stays open.
 */
export async function convertSource(src: WeightSource, input: string, output: string, opts: ConvertOptions = {}): Promise<ConvertResult> {
  const toGGUF = output.endsWith('.gguf');
  let rt = opts.runtime;
  let ownRuntime = false;
  try {
    const warnings: string[] = [];
    // The tensors a model of the config reads, checked as a load checks them; the rest are left out.
    const { unused } = selectTensors(src, { strict: opts.strict });
    if (unused.length > 0) warnings.push(unusedWarning(src, unused));
    const plan = makePlan(src, toGGUF, opts.type, warnings, new Set(unused), opts.matrixType);
    const mainType = opts.type ?? commonMatrixType(plan);
    if (!rt && plan.some((p) => p.src.dtype !== p.to)) {
      rt = await Runtime.create({ threads: Math.min(2, availableParallelism()), arenaBytes: 256 << 20 });
      ownRuntime = true;
    }
    let done = 0;
    const streams = plan.map((p) => tensorStream(rt, p, () => opts.onProgress?.(++done, plan.length, p.name)));
    const tokenizer = toGGUF
      ? writeGGUFOutput(src, input, output, plan, streams, opts.fileType ?? GGUF_FILE_TYPE[mainType], opts.name, warnings)
      : writeHFOutput(src, output, plan, streams, mainType, warnings);
    return { output, format: toGGUF ? 'gguf' : 'hf', type: opts.fileTypeLabel ?? mainType, tensors: plan.length, tokenizer, warnings };
  } finally {
    if (ownRuntime) await rt!.close();
  }
}

/** Order of tensors in a GGUF output: embedding, layers in order, final norm, output head. */
function tensorRank(hfName: string): number[] {
  const m = /^model\.layers\.(\d+)\.(.+)$/.exec(hfName);
  if (m) {
    const within = ['input_layernorm', 'self_attn.q_proj', 'self_attn.k_proj', 'self_attn.v_proj', 'self_attn.o_proj', 'post_attention_layernorm', 'mlp.gate_proj', 'mlp.up_proj', 'mlp.down_proj'];
    const i = within.findIndex((w) => m[2]!.startsWith(w + '.'));
    return [1, Number(m[1]), i < 0 ? within.length : i];
  }
  if (hfName.startsWith('model.embed_tokens.')) return [0, 0, 0];
  if (hfName.startsWith('model.norm.')) return [2, 0, 0];
  return [3, 0, 0];
}

function compareRanks(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

function makePlan(
  src: WeightSource,
  toGGUF: boolean,
  type: ConvertType | undefined,
  warnings: string[],
  unused: ReadonlySet<string>,
  mix?: ConvertOptions['matrixType'],
): PlanItem[] {
  const cfg = src.config;
  const hasOutput = !unused.has('lm_head.weight') && src.tensors.has('lm_head.weight');
  const names = [...src.tensors.keys()].filter((n) => !unused.has(n)).sort((a, b) => compareRanks(tensorRank(a), tensorRank(b)) || (a < b ? -1 : a > b ? 1 : 0));
  const fallbacks: WeightFallback[] = [];
  const plan = names.map((hfName): PlanItem => {
    // A NaN or Inf weight would be carried into the output unseen: refuse it, naming the tensor.
    const s = scanningReads(src.tensors.get(hfName)!, (n) => {
      throw new LoadError(src.format, src.path, `tensor ${hfName} has ${describeNonFinite(n, s.dtype)}; the output was not written`);
    });
    if (s.shape.length < 1 || s.shape.length > 2) throw new ConvertError(`${src.path}: tensor ${hfName} has shape [${s.shape.join(', ')}]; expected a vector or a matrix`);
    const rows = s.shape.length === 2 ? s.shape[0]! : 1;
    const cols = s.shape[s.shape.length - 1]!;
    const name = toGGUF ? hfToGGUFName(hfName) : hfName;
    if (name === undefined) throw new ConvertError(`${src.path}: tensor ${hfName} has no llama.cpp (GGUF) name; it is not part of a Llama/Yi checkpoint`);
    let to: ConvertType;
    if (toGGUF) {
      // llama.cpp keeps 1-D tensors (norms) in F32 whatever the file type.
      if (mix && s.shape.length === 2) {
        const m = mix({ name, cols, layers: cfg.layers, hasOutput, gqa: cfg.heads / cfg.kvHeads });
        to = m.to;
        if (to !== m.want) fallbacks.push({ name, cols, wanted: m.want, got: to });
      } else {
        const want = s.shape.length === 1 ? 'f32' : (type ?? s.dtype);
        to = matrixType(want, cols);
        if (to !== want) fallbacks.push({ name, cols, wanted: want, got: to });
      }
    } else {
      to = type ?? (s.dtype === 'q8_0' || s.dtype === 'q4_0' || isKType(s.dtype) ? 'f32' : s.dtype);
    }
    const kind = toGGUF ? ropePermutedKind(hfName) : undefined;
    const order = kind && rows > 1 ? hfToGGUFRowOrder(rows, kind === 'q' ? cfg.heads : cfg.kvHeads) : undefined;
    return { name, src: s, shape: [...s.shape], rows, cols, to, ...(order ? { order } : {}) };
  });
  const summary = fallbackSummary(fallbacks, plan.filter((p) => p.shape.length === 2).length);
  if (summary) warnings.push(summary);
  return plan;
}

/** The type most matrices are written in (general.file_type, torch_dtype) when no type was asked for. */
function commonMatrixType(plan: readonly PlanItem[]): ConvertType {
  const counts = new Map<ConvertType, number>();
  for (const p of plan) if (p.shape.length === 2) counts.set(p.to, (counts.get(p.to) ?? 0) + 1);
  let best: ConvertType = 'f32';
  let most = 0;
  for (const [t, n] of counts) if (n > most) [best, most] = [t, n];
  return best;
}

/** The output bytes of one tensor, produced a chunk of rows at a time when the writer asks. */
function tensorStream(rt: Runtime | undefined, p: PlanItem, done: () => void): ByteStream {
  const { src, rows, cols, to, order } = p;
  const srb = src.rowBytes;
  const drb = rowBytesOf(to, cols);
  const chunk = Math.max(1, Math.min(rows, Math.floor(CHUNK_BYTES / (cols * 4))));
  const read = (r: number, n: number, dst: Uint8Array): void => {
    if (!order) return src.readRows(r, n, dst);
    for (let i = 0; i < n; i++) src.readRows(order[r + i]!, 1, dst.subarray(i * srb, (i + 1) * srb));
  };
  return {
    byteLength: rows * drb,
    write(emit) {
      if (src.dtype === to) {
        // Same encoding (GGUF blocks included): bytes only.
        const buf = new Uint8Array(chunk * srb);
        for (let r = 0; r < rows; r += chunk) {
          const n = Math.min(chunk, rows - r);
          read(r, n, buf.subarray(0, n * srb));
          emit(buf.subarray(0, n * srb));
        }
        done();
        return;
      }
      if (!rt) throw new Error('convert: a runtime is needed to change encodings');
      const raw = rt.alloc(chunk * srb);
      const arena = raw.arena;
      const f32 = src.dtype === 'f32' ? raw : rt.alloc(chunk * cols * 4, arena);
      const out = to === 'f32' ? f32 : rt.alloc(chunk * drb, arena);
      try {
        for (let r = 0; r < rows; r += chunk) {
          const n = Math.min(chunk, rows - r);
          const count = n * cols;
          read(r, n, arena.u8.subarray(raw.offset, raw.offset + n * srb));
          switch (src.dtype) {
            case 'f32':
              break;
            case 'f16':
            case 'bf16':
              rt.parallel(`convert_${src.dtype}_f32`, arena, [raw.offset, f32.offset], count, 8, 1 << 14);
              break;
            case 'q8_0':
            case 'q4_0':
              rt.parallel('dequantize_gguf', arena, [raw.offset, f32.offset, quantBytes(src.dtype)], count / QK, 1, 256);
              break;
            default:
              kDequantizeAt(rt, arena, src.dtype, raw.offset, f32.offset, count);
          }
          switch (to) {
            case 'f32':
              break;
            case 'f16':
            case 'bf16':
              rt.parallel(`convert_f32_${to}`, arena, [f32.offset, out.offset], count, 8, 1 << 14);
              break;
            case 'q4_1':
            case 'q5_0':
            case 'q5_1':
            case 'q2_k':
            case 'q3_k':
            case 'q4_k':
            case 'q5_k':
            case 'q6_k':
              // GGUF-order blocks from llama.cpp's reference quantizers (quantize_row_*_ref); no Q3_K yet.
              if (!K_QUANTIZABLE.includes(to)) throw new ConvertError(`convert: writing ${to} needs its quantizer, which yi-ts does not have yet`);
              kQuantizeAt(rt, arena, to, f32.offset, out.offset, n, cols);
              break;
            case 'q8_0':
            case 'q4_0':
              // GGUF-order blocks straight from llama.cpp's reference quantizer (quantize_row_q*_0_ref).
              rt.parallel('quantize_gguf', arena, [f32.offset, out.offset, cols, quantBytes(to)], n, 1, Math.max(1, Math.ceil((64 * 1024) / (cols * 4))));
              break;
          }
          emit(arena.u8.subarray(out.offset, out.offset + n * drb));
        }
      } finally {
        if (out !== f32) rt.release(out);
        if (f32 !== raw) rt.release(f32);
        rt.release(raw);
      }
      done();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// GGUF output

function writeGGUFOutput(
  src: WeightSource,
  input: string,
  output: string,
  plan: PlanItem[],
  streams: ByteStream[],
  fileType: number,
  name: string | undefined,
  warnings: string[],
): boolean {
  const cfg = src.config;
  const srcMeta = src.format === 'gguf' ? readGGUFMetadata(src.path) : undefined;
  const general = name ?? (typeof srcMeta?.values.get('general.name') === 'string' ? (srcMeta.values.get('general.name') as string) : defaultName(input));
  const meta = new Map<string, GGUFValue | GGUFTyped>([
    ['general.architecture', 'llama'],
    ['general.name', general],
    ['general.file_type', gguf.u32(fileType)],
    ['general.quantization_version', gguf.u32(GGML_QUANT_VERSION)],
  ]);
  for (const [k, v] of toGGUFMetadata(cfg)) if (!meta.has(k)) meta.set(k, v);

  let tokenizer = false;
  if (srcMeta) {
    // GGUF -> GGUF: the tokenizer keys as they were, types included.
    for (const [k, v] of srcMeta.values) {
      if (!k.startsWith('tokenizer.')) continue;
      meta.set(k, new GGUFTyped(srcMeta.types.get(k)!, v));
      tokenizer ||= k === 'tokenizer.ggml.tokens';
    }
  } else {
    const spec = hfTokenizerSpec(src.path);
    if (spec) {
      for (const [k, v] of ggufTokenizerMetadata(spec, cfg, hfChatTemplate(src.path), src.path)) meta.set(k, v);
      tokenizer = true;
    }
  }
  if (!meta.has('tokenizer.ggml.model')) {
    // llama.cpp requires the key; "no_vocab" loads the weights without a vocabulary.
    meta.set('tokenizer.ggml.model', 'no_vocab');
    warnings.push(`${src.path}: no tokenizer found (tokenizer.model or tokenizer.json); the GGUF has tokenizer.ggml.model "no_vocab"`);
  }
  const tensors: GGUFWriteTensor<ByteStream>[] = plan.map((p, i) => ({ name: p.name, shape: p.shape, type: ggmlTypeOfDType(p.to), data: streams[i]! }));
  writeGGUF(output, { metadata: meta, tensors });
  return tokenizer;
}

function readGGUFMetadata(path: string): { values: Map<string, GGUFValue>; types: Map<string, GGUFValueType> } {
  const f = openGGUF(path);
  try {
    return { values: f.metadata, types: f.metadataTypes };
  } finally {
    f.close();
  }
}

function defaultName(input: string): string {
  return basename(resolve(input)).replace(/\.gguf$/, '');
}

/** The tokenizer of a Hugging Face folder (tokenizer.model, else tokenizer.json; tokenizer_config.json applied), if it has one. */
function hfTokenizerSpec(dir: string): TokenizerSpec | undefined {
  if (!existsSync(join(dir, 'tokenizer.model')) && !existsSync(join(dir, 'tokenizer.json'))) return undefined;
  return loadTokenizerSpec(dir);
}

function hfChatTemplate(dir: string): string | undefined {
  const p = join(dir, 'tokenizer_config.json');
  return existsSync(p) ? readTokenizerConfig(p).chatTemplate : undefined;
}

/**
 * tokenizer.ggml.* for a SentencePiece BPE vocabulary, the keys and types llama.cpp's convert_hf_to_gguf.py
 * writes (gguf-py: tokens string[], scores f32[], token_type i32[], ids u32, flags bool).
 */
export function ggufTokenizerMetadata(spec: TokenizerSpec, cfg: YiConfig, chatTemplate: string | undefined, source: string): Map<string, GGUFValue | GGUFTyped> {
  const n = cfg.vocabSize;
  if (spec.pieces.length > n) throw new ConvertError(`${source}: the tokenizer has ${spec.pieces.length} pieces but the model's vocabulary is ${n}`);
  const tokens = [...spec.pieces];
  const scores = new Float32Array(n).fill(-10000);
  const types = new Int32Array(n).fill(PieceType.UNUSED);
  const seen = new Set(tokens);
  const mergeScores = spec.merges ? scoresFromMerges(spec) : undefined;
  for (let id = 0; id < spec.pieces.length; id++) {
    scores[id] = mergeScores ? mergeScores[id]! : spec.scores[id]!;
    types[id] = spec.types[id]!;
  }
  // Embedding rows beyond the tokenizer: unused padding pieces, as convert_hf_to_gguf.py writes them.
  for (let id = spec.pieces.length; id < n; id++) {
    let pad = `[PAD${id}]`;
    while (seen.has(pad)) pad = `[${pad}]`;
    seen.add(pad);
    tokens.push(pad);
  }
  const unk = spec.types.indexOf(PieceType.UNKNOWN);
  const m = new Map<string, GGUFValue | GGUFTyped>([
    ['tokenizer.ggml.model', 'llama'],
    ['tokenizer.ggml.pre', 'default'],
    ['tokenizer.ggml.tokens', gguf.arrayOf(GGUFValueType.STRING, tokens)],
    ['tokenizer.ggml.scores', gguf.arrayOf(GGUFValueType.FLOAT32, scores)],
    ['tokenizer.ggml.token_type', gguf.arrayOf(GGUFValueType.INT32, types)],
    ['tokenizer.ggml.bos_token_id', gguf.u32(spec.bosId >= 0 ? spec.bosId : cfg.bosId)],
    ['tokenizer.ggml.eos_token_id', gguf.u32(spec.eosId >= 0 ? spec.eosId : cfg.eosId)],
  ]);
  if (unk >= 0) m.set('tokenizer.ggml.unknown_token_id', gguf.u32(unk));
  m.set('tokenizer.ggml.padding_token_id', gguf.u32(spec.padId >= 0 ? spec.padId : cfg.padId));
  m.set('tokenizer.ggml.add_bos_token', gguf.bool(spec.addBos));
  m.set('tokenizer.ggml.add_eos_token', gguf.bool(spec.addEos));
  // llama.cpp's SPM tokenizer reads these two (llama-vocab.cpp); Yi has no dummy prefix.
  m.set('tokenizer.ggml.add_space_prefix', gguf.bool(spec.normalizer.addDummyPrefix));
  m.set('tokenizer.ggml.remove_extra_whitespaces', gguf.bool(spec.normalizer.removeExtraWhitespaces));
  if (chatTemplate !== undefined) m.set('tokenizer.chat_template', chatTemplate);
  return m;
}

/**
 * Scores for a tokenizer.json vocabulary (ranked merges, no scores) so that score-driven SentencePiece
 * BPE merges in the same order: a piece made by merge rank r scores -r; other pieces score below all.
 */
function scoresFromMerges(spec: TokenizerSpec): Float32Array {
  const scores = new Float32Array(spec.pieces.length).fill(-1e9);
  const merged = spec.merges!.merged;
  for (let rank = 0; rank < merged.length; rank++) {
    const id = merged[rank]!;
    if (scores[id]! < -rank) scores[id] = -rank;
  }
  return scores;
}

// ---------------------------------------------------------------------------------------------
// Hugging Face output

const ST_DTYPE: Readonly<Record<'f32' | 'f16' | 'bf16', SafetensorsDType>> = { f32: 'F32', f16: 'F16', bf16: 'BF16' };
const TORCH_DTYPE: Readonly<Record<'f32' | 'f16' | 'bf16', string>> = { f32: 'float32', f16: 'float16', bf16: 'bfloat16' };

function writeHFOutput(src: WeightSource, dir: string, plan: PlanItem[], streams: ByteStream[], type: ConvertType, warnings: string[]): boolean {
  const cfg = src.config;
  mkdirSync(dir, { recursive: true });
  const tensors: SafetensorsWriteTensor<ByteStream>[] = plan.map((p, i) => {
    if (p.to !== 'f32' && p.to !== 'f16' && p.to !== 'bf16') throw new ConvertError(`${p.name}: ${p.to} cannot be stored in safetensors`);
    return { name: p.name, dtype: ST_DTYPE[p.to], shape: p.shape, data: streams[i]! };
  });
  // transformers refuses a safetensors file whose metadata lacks format "pt".
  writeSafetensors(join(dir, 'model.safetensors'), tensors, { format: 'pt' });
  const torchDtype = TORCH_DTYPE[type as 'f32' | 'f16' | 'bf16'] ?? 'float32';
  writeJson(join(dir, 'config.json'), toHFConfig(cfg, { torchDtype }));

  if (src.format === 'safetensors') {
    // HF -> HF: the tokenizer and generation files as they were.
    const files = ['tokenizer.model', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'generation_config.json'];
    for (const f of files) if (existsSync(join(src.path, f))) copyAtomic(join(src.path, f), join(dir, f));
    const spec = hfTokenizerSpec(src.path);
    if (!existsSync(join(src.path, 'generation_config.json'))) writeJson(join(dir, 'generation_config.json'), generationConfig(cfg, spec));
    if (!spec) warnings.push(`${src.path}: no tokenizer found; none written`);
    return spec !== undefined;
  }

  const meta = readGGUFMetadata(src.path).values;
  let spec: TokenizerSpec | undefined;
  if (meta.get('tokenizer.ggml.model') === 'llama') spec = specFromGGUFMetadata(meta, src.path);
  else warnings.push(`${src.path}: tokenizer.ggml.model is ${JSON.stringify(meta.get('tokenizer.ggml.model') ?? null)}, not "llama"; no tokenizer written`);
  writeJson(join(dir, 'generation_config.json'), generationConfig(cfg, spec));
  if (!spec) return false;
  const proto = modelProtoFromSpec(spec);
  writeFileAtomic(join(dir, 'tokenizer.model'), (fd) => writeAll(fd, proto));
  const tpl = meta.get('tokenizer.chat_template');
  writeJson(join(dir, 'tokenizer_config.json'), hfTokenizerConfig(spec, cfg, typeof tpl === 'string' ? tpl : undefined));
  return true;
}

const writeJson = (path: string, value: unknown): void => writeJsonAtomic(path, value);

function copyAtomic(from: string, to: string): void {
  const bytes = readFileSync(from);
  writeFileAtomic(to, (fd) => writeAll(fd, bytes));
}

/** generation_config.json: bos/eos/pad; eos is [eos, <|im_end|>] when the vocabulary has <|im_end|> (YI-SPEC §2: stop on both). */
export function generationConfig(cfg: YiConfig, spec?: TokenizerSpec): Record<string, unknown> {
  const bos = spec && spec.bosId >= 0 ? spec.bosId : cfg.bosId;
  const eos = spec && spec.eosId >= 0 ? spec.eosId : cfg.eosId;
  const imEnd = spec ? spec.pieces.indexOf('<|im_end|>') : -1;
  return {
    bos_token_id: bos,
    eos_token_id: imEnd >= 0 && imEnd !== eos ? [eos, imEnd] : eos,
    pad_token_id: spec && spec.padId >= 0 ? spec.padId : cfg.padId,
  };
}

/** A tokenizer.model (SentencePiece BPE ModelProto) holding a vocabulary read from GGUF. */
export function modelProtoFromSpec(spec: TokenizerSpec): Uint8Array {
  const piece = (id: number, dflt: string) => (id >= 0 && id < spec.pieces.length ? spec.pieces[id]! : dflt);
  const unk = spec.types.indexOf(PieceType.UNKNOWN);
  return encodeModelProto({
    pieces: spec.pieces.map((p, i) => ({ piece: p, score: spec.scores[i]!, type: spec.types[i]! as PieceType })),
    trainerSpec: {
      modelType: ModelType.BPE,
      vocabSize: spec.pieces.length,
      byteFallback: spec.byteFallback,
      unkId: unk,
      bosId: spec.bosId,
      eosId: spec.eosId,
      padId: spec.padId,
      unkPiece: piece(unk, '<unk>'),
      bosPiece: piece(spec.bosId, '<s>'),
      eosPiece: piece(spec.eosId, '</s>'),
      padPiece: piece(spec.padId, '<pad>'),
      unkSurface: spec.unkSurface,
      treatWhitespaceAsSuffix: spec.normalizer.treatWhitespaceAsSuffix,
    },
    normalizerSpec: {
      name: 'identity',
      precompiledCharsmap: new Uint8Array(0),
      addDummyPrefix: spec.normalizer.addDummyPrefix,
      removeExtraWhitespaces: spec.normalizer.removeExtraWhitespaces,
      escapeWhitespaces: spec.normalizer.escapeWhitespaces,
    },
  });
}

/** tokenizer_config.json for transformers' LlamaTokenizer (the layout of Yi's releases). */
export function hfTokenizerConfig(spec: TokenizerSpec, cfg: YiConfig, chatTemplate?: string): Record<string, unknown> {
  const piece = (id: number) => (id >= 0 && id < spec.pieces.length ? spec.pieces[id]! : null);
  const unk = spec.types.indexOf(PieceType.UNKNOWN);
  const ids = { bos: spec.bosId >= 0 ? spec.bosId : cfg.bosId, eos: spec.eosId >= 0 ? spec.eosId : cfg.eosId, pad: spec.padId >= 0 ? spec.padId : cfg.padId };
  const added: Record<string, unknown> = {};
  const extra: string[] = [];
  spec.types.forEach((t, id) => {
    if (t !== PieceType.CONTROL && t !== PieceType.UNKNOWN && t !== PieceType.USER_DEFINED) return;
    added[String(id)] = { content: spec.pieces[id], lstrip: false, normalized: false, rstrip: false, single_word: false, special: t !== PieceType.USER_DEFINED };
    if (t === PieceType.CONTROL && id !== ids.bos && id !== ids.eos && id !== ids.pad && id !== unk) extra.push(spec.pieces[id]!);
  });
  const out: Record<string, unknown> = {
    add_bos_token: spec.addBos,
    add_eos_token: spec.addEos,
    added_tokens_decoder: added,
    additional_special_tokens: extra,
    bos_token: piece(ids.bos),
    clean_up_tokenization_spaces: false,
    eos_token: piece(ids.eos),
    legacy: true,
    model_max_length: cfg.maxPositions,
    pad_token: piece(ids.pad),
    sp_model_kwargs: {},
    tokenizer_class: 'LlamaTokenizer',
    unk_token: piece(unk),
  };
  // transformers' Llama tokenizers prepend a space unless told otherwise; Yi's vocabulary has no dummy prefix.
  if (!spec.normalizer.addDummyPrefix) out.add_prefix_space = false;
  if (chatTemplate !== undefined) out.chat_template = chatTemplate;
  return out;
}
