// A pipeline worker thread: builds its own pipeline instance from the run's config, then runs
// the jobs the main thread sends, one at a time.
import { parentPort, workerData } from 'node:worker_threads';
import { buildStages, importModules } from './build.js';
import { JobRunner, type Job, type RunConfig } from './jobs.js';

export type ToWorker = { id: number; job: Job };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'fatal'; message: string }
  | { type: 'progress'; records: number }
  | { type: 'done'; id: number; result: import('./jobs.js').JobResult }
  | { type: 'error'; id: number; message: string };

const port = parentPort!;
const config = workerData as RunConfig;
const post = (m: FromWorker): void => port.postMessage(m);

try {
  await importModules(config.imports);
  const stages = await buildStages(config.pipeline!);
  const runner = new JobRunner(config, stages, (records) => post({ type: 'progress', records }));
  port.on('message', (m: ToWorker) => {
    runner.run(m.job).then(
      (result) => post({ type: 'done', id: m.id, result }),
      (e: unknown) => post({ type: 'error', id: m.id, message: (e as Error).message ?? String(e) }),
    );
  });
  post({ type: 'ready' });
} catch (e) {
  post({ type: 'fatal', message: (e as Error).message ?? String(e) });
}
