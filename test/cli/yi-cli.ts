// Running this checkout's `yi` as a user does, in a child process, and the tiny model folder the
// model-command tests run it on.
import { spawnSync } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeModelProto } from '../../src/tokenizer/sentencepiece-proto.js';
import { tinyTokenizerProto } from '../model/tiny-tokenizer.js';
import { repoRoot } from '../paths.js';

/** The built CLI (dist/src/cli/yi.js). */
export const yi = join(repoRoot, 'dist', 'src', 'cli', 'yi.js');

/** The environment for a child `yi`: this one's, with `threads` worker threads. */
export function yiEnv(threads = 2, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, YI_THREADS: String(threads), ...extra };
}

export interface YiRun {
  code: number | null;
  /** The signal that ended it, when one did. */
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/** Runs `yi ...args` to its end; stdin is `input` (default: empty, so nothing waits for a terminal). */
export function runYi(args: readonly string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeout?: number; nodeArgs?: readonly string[] } = {}): YiRun {
  const r = spawnSync(process.execPath, [...(opts.nodeArgs ?? []), yi, ...args], { encoding: 'utf8', input: opts.input ?? '', env: opts.env ?? yiEnv(), timeout: opts.timeout });
  return { code: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
}

/** The PyTorch-made yi-tiny fixture plus a tokenizer that fits its 96-token vocabulary: a complete HF folder at `dir`. */
export function tinyModelFolder(dir: string): string {
  cpSync(join(repoRoot, 'test', 'fixtures', 'yi-tiny'), dir, { recursive: true });
  writeFileSync(join(dir, 'tokenizer.model'), encodeModelProto(tinyTokenizerProto()));
  return dir;
}
