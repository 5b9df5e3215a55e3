// The time a run has trained, written every few seconds between checkpoints, so that a run killed
// after its last checkpoint still counts the time it trained since: a resume takes as spent the larger
// of the checkpoint's elapsed seconds and the heartbeat's (a time budget is not overrun by the kill).
// One small JSON file, replaced atomically (temp file + rename), at most every HEARTBEAT_SECONDS.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../formats/atomic.js';
import { CheckpointError } from './checkpoint.js';

export const HEARTBEAT_FILE = 'heartbeat.json';
/** Seconds of the run's clock between two heartbeats (the time a kill can still lose). */
export const HEARTBEAT_SECONDS = 2;
const FORMAT = 'yi-ts-heartbeat';

export interface Heartbeat {
  /** Optimizer steps done. */
  step: number;
  /** Seconds of training (the run's clock, checkpoints and evaluations included), across resumes. */
  elapsedSeconds: number;
}

/** Writes the heartbeat of a run in `out` when HEARTBEAT_SECONDS have passed since the last one. */
export class Heartbeats {
  private last = -Infinity;
  constructor(private readonly out: string) {}

  beat(h: Heartbeat): void {
    if (h.elapsedSeconds - this.last < HEARTBEAT_SECONDS) return;
    this.last = h.elapsedSeconds;
    writeJsonAtomic(join(this.out, HEARTBEAT_FILE), { format: FORMAT, ...h }, 0);
  }
}

/** The heartbeat of the run in `out`, or undefined when it has none; a damaged one is refused, naming the file. */
export function readHeartbeat(out: string): Heartbeat | undefined {
  const file = join(out, HEARTBEAT_FILE);
  if (!existsSync(file)) return undefined;
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new CheckpointError(`${file}: not JSON (${(e as Error).message}); delete it to resume counting only the checkpoint's time`);
  }
  const bad = (field: string, want: string) => new CheckpointError(`${file}: field ${field} must be ${want}, got ${JSON.stringify(v?.[field])}; delete the file to resume counting only the checkpoint's time`);
  if (typeof v !== 'object' || v === null || v.format !== FORMAT) throw bad('format', `'${FORMAT}'`);
  if (!Number.isInteger(v.step) || (v.step as number) < 0) throw bad('step', 'a whole number >= 0');
  if (typeof v.elapsedSeconds !== 'number' || !(v.elapsedSeconds >= 0 && Number.isFinite(v.elapsedSeconds))) throw bad('elapsedSeconds', 'a number of seconds >= 0');
  return { step: v.step as number, elapsedSeconds: v.elapsedSeconds };
}
