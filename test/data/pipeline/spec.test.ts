import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { buildStages, namedStages, resolvePipeline } from '../../../src/data/pipeline/build.js';
import { createStage, registerStage, stageTypes } from '../../../src/data/pipeline/registry.js';
import { loadPipelineFile, parsePipelineSpec, PipelineError, pipelineToYaml } from '../../../src/data/pipeline/spec.js';
import { DEFAULT_PIPELINE } from '../../../src/data/pipelines/index.js';
import { minWords } from './test-stages.js';

const dir = mkdtempSync(join(tmpdir(), 'yi-spec-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('pipeline files (YAML and JSON) give the same spec; imports resolve against the file', () => {
  const yaml = join(dir, 'p.yaml');
  writeFileSync(yaml, 'imports: [./stages.js]\nstages:\n  - type: test_min_words\n    options: { min: 4 }\n  - type: test_upper\n    name: caps\n');
  const json = join(dir, 'p.json');
  writeFileSync(json, JSON.stringify({ imports: ['./stages.js'], stages: [{ type: 'test_min_words', options: { min: 4 } }, { type: 'test_upper', name: 'caps' }] }));
  const a = loadPipelineFile(yaml);
  assert.deepEqual(a, { stages: [{ type: 'test_min_words', options: { min: 4 } }, { type: 'test_upper', name: 'caps' }], imports: ['./stages.js'], baseDir: dir, file: yaml });
  assert.deepEqual(loadPipelineFile(json), { ...a, file: json });
  assert.deepEqual(parseYaml(pipelineToYaml(a)), { stages: a.stages, imports: a.imports });
});

test('malformed pipelines fail naming the file and the field', () => {
  const cases: [unknown, RegExp][] = [
    [[], /p: top level: expected an object/],
    [{ stage: [] }, /p: stage: unknown key \(expected stages, imports\)/],
    [{ stages: {} }, /p: stages: expected a list of stages/],
    [{ stages: [] }, /p: stages: the list is empty/],
    [{ stages: [{ name: 'x' }] }, /p: stages\[0\]\.type: expected a stage type name/],
    [{ stages: [{ type: 'a', option: {} }] }, /p: stages\[0\]\.option: unknown key \(expected type, name, options\)/],
    [{ stages: [{ type: 'a', options: [1] }] }, /p: stages\[0\]\.options: expected an object/],
    [{ stages: [{ type: 'a' }], imports: [3] }, /p: imports: expected a list of module paths/],
  ];
  for (const [v, re] of cases) assert.throws(() => parsePipelineSpec(v, 'p'), (e: Error) => e instanceof PipelineError && re.test(e.message), String(re));
  writeFileSync(join(dir, 'bad.yaml'), 'stages: [ { type: a ');
  assert.throws(() => loadPipelineFile(join(dir, 'bad.yaml')), /bad\.yaml: not valid YAML/);
  assert.throws(() => loadPipelineFile(join(dir, 'none.yaml')), /none\.yaml: cannot read the pipeline file \(ENOENT\)/);
});

test('the registry builds stages by type; an unknown type lists the known ones; names must be unique', async () => {
  const types = stageTypes().map((t) => t.type);
  assert.ok(types.includes('test_min_words') && types.includes('test_exact_dedup'));
  const built = await buildStages({ kind: 'spec', spec: { stages: [{ type: 'test_min_words', options: { min: 2 } }, { type: 'test_upper', name: 'caps' }] } });
  assert.deepEqual(built.map((s) => [s.name, s.type, s.stage.kind]), [['test_min_words', 'test_min_words', 'filter'], ['caps', 'test_upper', 'transform']]);
  await assert.rejects(buildStages({ kind: 'spec', spec: { stages: [{ type: 'no_such_stage' }] } }), (e: Error) => e instanceof PipelineError && /^pipeline: stages\[0\]: unknown stage type 'no_such_stage' \(known types: .*test_exact_dedup, test_hang, test_min_words, test_upper/.test(e.message));
  await assert.rejects(buildStages({ kind: 'spec', spec: { stages: [{ type: 'test_upper' }, { type: 'test_upper' }] } }), /two stages are named 'test_upper'/);
  assert.throws(() => namedStages([minWords('a', 1), minWords('a', 2)]), /two stages are named 'a'/);
  assert.throws(() => registerStage('test_upper', () => minWords('x', 1)), /registered twice/);
  assert.throws(() => registerStage('Bad Name', () => minWords('x', 1)), /expected snake_case/);
  registerStage('test_failing_factory', () => {
    throw new Error('needs option model');
  });
  await assert.rejects(createStage('test_failing_factory', {}, { name: 'f', baseDir: dir }), /stage 'f' \(test_failing_factory\): needs option model/);
});

test('pipeline sources: built-in names, files, modules and Stage objects', () => {
  assert.deepEqual(resolvePipeline('default'), { resolved: { kind: 'spec', spec: DEFAULT_PIPELINE } });
  assert.deepEqual(resolvePipeline({ module: '/m/p.js', export: 'x' }), { resolved: { kind: 'module', module: '/m/p.js', export: 'x' } });
  assert.deepEqual(resolvePipeline('/m/p.mjs'), { resolved: { kind: 'module', module: '/m/p.mjs' } });
  const stages = [minWords('a', 1)];
  assert.deepEqual(resolvePipeline(stages), { stages });
  assert.throws(() => resolvePipeline('nonsense'), /pipeline 'nonsense': expected a \.yaml, \.yml or \.json file, a \.js module, or a built-in name \(default\)/);
});

test("the default pipeline follows the order of Yi's Figure 1", () => {
  assert.deepEqual(
    DEFAULT_PIPELINE.stages.map((s) => s.type),
    [
      'language_id',
      // heuristic rules and text metrics
      'url_blocklist', 'bad_words', 'gopher_quality', 'c4_quality', 'fineweb_quality', 'yi_text_metrics',
      // repetition, then rule-based correction
      'gopher_repetition', 'pii',
      // learned scorers
      'perplexity', 'quality_classifier', 'coherence',
      // paragraph, MinHash, exact-substring dedup
      'line_dedup', 'minhash_dedup', 'exact_substring_dedup',
      'safety',
      // topic and cluster filtering
      'cluster_filter', 'topic_mix',
    ],
  );
  assert.deepEqual(parsePipelineSpec(JSON.parse(JSON.stringify(DEFAULT_PIPELINE)), 'default'), DEFAULT_PIPELINE);
});
