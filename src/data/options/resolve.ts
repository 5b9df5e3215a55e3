// A stage's options from its defaults and what a caller gave, checked against the stage's schema.
// Every stage factory goes through here, so options from TypeScript, JSON and YAML meet the same rules.
import { StageOptionError } from '../errors.js';
import { OptionProblem, optionPath, shape, type OptionRule, type OptionSchema, type RuleContext } from './schema.js';

/** How the stage calls itself in errors: its type, and its name when that differs. */
function stageLabel(type: string, given: unknown): string {
  const name = typeof given === 'object' && given !== null ? (given as Record<string, unknown>).name : undefined;
  return typeof name === 'string' && name !== type ? `${type} '${name}'` : type;
}

/**
 * Checks `given` against `schema` and returns its keys in camelCase with their checked values;
 * a StageOptionError names `stage` and the option (as spelt) otherwise.
 */
export function parseOptions<T>(stage: string, schema: OptionSchema<T>, given: unknown, ctx: RuleContext = {}): Partial<T> {
  if (given === undefined || given === null) return {};
  try {
    return shape(schema as unknown as Record<string, OptionRule>, 'an object').parse(given, [], ctx) as Partial<T>;
  } catch (e) {
    if (!(e instanceof OptionProblem)) throw e;
    if (e.at.length === 0) throw new StageOptionError(stage, undefined, `options ${e.problem}`);
    throw new StageOptionError(stage, optionPath(e.at), e.problem);
  }
}

export interface ResolveSpec {
  /** Options whose objects merge key by key over the defaults' (per-language overrides). */
  merge?: readonly string[];
}

/** `defaults` overridden by the checked `given` (a fresh object; the defaults are never shared). */
export function resolveOptions<T extends object>(type: string, defaults: T, schema: OptionSchema<T>, given: unknown, spec: ResolveSpec = {}): T {
  const parsed = parseOptions(stageLabel(type, given), schema, given) as Record<string, unknown>;
  const out = structuredClone(defaults) as Record<string, unknown>;
  for (const [k, v] of Object.entries(parsed)) {
    if (spec.merge?.includes(k)) {
      const base = out[k] as Record<string, Record<string, unknown>>;
      const merged: Record<string, unknown> = { ...base };
      for (const [sub, o] of Object.entries(v as Record<string, Record<string, unknown>>)) {
        Object.defineProperty(merged, sub, { value: { ...(Object.hasOwn(base, sub) ? base[sub] : {}), ...o }, enumerable: true, writable: true, configurable: true });
      }
      out[k] = merged;
    } else out[k] = v;
  }
  return out as T;
}

/** A check the schema cannot express (one option against another), failing like the schema does. */
export function optionError(type: string, given: { name?: string }, option: string | undefined, problem: string): StageOptionError {
  return new StageOptionError(stageLabel(type, given), option, problem);
}
