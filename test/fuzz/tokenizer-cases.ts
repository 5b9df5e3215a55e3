// Writes fuzz cases for the tokenizer targets, each in its own folder (a tokenizer_config.json case
// needs a tokenizer beside it), and checks a run the same way for every tokenizer file.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { assertNoUntypedOrHang, runFuzz, tally, writeCase, type FuzzCase } from './harness.js';

export class CaseFolders {
  readonly cases: { name: string; path: string }[] = [];

  constructor(
    private readonly dir: string,
    private readonly fileName: string,
  ) {}

  /** Adds a case; `beside` are files written next to it (name -> bytes). */
  add(c: FuzzCase, beside: Record<string, Uint8Array | string> = {}): void {
    const d = join(this.dir, `case${this.cases.length}`);
    mkdirSync(d);
    for (const [name, bytes] of Object.entries(beside)) writeFileSync(join(d, name), bytes);
    this.cases.push({ name: c.name, path: writeCase(d, this.fileName, c) });
  }
}

/**
 * Runs the cases through targets/tokenizer.js and asserts: no untyped error, no hang, every unmutated
 * seed (a case named "seed ...") loads, and (unless `expectBoth` is false) the mutations produce both
 * loadable and refused files, so the run is not all one trivial kind. YI_FUZZ_VERBOSE=1 lists every case.
 */
export async function runTokenizerFuzz(t: TestContext, what: string, folders: CaseFolders, opts: { expectBoth?: boolean } = {}): Promise<void> {
  const t0 = performance.now();
  const out = await runFuzz({ module: new URL('./targets/tokenizer.js', import.meta.url), exportName: 'loadTokenizerAndEncode', cases: folders.cases, caseTimeoutMs: 10_000 });
  const counts = tally(out);
  t.diagnostic(`${what}: ${out.length} cases in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${JSON.stringify(counts)}`);
  assertNoUntypedOrHang(out, what);
  const seeds = out.filter((o) => o.case.startsWith('seed '));
  assert.ok(seeds.length > 0 && seeds.every((o) => o.kind === 'ok'), `the seeds must load: ${seeds.filter((o) => o.kind !== 'ok').map((o) => `${o.case}: ${o.error}`).join('; ')}`);
  if (process.env.YI_FUZZ_VERBOSE) for (const o of out) t.diagnostic(`${o.kind}: ${o.case}: ${o.error ?? ''}`.slice(0, 300));
  if (opts.expectBoth === false) return;
  assert.ok(counts.ok > seeds.length && counts.typed > 0, `${what}: the mutations should give both loadable and refused files`);
}
