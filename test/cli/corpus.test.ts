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
