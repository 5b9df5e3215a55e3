// Commands we suggest to the user ("try: ...") must work when pasted into the shell they came from:
// the way they started yi, and paths seen from their folder.
import { basename } from 'node:path';
import { shellPath } from '../report/shell.js';

type Env = Record<string, string | undefined>;

/** The folder of the user's shell: npm runs scripts from the package root and keeps the caller's folder in INIT_CWD. */
export function userCwd(env: Env = process.env): string {
  return env.INIT_CWD ?? process.cwd();
}

/**
 * How to start yi again from the user's shell: `npx yi` under npm (`npm start`, `npx yi`), `yi` when it
 * was started through a `yi` link on the PATH (a global install), else `node <this script>`.
 */
export function yiCommand(env: Env = process.env, argv: readonly string[] = process.argv, cwd = userCwd(env)): string {
  if (env.npm_command !== undefined || env.npm_lifecycle_event !== undefined) return 'npx yi';
  const script = argv[1];
  if (script === undefined) return 'npx yi';
  if (basename(script) === 'yi') return 'yi';
  return `node ${shellPath(script, cwd)}`;
}
