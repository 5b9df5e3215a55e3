// Which share of the tasks this process takes: rank i of a world of N takes tasks i, i+N, i+2N...
// Given explicitly, or read from a Slurm job array or a Kubernetes indexed job.
import { PipelineError } from './spec.js';

export interface RankInfo {
  rank: number;
  world: number;
  /** Where the numbers came from. */
  from: 'options' | 'slurm' | 'kubernetes' | 'single';
}

/** Environment variable with the world size of a Kubernetes indexed job (its `completions`). */
export const WORLD_SIZE_ENV = 'YI_WORLD_SIZE';

function int(v: string | number | undefined, what: string): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new PipelineError(`${what} must be a whole number >= 0 (got '${v}')`);
  return n;
}

export function resolveRank(opts: { rank?: number; world?: number } = {}, env: NodeJS.ProcessEnv = process.env): RankInfo {
  let rank = int(opts.rank, 'rank');
  let world = int(opts.world, 'world');
  let from: RankInfo['from'] = rank !== undefined || world !== undefined ? 'options' : 'single';
  if (rank === undefined && env.SLURM_ARRAY_TASK_ID !== undefined) {
    // Array indices may start anywhere (--array=1-8): rank counts from SLURM_ARRAY_TASK_MIN.
    rank = int(env.SLURM_ARRAY_TASK_ID, 'SLURM_ARRAY_TASK_ID')! - (int(env.SLURM_ARRAY_TASK_MIN, 'SLURM_ARRAY_TASK_MIN') ?? 0);
    world ??= int(env.SLURM_ARRAY_TASK_COUNT, 'SLURM_ARRAY_TASK_COUNT');
    if (world === undefined) throw new PipelineError('SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not: pass --world N');
    from = 'slurm';
  } else if (rank === undefined && env.JOB_COMPLETION_INDEX !== undefined) {
    rank = int(env.JOB_COMPLETION_INDEX, 'JOB_COMPLETION_INDEX');
    world ??= int(env[WORLD_SIZE_ENV], WORLD_SIZE_ENV);
    if (world === undefined) throw new PipelineError(`JOB_COMPLETION_INDEX is set (Kubernetes indexed job) but the world size is not: pass --world N or set ${WORLD_SIZE_ENV} to the job's completions`);
    from = 'kubernetes';
  }
  rank ??= 0;
  world ??= 1;
  if (world < 1) throw new PipelineError(`world must be at least 1 (got ${world})`);
  if (rank >= world) throw new PipelineError(`rank ${rank} is not below the world size ${world}`);
  return { rank, world, from };
}
