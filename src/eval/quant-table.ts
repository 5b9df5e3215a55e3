// The quality table of issue #13: a checkpoint quantized to each type through the same library path
// as `yi convert` (f32, f16) and `yi quantize` (the rest), then per file its size, bits per weight,
// perplexity on a text (perplexity.ts) and its change from f32, and decode speed. A row is a label,
// a file type and extra quantizer options, so that variants of one type (AWQ-scaled ones) are rows too.
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openGGUF } from '../formats/gguf.js';
import type { CalibrationOptions } from '../model/awq/calibration.js';
import { AWQ_TYPES, awqQuantizeCheckpoint } from '../model/awq/quantize-awq.js';
import { convertCheckpoint } from '../model/convert.js';
import { loadModel } from '../model/load.js';
import { openWeights } from '../model/source.js';
import type { YiModel } from '../model/model.js';
import { QUANTIZE_TYPES, quantizeCheckpoint, type QuantizeOptions, type QuantizeType } from '../model/quantize.js';
import type { Runtime } from '../runtime/runtime.js';
import type { Tokenizer } from '../tokenizer/tokenizer.js';
import { EvalError } from './errors.js';
import { evalTokens, perplexityOfText, type PerplexityResult } from './perplexity.js';

/** The file types a row can have: unquantized (written by yi convert) or one of yi quantize's. */
export type TableType = 'f32' | 'f16' | QuantizeType;

export interface QuantTableRow {
  /** The row's name in the table and its file's (DIR/<label>.gguf), e.g. q4_k_m or awq+q4_k_m. */
  label: string;
  type: TableType;
  /** More options for quantizeCheckpoint (e.g. activation-aware scaling), passed as they are. */
  quantize?: Partial<Omit<QuantizeOptions, 'type'>>;
  /** AWQ scales searched on the table's calibration text (QuantTableOptions.calib) before rounding (yi quantize --awq). */
  awq?: boolean;
}

/** Rows by label: the plain types, and awq+<type> for the types `yi quantize --awq` takes. */
export const QUANT_TABLE_ROWS = new Map<string, QuantTableRow>([
  ...(['f32', 'f16', ...QUANTIZE_TYPES] as TableType[]).map((t): [string, QuantTableRow] => [t, { label: t, type: t }]),
  ...AWQ_TYPES.map((t): [string, QuantTableRow] => [`awq+${t}`, { label: `awq+${t}`, type: t, awq: true }]),
]);

/** The calibration text of AWQ rows (yi quantize --awq's --calib, --calib-tokens, --calib-ctx). */
export interface TableCalibration extends CalibrationOptions {
  file: string;
}

/** The rows that need nothing but the checkpoint. */
export const DEFAULT_TABLE_LABELS = ['f32', 'f16', 'q8_0', 'q6_k', 'q5_k_m', 'q4_k_m', 'q4_0'];

/** The rows named by `labels`, with an error listing the known ones for an unknown label. */
export function tableRows(labels: readonly string[]): QuantTableRow[] {
  return labels.map((l) => {
    const row = QUANT_TABLE_ROWS.get(l.toLowerCase());
    if (!row) throw new EvalError(`unknown table row '${l}'; known rows: ${[...QUANT_TABLE_ROWS.keys()].join(', ')}`);
    return row;
  });
}

export interface QuantTableLine {
  label: string;
  type: TableType;
  file: string;
  /** File size in bytes. */
  bytes: number;
  /** Bits per weight over every tensor of the file (llama.cpp's BPW: tensor bytes * 8 / elements). */
  bitsPerWeight: number;
  ppl: number;
  pplError: number;
  /** (ppl - ppl of the f32 row) / ppl of the f32 row, in percent; null without an f32 row. */
  deltaPercent: number | null;
  /** Single-token decode speed (tokens/s) with this file's weights as stored. */
  decodeTokensPerSecond: number;
  perplexity: PerplexityResult;
}

export interface QuantTableOptions {
  runtime: Runtime;
  /** Tokenizer of the checkpoint: the same tokens are scored for every row. */
  tokenizer: Tokenizer;
  /** The text to score and its name (for errors and the report). */
  text: string;
  source: string;
  rows: readonly QuantTableRow[];
  /** Where the files go (kept); default a temporary folder removed at the end. */
  outDir?: string;
  /** Perplexity settings (perplexity.ts); the model is loaded with a context of `ctx`. */
  ctx?: number;
  stride?: number;
  chunks?: number;
  batch?: number;
  /** Calibration text for the AWQ rows (required when there are any). */
  calib?: TableCalibration;
  /** Tokens timed for the decode speed (default 64, at most the context). */
  decodeTokens?: number;
  signal?: AbortSignal;
  /** Progress: which row and stage, and a fraction of that stage. */
  onStage?: (s: { row: QuantTableRow; index: number; rows: number; stage: 'quantize' | 'load' | 'perplexity' | 'decode'; fraction: number }) => void;
  /** Each finished row, in order. */
  onLine?: (line: QuantTableLine) => void;
}

/** Bits per weight of a GGUF file: every tensor's bytes * 8 over its elements, summed (llama.cpp's BPW). */
export function bitsPerWeight(file: string): number {
  const g = openGGUF(file);
  try {
    let bytes = 0;
    let elements = 0;
    for (const t of g.tensors) {
      bytes += t.byteLength;
      elements += t.shape.reduce((a, b) => a * b, 1);
    }
    return (bytes * 8) / elements;
  } finally {
    g.close();
  }
}

/** Writes `row`'s file from the checkpoint `model` (a Hugging Face folder or GGUF). */
export async function writeRowFile(model: string, file: string, row: QuantTableRow, rt: Runtime, onProgress?: (done: number, total: number) => void, calib?: TableCalibration): Promise<void> {
  if (row.type === 'f32' || row.type === 'f16') {
    await convertCheckpoint(model, file, { type: row.type, runtime: rt, onProgress });
  } else if (row.awq) {
    if (!calib) throw new EvalError(`row ${row.label} needs calibration text (--calib FILE)`);
    const { file: text, ...c } = calib;
    await awqQuantizeCheckpoint(model, file, { ...row.quantize, ...c, calib: text, type: row.type, runtime: rt, onProgress });
  } else {
    await quantizeCheckpoint(model, file, { ...row.quantize, type: row.type, runtime: rt, onProgress });
  }
}

/**
 * Single-token decode speed: `n` tokens of `ids` fed one at a time from an empty cache after one
 * warm-up token (llama-bench's tg).
 */
export function decodeSpeed(model: YiModel, ids: readonly number[], n: number): number {
  model.reset();
  model.forward([ids[0]!]);
  model.reset();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) model.forward([ids[i % ids.length]!]);
  const s = (performance.now() - t0) / 1000;
  model.reset();
  return n / s;
}

/** Measures every row; rows run in the order given, except that f32 (the reference of the deltas) runs first. */
export async function quantTable(model: string, o: QuantTableOptions): Promise<QuantTableLine[]> {
  if (o.rows.length === 0) throw new EvalError('the table has no rows: give at least one type');
  const awq = o.rows.filter((r) => r.awq).map((r) => r.label);
  if (awq.length > 0 && !o.calib) throw new EvalError(`the rows ${awq.join(', ')} need calibration text (--calib FILE): AWQ searches its scales on it`);
  const rows = [...o.rows].sort((a, b) => Number(b.label === 'f32') - Number(a.label === 'f32'));
  const dir = o.outDir ?? mkdtempSync(join(tmpdir(), 'yi-quant-table-'));
  if (o.outDir) mkdirSync(o.outDir, { recursive: true });
  // The text is checked against the context before the first file is written.
  const src = openWeights(model);
  const ctx = o.ctx ?? Math.min(src.config.maxPositions, 4096);
  src.close();
  const { tokens: ids } = evalTokens(o.tokenizer, o.text, { ctx, stride: o.stride, chunks: o.chunks, source: o.source });
  const lines: QuantTableLine[] = [];
  let f32Ppl: number | undefined;
  try {
    for (const [index, row] of rows.entries()) {
      if (o.signal?.aborted) break;
      const report = (stage: 'quantize' | 'load' | 'perplexity' | 'decode', fraction: number) => o.onStage?.({ row, index, rows: rows.length, stage, fraction });
      const file = join(dir, `${row.label.replace(/[^A-Za-z0-9_.+-]/g, '_')}.gguf`);
      report('quantize', 0);
      await writeRowFile(model, file, row, o.runtime, (d, t) => report('quantize', d / t), o.calib);
      report('load', 0);
      const m = loadModel(o.runtime, file, { contextLength: ctx, batch: o.batch, onMessage: () => {} });
      try {
        const ppl = await perplexityOfText(m, o.tokenizer, o.text, {
          source: o.source,
          ctx,
          stride: o.stride,
          chunks: o.chunks,
          signal: o.signal,
          onProgress: (d, t) => report('perplexity', d / t),
        });
        if (ppl.aborted) break;
        report('decode', 0);
        const tps = decodeSpeed(m, ids, Math.min(o.decodeTokens ?? 64, m.contextLength));
        if (row.label === 'f32') f32Ppl = ppl.ppl;
        const line: QuantTableLine = {
          label: row.label,
          type: row.type,
          file,
          bytes: statSync(file).size,
          bitsPerWeight: bitsPerWeight(file),
          ppl: ppl.ppl,
          pplError: ppl.error,
          deltaPercent: f32Ppl === undefined ? null : ((ppl.ppl - f32Ppl) / f32Ppl) * 100,
          decodeTokensPerSecond: tps,
          perplexity: ppl,
        };
        lines.push(line);
        o.onLine?.(line);
      } finally {
        m.dispose();
      }
    }
  } finally {
    if (!o.outDir) rmSync(dir, { recursive: true, force: true });
  }
  return lines;
}

/** The table in Markdown. */
export function markdownTable(lines: readonly QuantTableLine[]): string {
  const head = '| type | file size | bits/weight | PPL | +/- | delta vs f32 | decode tokens/s |';
  const sep = '|---|---:|---:|---:|---:|---:|---:|';
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(2)} MiB`;
  const body = lines.map((l) => {
    const delta = l.deltaPercent === null ? '-' : `${l.deltaPercent >= 0 ? '+' : ''}${l.deltaPercent.toFixed(2)}%`;
    return `| ${l.label} | ${mib(l.bytes)} | ${l.bitsPerWeight.toFixed(2)} | ${l.ppl.toFixed(4)} | ${l.pplError.toFixed(4)} | ${delta} | ${l.decodeTokensPerSecond.toFixed(1)} |`;
  });
  return [head, sep, ...body].join('\n');
}
