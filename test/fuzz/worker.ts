// The worker side of the fuzz runner (harness.ts): imports the target module, parses each path in
// turn and reports how each ended. It classifies errors here, where their classes are still known.
import { basename } from 'node:path';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';

/** Errors of the language or the runtime: a parser that throws one of these did not check its input. */
const BUILTIN: Function[] = [Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError, AggregateError];

export function classify(e: unknown, path: string): { kind: 'typed' | 'untyped'; error: string } {
  if (!(e instanceof Error)) return { kind: 'untyped', error: `non-Error thrown: ${String(e)}` };
  const error = `${e.constructor.name}: ${e.message.slice(0, 500)}`;
  // A typed error is one of the project's own classes, and its message names the file.
  const typed = !BUILTIN.includes(e.constructor) && (e.message.includes(path) || e.message.includes(basename(path)));
  return { kind: typed ? 'typed' : 'untyped', error: typed ? error : `${error}\n${e.stack?.split('\n').slice(1, 4).join('\n')}` };
}

// Compiled into dist/test/ where the test runner also loads it as a (test-less) file: only act in a worker.
if (!isMainThread && workerData?.paths) {
  const { module, exportName, paths } = workerData as { module: string; exportName: string; paths: string[] };
  const mod = (await import(module)) as Record<string, (path: string) => unknown>;
  const parse = mod[exportName];
  if (typeof parse !== 'function') throw new Error(`fuzz target ${module} has no export ${exportName}`);
  for (let i = 0; i < paths.length; i++) {
    try {
      await parse(paths[i]);
      parentPort!.postMessage({ index: i, kind: 'ok' });
    } catch (e) {
      parentPort!.postMessage({ index: i, ...classify(e, paths[i]) });
    }
  }
}
