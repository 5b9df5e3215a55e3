// `yi corpus`: the corpora bundled through npm, exported as JSONL the other commands read.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../paths.js';

const yi = join(repoRoot, 'dist', 'src', 'cli', 'yi.js');

test('yi corpus export brown writes its 500 texts as JSONL with id, text and genre; unknown names are refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'yi-corpus-'));
  try {
    const out = join(dir, 'brown.jsonl');
    const r = spawnSync(process.execPath, [yi, 'corpus', 'export', 'brown', '--out', out], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /wrote 500 documents/);
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; text: string; genre: string });
    assert.equal(lines.length, 500);
    assert.equal(lines[0]!.id, 'brown/ca01');
    assert.equal(lines[0]!.genre, 'news');
    assert.match(lines[0]!.text, /^The Fulton County Grand Jury said Friday/);
    const bad = spawnSync(process.execPath, [yi, 'corpus', 'export', 'gutenberg', '--out', join(dir, 'x.jsonl')], { encoding: 'utf8' });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /unknown corpus 'gutenberg' \(known: brown, chat-facts\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('yi corpus export chat-facts writes conversations by split, the noisy variant with --noisy/--corrupt, and refuses bad flags naming them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'yi-chat-facts-'));
  const run = (...args: string[]) => spawnSync(process.execPath, [yi, 'corpus', 'export', ...args], { encoding: 'utf8' });
  const read = (f: string) => readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { split: string; corruption?: string; messages: unknown[]; answer: string });
  try {
    const heldout = join(dir, 'heldout.jsonl');
    const started = Date.now();
    const h = run('chat-facts', '--split', 'heldout', '--out', heldout);
    // The brief's bound is 2 s on a quiet machine; this allows for a loaded 2-core one.
    assert.ok(Date.now() - started < 20_000);
    assert.equal(h.status, 0, h.stderr);
    const lines = read(heldout);
    assert.match(h.stdout, new RegExp(`wrote ${lines.length} conversations to .*: 0 train, ${lines.length} held-out`));
    assert.ok(lines.length > 300 && lines.every((l) => l.split === 'heldout' && l.messages.length >= 2 && l.answer.length > 0));

    const noisy = join(dir, 'noisy.jsonl');
    const n = run('chat-facts', '--split', 'train', '--noisy', '50', '--corrupt', '0.6', '--seed', '3', '--out', noisy);
    assert.equal(n.status, 0, n.stderr);
    assert.match(n.stdout, /: 200 train \(120 with corrupted answers\), 0 held-out/);
    const nl = read(noisy);
    assert.equal(nl.length, 200);
    assert.equal(nl.filter((l) => l.corruption !== undefined).length, 120);

    const bad = join(dir, 'bad.jsonl');
    for (const [args, message] of [
      [['--split', 'test'], /option '--split <split>' argument 'test' is invalid\. expected train, heldout or all/],
      [['--corrupt', '0.6'], /yi: chat-facts: --corrupt applies to the noisy variant only/],
      [['--noisy', '100000'], /yi: chat-facts: --noisy 100000 needs 400000 training conversations; the set has \d+/],
      [['--corrupt', '2', '--noisy', '5'], /argument '2' is invalid\. expected a number in \[0, 1\]/],
      [['--seed', '-1'], /argument '-1' is invalid/],
    ] as const) {
      const r = run('chat-facts', ...args, '--out', bad);
      assert.notEqual(r.status, 0, args.join(' '));
      assert.match(r.stderr, message);
      assert.throws(() => readFileSync(bad), /ENOENT/, 'nothing written on refusal');
    }
    const nowhere = run('chat-facts', '--out', join(dir, 'missing', 'x.jsonl'));
    assert.notEqual(nowhere.status, 0);
    assert.match(nowhere.stderr, /^yi: chat-facts: --out .*x\.jsonl: the folder .*missing does not exist\n$/);
    const folder = run('chat-facts', '--out', dir);
    assert.match(folder.stderr, /is a folder, expected a \.jsonl file path/);
    const brown = run('brown', '--split', 'train', '--out', bad);
    assert.notEqual(brown.status, 0);
    assert.match(brown.stderr, /--split applies to chat sets \(chat-facts\), not to 'brown'/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
