// The quality table's AWQ rows: awq+<type> is quantized by yi quantize --awq on the table's
// calibration text and measured like any row; without calibration text the table refuses before
// writing anything.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { EvalError } from '../../src/eval/errors.js';
import { QUANT_TABLE_ROWS, quantTable, tableRows } from '../../src/eval/quant-table.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { tinyModelFolder } from '../cli/yi-cli.js';
import { tinyTokenizer } from '../model/tiny-tokenizer.js';
import { repoRoot } from '../paths.js';

let rt: Runtime;
let tmp: string;
let folder: string;
let calib: string;
const text = readFileSync(join(repoRoot, 'README.md'), 'utf8');
before(async () => {
  rt = await Runtime.create({ threads: 2, arenaBytes: 128 << 20 });
  tmp = mkdtempSync(join(tmpdir(), 'yi-table-awq-'));
  folder = tinyModelFolder(join(tmp, 'hf'));
  calib = join(tmp, 'calib.txt');
  writeFileSync(calib, text.slice(0, 4000));
});
after(async () => {
  await rt.close();
  rmSync(tmp, { recursive: true, force: true });
});

test('awq+q4_k_m and awq+q4_0 are rows; awq+ of a type --awq refuses is not', () => {
  assert.equal(QUANT_TABLE_ROWS.get('awq+q4_0')?.awq, true);
  assert.equal(QUANT_TABLE_ROWS.get('awq+q4_k_m')?.type, 'q4_k_m');
  assert.throws(() => tableRows(['awq+q8_0']), (e: unknown) => e instanceof EvalError && /unknown table row 'awq\+q8_0'/.test(e.message));
});

test('an AWQ row is measured from a file with AWQ scales, next to the plain row of its type', async () => {
  const out = join(tmp, 'table');
  const lines = await quantTable(folder, {
    runtime: rt,
    tokenizer: tinyTokenizer(),
    text: text.slice(4000, 8000),
    source: 'README.md',
    rows: tableRows(['f32', 'q4_0', 'awq+q4_0']),
    outDir: out,
    ctx: 32,
    chunks: 4,
    decodeTokens: 4,
    calib: { file: calib, tokens: 256 },
  });
  assert.deepEqual(lines.map((l) => l.label), ['f32', 'q4_0', 'awq+q4_0']);
  const [, plain, awq] = lines;
  assert.ok(!readFileSync(plain!.file).equals(readFileSync(awq!.file)), 'the AWQ file is the plain one');
  assert.equal(awq!.bitsPerWeight, plain!.bitsPerWeight);
  assert.ok(Number.isFinite(awq!.ppl) && awq!.deltaPercent !== null);
});

test('AWQ rows without calibration text are refused before any file is written', async () => {
  const out = join(tmp, 'refused');
  await assert.rejects(
    quantTable(folder, { runtime: rt, tokenizer: tinyTokenizer(), text, source: 'README.md', rows: tableRows(['f32', 'awq+q4_k_m']), outDir: out, ctx: 32, chunks: 2 }),
    (e: unknown) => e instanceof EvalError && /the rows awq\+q4_k_m need calibration text \(--calib FILE\)/.test(e.message),
  );
  assert.ok(!existsSync(out) || readdirSync(out).length === 0);
});
