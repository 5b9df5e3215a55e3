// Stage options in pipeline files are checked against each stage type's schema when the pipeline is
// built: out-of-range numbers, wrong list items and unknown keys fail naming the file, the stage
// (once) and the option, with a suggestion; snake_case spellings work for every stage's options.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { stringify } from 'yaml';
import { CLUSTER_FILTER_DEFAULTS, TOPIC_MIX_DEFAULTS } from '../../../src/data/cluster/index.js';
import { EXACT_SUBSTRING_DEFAULTS, LINE_DEDUP_DEFAULTS, MINHASH_DEDUP_DEFAULTS } from '../../../src/data/dedup/index.js';
import { StageOptionError } from '../../../src/data/errors.js';
import {
  BAD_WORDS_DEFAULTS,
  C4_QUALITY_DEFAULTS,
  FINEWEB_QUALITY_DEFAULTS,
  GOPHER_QUALITY_DEFAULTS,
  GOPHER_REPETITION_DEFAULTS,
  LANGUAGE_ID_DEFAULTS,
  PII_DEFAULTS,
  URL_BLOCKLIST_DEFAULTS,
  YI_TEXT_METRICS_DEFAULTS,
} from '../../../src/data/filters/index.js';
import { camelCase, snakeCase } from '../../../src/data/options/spelling.js';
import { buildStages, resolvePipeline } from '../../../src/data/pipeline/build.js';
import { PipelineError } from '../../../src/data/pipeline/spec.js';

const dir = mkdtempSync(join(tmpdir(), 'yi-stage-options-'));
after(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
/** Writes a one-pipeline YAML file and builds it as `yi data run` does. */
async function build(stages: unknown[]): Promise<{ path: string; built: Awaited<ReturnType<typeof buildStages>> }> {
  const path = join(dir, `p${files++}.yaml`);
  writeFileSync(path, stringify({ stages }));
  const r = resolvePipeline(path);
  assert.ok('resolved' in r);
  return { path, built: await buildStages(r.resolved) };
}

async function rejects(stages: unknown[], re: RegExp): Promise<StageOptionError> {
  const path = join(dir, `p${files}.yaml`);
  let caught: unknown;
  await build(stages).catch((e: unknown) => (caught = e));
  assert.ok(caught instanceof StageOptionError, `expected a StageOptionError for ${JSON.stringify(stages)}, got ${String(caught)}`);
  assert.ok(caught instanceof PipelineError, 'a StageOptionError is a PipelineError');
  assert.ok(caught.message.startsWith(`${path}: `), `names the file: ${caught.message}`);
  assert.match(caught.message, re);
  return caught;
}

test("the README's `min_words` fails once, naming the file, the stage and the option, with the right spelling", async () => {
  const e = await rejects([{ type: 'gopher_quality', options: { min_words: 50 } }], /: stage 'gopher_quality' \(stages\[0\]\): option 'min_words' is unknown; did you mean 'min_doc_words'\? \(known: language, by_language, min_doc_words, /);
  assert.equal(e.message.split('gopher_quality').length - 1, 1, `the stage is named once: ${e.message}`);
  assert.equal(e.option, 'min_words');
  // A stage with a name of its own: named once, with its type.
  await rejects([{ type: 'gopher_quality', name: 'strict', options: { minDocWord: 50 } }], /: stage 'strict' \(stages\[0\], gopher_quality\): option 'minDocWord' is unknown; did you mean 'minDocWords'\?/);
  const ok = await build([{ type: 'gopher_quality', options: { min_doc_words: 50 } }]);
  assert.equal(ok.built[0]!.name, 'gopher_quality');
});

test('numbers out of range and wrong list items are refused, not run', async () => {
  await rejects([{ type: 'gopher_quality', options: { minDocWords: -5 } }], /option 'minDocWords' must be a whole number >= 0, or null, got -5$/);
  await rejects([{ type: 'gopher_quality', options: { stopWords: [5, null] } }], /option 'stopWords' must be a list of non-empty strings, but item 0 is 5$/);
  await rejects([{ type: 'c4_quality', options: { terminalPunctuation: [1, 2] } }], /option 'terminalPunctuation' must be a list of non-empty strings, but item 0 is 1$/);
  await rejects([{ type: 'fineweb_quality', options: { charDuplicatesRatio: 50 } }], /option 'charDuplicatesRatio' must be a number from 0 to 1, or null, got 50$/);
  await rejects([{ type: 'fineweb_quality', options: { by_language: { zh: { char_duplicates_ratio: 2 } } } }], /option 'by_language.zh.char_duplicates_ratio' must be a number from 0 to 1, or null, got 2$/);
  await rejects([{ type: 'minhash_dedup', options: { bands: 2.5 } }], /option 'bands' must be a whole number from 1 to 1024, got 2.5$/);
  await rejects([{ type: 'c4_quality', options: { policySubstrings: [''] } }], /option 'policySubstrings' must be a list of non-empty strings, but item 0 is ""$/);
  await rejects([{ type: 'language_id', options: { threshold: '0.5' } }], /option 'threshold' must be a number from 0 to 1, got "0.5"$/);
  await rejects([{ type: 'topic_mix', options: { weights: { ads: -1 } } }], /option 'weights.ads' must be a number from 0 to 1000, got -1$/);
  await rejects([{ type: 'pii', options: { emails: 'yes' } }], /option 'emails' must be true or false, got "yes"$/);
  await rejects([{ type: 'pii', options: { emails: true, Emails: true } }], /option 'Emails' is unknown; did you mean 'emails'\?/);
  await rejects([{ type: 'gopher_quality', options: { min_doc_words: 5, minDocWords: 6 } }], /option 'minDocWords' is given twice \(also as 'min_doc_words'\)/);
  await rejects([{ type: 'gopher_quality', options: { name: 'x' } }], /option 'name' is the stage's own `name:`/);
  await rejects([{ type: 'url_blocklist', options: JSON.parse('{"__proto__": 1}') }], /option '__proto__' is unknown/);
});

test('scorer options are checked before a default model is trained or loaded', async () => {
  const cache = join(dir, 'cache');
  mkdirSync(cache);
  const before = process.env.YI_CACHE;
  process.env.YI_CACHE = cache;
  try {
    await rejects([{ type: 'perplexity', options: { drop: ['bottom'] } }], /option 'drop' must be a list of buckets among head, middle, tail, but item 0 is "bottom"$/);
    await rejects([{ type: 'quality_classifier', options: { threshold: 2 } }], /option 'threshold' must be a number from 0 to 1, got 2$/);
    await rejects([{ type: 'safety', options: { min_hits: 0 } }], /option 'min_hits' must be a whole number >= 1, got 0$/);
    await rejects([{ type: 'coherence', options: { modle: 'm.bin' } }], /option 'modle' is unknown; did you mean 'model'\?/);
    assert.deepEqual(readdirSync(cache), [], 'no default model was trained');
  } finally {
    if (before === undefined) delete process.env.YI_CACHE;
    else process.env.YI_CACHE = before;
  }
});

test('every option of every built-in stage has a snake_case spelling that builds the same stage', async () => {
  const defaults: Record<string, object> = {
    language_id: LANGUAGE_ID_DEFAULTS,
    url_blocklist: URL_BLOCKLIST_DEFAULTS,
    bad_words: BAD_WORDS_DEFAULTS,
    gopher_quality: GOPHER_QUALITY_DEFAULTS,
    gopher_repetition: GOPHER_REPETITION_DEFAULTS,
    c4_quality: C4_QUALITY_DEFAULTS,
    fineweb_quality: FINEWEB_QUALITY_DEFAULTS,
    yi_text_metrics: YI_TEXT_METRICS_DEFAULTS,
    pii: PII_DEFAULTS,
    line_dedup: LINE_DEDUP_DEFAULTS,
    minhash_dedup: MINHASH_DEDUP_DEFAULTS,
    exact_substring_dedup: EXACT_SUBSTRING_DEFAULTS,
    cluster_filter: CLUSTER_FILTER_DEFAULTS,
    topic_mix: TOPIC_MIX_DEFAULTS,
  };
  let snaked = 0;
  for (const [type, d] of Object.entries(defaults)) {
    const options = Object.fromEntries(Object.entries(d).filter(([k]) => k !== 'name'));
    const snake = Object.fromEntries(Object.entries(options).map(([k, v]) => [snakeCase(k), v]));
    for (const k of Object.keys(options)) {
      assert.equal(camelCase(snakeCase(k)), k, `${type}.${k} survives the round trip`);
      if (snakeCase(k) !== k) snaked++;
    }
    const { built } = await build([{ type, options: snake }]);
    assert.equal(built[0]!.name, type);
  }
  assert.ok(snaked > 50, `${snaked} options have a snake_case spelling`);
  // Paths given in snake_case resolve against the pipeline file's folder like camelCase ones.
  writeFileSync(join(dir, 'domains.txt'), 'blocked.example\n');
  const { built } = await build([{ type: 'url_blocklist', options: { domains_file: 'domains.txt', use_default_lists: false } }]);
  const stage = built[0]!.stage as { process(d: unknown): { keep: boolean } };
  assert.equal(stage.process({ id: 'a', text: 'x', metadata: { url: 'http://blocked.example/page' } }).keep, false);
});
