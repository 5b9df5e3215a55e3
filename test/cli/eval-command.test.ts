// `yi eval perplexity` and `yi eval quant-table` end to end on the yi-tiny fixture, as a user runs
// them: llama-perplexity's output lines, --json, bad inputs as one-line errors, Ctrl-C.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runYi, tinyModelFolder, yiEnv } from './yi-cli.js';

const work = mkdtempSync(join(tmpdir(), 'yi-eval-'));
after(() => rmSync(work, { recursive: true, force: true }));
const model = tinyModelFolder(join(work, 'yi-tiny'));
// The tiny tokenizer spells text mostly letter by letter: about 700 tokens.
const text = join(work, 'text.txt');
writeFileSync(text, 'the cat sat on the mat and then it ran away. '.repeat(16));

test('yi eval perplexity prints the running perplexity per chunk and the final estimate, as llama-perplexity does', () => {
  const r = runYi(['eval', 'perplexity', '-m', model, '-f', text, '--ctx', '32', '--chunks', '5']);
  assert.equal(r.code, 0, r.err);
  const lines = r.out.trim().split('\n');
  assert.equal(lines.length, 2, r.out);
  assert.match(lines[0]!, /^\[1\]\d+\.\d{4},\[2\]\d+\.\d{4},\[3\]\d+\.\d{4},\[4\]\d+\.\d{4},\[5\](\d+\.\d{4}),$/);
  const last = /\[5\](\d+\.\d{4}),$/.exec(lines[0]!)![1];
  assert.match(lines[1]!, new RegExp(`^Final estimate: PPL = ${last} \\+/- \\d+\\.\\d{5}$`));
  assert.match(r.err, /\d+ tokens, 5 chunks of 32 tokens, 75 scored; [\d.]+ tokens\/s/);

  const j = runYi(['eval', 'perplexity', '-m', model, '-f', text, '--ctx', '32', '--chunks', '5', '--json']);
  assert.equal(j.code, 0, j.err);
  const o = JSON.parse(j.out) as { ppl: number; error: number; windows: number; scored: number; method: string; running: number[] };
  assert.equal(o.method, 'chunks');
  assert.equal(o.windows, 5);
  assert.equal(o.scored, 75);
  assert.equal(o.ppl.toFixed(4), last);
  assert.equal(o.running.length, 5);
});

test('yi eval perplexity --stride runs the sliding window over the whole text', () => {
  const r = runYi(['eval', 'perplexity', '-m', model, '-f', text, '--ctx', '32', '--stride', '16', '--json']);
  assert.equal(r.code, 0, r.err);
  const o = JSON.parse(r.out) as { method: string; stride: number; tokens: number; scored: number };
  assert.equal(o.method, 'stride');
  assert.equal(o.stride, 16);
  assert.equal(o.scored, o.tokens - 1);
});

test('bad inputs give one-line errors naming the file or flag', () => {
  const empty = join(work, 'empty.txt');
  writeFileSync(empty, '  \n');
  const short = join(work, 'short.txt');
  writeFileSync(short, 'a short text');
  const folder = join(work, 'folder');
  mkdirSync(folder, { recursive: true });
  const cases: [string[], RegExp][] = [
    [['-f', join(work, 'nope.txt')], /--file .*nope\.txt does not exist/],
    [['-f', folder], /--file .*folder is a folder/],
    [['-f', empty], /--file .*empty\.txt is empty/],
    [['-f', text, '--ctx', '128'], /--ctx 128 is more than .* can take: 64 positions/],
    [['-f', short, '--ctx', '32'], /short\.txt: the text is \d+ tokens; perplexity with a context of 32 needs at least 64 \(two chunks\)/],
    [['-f', text, '--ctx', '32', '--stride', '40'], /stride must be an integer from 1 to the context \(32\)/],
    [['-f', text, '--chunks', '0'], /--chunks must be an integer >= 1/],
  ];
  for (const [args, want] of cases) {
    const r = runYi(['eval', 'perplexity', '-m', model, ...args]);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, want);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
    assert.doesNotMatch(r.err, /\n\s+at /);
  }
});

test('Ctrl-C stops yi eval perplexity between forward steps, reporting the complete chunks, with exit code 130', () => {
  // --batch 8: four steps per chunk of 32; the signal comes after the 6th (inside chunk 2).
  const preload = ['--import', new URL('./sigint-in-forward-all.js', import.meta.url).href];
  const r = runYi(['eval', 'perplexity', '-m', model, '-f', text, '--ctx', '32', '--batch', '8'], { nodeArgs: preload, env: yiEnv(2, { YI_TEST_SIGINT_AFTER: '6' }), timeout: 60_000 });
  assert.equal(r.signal, null);
  assert.equal(r.code, 130, r.err);
  assert.match(r.out, /^\[1\](\d+\.\d{4}),\n$/);
  const first = /^\[1\](\d+\.\d{4})/.exec(r.out)![1];
  assert.match(r.err, new RegExp(`stopped by Ctrl-C after 1 of \\d+ chunks; estimate over those: PPL = ${first} \\+/- `));
});

test('yi eval quant-table measures each type and prints a Markdown table (and JSON rows)', () => {
  const out = join(work, 'table');
  const r = runYi(['eval', 'quant-table', '-m', model, '-f', text, '--ctx', '32', '--chunks', '4', '--types', 'f32,q8_0,q4_0', '--out', out, '--decode-tokens', '8'], { timeout: 120_000 });
  assert.equal(r.code, 0, r.err);
  const rows = r.out.split('\n').filter((l) => /^\| (f32|q8_0|q4_0) /.test(l));
  assert.equal(rows.length, 3, r.out);
  assert.match(r.out, /^\| type \| file size \| bits\/weight \| PPL \| \+\/- \| delta vs f32 \| decode tokens\/s \|$/m);
  assert.match(rows[0]!, /^\| f32 \| [\d.]+ MiB \| 32\.00 \| [\d.]+ \| [\d.]+ \| \+0\.00% \| [\d.]+ \|$/);
  for (const f of ['f32', 'q8_0', 'q4_0']) assert.ok(existsSync(join(out, `${f}.gguf`)), f);

  const j = runYi(['eval', 'quant-table', '-m', model, '-f', text, '--ctx', '32', '--chunks', '4', '--types', 'q8_0,f32', '--json', '--decode-tokens', '8'], { timeout: 120_000 });
  assert.equal(j.code, 0, j.err);
  const lines = j.out.trim().split('\n').map((l) => JSON.parse(l) as { label: string; bitsPerWeight: number; ppl: number; deltaPercent: number; bytes: number; decodeTokensPerSecond: number });
  assert.deepEqual(lines.map((l) => l.label), ['f32', 'q8_0'], 'f32, the reference, first');
  assert.equal(lines[0]!.deltaPercent, 0);
  // q8_0: 34 bytes per 32 weights (8.5 bits) for the matrices; f32 norms lift it a little.
  assert.ok(lines[1]!.bitsPerWeight > 8.5 && lines[1]!.bitsPerWeight < 9, String(lines[1]!.bitsPerWeight));
  assert.ok(lines[1]!.bytes < lines[0]!.bytes / 3);
  assert.ok(Math.abs(lines[1]!.deltaPercent - ((lines[1]!.ppl - lines[0]!.ppl) / lines[0]!.ppl) * 100) < 1e-9);
  // The same f32 file gives the same perplexity in both runs.
  assert.ok(r.out.includes(`| ${lines[0]!.ppl.toFixed(4)} |`));
  for (const l of lines) assert.ok(l.decodeTokensPerSecond > 0);

  const bad = runYi(['eval', 'quant-table', '-m', model, '-f', text, '--types', 'f32,q9_k']);
  assert.equal(bad.code, 1);
  assert.match(bad.err, /unknown table row 'q9_k'; known rows: f32, f16, q8_0/);
});

test('yi eval quant-table refuses a text too short for the context before writing any file', () => {
  const short = join(work, 'short-table.txt');
  writeFileSync(short, 'the cat sat on the mat');
  const out = join(work, 'no-table');
  const r = runYi(['eval', 'quant-table', '-m', model, '-f', short, '--ctx', '32', '--types', 'f32,q8_0', '--out', out]);
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /short-table\.txt: the text is \d+ tokens; perplexity with a context of 32 needs at least 64/);
  assert.ok(!existsSync(join(out, 'f32.gguf')), 'no row was quantized');
});
