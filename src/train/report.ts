// The run report of a training run: loss curves (train and validation) drawn as SVG from log.jsonl,
// the run's figures and its exact settings, in report.md and a self-contained report.html.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lineChartSvg } from '../report/charts.js';
import { writeReportPage, type ReportPageFiles } from '../report/report-page.js';

export interface TrainLogRecord {
  type: 'train';
  step: number;
  tokens: number;
  loss: number;
  lr: number;
  grad_norm: number;
  tokens_per_s: number;
  elapsed_s: number;
}

export interface ValLogRecord {
  type: 'val';
  step: number;
  tokens: number;
  val_loss: number;
}

/** Reads a log.jsonl; a line cut by a crash (the last one) is skipped. */
export function readTrainLog(path: string): { train: TrainLogRecord[]; val: ValLogRecord[]; unigramLoss?: number } {
  const train: TrainLogRecord[] = [];
  const val: ValLogRecord[] = [];
  let unigramLoss: number | undefined;
  if (!existsSync(path)) return { train, val };
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    let r: { type?: string };
    try {
      r = JSON.parse(line) as { type?: string };
    } catch {
      continue;
    }
    if (r.type === 'train') train.push(r as TrainLogRecord);
    else if (r.type === 'val') val.push(r as ValLogRecord);
    else if (r.type === 'baseline') unigramLoss = (r as { unigram_loss?: number }).unigram_loss;
  }
  return { train, val, unigramLoss };
}

export interface RunReportOptions {
  title: string;
  /** The options the run was started with (printed verbatim). */
  settings: Record<string, unknown>;
  /** Extra sections: heading -> Markdown-free text lines (samples, notes). */
  sections?: { heading: string; lines: string[] }[];
}

export type RunReportFiles = ReportPageFiles;

/** Writes loss.svg, report.md and report.html into `outDir` from its log.jsonl. */
export async function writeRunReport(outDir: string, opts: RunReportOptions): Promise<RunReportFiles> {
  const { train, val, unigramLoss } = readTrainLog(join(outDir, 'log.jsonl'));
  const lastStep = train[train.length - 1]?.step ?? 0;
  const svg = await lineChartSvg(
    [
      ...train.map((r) => ({ x: r.step, y: r.loss, series: 'train' })),
      ...val.map((r) => ({ x: r.step, y: r.val_loss, series: 'validation' })),
      ...(unigramLoss !== undefined && lastStep > 0 ? [0, lastStep].map((x) => ({ x, y: unigramLoss, series: 'unigram baseline' })) : []),
    ],
    { title: 'Loss', xTitle: 'step', yTitle: 'cross-entropy (nats/token)', points: val.length < 50 && train.length < 50 },
  );
  const last = train[train.length - 1];
  const lastVal = val[val.length - 1];
  const figures: [string, string][] = [
    ['steps', String(last?.step ?? 0)],
    ['training tokens', String(last?.tokens ?? 0)],
    ['final train loss', last ? last.loss.toFixed(4) : '-'],
    ['final validation loss', lastVal ? lastVal.val_loss.toFixed(4) : '-'],
    ['unigram baseline (validation cross-entropy of a context-free model)', unigramLoss !== undefined ? unigramLoss.toFixed(4) : '-'],
    ['tokens/s (last step, cumulative over its process)', last ? String(Math.round(last.tokens_per_s)) : '-'],
    ['training time (s)', last ? last.elapsed_s.toFixed(1) : '-'],
  ];
  return writeReportPage(outDir, { title: opts.title, svg, chartAlt: 'loss curves', figures, sections: opts.sections ?? [], settings: opts.settings });
}
