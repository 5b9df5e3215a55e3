// Atomic writes: the target holds the old bytes or the new ones, never a part; a killed writer's temp
// files are cleaned by the next owner of the target, and nothing else is touched.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { removeStaleTemps, writeAll, writeFileAtomic } from '../../src/formats/atomic.js';

test('a failed write leaves the old file and no temp file; stale temps of a target are removed, others kept', () => {
  const dir = mkdtempSync(join(tmpdir(), 'yi-atomic-'));
  try {
    const target = join(dir, 'out.jsonl.zst');
    writeFileAtomic(target, (fd) => writeAll(fd, Buffer.from('old')));
    assert.throws(() => writeFileAtomic(target, (fd) => {
      writeAll(fd, Buffer.from('half'));
      throw new Error('disk full');
    }), /disk full/);
    assert.equal(readFileSync(target, 'utf8'), 'old');
    assert.deepEqual(readdirSync(dir), ['out.jsonl.zst']);
    // What a SIGKILL mid-write leaves: a temp file named after the target.
    writeFileSync(join(dir, '.out.jsonl.zst.tmp-123-abc'), 'partial');
    writeFileSync(join(dir, '.other.jsonl.zst.tmp-123-abc'), 'someone else');
    removeStaleTemps(target);
    assert.deepEqual(readdirSync(dir).sort(), ['.other.jsonl.zst.tmp-123-abc', 'out.jsonl.zst']);
    removeStaleTemps(join(dir, 'missing', 'x')); // no folder: nothing to do
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
