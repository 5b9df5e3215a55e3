// The live display of a cleaning pipeline on stderr (`yi data run`, the recipe's cleaning stage): a bar
// per step on a terminal; without one, a line every 10 seconds at most, however many phases and jobs
// go by. Notices (default scorer models trained into the cache) are always printed.
import type { PipelineProgress } from '../data/pipeline/run.js';
import { bar, StatusLine } from './status-line.js';

const LINE_EVERY_SECONDS = 10;

export interface PipelineDisplay {
  onProgress: (p: PipelineProgress) => void;
  /** Per-job lines (task done, waiting for other ranks): printed without a terminal when `logJobs`. */
  onLog: (line: string) => void;
  onNotice: (line: string) => void;
  /** Erases the bar. */
  stop: () => void;
}

export function pipelineProgress(enabled: boolean, o: { line?: StatusLine; prefix?: string; logJobs?: boolean } = {}): PipelineDisplay {
  const line = o.line ?? new StatusLine();
  const prefix = o.prefix ?? '';
  const t0 = line.now();
  const rate = (records: number): number => {
    const s = (line.now() - t0) / 1000;
    return s > 0 ? Math.round(records / s) : 0;
  };
  let lastLine = t0;
  return {
    onProgress(p) {
      if (!enabled) return;
      if (line.tty) {
        line.update(`${p.step} ${bar(p.jobs > 0 ? p.done / p.jobs : 0)} ${p.done}/${p.jobs} jobs | ${p.records} documents read | ${rate(p.records)}/s`, p.done === p.jobs);
        return;
      }
      const t = line.now();
      if (t - lastLine < LINE_EVERY_SECONDS * 1000) return;
      lastLine = t;
      line.log(`${prefix}${p.step}: ${p.done}/${p.jobs} jobs, ${p.records} documents read, ${rate(p.records)}/s`);
    },
    onLog(text) {
      if (enabled && o.logJobs && !line.tty) line.log(`${prefix}${text}`);
    },
    onNotice(text) {
      line.log(`${prefix}${text}`);
    },
    stop: () => line.clear(),
  };
}
