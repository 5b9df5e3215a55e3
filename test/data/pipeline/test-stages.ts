// Small real stages for the executor's tests, registered as stage types so that worker threads
// (which import this module through a pipeline's `imports`) can build them too.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { registerStage } from '../../../src/data/pipeline/registry.js';
import type { Doc, DocStage, GlobalStage, StageResult } from '../../../src/data/types.js';

const words = (t: string): number => t.split(/\s+/).filter(Boolean).length;

/** Drops documents with fewer than `min` words. */
export function minWords(name: string, min: number): DocStage {
  return {
    name,
    kind: 'filter',
    process: (doc: Doc): StageResult => (words(doc.text) >= min ? { keep: true, doc, counts: { words: words(doc.text) } } : { keep: false, reason: 'too_few_words' }),
  };
}

/** Rewrites the text in capitals and counts the characters it changed. */
export function upper(name: string): DocStage {
  return {
    name,
    kind: 'transform',
    process: (doc: Doc): StageResult => {
      const text = doc.text.toUpperCase();
      let changed = 0;
      for (let i = 0; i < text.length; i++) if (text[i] !== doc.text[i]) changed++;
      return { keep: true, doc: { ...doc, text }, counts: { changed_chars: changed } };
    },
  };
}

/**
 * Exact-duplicate removal across the whole corpus: index writes each task's (text hash, id) list,
 * combine keeps the first document of each hash in (task, order) and lists the others' ids, the
 * filter drops the listed ids.
 */
export function exactDedup(name: string): GlobalStage {
  return {
    name,
    kind: 'dedup',
    global: true,
    async index(docs, at) {
      const rows: [string, string][] = [];
      for await (const d of docs) rows.push([createHash('sha1').update(d.text).digest('hex'), d.id]);
      writeFileSync(join(at.dir, `index-${at.task}.json`), JSON.stringify(rows));
    },
    async combine(at) {
      const seen = new Set<string>();
      const drop: string[] = [];
      for (let t = 0; t < at.tasks; t++) {
        for (const [h, id] of JSON.parse(readFileSync(join(at.dir, `index-${t}.json`), 'utf8')) as [string, string][]) {
          if (seen.has(h)) drop.push(id);
          else seen.add(h);
        }
      }
      writeFileSync(join(at.dir, 'drop.json'), JSON.stringify(drop));
    },
    async filter(at) {
      const drop = new Set(JSON.parse(readFileSync(join(at.dir, 'drop.json'), 'utf8')) as string[]);
      return { name, kind: 'dedup', process: (doc) => (drop.has(doc.id) ? { keep: false, reason: 'duplicate' } : { keep: true, doc }) };
    },
  };
}

/**
 * Passes documents through, except that when YI_TEST_HANG_AT is `<this stage's name>=<a document
 * id>` it writes the file YI_TEST_HANG_FILE at that document and never returns: the crash test
 * kills the process there.
 */
export function hangAt(name: string): DocStage {
  return {
    name,
    kind: 'filter',
    process: (doc: Doc): StageResult | Promise<StageResult> => {
      if (process.env.YI_TEST_HANG_AT === `${name}=${doc.id}` && process.env.YI_TEST_HANG_FILE) {
        writeFileSync(process.env.YI_TEST_HANG_FILE, doc.id);
        return new Promise(() => setInterval(() => {}, 1000));
      }
      return { keep: true, doc };
    },
  };
}

registerStage('test_min_words', (o, ctx) => minWords(ctx.name, Number(o.min ?? 3)), 'test: drop documents under `min` words');
registerStage('test_upper', (_o, ctx) => upper(ctx.name), 'test: upper-case the text');
registerStage('test_exact_dedup', (_o, ctx) => exactDedup(ctx.name), 'test: exact-duplicate removal (global)');
registerStage('test_hang', (_o, ctx) => hangAt(ctx.name), 'test: hang at a given document');
