// Throughput of each per-document cleaning stage (documents/s and MB/s of UTF-8 text, one thread)
// on a mixed corpus (Brown English, Chinese, generated junk), of the Gopher + C4 + FineWeb chain
// that the datatrove reference measured, and the language-identification comparison:
// accuracy per language and speed of franc-min, tinyld and eld on a labelled sample.
import { francAll } from 'franc-min';
import * as tinyld from 'tinyld';
import { filterFactories } from '../src/data/filters/index.js';
import { identifyLanguage, loadEld, type EldDatabase } from '../src/data/filters/language-id.js';
import type { Doc, DocStage } from '../src/data/types.js';
import { languageIdSample, mixedCorpus, type LabelledText } from './data-corpus.js';
import { timeIt, type Reporter } from './harness.js';

function runStage(stage: DocStage, docs: readonly Doc[]): number {
  let kept = 0;
  for (const d of docs) {
    const r = stage.process(d);
    if (r instanceof Promise) throw new Error(`${stage.name}: process() returned a promise after init()`);
    if (r.keep) kept++;
  }
  return kept;
}

function runChain(stages: readonly DocStage[], docs: readonly Doc[]): number {
  let kept = 0;
  outer: for (let d of docs) {
    for (const s of stages) {
      const r = s.process(d) as Exclude<ReturnType<DocStage['process']>, Promise<unknown>>;
      if (!r.keep) continue outer;
      d = r.doc;
    }
    kept++;
  }
  return kept;
}

const utf8Bytes = (docs: readonly Doc[]) => docs.reduce((a, d) => a + Buffer.byteLength(d.text), 0);

export async function benchDataFilters(rep: Reporter, opts: { quick?: boolean }): Promise<void> {
  const docs = mixedCorpus(!!opts.quick);
  const bytes = utf8Bytes(docs);
  const timing = { warmup: 1, runs: opts.quick ? 1 : 3, minSeconds: 0 };
  const corpusNote = `${docs.length} docs, ${(bytes / 1e6).toFixed(1)} MB`;
  for (const [type, make] of Object.entries(filterFactories)) {
    const stage = make();
    await stage.init?.();
    let kept = 0;
    const s = timeIt(() => void (kept = runStage(stage, docs)), timing);
    rep.add({ bench: 'data-filters', case: `${type} docs/s`, threads: 1, value: docs.length / s, unit: 'docs/s', note: `${corpusNote}; kept ${((100 * kept) / docs.length).toFixed(0)}%` });
    rep.add({ bench: 'data-filters', case: `${type} MB/s`, threads: 1, value: bytes / s / 1e6, unit: 'MB/s' });
  }

  // The chain the reference measured with datatrove (Python, spaCy tokenizer, one core):
  // 0.44 MB/s, 74 docs/s on SpamAssassin + Brown. Target: 20x, i.e. 8.8 MB/s.
  const chain = ['gopher_quality', 'gopher_repetition', 'c4_quality', 'fineweb_quality'].map((t) => filterFactories[t]!());
  for (const s of chain) await s.init?.();
  // mixedCorpus() puts the Brown files first.
  const brown = docs.slice(0, opts.quick ? 60 : 500);
  for (const [label, set] of [
    ['mixed corpus', docs],
    ['Brown only', brown],
  ] as const) {
    const b = utf8Bytes(set);
    let kept = 0;
    const s = timeIt(() => void (kept = runChain(chain, set)), timing);
    // The process's CPU time over one more run: the rate per core even when other work shares the machine.
    const c0 = process.cpuUsage();
    runChain(chain, set);
    const c = process.cpuUsage(c0);
    const cpu = (c.user + c.system) / 1e6;
    rep.add({
      bench: 'data-filters',
      case: `Gopher+C4+FineWeb chain, ${label}`,
      threads: 1,
      value: b / s / 1e6,
      unit: 'MB/s',
      note: `${(set.length / s).toFixed(0)} docs/s; per CPU-second ${(b / cpu / 1e6).toFixed(1)} MB, ${(set.length / cpu).toFixed(0)} docs; kept ${kept}/${set.length}; datatrove 0.44 MB/s (74 docs/s), target 8.8`,
    });
  }

  await benchLanguageId(rep, !!opts.quick);
}

type Identify = (text: string) => string;

const ISO3: Record<string, string> = { cmn: 'zh', eng: 'en', jpn: 'ja', kor: 'ko', fra: 'fr', deu: 'de', spa: 'es', rus: 'ru', por: 'pt', ita: 'it' };

/** Accuracy per language and speed of each identifier on the labelled sample (README table). */
export async function benchLanguageId(rep: Reporter, quick: boolean): Promise<void> {
  let sample: LabelledText[] = languageIdSample();
  if (quick) sample = sample.filter((_, i) => i % 5 === 0);
  const bytes = sample.reduce((a, s) => a + Buffer.byteLength(s.text), 0);
  const ids: [string, Identify][] = [
    ['franc-min', (t) => ISO3[francAll(t)[0]![0]] ?? francAll(t)[0]![0]],
    ['tinyld', (t) => tinyld.detect(t)],
  ];
  for (const db of ['small', 'medium', 'large'] as EldDatabase[]) {
    const eld = await loadEld(db);
    ids.push([`eld ${db}`, (t) => eld.detect(t).language]);
  }
  const small = await loadEld('small');
  ids.push(['language_id stage (eld small)', (t) => identifyLanguage(small, t).language]);
  const langs = [...new Set(sample.map((s) => s.lang))];
  // Short text separates the identifiers more: every sample cut to its first 40 characters (at a
  // space when there is one), as in a title or a one-line snippet.
  const cut = (t: string) => {
    if (t.length <= 40) return t;
    const sp = t.lastIndexOf(' ', 40);
    return t.slice(0, sp > 20 ? sp : 40);
  };
  for (const [name, identify] of ids) {
    for (const [condition, texts] of [
      ['', sample],
      [' (first 40 chars)', sample.map((x) => ({ lang: x.lang, text: cut(x.text) }))],
    ] as const) {
      const right = new Map<string, number>();
      const s = timeIt(
        () => {
          right.clear();
          for (const x of texts) if (identify(x.text.replace(/\n/g, ' ')) === x.lang) right.set(x.lang, (right.get(x.lang) ?? 0) + 1);
        },
        { warmup: 1, runs: quick ? 1 : 3, minSeconds: 0 },
      );
      for (const l of langs) {
        const n = texts.filter((x) => x.lang === l).length;
        rep.add({ bench: 'langid', case: `${name}${condition} ${l}`, value: (100 * (right.get(l) ?? 0)) / n, unit: '% right', note: `${right.get(l) ?? 0}/${n}` });
      }
      if (!condition) rep.add({ bench: 'langid', case: `${name} speed`, threads: 1, value: sample.length / s, unit: 'docs/s', note: `${(bytes / s / 1e6).toFixed(2)} MB/s` });
    }
  }
}
