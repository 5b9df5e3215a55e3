// Words for commands we print for the user to paste into a POSIX shell.
import { isAbsolute, relative, resolve } from 'node:path';

/** `p` for a shell in `cwd`: relative when inside it, else absolute; quoted when it needs to be. */
export function shellPath(p: string, cwd: string): string {
  const abs = resolve(p);
  const rel = relative(cwd, abs);
  return shellWord(rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs);
}

/** A word the shell reads back unchanged: bare when it is plain, else quoted. */
export function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : shellQuoted(s);
}

/** `s` in double quotes, with the characters special inside them ($ ` " \) escaped. */
export function shellQuoted(s: string): string {
  return `"${s.replace(/(["\\$`])/g, '\\$1')}"`;
}
