// The parts of the build that must be safe while the project runs: `npx yi` runs `prepare` (this
// build) whenever npm links the checkout into its npx cache, `npm test` and `npm run bench` run it
// first, and any of them may start while a long `yi recipe` runs from dist/. So a build whose
// inputs have not changed does nothing, and a real build never leaves dist/ half-written: tsc
// writes into a temp folder and each output then replaces its old copy by rename, unchanged
// outputs stay (same inode, same mode), and only outputs of deleted sources are removed.
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

/** Files under `paths` (files or folders, relative to root) whose names end in one of `exts`, sorted. */
export function listInputs(root, paths, exts, exclude = []) {
  const out = [];
  const skip = new Set(exclude.map((p) => join(root, p)));
  const walk = (abs) => {
    if (skip.has(abs) || !existsSync(abs)) return;
    if (statSync(abs).isDirectory()) {
      for (const name of readdirSync(abs).sort()) walk(join(abs, name));
    } else if (exts.length === 0 || exts.some((e) => abs.endsWith(e))) {
      out.push(relative(root, abs).split(sep).join('/'));
    }
  };
  for (const p of paths) walk(join(root, p));
  return out.sort();
}

/** A digest of the files' names and contents: what decides whether a build step must run again. */
export function inputsDigest(root, files) {
  const h = createHash('sha256');
  for (const f of files) {
    h.update(f + '\0');
    h.update(readFileSync(join(root, f)));
    h.update('\0');
  }
  return h.digest('hex');
}

/** True when `stampFile` records `digest` (the outputs were built from exactly these inputs). */
export function isUpToDate(stampFile, digest) {
  try {
    return readFileSync(stampFile, 'utf8').trim() === digest;
  } catch {
    return false;
  }
}

/** Records the digest of a finished build (temp file + rename: never a half-written stamp). */
export function writeStamp(stampFile, digest) {
  mkdirSync(dirname(stampFile), { recursive: true });
  const tmp = `${stampFile}.${process.pid}.tmp`;
  writeFileSync(tmp, digest + '\n');
  renameSync(tmp, stampFile);
}

function filesUnder(dir) {
  const out = [];
  const walk = (rel) => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const r = rel ? join(rel, e.name) : e.name;
      if (e.isDirectory()) walk(r);
      else out.push(r);
    }
  };
  if (existsSync(dir)) walk('');
  return out;
}

function sameBytes(a, b) {
  try {
    if (statSync(a).size !== statSync(b).size) return false;
    return readFileSync(a).equals(readFileSync(b));
  } catch {
    return false;
  }
}

/**
 * Makes `to` hold exactly the files of `from` (which is consumed): a file whose bytes are unchanged
 * is left alone, a new or changed one is renamed into place (a reader sees the old file or the new
 * one, never a missing or partial one), and files of `to` that `from` lacks are removed, except
 * the names in `keep`. Both folders must be on one file system.
 */
export function syncTree(from, to, keep = []) {
  const fresh = new Set(filesUnder(from));
  const stats = { unchanged: 0, replaced: 0, removed: 0 };
  for (const f of fresh) {
    const src = join(from, f);
    const dst = join(to, f);
    if (sameBytes(src, dst)) {
      stats.unchanged++;
      continue;
    }
    mkdirSync(dirname(dst), { recursive: true });
    renameSync(src, dst);
    stats.replaced++;
  }
  const kept = new Set(keep);
  for (const f of filesUnder(to)) {
    if (fresh.has(f) || kept.has(f)) continue;
    unlinkSync(join(to, f));
    stats.removed++;
  }
  removeEmptyDirs(to);
  rmSync(from, { recursive: true, force: true });
  return stats;
}

function removeEmptyDirs(dir) {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (!e.isDirectory()) continue;
    const sub = join(dir, e.name);
    removeEmptyDirs(sub);
    if (readdirSync(sub).length === 0) rmdirSync(sub);
  }
}

/** Sets the execute bits a bin needs (`npx yi` runs the file itself, through its shebang). */
export function makeExecutable(file) {
  if (!existsSync(file)) return;
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o111) !== 0o111) chmodSync(file, mode | 0o111);
}
