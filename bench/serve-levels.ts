// The concurrency levels of the serving benchmarks: YI_BENCH_SERVE_LEVELS=1,8 runs only those
// (a shared machine's session can afford a few levels, interleaved with another build's run).
export class BenchLevelsError extends Error {
  override name = 'BenchLevelsError';
}

export function serveLevels(defaults: number[], env: string | undefined = process.env.YI_BENCH_SERVE_LEVELS): number[] {
  if (env === undefined || env.trim() === '') return defaults;
  const levels = env.split(',').map((s) => Number(s.trim()));
  const bad = levels.find((n) => !Number.isInteger(n) || n < 1 || n > 256);
  if (bad !== undefined) throw new BenchLevelsError(`YI_BENCH_SERVE_LEVELS=${JSON.stringify(env)}: expected comma-separated integers from 1 to 256, got ${bad}`);
  return levels;
}
