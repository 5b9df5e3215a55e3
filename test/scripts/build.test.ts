// The build runs under running jobs (`npx yi` triggers npm's `prepare`, `npm test` and
// `npm run bench` build first): it must keep the bin executable, skip when nothing changed, and
// never remove or half-write a file that a running process may still load.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, test } from 'node:test';
import { repoRoot } from '../paths.js';

type BuildLib = typeof import('../../scripts/build-lib.mjs');
const lib = (await import(pathToFileURL(join(repoRoot, 'scripts', 'build-lib.mjs')).href)) as BuildLib;
const work = mkdtempSync(join(tmpdir(), 'yi-build-'));
after(() => rmSync(work, { recursive: true, force: true }));

function put(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

test('the built yi bin is executable, so npx yi and npm link can run it', () => {
  const mode = statSync(join(repoRoot, 'dist', 'src', 'cli', 'yi.js')).mode;
  assert.equal(mode & 0o111, 0o111, `mode ${mode.toString(8)}`);
});

test('syncTree keeps unchanged files, replaces changed ones whole and removes outputs of deleted sources', () => {
  const dist = join(work, 'dist');
  const fresh = join(work, 'fresh');
  put(dist, { 'a.js': 'same', 'sub/b.js': 'old', 'gone.js': 'stale', 'old/only.js': 'stale', '.stamp': 'x' });
  put(fresh, { 'a.js': 'same', 'sub/b.js': 'new text', 'sub/c.js': 'added' });
  const inodeA = statSync(join(dist, 'a.js')).ino;
  // A running job that opened b.js before the rebuild still reads the old text to the end.
  const held = openSync(join(dist, 'sub', 'b.js'), 'r');
  try {
    const s = lib.syncTree(fresh, dist, ['.stamp']);
    assert.deepEqual(s, { unchanged: 1, replaced: 2, removed: 2 });
    const buf = Buffer.alloc(3);
    readSync(held, buf, 0, 3, 0);
    assert.equal(buf.toString(), 'old');
  } finally {
    closeSync(held);
  }
  assert.equal(statSync(join(dist, 'a.js')).ino, inodeA, 'an unchanged output is not rewritten');
  assert.equal(readFileSync(join(dist, 'sub', 'b.js'), 'utf8'), 'new text');
  assert.equal(readFileSync(join(dist, 'sub', 'c.js'), 'utf8'), 'added');
  assert.equal(readFileSync(join(dist, '.stamp'), 'utf8'), 'x');
  assert.ok(!existsSync(join(dist, 'gone.js')) && !existsSync(join(dist, 'old')), 'stale files and their emptied folders are gone');
  assert.ok(!existsSync(fresh));
});

test('the input digest follows names and contents, and the stamp records it', () => {
  const src = join(work, 'src-digest');
  put(src, { 'src/a.ts': 'let a = 1;', 'src/k/x.ts': 'k', 'src/notes.md': 'not an input' });
  const files = lib.listInputs(src, ['src'], ['.ts'], ['src/k']);
  assert.deepEqual(files, ['src/a.ts']);
  const d1 = lib.inputsDigest(src, files);
  put(src, { 'src/notes.md': 'changed' });
  assert.equal(lib.inputsDigest(src, files), d1);
  put(src, { 'src/a.ts': 'let a = 2;' });
  const d2 = lib.inputsDigest(src, files);
  assert.notEqual(d2, d1);
  const stamp = join(src, 'out', '.stamp');
  assert.equal(lib.isUpToDate(stamp, d2), false);
  lib.writeStamp(stamp, d2);
  assert.equal(lib.isUpToDate(stamp, d2), true);
  assert.equal(lib.isUpToDate(stamp, d1), false);
});

test('a build with unchanged sources does nothing: dist/ and the bin stay as they are', (t) => {
  // Only meaningful when dist/ was built from the current sources (npm test builds first); a
  // tree edited since its last build would really rebuild here, which this test must not do.
  const build = join(repoRoot, 'scripts', 'build.mjs');
  const probe = spawnSync(process.execPath, [build, '--check'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    t.skip(`dist/ is not built from the current sources (${probe.stdout.trim()}); run npm run build first`);
    return;
  }
  const bin = join(repoRoot, 'dist', 'src', 'cli', 'yi.js');
  const before = statSync(bin);
  const r = spawnSync(process.execPath, [build], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /build: the kernels .* up to date/);
  assert.match(r.stdout, /build: TypeScript .* up to date/);
  const now = statSync(bin);
  assert.equal(now.ino, before.ino);
  assert.equal(now.mtimeMs, before.mtimeMs);
  assert.equal(now.mode & 0o111, 0o111);
});
