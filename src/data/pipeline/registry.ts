// Stage types by name: what a pipeline file's `type` refers to. A factory turns a stage's
// options into a Stage; it should be cheap (it also runs in the main thread, to learn each
// stage's kind): load models and word lists in the stage's `init()`.
import type { Stage } from '../types.js';
import { PipelineError } from './spec.js';

export interface StageContext {
  /** The stage's name in this pipeline (its stats key). */
  name: string;
  /** Folder that relative paths in the options resolve against (the pipeline file's folder). */
  baseDir: string;
  /** Tells the user about slow work a factory does on their behalf (training default models); absent in workers. */
  notice?: (line: string) => void;
}

export type StageFactory = (options: Record<string, unknown>, ctx: StageContext) => Stage | Promise<Stage>;

export interface StageTypeInfo {
  type: string;
  description: string;
}

const factories = new Map<string, { factory: StageFactory; description: string }>();

/** Registers a stage type; a second registration of the same name is an error. */
export function registerStage(type: string, factory: StageFactory, description = ''): void {
  if (!/^[a-z][a-z0-9_]*$/.test(type)) throw new PipelineError(`stage type '${type}': expected snake_case letters, digits and '_'`);
  if (factories.has(type)) throw new PipelineError(`stage type '${type}' is registered twice`);
  factories.set(type, { factory, description });
}

export function stageTypes(): StageTypeInfo[] {
  return [...factories.entries()].map(([type, f]) => ({ type, description: f.description })).sort((a, b) => a.type.localeCompare(b.type));
}

export function hasStageType(type: string): boolean {
  return factories.has(type);
}

export async function createStage(type: string, options: Record<string, unknown>, ctx: StageContext): Promise<Stage> {
  const f = factories.get(type);
  if (!f) {
    const known = stageTypes().map((t) => t.type);
    throw new PipelineError(`unknown stage type '${type}' (stage '${ctx.name}'); known types: ${known.length ? known.join(', ') : 'none registered'}`);
  }
  try {
    return await f.factory(options, ctx);
  } catch (e) {
    if (e instanceof PipelineError) throw e;
    throw new PipelineError(`stage '${ctx.name}' (${type}): ${(e as Error).message}`);
  }
}
