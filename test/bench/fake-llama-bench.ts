// Stand-ins for llama-bench in tests: executables that print what llama-bench prints (the fields of
// the checked-in fixture, one test per requested case) or fail the ways a real one can.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../paths.js';

export const fixtureDir = join(repoRoot, 'test', 'fixtures', 'llama-bench');

/**
 * Writes an executable at `path` that answers `-m F -p A,B -n N -t T -r R -o json` with one result per
 * case, `tokensPerSecond` in each of R samples, and appends its arguments (one JSON array per call) to
 * `path + '.calls'`.
 */
export function writeFakeLlamaBench(path: string, tokensPerSecond: number): void {
  const script = `#!${process.execPath}
const { appendFileSync, readFileSync } = require('node:fs');
const args = process.argv.slice(2);
appendFileSync(${JSON.stringify(path + '.calls')}, JSON.stringify(args) + '\\n');
const opt = (k) => args[args.indexOf(k) + 1];
const template = JSON.parse(readFileSync(${JSON.stringify(join(fixtureDir, 'tiny-q8_0.json'))}, 'utf8'))[0];
const reps = Number(opt('-r'));
const cases = opt('-p').split(',').map(Number).filter((p) => p > 0).map((p) => [p, 0]);
if (Number(opt('-n')) > 0) cases.push([0, Number(opt('-n'))]);
const out = cases.map(([p, n]) => ({ ...template, model_filename: opt('-m'), n_threads: Number(opt('-t')), n_prompt: p, n_gen: n,
  avg_ts: ${tokensPerSecond}, samples_ts: Array(reps).fill(${tokensPerSecond}), samples_ns: Array(reps).fill(1) }));
process.stdout.write(JSON.stringify(out, null, 2) + '\\n');
`;
  writeFileSync(path, script);
  chmodSync(path, 0o755);
}

/** An executable that prints `stderr` and exits with `code`, as llama-bench does on a model it cannot load. */
export function writeFailingLlamaBench(path: string, code: number, stderr: string): void {
  writeFileSync(path, `#!/bin/sh\necho ${JSON.stringify(stderr)} >&2\nexit ${code}\n`);
  chmodSync(path, 0o755);
}
