// The README's examples, run as a user would run them: every fenced block carries a marker (an
// HTML comment on the line before it, see docs/tests.md) and the blocks marked as examples run in
// README order in one scratch folder, `npx yi` being this checkout's dist/src/cli/yi.js.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { buildStages, importModules, specImports } from '../src/data/pipeline/build.js';
import { loadPipelineFile } from '../src/data/pipeline/spec.js';
import { repoRoot } from './paths.js';

type Marker = { kind: 'run' } | { kind: 'file'; name: string } | { kind: 'not-run'; reason: string } | { kind: 'output' };

interface Block {
  /** 1-based line of the opening fence. */
  line: number;
  info: string;
  text: string;
  marker?: Marker;
  /** The marker line when it did not parse. */
  badMarker?: string;
}

function parseMarker(line: string): Marker | undefined {
  const m = /^<!--\s*(example|output)(?::\s*(.*?))?\s*-->$/.exec(line.trim());
  if (!m) return undefined;
  if (m[1] === 'output') return m[2] === undefined ? { kind: 'output' } : undefined;
  const arg = m[2];
  if (arg === undefined || arg === 'run') return { kind: 'run' };
  const file = /^file\s+(\S+)$/.exec(arg);
  if (file) return { kind: 'file', name: file[1]! };
  const skip = /^not run\s*\((.+)\)$/.exec(arg);
  if (skip) return { kind: 'not-run', reason: skip[1]! };
  return undefined;
}

/** The fenced blocks of a markdown text with the marker before each. */
function readmeBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(.*)$/.exec(lines[i]!);
    if (!open) continue;
    let end = i + 1;
    while (end < lines.length && lines[end] !== '```') end++;
    let prev = i - 1;
    while (prev >= 0 && lines[prev]!.trim() === '') prev--;
    const markerLine = prev >= 0 ? lines[prev]! : '';
    const block: Block = { line: i + 1, info: open[1]!.trim(), text: lines.slice(i + 1, end).join('\n') };
    const marker = parseMarker(markerLine);
    if (marker) block.marker = marker;
    else if (markerLine.trim().startsWith('<!--')) block.badMarker = markerLine.trim();
    blocks.push(block);
    i = end;
  }
  return blocks;
}

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
const blocks = readmeBlocks(readme);

test('every fenced block of the README is marked as an example, a file, output, or not run with a reason', () => {
  const unmarked = blocks.filter((b) => !b.marker).map((b) => `README.md:${b.line}${b.badMarker ? ` (unreadable marker ${b.badMarker})` : ''}`);
  assert.deepEqual(unmarked, [], 'put <!-- example -->, <!-- example: file NAME -->, <!-- example: not run (why) --> or <!-- output --> on the line before each block');
  assert.ok(blocks.filter((b) => b.marker?.kind === 'run').length >= 5, 'the README has examples that run');
});

test('the README starts with the two commands npm install && npm start and npm test', () => {
  const first = blocks[0]!;
  const commands = first.text.split('\n').map((l) => l.replace(/#.*$/, '').trim());
  assert.deepEqual(commands, ['npm install && npm start', 'npm test']);
});

test('every pipeline file of the README is run by a later example', () => {
  blocks.forEach((b, i) => {
    if (b.marker?.kind !== 'file' || !/\.(ya?ml|json)$/.test(b.marker.name)) return;
    const name = b.marker.name;
    const used = blocks.slice(i + 1).some((c) => c.marker?.kind === 'run' && c.text.includes(name));
    assert.ok(used, `README.md:${b.line}: no example runs ${name}`);
  });
});

test('the README converts its tiny model to q8_0 (matrices whose rows are not whole blocks fall back to f16) and runs the result', () => {
  const convert = blocks.filter((b) => b.marker?.kind === 'run' && /npx yi convert runs\/tiny\//.test(b.text));
  assert.equal(convert.length, 1, 'one example converts the tiny recipe model');
  const text = convert[0]!.text;
  const out = /npx yi convert runs\/tiny\/\S+ (\S+\.gguf) --type (\S+)/.exec(text);
  assert.ok(out, text);
  assert.equal(out[2], 'q8_0');
  assert.match(text, new RegExp(`npx yi generate -m ${out[1]!.replaceAll('.', '\\.')} `), 'and generates with the quantized file');
});

// The scratch folder where the examples run, with `npx` answering only for `yi`, and dist/ where
// the README's `node dist/src/cli/yi.js` expects it.
const work = mkdtempSync(join(tmpdir(), 'yi-readme-'));
after(() => rmSync(work, { recursive: true, force: true }));
const bin = join(work, '.bin');
mkdirSync(bin);
const npx = join(bin, 'npx');
writeFileSync(
  npx,
  `#!/bin/sh\nif [ "$1" != yi ]; then echo "README examples may only call npx yi, not npx $1" >&2; exit 2; fi\nshift\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(repoRoot, 'dist', 'src', 'cli', 'yi.js'))} "$@"\n`,
);
chmodSync(npx, 0o755);
symlinkSync(join(repoRoot, 'dist'), join(work, 'dist'));
const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, YI_CACHE: join(work, '.cache'), NO_COLOR: '1' };
// Generous: the tiny recipe takes about 10 s on a quiet 2-core machine, much longer on a busy one.
const COMMAND_TIMEOUT_MS = 10 * 60_000;

/** What the README's tiny recipe example printed (stderr, then stdout), for the transcript check below. */
let recipeOutput: string | undefined;

/** Command lines of a shell block: comment-only and empty lines dropped, `\` continuations joined. */
function commands(text: string): { line: number; command: string }[] {
  const out: { line: number; command: string }[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let cmd = lines[i]!;
    while (cmd.endsWith('\\') && i + 1 < lines.length) cmd = cmd.slice(0, -1) + lines[++i]!;
    if (cmd.trim() && !cmd.trim().startsWith('#')) out.push({ line: start, command: cmd });
  }
  return out;
}

for (const b of blocks) {
  const m = b.marker;
  if (m?.kind === 'file') {
    test(`README.md:${b.line}: the file ${m.name}`, async () => {
      const path = join(work, m.name);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, b.text + '\n');
      if (/\.(ya?ml|json)$/.test(m.name) && /\bstages\b/.test(b.text)) {
        // The real loader and every stage's option check, as `yi data run` does before it starts.
        const spec = loadPipelineFile(path);
        const resolved = { kind: 'spec' as const, spec };
        await importModules(specImports(resolved));
        const stages = await buildStages(resolved);
        assert.equal(stages.length, spec.stages.length);
      }
    });
  } else if (m?.kind === 'run') {
    for (const c of commands(b.text)) {
      const line = b.line + 1 + c.line;
      test(`README.md:${line}: ${c.command.replace(/\s+#.*$/, '').trim()}`, () => {
        const r = spawnSync('bash', ['-o', 'pipefail', '-c', c.command], { cwd: work, env, input: '', encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS, maxBuffer: 64 << 20 });
        if (/^npx yi recipe --scale tiny\b/.test(c.command.trim())) recipeOutput = `${r.stderr}\n${r.stdout}`;
        const tail = (s: string) => s.split('\n').slice(-15).join('\n');
        assert.equal(r.status, 0, `README.md:${line} exited with ${r.status ?? r.signal}:\n$ ${c.command}\n${tail(r.stdout)}\n${tail(r.stderr)}`);
      });
    }
  }
}

/**
 * A transcript line with its figures, paths and the way yi is called made alike: what remains is the
 * wording the code prints (`…` in the README stands for a figure the measured run did not have).
 */
function lineShape(line: string): string {
  return line
    .replace(/(node \S+yi\.js|npx yi|yi) generate/, 'YI generate')
    .replace(/\S*\/\S+/g, 'PATH')
    .replace(/(\d[\d.]*(e[-+]?\d+)?|…)( ?(s|min|M|K)\b|m\d+s)?/g, 'N')
    .replace(/^(within|over) budget/, 'VERDICT budget');
}

test('the recipe transcripts of the README and docs/recipe.md say what yi recipe prints now: the time budget, the verdict and the final lines', () => {
  assert.ok(recipeOutput !== undefined, 'the README runs the tiny recipe before this test');
  const actual = recipeOutput.split('\n');
  const transcripts = [
    { file: 'README.md', block: blocks.find((b) => b.marker?.kind === 'output' && b.text.startsWith('$ npm start')) },
    { file: 'docs/recipe.md', block: readmeBlocks(readFileSync(join(repoRoot, 'docs', 'recipe.md'), 'utf8')).find((b) => b.marker?.kind === 'output' && / recipe /.test(b.text.split('\n')[0]!)) },
  ];
  for (const { file, block } of transcripts) {
    assert.ok(block, `${file} shows a transcript of the recipe`);
    const shown = block.text.split('\n');
    for (const label of [/^training from scratch: /, /^validation loss /, /^(within|over) budget: /, /^report: /, /^model: /, /^try: /]) {
      const want = actual.find((l) => label.test(l));
      assert.ok(want, `yi recipe printed a line like ${label}`);
      const got = shown.find((l) => label.test(l));
      assert.ok(got, `${file}:${block.line}: the transcript has no line like ${label} (yi recipe prints: ${want})`);
      assert.equal(lineShape(got), lineShape(want), `${file}:${block.line}: a transcript line differs from what yi recipe prints:\n  ${file}: ${got}\n  yi: ${want}`);
    }
    assert.ok(!shown.some((l) => /^next: /.test(l)), `${file}: the transcript has a line yi recipe no longer prints (next:)`);
  }
});
