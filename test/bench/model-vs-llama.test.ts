// `yi bench --preset/--model ... --llama-bench PATH` end to end, with a stand-in llama-bench that
// reports a fixed speed: the same GGUF, sizes and threads on both sides, rounds interleaved, and a
// ratio next to each of our figures. And the model cases themselves (pp lists, batched decode).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { contextNeeded, measureModel } from '../../bench/model.js';
import type { Figure } from '../../bench/harness.js';
import { preset } from '../../src/model/config.js';
import { YiModel } from '../../src/model/model.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { repoRoot } from '../paths.js';
import { writeFailingLlamaBench, writeFakeLlamaBench } from './fake-llama-bench.js';

const yi = join(repoRoot, 'dist', 'src', 'cli', 'yi.js');
const work = mkdtempSync(join(tmpdir(), 'yi-bench-llama-'));
after(() => rmSync(work, { recursive: true, force: true }));

function bench(...args: string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [yi, 'bench', ...args], { encoding: 'utf8', env: { ...process.env, YI_THREADS: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function figuresOf(out: string): Figure[] {
  return out.trim().split('\n').map((l) => JSON.parse(l) as Figure);
}

/** Ours, llama.cpp and the ratio for every case at every thread count, the stand-in reporting 1000 tokens/s. */
function checkPairs(figs: Figure[], cases: string[], threads: number[], samples: number): void {
  assert.equal(figs[0]!.bench, 'machine');
  assert.match(figs[0]!.note!, /kernels (relaxed-simd|simd128)/);
  for (const t of threads) {
    for (const c of cases) {
      const at = (bench: string) => figs.find((f) => f.bench === bench && f.threads === t && f.case === `tiny q4_0+f16 ${c}`);
      const ours = at('model')!;
      const theirs = at('llama.cpp')!;
      const ratio = at('ratio')!;
      assert.ok(ours && theirs && ratio, `${c} at ${t} threads: ${JSON.stringify(figs)}`);
      assert.equal(theirs.value, 1000);
      assert.equal(theirs.unit, 'tokens/s');
      assert.match(theirs.note!, new RegExp(`llama-bench build unknown \\(0\\), CPU, AMD EPYC; llama \\?B Q8_0; median of ${samples}`));
      assert.ok(ours.value > 0);
      assert.equal(ratio.value, ours.value / 1000);
      assert.equal(ratio.unit, 'x llama.cpp');
      assert.match(ours.note!, new RegExp(`^${(ours.value / 1000).toFixed(2)}x llama.cpp \\(1000 tokens/s\\);.*median of ${samples}$`));
    }
  }
}

test('--llama-bench alternates with llama-bench case by case on the preset GGUF we load, same sizes and threads, with ratios', () => {
  const exe = join(work, 'llama-bench');
  writeFakeLlamaBench(exe, 1000);
  const cache = join(work, 'cache');
  const r = bench('--preset', 'tiny', '--type', 'q4_0', '--threads', '1,2', '--prompt', '16,32', '--gen', '8', '--decode-batch', '4', '--reps', '2', '--rounds', '2', '--cache', cache, '--llama-bench', exe, '--json');
  assert.equal(r.code, 0, r.err);
  const gguf = join(cache, 'tiny-q4_0-seed1.gguf');
  assert.match(r.err, new RegExp(`writing the tiny q4_0 model \\(random weights\\) to ${gguf}`));
  const cases = ['pp16', 'pp32', 'tg8'];
  const progress = r.err.split('\n').filter((l) => l.startsWith('threads '));
  assert.deepEqual(progress, [1, 2].flatMap((t) => [1, 2].flatMap((k) => cases.map((c) => `threads ${t}, round ${k}/2: ${c} yi-ts, then llama-bench`))));
  const calls = readFileSync(exe + '.calls', 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string[]);
  const sizes = [['16', '0'], ['32', '0'], ['0', '8']];
  assert.deepEqual(
    calls.map((a) => a.slice(0, 10)),
    [1, 2].flatMap((t) => [1, 2].flatMap(() => sizes.map(([p, n]) => ['-m', gguf, '-p', p!, '-n', n!, '-t', String(t), '-r', '2']))),
  );
  const figs = figuresOf(r.out);
  checkPairs(figs, cases, [1, 2], 4);
  // Batched decode is ours only, next to our M = 1 figure.
  const m4 = figs.filter((f) => f.case === 'tiny q4_0+f16 decode M=4');
  assert.deepEqual(m4.map((f) => [f.bench, f.threads]), [['model', 1], ['model', 2]]);
  assert.match(m4[0]!.note!, /x the tokens\/s of M=1; median of 4$/);
  // A second run reuses the file.
  const again = bench('--preset', 'tiny', '--type', 'q4_0', '--threads', '1', '--prompt', '16', '--gen', '0', '--reps', '1', '--rounds', '1', '--cache', cache, '--llama-bench', exe, '--json');
  assert.equal(again.code, 0, again.err);
  assert.doesNotMatch(again.err, /writing/);
});

test('--interleave round runs all our cases, then one llama-bench call for them, each round', () => {
  const exe = join(work, 'llama-bench-rounds');
  writeFakeLlamaBench(exe, 1000);
  const cache = join(work, 'cache');
  const r = bench('--preset', 'tiny', '--type', 'q4_0', '--threads', '2', '--prompt', '16,32', '--gen', '8', '--reps', '3', '--rounds', '2', '--interleave', 'round', '--cache', cache, '--llama-bench', exe, '--json');
  assert.equal(r.code, 0, r.err);
  const gguf = join(cache, 'tiny-q4_0-seed1.gguf');
  const progress = r.err.split('\n').filter((l) => l.startsWith('threads '));
  assert.deepEqual(progress, [1, 2].flatMap((k) => [`threads 2, round ${k}/2: yi-ts on ${gguf}`, `threads 2, round ${k}/2: llama-bench`]));
  const calls = readFileSync(exe + '.calls', 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string[]);
  assert.deepEqual(calls.map((a) => a.slice(0, 10)), [1, 2].map(() => ['-m', gguf, '-p', '16,32', '-n', '8', '-t', '2', '-r', '3']));
  checkPairs(figuresOf(r.out), ['pp16', 'pp32', 'tg8'], [2], 6);
  const bad = bench('--preset', 'tiny', '--interleave', 'sometimes', '--llama-bench', exe);
  assert.match(bad.err, /--interleave must be case or round, got 'sometimes'/);
});

test('--model FILE.gguf --llama-bench times that file on both sides, labelled by its name', () => {
  const exe = join(work, 'llama-bench-model');
  writeFakeLlamaBench(exe, 1000);
  const cache = join(work, 'cache');
  const w = bench('--preset', 'tiny', '--type', 'q4_0', '--prompt', '0', '--gen', '0', '--cache', cache, '--llama-bench', exe);
  assert.equal(w.code, 0, w.err);
  const gguf = join(cache, 'tiny-q4_0-seed1.gguf');
  const r = bench('--model', gguf, '--threads', '1', '--prompt', '16', '--gen', '4', '--reps', '1', '--rounds', '1', '--llama-bench', exe, '--json');
  assert.equal(r.code, 0, r.err);
  const figs = figuresOf(r.out);
  assert.deepEqual(figs.filter((f) => f.bench === 'ratio').map((f) => f.case), ['tiny-q4_0-seed1 q4_0+f16 pp16', 'tiny-q4_0-seed1 q4_0+f16 tg4']);
  const calls = readFileSync(exe + '.calls', 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string[]);
  assert.ok(calls.length >= 2 && calls.every((a) => a[1] === gguf));
});

test('--llama-bench errors name the executable or say what to give instead', () => {
  const failing = join(work, 'llama-bench-fails');
  writeFailingLlamaBench(failing, 2, 'llama_model_load: error loading model');
  const cache = join(work, 'cache2');
  const a = bench('--preset', 'tiny', '--prompt', '16', '--gen', '4', '--reps', '1', '--cache', cache, '--llama-bench', failing);
  assert.equal(a.code, 1);
  assert.match(a.err, new RegExp(`yi: llama-bench ${failing} exited with code 2 on ${join(cache, 'tiny-q8_0-seed1.gguf')}`));
  assert.match(a.err, /llama_model_load: error loading model/);
  const missing = join(work, 'no', 'llama-bench');
  const b = bench('--preset', 'tiny', '--cache', cache, '--llama-bench', missing);
  assert.equal(b.code, 1);
  assert.match(b.err, new RegExp(`yi: llama-bench ${missing}: no such file`));
  const c = bench('--model', join(repoRoot, 'test', 'fixtures', 'yi-tiny'), '--llama-bench', failing);
  assert.match(c.err, /--llama-bench runs on a \.gguf file; .*yi-tiny is not one \(write one with: yi convert/);
  const d = bench('--llama-bench', failing);
  assert.match(d.err, /--llama-bench needs --model FILE\.gguf or --preset NAME/);
  const e = bench('--preset', 'tiny', '--type', 'q5_k', '--cache', cache, '--llama-bench', failing);
  assert.match(e.err, /--type "q5_k": expected one of f32, f16, bf16, q8_0, q4_0/);
});

test('measureModel times every pp size, tg and each batched-decode size within the context it asks for', async () => {
  const rt = await Runtime.create({ threads: 1, arenaBytes: 64 << 20 });
  try {
    const opts = { promptTokens: [8, 24], genTokens: 6, decodeBatches: [2, 16], reps: 2 };
    // contextNeeded must cover the longest case: 1 + 4 steps of 16 tokens here.
    const ctx = contextNeeded(opts);
    assert.ok(ctx >= 1 + 4 * 16, String(ctx));
    const model = YiModel.random(rt, preset('tiny'), 'q8_0', 1, { contextLength: ctx, batch: 24 });
    const cases = measureModel(model, opts);
    assert.deepEqual(cases.map((c) => [c.name, c.kind, c.tokens, c.rates.length]), [
      ['pp8', 'pp', 8, 2],
      ['pp24', 'pp', 24, 2],
      ['tg6', 'tg', 6, 2],
      ['decode M=2', 'decode', 2, 2],
      ['decode M=16', 'decode', 16, 2],
    ]);
    for (const c of cases) assert.ok(c.rates.every((r) => r > 0 && Number.isFinite(r)), c.name);
    assert.match(cases[4]!.note, /16 tokens per forward, 4 steps/);
    model.dispose();
  } finally {
    await rt.close();
  }
});
