// Folders published whole (checkpoints, the final model/) and the leftovers of writers killed while
// publishing. A folder is written under a temp name beside its target and renamed into place; an
// older folder of that name is first moved aside, then removed. A kill leaves the old folder or the
// new one, never a partial one; the one case without a folder under the name (killed between the two
// renames) is repaired by removeStaleWrites on the next start, which puts the old folder back.
import { existsSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { syncDir } from '../formats/atomic.js';

/** Names our writers give to work in progress: `.NAME.tmp-PID` (folders), `.NAME.tmp-PID-XXXX`
 *  (files, formats/atomic.ts) and `.NAME.old-PID` (a folder moved aside while its successor moves in). */
const TEMP_NAME = /^\.(.+)\.(tmp|old)-(\d+)(?:-[a-z0-9]+)?$/;

/** The temp folder a process writes `final`'s new contents into. */
export function tempFolder(final: string): string {
  return join(dirname(final), `.${basename(final)}.tmp-${process.pid}`);
}

/** Renames the complete folder `tmp` to `final`, replacing an older `final` (moved aside, then removed). */
export function publishFolder(tmp: string, final: string): void {
  const aside = join(dirname(final), `.${basename(final)}.old-${process.pid}`);
  let replaced = false;
  if (existsSync(final)) {
    rmSync(aside, { recursive: true, force: true });
    renameSync(final, aside);
    replaced = true;
    crashPoint('folder-swap');
  }
  renameSync(tmp, final);
  syncDir(dirname(final));
  if (replaced) rmSync(aside, { recursive: true, force: true });
}

/**
 * Removes what killed writers left in `dirs`: temp folders and files whose writer (the PID in the
 * name) no longer runs, or is this process (which has nothing in progress when a run starts). A
 * folder moved aside whose successor never arrived is put back under its name. Returns one note per
 * thing done, for the run to print. Temps of a live process are left alone.
 */
export function removeStaleWrites(dirs: readonly string[]): string[] {
  const notes: string[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      continue; // no such folder yet
    }
    for (const name of names) {
      const m = TEMP_NAME.exec(name);
      if (!m) continue;
      const [, target, kind, pidText] = m;
      const pid = Number(pidText);
      if (pid !== process.pid && isRunning(pid)) continue;
      const path = join(dir, name);
      const why = pid === process.pid ? 'left by an earlier run in this process' : `its writer, process ${pid}, is gone`;
      const final = join(dir, target!);
      if (kind === 'old' && !existsSync(final)) {
        renameSync(path, final);
        notes.push(`restored ${final} from ${name} (${why} between moving it aside and publishing its successor)`);
        continue;
      }
      const folder = statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
      rmSync(path, { recursive: true, force: true });
      notes.push(`removed ${folder ? 'unfinished folder' : 'unfinished file'} ${path} (${why})`);
    }
  }
  return notes;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it runs, as another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Crash tests only: YI_TEST_CRASH=<point> kills this process with SIGKILL at that point (a real kill
 * cannot be timed to land inside a few milliseconds of folder writing).
 */
export function crashPoint(point: 'folder-swap' | 'model-partial'): void {
  if (process.env.YI_TEST_CRASH === point) process.kill(process.pid, 'SIGKILL');
}
