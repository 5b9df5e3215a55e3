// Stage types by name: what a pipeline file's `type` refers to. A factory turns a stage's
// options into a Stage; it should be cheap (it also runs in the main thread, to learn each
// stage's kind): load models and word lists in the stage's `init()`. A type registered with an
// option schema has its options checked (and paths resolved) here, before its factory runs, so
// that every stage's options meet the same rules and every error names the file, stage and option.
import { PipelineError, StageOptionError } from '../errors.js';
import { parseOptions } from '../options/resolve.js';
import { omit, type OptionRule } from '../options/schema.js';
import { camelCase, closest } from '../options/spelling.js';
import type { Stage } from '../types.js';

export interface StageContext {
  /** The stage's name in this pipeline (its stats key). */
  name: string;
  /** Folder that relative paths in the options resolve against (the pipeline file's folder). */
  baseDir: string;
  /** The pipeline file (or 'pipeline' for a spec given in code), for errors. */
  file?: string;
  /** The stage's position in the pipeline's `stages`, for errors. */
  index?: number;
  /** Tells the user about slow work a factory does on their behalf (training default models); absent in workers. */
  notice?: (line: string) => void;
}

export type StageFactory = (options: Record<string, unknown>, ctx: StageContext) => Stage | Promise<Stage>;

export interface StageTypeInfo {
  type: string;
  description: string;
}

export interface StageTypeSpec {
  description?: string;
  /**
   * The options the type takes, one rule each (see src/data/options/schema.ts). With a schema, the
   * factory gets checked options with camelCase keys (snake_case is accepted too) and paths made
   * absolute; without one, the options as written.
   */
  options?: Record<string, OptionRule>;
}

const factories = new Map<string, { factory: StageFactory; description: string; options?: Record<string, OptionRule> }>();

/** Registers a stage type; a second registration of the same name is an error. */
export function registerStage(type: string, factory: StageFactory, spec: string | StageTypeSpec = ''): void {
  if (!/^[a-z][a-z0-9_]*$/.test(type)) throw new PipelineError(`stage type '${type}': expected snake_case letters, digits and '_'`);
  if (factories.has(type)) throw new PipelineError(`stage type '${type}' is registered twice`);
  const s = typeof spec === 'string' ? { description: spec } : spec;
  factories.set(type, { factory, description: s.description ?? '', options: s.options });
}

export function stageTypes(): StageTypeInfo[] {
  return [...factories.entries()].map(([type, f]) => ({ type, description: f.description })).sort((a, b) => a.type.localeCompare(b.type));
}

export function hasStageType(type: string): boolean {
  return factories.has(type);
}

/** 'p.yaml: stage 'strict' (stages[2], gopher_quality)': where a stage is, naming it once. */
function stageWhere(type: string, ctx: StageContext): string {
  const details = [ctx.index === undefined ? undefined : `stages[${ctx.index}]`, ctx.name === type ? undefined : type].filter(Boolean);
  return `${ctx.file ? `${ctx.file}: ` : ''}stage '${ctx.name}'${details.length ? ` (${details.join(', ')})` : ''}`;
}

/** A factory's option path ('bannedWordsFile', 'files.en') with its first key as the pipeline file spells it. */
function asSpelt(option: string, given: Record<string, unknown>): string {
  const [first, ...rest] = option.split('.');
  const spelt = Object.keys(given).find((k) => k === first || camelCase(k) === first);
  return [spelt ?? first, ...rest].join('.');
}

/** Errors of the language itself: a factory that throws one has a bug, which stays visible as such. */
const BUG_ERRORS: Function[] = [TypeError, RangeError, ReferenceError, SyntaxError];

export async function createStage(type: string, options: Record<string, unknown>, ctx: StageContext): Promise<Stage> {
  const where = stageWhere(type, ctx);
  const f = factories.get(type);
  if (!f) {
    const known = stageTypes().map((t) => t.type);
    const near = closest(type, known);
    // Named after its type, the stage is best found by its place.
    const at = ctx.name === type && ctx.index !== undefined ? `${ctx.file ? `${ctx.file}: ` : ''}stages[${ctx.index}]` : where;
    throw new PipelineError(`${at}: unknown stage type '${type}'${near ? `; did you mean '${near}'?` : ''} (known types: ${known.length ? known.join(', ') : 'none registered'})`);
  }
  let opts = options;
  if (f.options) {
    if (Object.hasOwn(options, 'name')) throw new StageOptionError(type, 'name', "is the stage's own `name:` (beside `type:`), not one of its options", where);
    try {
      opts = parseOptions(type, omit(f.options, ['name']), options, { baseDir: ctx.baseDir });
    } catch (e) {
      if (e instanceof StageOptionError) throw new StageOptionError(e.stage, e.option, e.problem, where);
      throw e;
    }
  }
  try {
    return await f.factory(opts, ctx);
  } catch (e) {
    if (e instanceof StageOptionError) throw new StageOptionError(e.stage, e.option === undefined ? undefined : asSpelt(e.option, options), e.problem, where);
    if (e instanceof PipelineError) throw e;
    if (e instanceof Error && BUG_ERRORS.includes(e.constructor)) throw e;
    throw new PipelineError(`${where}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
