// Documents for the filter tests: clean English (Brown), clean Chinese (the hand-written samples),
// and a stage runner that calls init() first as the executor does.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readBrownFile } from '../../../src/data/text/brown.js';
import type { Doc, DocStage, StageResult } from '../../../src/data/types.js';
import { repoRoot } from '../../paths.js';

export function doc(text: string, metadata: Record<string, unknown> = {}, id = 'd1'): Doc {
  return { id, text, metadata };
}

/** init() once, then process(); the result awaited. */
export async function run(stage: DocStage, d: Doc | string): Promise<StageResult> {
  await stage.init?.();
  return stage.process(typeof d === 'string' ? doc(d) : d);
}

/** The drop reason, or 'kept'. */
export async function outcome(stage: DocStage, d: Doc | string): Promise<string> {
  const r = await run(stage, d);
  return r.keep ? 'kept' : r.reason;
}

/** A Brown corpus file as one clean English document. */
export function cleanEnglish(name = 'ca01'): string {
  return readBrownFile(name);
}

export function samples(lang: string): string[] {
  return readFileSync(join(repoRoot, 'test', 'fixtures', 'langid', 'handwritten.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { lang: string; text: string })
    .filter((s) => s.lang === lang)
    .map((s) => s.text);
}

/** A clean Chinese document: the hand-written Chinese paragraphs, one per line. */
export function cleanChinese(): string {
  return samples('zh').join('\n');
}

/** `n` distinct English sentences from the Brown corpus, each 60-200 characters and ending in '.'. */
export function brownSentences(n: number): string[] {
  const out = new Set<string>();
  for (const name of ['ca01', 'ca02', 'cb01', 'cc01', 'cd01', 'ce01', 'cf01', 'cg01', 'ch01', 'cj01']) {
    for (const s of readBrownFile(name).split(/(?<=\.)\s+/)) {
      if (s.length >= 60 && s.length <= 200 && s.endsWith('.') && !/[{#]|\.\.\./.test(s)) out.add(s);
      if (out.size === n) return [...out];
    }
  }
  throw new Error(`only ${out.size} sentences`);
}
