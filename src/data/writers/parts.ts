// Where a writer keeps a task's part files: <partsDir>/<task>/<part>.<ext>, with '.tmp' files
// while a part is being written.
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const pad = (n: number): string => String(n).padStart(5, '0');

export class PartFiles {
  constructor(
    readonly dir: string,
    readonly ext: string,
  ) {}

  taskDir(task: number): string {
    return join(this.dir, pad(task));
  }

  path(task: number, part: number): string {
    return join(this.taskDir(task), `${pad(part)}.${this.ext}`);
  }

  /** A fresh temp file for part `part` (any stale one is replaced); returns its path and fd. */
  openTemp(task: number, part: number): { tmp: string; fd: number } {
    mkdirSync(this.taskDir(task), { recursive: true });
    const tmp = this.path(task, part) + '.tmp';
    return { tmp, fd: openSync(tmp, 'w', 0o644) };
  }

  /** fsync + close the temp file and rename it to the part's name. */
  publish(tmp: string, fd: number, task: number, part: number): void {
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.path(task, part));
  }

  discard(task: number, from: number): void {
    let names: string[];
    try {
      names = readdirSync(this.taskDir(task));
    } catch {
      return;
    }
    for (const name of names) {
      const n = Number(name.split('.')[0]);
      if (name.endsWith('.tmp') || !Number.isInteger(n) || n >= from) rmSync(join(this.taskDir(task), name), { force: true });
    }
  }

  remove(task: number): void {
    rmSync(this.taskDir(task), { recursive: true, force: true });
  }
}
