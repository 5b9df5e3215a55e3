// The real llama-bench on our preset GGUFs, when YI_LLAMA_BENCH names one (e.g. a llama.cpp build's
// build/bin/llama-bench); skipped otherwise. Proves llama.cpp loads what the writer produces (names,
// types, no_vocab tokenizer) and that its output is read into figures with ratios.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Figure } from '../../bench/harness.js';
import { repoRoot } from '../paths.js';

const exe = process.env.YI_LLAMA_BENCH;
const skip = exe ? false : 'YI_LLAMA_BENCH is not set (point it at a llama.cpp llama-bench to run this test)';
const work = mkdtempSync(join(tmpdir(), 'yi-llama-real-'));
after(() => rmSync(work, { recursive: true, force: true }));

for (const type of ['f32', 'f16', 'q8_0', 'q4_0']) {
  test(`llama-bench loads and times the ${type} preset GGUF that we time`, { skip }, () => {
    const yi = join(repoRoot, 'dist', 'src', 'cli', 'yi.js');
    const args = ['bench', '--preset', 'tiny', '--type', type, '--threads', '1', '--prompt', '16', '--gen', '4', '--reps', '1', '--rounds', '1', '--cache', work, '--llama-bench', exe!, '--json'];
    const r = spawnSync(process.execPath, [yi, ...args], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const figs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Figure);
    for (const c of ['pp16', 'tg4']) {
      const theirs = figs.find((f) => f.bench === 'llama.cpp' && f.case.endsWith(c));
      const ratio = figs.find((f) => f.bench === 'ratio' && f.case.endsWith(c));
      assert.ok(theirs && theirs.value > 0, `${c}: ${r.stdout}`);
      assert.match(theirs.note!, new RegExp(`llama-bench build .*; llama .* ${type === 'f32' ? 'all F32' : type.toUpperCase()}`, 'i'));
      assert.ok(ratio && Number.isFinite(ratio.value) && ratio.value > 0);
    }
  });
}
