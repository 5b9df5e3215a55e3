// Reading llama-bench's results (fixtures captured from a real run), finding the executable and the
// errors that name it.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { findLlamaBench, LlamaBenchError, llamaBenchArgs, llamaCaseName, parseLlamaBenchOutput, runLlamaBench } from '../../bench/llama-bench.js';
import { fixtureDir, writeFailingLlamaBench, writeFakeLlamaBench } from './fake-llama-bench.js';

const work = mkdtempSync(join(tmpdir(), 'yi-llama-bench-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('the -o json output of a real llama-bench run parses into one result per test', () => {
  const rs = parseLlamaBenchOutput(readFileSync(join(fixtureDir, 'tiny-q8_0.json'), 'utf8'), 'fixture');
  assert.deepEqual(rs.map(llamaCaseName), ['pp16', 'pp32', 'tg8']);
  assert.deepEqual(rs[0]!.samplesTs, [63064.6, 67504]);
  assert.deepEqual(rs[2]!.samplesTs, [3238.03, 13201]);
  assert.equal(rs[1]!.avgTs, 76559.163294);
  for (const r of rs) {
    assert.equal(r.buildCommit, 'unknown');
    assert.equal(r.buildNumber, 0);
    assert.equal(r.cpuInfo, 'AMD EPYC');
    assert.equal(r.backends, 'CPU');
    assert.equal(r.modelType, 'llama ?B Q8_0');
    assert.equal(r.nThreads, 1);
  }
});

test('the -o jsonl output (one object per line) parses the same way', () => {
  const rs = parseLlamaBenchOutput(readFileSync(join(fixtureDir, 'tiny-q8_0.jsonl'), 'utf8'), 'fixture');
  assert.deepEqual(rs.map(llamaCaseName), ['pp16', 'tg8']);
  assert.deepEqual(rs[1]!.samplesTs, [12695.6, 12975.7]);
});

test('output that is not llama-bench JSON fails naming the executable and the field', () => {
  const good = JSON.parse(readFileSync(join(fixtureDir, 'tiny-q8_0.json'), 'utf8')) as Record<string, unknown>[];
  const bad = (text: string, re: RegExp) => assert.throws(() => parseLlamaBenchOutput(text, '/opt/llama-bench'), (e: Error) => e instanceof LlamaBenchError && re.test(e.message));
  bad('', /llama-bench \/opt\/llama-bench: printed no results/);
  bad('| model | size |\n|---|---|', /output line 1 is not JSON/);
  bad(JSON.stringify([{ ...good[0], samples_ts: [] }]), /result #0 field samples_ts: expected a non-empty array/);
  bad(JSON.stringify([good[0], { ...good[1], n_prompt: '32' }]), /result #1 field n_prompt: expected a non-negative number, got "32"/);
  bad(JSON.stringify([{ ...good[0], build_commit: undefined }]), /result #0 field build_commit: expected a string, got nothing/);
  bad(JSON.stringify([3]), /result #0: expected an object/);
});

test('a llama-bench path that is missing, a folder or not executable fails naming it', () => {
  const notExec = join(work, 'llama-bench-644');
  writeFileSync(notExec, '#!/bin/sh\n');
  chmodSync(notExec, 0o644);
  const folder = join(work, 'bin');
  mkdirSync(folder);
  const fails = (p: string, re: RegExp) => assert.throws(() => findLlamaBench(p), (e: Error) => e instanceof LlamaBenchError && re.test(e.message));
  fails(join(work, 'nope', 'llama-bench'), new RegExp(`llama-bench ${join(work, 'nope', 'llama-bench')}: no such file`));
  fails(folder, new RegExp(`llama-bench ${folder}: not a file`));
  fails(notExec, new RegExp(`llama-bench ${notExec}: not executable`));
  fails('yi-no-such-llama-bench', /llama-bench yi-no-such-llama-bench: not found in \$PATH/);
  const ok = join(work, 'llama-bench');
  writeFakeLlamaBench(ok, 100);
  assert.equal(findLlamaBench(ok), ok);
});

test('runLlamaBench passes our sizes and threads and reads every case back', () => {
  const exe = join(work, 'llama-bench-run');
  writeFakeLlamaBench(exe, 250);
  const rs = runLlamaBench(exe, { model: '/m.gguf', prompts: [128, 512], gen: 64, threads: 2, reps: 3 });
  assert.deepEqual(rs.map(llamaCaseName), ['pp128', 'pp512', 'tg64']);
  assert.deepEqual(rs[0]!.samplesTs, [250, 250, 250]);
  const calls = readFileSync(exe + '.calls', 'utf8').trim().split('\n').map((l) => JSON.parse(l) as string[]);
  assert.deepEqual(calls, [llamaBenchArgs({ model: '/m.gguf', prompts: [128, 512], gen: 64, threads: 2, reps: 3 })]);
  assert.deepEqual(calls[0]!.slice(0, 10), ['-m', '/m.gguf', '-p', '128,512', '-n', '64', '-t', '2', '-r', '3']);
});

test('a llama-bench that fails, or returns fewer cases than asked, gives an error naming it and its stderr', () => {
  const exe = join(work, 'llama-bench-fail');
  writeFailingLlamaBench(exe, 1, 'error: failed to load model');
  assert.throws(
    () => runLlamaBench(exe, { model: '/m.gguf', prompts: [16], gen: 8, threads: 1, reps: 1 }),
    (e: Error) => e instanceof LlamaBenchError && e.message.includes(`llama-bench ${exe} exited with code 1 on /m.gguf`) && e.message.includes('error: failed to load model'),
  );
  // Results for other sizes or threads than asked (e.g. an llama-bench that reads -t differently) are refused.
  const other = join(work, 'llama-bench-other');
  writeFileSync(other, `#!/bin/sh\ncat ${JSON.stringify(join(fixtureDir, 'tiny-q8_0.jsonl'))}\n`);
  chmodSync(other, 0o755);
  assert.deepEqual(runLlamaBench(other, { model: '/m.gguf', prompts: [16], gen: 8, threads: 1, reps: 2 }).map(llamaCaseName), ['pp16', 'tg8']);
  assert.throws(
    () => runLlamaBench(other, { model: '/m.gguf', prompts: [16], gen: 8, threads: 2, reps: 2 }),
    (e: Error) => e instanceof LlamaBenchError && e.message.includes(`llama-bench ${other} result #0 is pp16 at 1 threads, expected pp16 at 2 threads`),
  );
  assert.throws(
    () => runLlamaBench(other, { model: '/m.gguf', prompts: [32], gen: 8, threads: 1, reps: 2 }),
    (e: Error) => e instanceof LlamaBenchError && e.message.includes('result #0 is pp16 at 1 threads, expected pp32 at 1 threads'),
  );
  const short = join(work, 'llama-bench-short');
  writeFileSync(short, `#!/bin/sh\ncat ${JSON.stringify(join(fixtureDir, 'tiny-q8_0.jsonl'))}\n`);
  chmodSync(short, 0o755);
  assert.throws(
    () => runLlamaBench(short, { model: '/m.gguf', prompts: [16, 32], gen: 8, threads: 1, reps: 1 }),
    (e: Error) => e instanceof LlamaBenchError && e.message.includes(`llama-bench ${short} returned 2 results, expected 3`),
  );
});
