// Seeded fuzzing of pipeline files (YAML and JSON), loaded as `yi data run` loads them: every case
// must load or fail with a project error naming the file, and none may hang. Mutations: every
// option of every stage given wrong types, out-of-range and non-finite numbers, bad list items;
// unknown stages and options; names that would leave the output folder; broken top-level shapes;
// deep nesting; YAML alias bombs ("billion laughs") and duplicate keys; and byte-level mutations.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { clusterSchemas } from '../../src/data/cluster/index.js';
import { dedupSchemas } from '../../src/data/dedup/index.js';
import { filterSchemas } from '../../src/data/filters/index.js';
import { defaultScorerCacheDir, defaultScorerFiles, scorerSchemas } from '../../src/data/scorers/index.js';
import { tempDir } from '../formats/helpers.js';
import { assertNoUntypedOrHang, mutations, runFuzz, seeded, tally, writeCase, type FuzzCase } from './harness.js';

const SCHEMAS: Record<string, Record<string, unknown>> = { ...filterSchemas, ...dedupSchemas, ...clusterSchemas, ...scorerSchemas };

/** A valid pipeline naming every built-in stage type, with options in both spellings. */
const SEED = {
  stages: [
    { type: 'language_id', options: { languages: ['en', 'zh'], threshold: 0.65 } },
    { type: 'url_blocklist', options: { extra_domains: ['spam.example'], softWordThreshold: 2 } },
    { type: 'bad_words', options: { keep_fraction: 0.1, extraWords: { en: ['darn'] } } },
    { type: 'gopher_quality', options: { min_doc_words: 50, stopWords: ['the', 'and'], by_language: { zh: { min_avg_word_length: 1 } } } },
    { type: 'gopher_repetition', options: { top_n_grams: [[2, 0.2]] } },
    { type: 'c4_quality', options: { terminal_punctuation: ['.', '!'], minNumSentences: null } },
    { type: 'fineweb_quality', options: { char_duplicates_ratio: 0.01 } },
    { type: 'yi_text_metrics', options: { min_chars: 100 } },
    { type: 'pii', options: { email_replacement: '<EMAIL>' } },
    { type: 'perplexity', options: { drop: ['tail'], cutoffs: { head: 100, middle: 300 } } },
    { type: 'quality_classifier', options: { threshold: 0.25 } },
    { type: 'coherence' },
    { type: 'line_dedup', name: 'lines' },
    { type: 'minhash_dedup', options: { bands: 14, rows: 8, cjk: 'chars' } },
    { type: 'exact_substring_dedup', options: { min_bytes: 100 } },
    { type: 'safety', options: { min_hits: 3 } },
    { type: 'cluster_filter', options: { k: 4, names: { '0': 'ads' }, drop: ['ads'] } },
    { type: 'topic_mix', options: { weights: { '1': 0.5 } } },
  ],
};

const deep = (n: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < n; i++) v = i % 2 ? [v] : { k: v };
  return v;
};

/** Values that break an option: wrong types, out of range, non-finite, huge, nested, path-like. */
const BAD_VALUES: unknown[] = [
  null, true, -5, -1, 0, 0.5, 1.5, 50, 2 ** 53 + 2, 1e308, -1e308, NaN, Infinity, -Infinity,
  '', '50', 'x'.repeat(5000), '../../../etc/x', [], [5, null], [''], [[]], [[2]], [[0, 0.5]], [['a', 'b']],
  {}, { a: 1 }, { zh: 1 }, { zh: { nonsense: 1 } }, { '0': '' }, deep(200),
];
const BAD_NAMES: unknown[] = ['../../../x', '..', '.', '', '/etc', 'a/b', 'a\\b', '.hidden', 'x'.repeat(300), 'nul\u0000', 5, null, [], {}];
const BAD_TYPES: unknown[] = ['gopher_qualty', '', 'GOPHER_QUALITY', '__proto__', 'constructor', 'toString', 5, null, [], {}];
const BAD_KEYS = ['min_wordz', 'minDocWord', '__proto__', 'constructor', 'toString', 'name', 'hasOwnProperty', 'k'.repeat(200), ''];

type Spec = { stages: unknown; imports?: unknown; [k: string]: unknown };

/** One structure-aware mutation of the seed (the same for the same draw). */
function mutateSpec(r: (n: number) => number): { name: string; spec: Spec } {
  const spec = structuredClone(SEED) as { stages: Record<string, unknown>[] } & Spec;
  const i = r(spec.stages.length);
  const stage = spec.stages[i]!;
  const type = stage.type as string;
  const pick = <T>(list: readonly T[]): T => list[r(list.length)]!;
  const kind = r(8);
  if (kind <= 2) {
    // A wrong value for a real option of the stage, in either spelling, maybe nested in by_language.
    const keys = Object.keys(SCHEMAS[type]!).filter((k) => k !== 'name');
    const key = pick(keys);
    const snake = key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    const spelt = r(2) ? snake : key;
    const v = pick(BAD_VALUES);
    const options = (stage.options ??= {}) as Record<string, unknown>;
    // The seed may set the option already, in either spelling: this case's value replaces it.
    const replace = (k: string, camel: string, value: unknown) => {
      delete options[camel];
      delete options[camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)];
      options[k] = value;
    };
    if (kind === 2 && 'byLanguage' in SCHEMAS[type]!) replace(r(2) ? 'by_language' : 'byLanguage', 'byLanguage', { zh: { [spelt]: v } });
    else replace(spelt, key, v);
    return { name: `${type}.${spelt} = ${String(JSON.stringify(v))?.slice(0, 40)}${kind === 2 ? ' (by language)' : ''}`, spec };
  }
  if (kind === 3) {
    const key = pick(BAD_KEYS);
    Object.defineProperty((stage.options ??= {}) as object, key, { value: pick(BAD_VALUES), enumerable: true, writable: true, configurable: true });
    return { name: `${type}: unknown option ${JSON.stringify(key.slice(0, 20))}`, spec };
  }
  if (kind === 4) {
    stage.type = pick(BAD_TYPES);
    return { name: `stage type ${JSON.stringify(stage.type)}`, spec };
  }
  if (kind === 5) {
    stage.name = pick(BAD_NAMES);
    return { name: `${type} named ${String(JSON.stringify(stage.name))?.slice(0, 30)}`, spec };
  }
  if (kind === 6) {
    const shapes: [string, (s: Spec) => void][] = [
      ['stages an object', (s) => (s.stages = { a: 1 })],
      ['stages null', (s) => (s.stages = null)],
      ['stages empty', (s) => (s.stages = [])],
      ['a null stage', (s) => ((s.stages as unknown[])[i] = null)],
      ['a list stage', (s) => ((s.stages as unknown[])[i] = [stage])],
      ['options a list', () => (stage.options = [1])],
      ['options a string', () => (stage.options = 'min_doc_words: 5')],
      ['options null', () => (stage.options = null)],
      ['an extra stage key', () => (stage.option = {})],
      ['an extra top-level key', (s) => (s.stage = [])],
      ['imports not a list', (s) => (s.imports = 'x.js')],
      ['imports a missing module', (s) => (s.imports = ['./missing-module.js'])],
      ['imports a folder', (s) => (s.imports = ['.'])],
      ['imports this file', (s) => (s.imports = ['./self'])],
      ['imports a bare name', (s) => (s.imports = ['no-such-package-for-yi'])],
      ['duplicate names', (s) => (s.stages as unknown[]).push(structuredClone(stage))],
    ];
    const [what, apply] = pick(shapes);
    apply(spec);
    return { name: what, spec };
  }
  // Deep nesting as an option value.
  const options = (stage.options = {}) as Record<string, unknown>;
  options[pick(Object.keys(SCHEMAS[type]!).filter((k) => k !== 'name'))] = deep(1000 + r(2000));
  return { name: `${type}: deeply nested option`, spec };
}

/** YAML texts no object can make: alias bombs, duplicate keys, deep flow nesting, tags, several documents. */
const YAML_TEXTS: [string, string][] = [
  [
    'billion laughs',
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' +
      Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`).join('\n') +
      '\nstages: [{type: gopher_quality, options: {stop_words: *j}}]\n',
  ],
  ['small alias bomb in a word list', 'w: &w [x, x, x, x, x, x, x, x]\nv: &v [*w, *w, *w, *w, *w, *w, *w, *w]\nstages: [{type: gopher_quality, options: {stop_words: *v}}]\n'],
  ['aliased options', 'o: &o {min_doc_words: 5}\nstages: [{type: gopher_quality, options: *o}, {type: gopher_quality, name: g2, options: *o}]\n'],
  ['an alias to an undefined anchor', 'stages: [{type: gopher_quality, options: *nothing}]\n'],
  ['duplicate keys', 'stages: [{type: pii, type: pii}]\n'],
  ['deep flow nesting', `stages: [{type: pii, options: {emails: ${'['.repeat(20000)}${']'.repeat(20000)}}}]\n`],
  ['deep block nesting', `stages:\n  - type: pii\n    options:\n${Array.from({ length: 300 }, (_, i) => `${'  '.repeat(i + 3)}k${i}:`).join('\n')} 1\n`],
  ['a binary tag', 'stages: [{type: pii, options: {email_replacement: !!binary aGVsbG8=}}]\n'],
  ['a custom tag', 'stages: [{type: pii, options: !custom {emails: true}}]\n'],
  ['a set', 'stages: [{type: gopher_quality, options: {stop_words: !!set {a, b}}}]\n'],
  ['two documents', 'stages: [{type: pii}]\n---\nstages: [{type: pii}]\n'],
  ['a complex key', 'stages: [{type: pii, options: {? [a, b] : c}}]\n'],
  ['merge keys', 'base: &b {emails: true}\nstages: [{type: pii, options: {<<: *b, phones: false}}]\n'],
  ['not UTF-8', 'stages: [{type: pii, options: {email_replacement: "\udcff"}}]\n'],
  ['a plain scalar', 'just text\n'],
  ['empty', ''],
  ['a BOM and tabs', '\ufeffstages:\n\t- type: pii\n'],
  ['an infinite float', 'stages: [{type: gopher_quality, options: {min_doc_words: .inf}}]\n'],
  ['NaN', 'stages: [{type: fineweb_quality, options: {char_duplicates_ratio: .nan}}]\n'],
  ['a huge integer', `stages: [{type: minhash_dedup, options: {seed: ${'9'.repeat(400)}}}]\n`],
  ['a hex integer', 'stages: [{type: minhash_dedup, options: {bands: 0x10}}]\n'],
];

const JSON_TEXTS: [string, string][] = [
  ['deep arrays', `{"stages": [{"type": "pii", "options": {"emails": ${'['.repeat(100000)}${']'.repeat(100000)}}}]}`],
  ['a proto key', '{"__proto__": {"stages": []}, "stages": [{"type": "pii", "options": {"__proto__": {"emails": 1}}}]}'],
  ['a huge number', `{"stages": [{"type": "minhash_dedup", "options": {"bands": 1${'0'.repeat(400)}}}]}`],
  ['duplicate keys', '{"stages": [{"type": "pii", "type": "gopher_quality", "options": {"min_doc_words": 1, "min_doc_words": -1}}]}'],
  ['a lone surrogate', '{"stages": [{"type": "pii", "options": {"email_replacement": "\\ud800"}}]}'],
  ['not JSON', "{stages: [{type: 'pii'}]}"],
];

/** YAML of a spec; JSON (which is YAML too) when the yaml writer cannot nest that deep. */
function yamlText(spec: Spec): string {
  try {
    return stringify(spec, { aliasDuplicateObjects: false });
  } catch {
    return JSON.stringify(spec);
  }
}

test('pipeline files: no untyped errors and no hangs over structural, YAML-level and byte mutations', async () => {
  const dir = tempDir();
  // Scorer stages without a model would train the default models into the cache: give them files that
  // exist (they are read only when a stage starts, which loading a pipeline does not do).
  const cache = join(dir, 'cache');
  process.env.YI_CACHE = cache;
  mkdirSync(defaultScorerCacheDir(), { recursive: true });
  for (const f of Object.values(defaultScorerFiles(defaultScorerCacheDir()))) writeFileSync(f, '');

  const cases: { name: string; path: string }[] = [];
  const add = (name: string, ext: 'yaml' | 'json', text: string | Uint8Array): void => {
    const c: FuzzCase = { name, bytes: typeof text === 'string' ? Buffer.from(text) : text };
    cases.push({ name: `${ext}: ${name}`, path: writeCase(dir, `case-${cases.length}.${ext}`, c) });
  };
  add('the seed', 'yaml', stringify(SEED));
  add('the seed', 'json', JSON.stringify(SEED));
  // YI_FUZZ_SEED and YI_FUZZ_CASES explore further than the suite's fixed draw (for a longer local run).
  const base = Number(process.env.YI_FUZZ_SEED ?? 20240611);
  const r = seeded(base);
  for (let n = 0; n < Number(process.env.YI_FUZZ_CASES ?? 160); n++) {
    const { name, spec } = mutateSpec(r);
    if (r(2)) add(name, 'yaml', yamlText(spec));
    else add(name, 'json', JSON.stringify(spec));
  }
  for (const [name, text] of YAML_TEXTS) add(name, 'yaml', text);
  for (const [name, text] of JSON_TEXTS) add(name, 'json', text);
  // Fresh Uint8Arrays: a Buffer's slice() is a view (and may sit at an offset of a shared pool), so mutations would pile up.
  for (const c of mutations(Buffer.from(stringify(SEED)), base + 1, 60)) add(c.name, 'yaml', c.bytes);
  for (const c of mutations(Buffer.from(JSON.stringify(SEED)), base + 2, 40)) add(c.name, 'json', c.bytes);

  const out = await runFuzz({ module: new URL('./targets/pipeline.js', import.meta.url), exportName: 'loadPipeline', cases, caseTimeoutMs: 15_000 });
  const t = tally(out);
  console.log(`pipeline fuzz: ${JSON.stringify(t)} over ${out.length} cases`);
  // YI_FUZZ_DUMP=1 lists every case's outcome, to read the errors users would see.
  if (process.env.YI_FUZZ_DUMP) for (const o of out) console.log(`${o.kind}\t${o.case}\t${(o.error ?? '').slice(0, 300).replace(/\n/g, ' ')}`);
  assertNoUntypedOrHang(out, 'pipeline files');
  // The seeds load; the mutants mostly fail (a test that never fails would prove nothing).
  assert.deepEqual(out.slice(0, 2).map((o) => o.kind), ['ok', 'ok'], JSON.stringify(out.slice(0, 2)));
  assert.ok(t.typed > out.length / 2, `most mutants are refused: ${JSON.stringify(t)}`);
});
