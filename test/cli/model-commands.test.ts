// The model commands end to end, as a user runs them: a child process per command.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runYi, tinyModelFolder } from './yi-cli.js';

const work = mkdtempSync(join(tmpdir(), 'yi-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));
const model = tinyModelFolder(join(work, 'yi-tiny'));

const run = (...args: string[]) => runYi(args);

test('yi generate streams a greedy continuation and reports speeds', () => {
  const a = run('generate', '-m', model, '-p', 'hello', '--temperature', '0', '-n', '6');
  assert.equal(a.code, 0, a.err);
  assert.ok(a.out.startsWith('hello'));
  assert.match(a.err, /prompt: 5 tokens, [\d.]+ tokens\/s; generated: 6 tokens, [\d.]+ tokens\/s; stopped by length/);
  const b = run('generate', '-m', model, '-p', 'hello', '--temperature', '0', '-n', '6', '--quiet');
  assert.equal(b.out, a.out);
  assert.equal(b.err, '');
});

test('yi chat answers turns read from stdin and keeps the conversation', () => {
  const r = runYi(['chat', '-m', model, '--temperature', '0', '-n', '3', '-s', 'be'], {
    input: 'hi\nok\n' + 'a very long message that cannot fit\n'.repeat(2) + '/reset\nhi\n/exit\n',
  });
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /chatting with .* \(ChatML\)/);
  // Six prompts before /exit; the long turns are refused, not fatal; /reset starts over, so the
  // last answer to 'hi' is the first one again.
  const turns = r.out.split('> ');
  assert.equal(turns.length, 8, r.out);
  assert.match(r.err, /no longer fits the context of 64 tokens/);
  assert.equal(turns[6], turns[1]);
});

test('yi bench times pp and tg of a model and prints JSON lines', () => {
  const r = run('bench', '-m', model, '--prompt', '16', '--gen', '8', '--reps', '1', '--json');
  assert.equal(r.code, 0, r.err);
  const figures = r.out.trim().split('\n').map((l) => JSON.parse(l) as { case: string; unit: string; value: number });
  assert.deepEqual(figures.map((f) => f.case.replace(/^.*yi-tiny /, '')), ['f32 pp16', 'f32 tg8']);
  for (const f of figures) assert.ok(f.unit === 'tokens/s' && f.value > 0);
});

test('bad models and flags give one-line errors naming the file or flag, never a stack trace', () => {
  const cases: [string[], RegExp][] = [
    [['generate', '-m', join(work, 'nope'), '-p', 'x'], /nope/],
    [['generate', '-m', model, '-p', 'x', '--type', 'q7_k'], /--type must be one of f32, f16, bf16, q8_0, q4_0, q6_k, .*, got 'q7_k'/],
    [['generate', '-m', model, '-p', 'x', '--temperature', 'hot'], /--temperature must be a number from 0 to 100, got 'hot'/],
  ];
  // A truncated safetensors file.
  const broken = join(work, 'broken');
  cpSync(model, broken, { recursive: true });
  const st = join(broken, 'model.safetensors');
  writeFileSync(st, readFileSync(st).subarray(0, 5000));
  cases.push([['generate', '-m', broken, '-p', 'x'], /model\.safetensors/]);
  // A config that disagrees with the tensor shapes.
  const wrong = join(work, 'wrong');
  cpSync(model, wrong, { recursive: true });
  const cfg = JSON.parse(readFileSync(join(wrong, 'config.json'), 'utf8'));
  writeFileSync(join(wrong, 'config.json'), JSON.stringify({ ...cfg, intermediate_size: 128 }));
  cases.push([['generate', '-m', wrong, '-p', 'x'], /mlp\.gate_proj\.weight has shape \[96, 64\], the config needs \[128, 64\]/]);
  for (const [args, pattern] of cases) {
    const r = run(...args);
    assert.equal(r.code, 1, `${args.join(' ')}: exit ${r.code}`);
    assert.match(r.err, pattern);
    assert.equal(r.err.trim().split('\n').length, 1, `one line: ${r.err}`);
    assert.doesNotMatch(r.err, /\n\s+at /);
  }
});
