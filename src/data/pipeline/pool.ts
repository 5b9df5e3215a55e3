// Runs jobs: on a pool of worker threads (one pipeline instance each), or in the calling thread.
// Jobs start in the order given; the first failure stops new jobs and, once the running ones
// end, fails the batch (their checkpoints let a rerun continue).
import { Worker } from 'node:worker_threads';
import { describeJob, JobRunner, type Job, type JobResult, type RunConfig } from './jobs.js';
import type { PipelineStage } from './build.js';
import type { FromWorker, ToWorker } from './worker.js';

export interface JobExecutor {
  /** Runs every job; `onDone` is called as each finishes. */
  runAll(jobs: readonly Job[], onDone?: (job: Job, r: JobResult) => void): Promise<JobResult[]>;
  close(): Promise<void>;
}

export class InThreadExecutor implements JobExecutor {
  private readonly runner: JobRunner;
  constructor(config: RunConfig, stages: readonly PipelineStage[], onRecords: (n: number) => void) {
    this.runner = new JobRunner(config, stages, onRecords);
  }

  async runAll(jobs: readonly Job[], onDone?: (job: Job, r: JobResult) => void): Promise<JobResult[]> {
    const out: JobResult[] = [];
    for (const job of jobs) {
      let r: JobResult;
      try {
        r = await this.runner.run(job);
      } catch (e) {
        throw new Error(`${describeJob(job)}: ${(e as Error).message}`);
      }
      out.push(r);
      onDone?.(job, r);
    }
    return out;
  }

  async close(): Promise<void> {}
}

interface Slot {
  worker: Worker;
  busy?: { id: number; resolve: (r: JobResult) => void; reject: (e: Error) => void };
}

export class WorkerPool implements JobExecutor {
  private nextId = 0;

  private constructor(private readonly slots: Slot[]) {}

  /** Starts `n` workers and waits until each has built its pipeline. */
  static async start(n: number, config: RunConfig, onRecords: (n: number) => void): Promise<WorkerPool> {
    const url = new URL('./worker.js', import.meta.url);
    const slots: Slot[] = [];
    const ready: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      // A parent started as `node --input-type=module -e ...` passes that flag on, and a worker
      // started from a file refuses it.
      const execArgv = process.execArgv.filter((a) => !a.startsWith('--input-type'));
      const worker = new Worker(url, { workerData: config, execArgv });
      const slot: Slot = { worker };
      slots.push(slot);
      ready.push(
        new Promise<void>((resolve, reject) => {
          worker.on('message', (m: FromWorker) => {
            if (m.type === 'ready') resolve();
            else if (m.type === 'fatal') reject(new Error(m.message));
            else if (m.type === 'progress') onRecords(m.records);
            else if (slot.busy && m.id === slot.busy.id) {
              const b = slot.busy;
              slot.busy = undefined;
              if (m.type === 'done') b.resolve(m.result);
              else b.reject(new Error(m.message));
            }
          });
          worker.on('error', (e) => {
            reject(e);
            slot.busy?.reject(e);
            slot.busy = undefined;
          });
          worker.on('exit', (code) => {
            const e = new Error(`a pipeline worker exited (code ${code})`);
            reject(e);
            slot.busy?.reject(e);
            slot.busy = undefined;
          });
        }),
      );
    }
    const pool = new WorkerPool(slots);
    try {
      await Promise.all(ready);
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  private send(slot: Slot, job: Job): Promise<JobResult> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      slot.busy = { id, resolve, reject };
      slot.worker.postMessage({ id, job } satisfies ToWorker);
    });
  }

  runAll(jobs: readonly Job[], onDone?: (job: Job, r: JobResult) => void): Promise<JobResult[]> {
    const results: JobResult[] = new Array(jobs.length);
    let next = 0;
    let failed: Error | undefined;
    const loop = async (slot: Slot): Promise<void> => {
      while (!failed && next < jobs.length) {
        const i = next++;
        const job = jobs[i]!;
        try {
          results[i] = await this.send(slot, job);
          onDone?.(job, results[i]!);
        } catch (e) {
          failed ??= new Error(`${describeJob(job)}: ${(e as Error).message}`);
        }
      }
    };
    return Promise.all(this.slots.map(loop)).then(() => {
      if (failed) throw failed;
      return results;
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
