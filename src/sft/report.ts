// The report of a finetuning run, from its log.jsonl and eval/*.jsonl: loss curves of the training
// answers and the held-out answers, held-out exact-match accuracy and the share of answers ending with
// <|im_end|> before and after training, a few answers side by side, the reject summary and the
// settings, in report.md and a self-contained report.html.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lineChartSvg } from '../report/charts.js';
import { writeReportPage, type ReportPageFiles } from '../report/report-page.js';
import { readTrainLog } from '../train/report.js';
import type { BaseModel } from './base-model.js';
import type { GenerationSample } from './evaluate.js';

export interface SftReportOptions {
  title: string;
  settings: Record<string, unknown>;
  data: { trainSamples: number; heldoutSamples: number; rejects: string; heldoutRejects: string };
  base: Pick<BaseModel, 'path' | 'templateSource'>;
  /** Answers shown per evaluation (default 8). */
  examples?: number;
}

interface GenerationRecord {
  when: 'before' | 'base-few-shot' | 'after';
  step: number;
  shots?: number;
  format?: string;
  prompts: number;
  correct: number;
  accuracy: number;
  endedWithImEnd: number;
  imEndShare: number;
}

export async function writeSftReport(out: string, o: SftReportOptions): Promise<ReportPageFiles> {
  const logPath = join(out, 'log.jsonl');
  const { train, val } = readTrainLog(logPath);
  const gens = generationRecords(logPath);
  const svg = await lineChartSvg(
    [...train.map((r) => ({ x: r.step, y: r.loss, series: 'train answers' })), ...val.map((r) => ({ x: r.step, y: r.val_loss, series: 'held-out answers' }))],
    { title: 'Answer loss', xTitle: 'step', yTitle: 'cross-entropy on answer tokens (nats/token)', points: train.length < 50 && val.length < 50 },
  );
  const last = train[train.length - 1];
  const firstVal = val[0];
  const lastVal = val[val.length - 1];
  const pct = (x: number | undefined) => (x === undefined ? '-' : `${(100 * x).toFixed(1)}%`);
  const before = gens.find((g) => g.when === 'before');
  const after = gens.find((g) => g.when === 'after');
  const fewShot = gens.find((g) => g.when === 'base-few-shot');
  const fewShotLabel = fewShot ? `base model ${fewShot.shots ?? '?'}-shot (${fewShot.format ?? 'text'})` : '';
  const figures: [string, string][] = [
    ['base model', o.base.path],
    ['chat template', o.base.templateSource],
    ['training conversations', String(o.data.trainSamples)],
    ['held-out conversations', String(o.data.heldoutSamples)],
    ['steps', String(last?.step ?? 0)],
    ['tokens trained on (non-padding inputs)', String(last?.tokens ?? 0)],
    ['final train answer loss', last ? last.loss.toFixed(4) : '-'],
    ['held-out answer loss before -> after', `${firstVal && firstVal.step === 0 ? firstVal.val_loss.toFixed(4) : '-'} -> ${lastVal ? lastVal.val_loss.toFixed(4) : '-'}`],
    ...(fewShot
      ? ([
          [`held-out exact match, ${fewShotLabel}`, `${pct(fewShot.accuracy)} (${fewShot.correct}/${fewShot.prompts})`],
          [`answers ending with <|im_end|>, ${fewShotLabel}`, `${pct(fewShot.imEndShare)} (${fewShot.endedWithImEnd}/${fewShot.prompts})`],
        ] as [string, string][])
      : []),
    ['held-out exact match before (base, zero-shot) -> after', `${pct(before?.accuracy)} -> ${pct(after?.accuracy)}${after ? ` (${after.correct}/${after.prompts})` : ''}`],
    ['answers ending with <|im_end|> before -> after', `${pct(before?.imEndShare)} -> ${pct(after?.imEndShare)}${after ? ` (${after.endedWithImEnd}/${after.prompts})` : ''}`],
    ['tokens/s (last step, over its process)', last ? String(Math.round(last.tokens_per_s)) : '-'],
    ['training time (s)', last ? last.elapsed_s.toFixed(1) : '-'],
  ];
  const n = o.examples ?? 8;
  const sampleLines = (when: string): string[] => {
    const samples = readSamples(join(out, 'eval', `${when}.jsonl`)).slice(0, n);
    return samples.map((s) => `${s.correct ? 'right' : 'wrong'}${s.endedWithImEnd ? '' : ' (no <|im_end|>)'}: ${oneLine(s.question)} -> ${oneLine(s.output)}  [reference: ${oneLine(s.answer)}]`);
  };
  const sections = [
    { heading: 'Rejected samples (training files)', lines: o.data.rejects.split('\n') },
    ...(o.data.heldoutRejects !== '' ? [{ heading: 'Rejected samples (held-out files)', lines: o.data.heldoutRejects.split('\n') }] : []),
    ...(before ? [{ heading: 'Held-out answers before finetuning', lines: sampleLines('before') }] : []),
    ...(fewShot ? [{ heading: `Held-out answers of the ${fewShotLabel}`, lines: sampleLines('base-few-shot') }] : []),
    ...(after ? [{ heading: 'Held-out answers after finetuning', lines: sampleLines('after') }] : []),
  ];
  return writeReportPage(out, { title: o.title, svg, chartAlt: 'answer loss', figures, sections, settings: o.settings });
}

function oneLine(s: string): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > 120 ? `${t.slice(0, 117)}...` : t;
}

function generationRecords(path: string): GenerationRecord[] {
  if (!existsSync(path)) return [];
  const out: GenerationRecord[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    try {
      const r = JSON.parse(line) as { type?: string } & GenerationRecord;
      if (r.type === 'generation') out.push(r);
    } catch {
      /* blank, or cut by a kill */
    }
  }
  return out;
}

function readSamples(path: string): GenerationSample[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as GenerationSample);
}

