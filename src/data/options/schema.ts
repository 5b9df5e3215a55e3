// Stage options as a schema: one rule per option (its type, its range, what it holds), so that a
// pipeline file's `minDocWords: -5` or `stopWords: [5, null]` fails at load time naming the option,
// instead of running and dropping every document. Keys are accepted in camelCase (the stages' own
// names) and in snake_case (min_doc_words, as YAML users and datatrove's keyword arguments write);
// an unknown key fails with the closest known one.
import { isAbsolute, resolve } from 'node:path';
import { camelCase, closest, isSnake, snakeCase } from './spelling.js';

/** A value that breaks its rule: where (the path of keys, as the user spelt them) and how. */
export class OptionProblem extends Error {
  constructor(
    readonly at: readonly string[],
    readonly problem: string,
  ) {
    super(problem);
  }
}

export interface RuleContext {
  /** Folder that relative paths resolve against (a pipeline file's folder); absent: paths stay as given. */
  baseDir?: string;
}

export interface OptionRule {
  /** What a valid value is, completing "must be ...": 'a number from 0 to 1'. */
  readonly expected: string;
  /** The value to use (a fresh copy for lists and objects); throws OptionProblem when `v` breaks the rule. */
  parse(v: unknown, at: readonly string[], ctx: RuleContext): unknown;
}

/** One rule per option of T: the compiler checks that schema and options name the same keys. */
export type OptionSchema<T> = { readonly [K in keyof T]-?: OptionRule };

/** 'byLanguage.zh.minDocWords', 'stopWords[1]'. */
export function optionPath(at: readonly string[]): string {
  return at.reduce((s, p) => (p.startsWith('[') || !s ? s + p : `${s}.${p}`), '');
}

/** A short rendering of a value for an error: -5, "50", null, [5, null], an object. */
export function brief(v: unknown, depth = 0): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  if (Array.isArray(v)) {
    if (depth > 0) return v.length ? '[…]' : '[]';
    const items = v.slice(0, 4).map((x) => brief(x, depth + 1));
    return `[${items.join(', ')}${v.length > 4 ? ', …' : ''}]`;
  }
  if (typeof v === 'object') return 'an object';
  return `a ${typeof v}`;
}

function fail(at: readonly string[], expected: string, v: unknown): never {
  throw new OptionProblem(at, `must be ${expected}, got ${brief(v)}`);
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function check(expected: string, ok: (v: unknown) => boolean): OptionRule {
  return {
    expected,
    parse(v, at) {
      if (!ok(v)) fail(at, expected, v);
      return v;
    },
  };
}

function range(lo: number, hi: number): string {
  if (hi === Infinity || hi === Number.MAX_SAFE_INTEGER) return `>= ${lo}`;
  return `from ${lo} to ${hi}`;
}

/** A finite number in [min, max]. */
export function number(min = -Infinity, max = Infinity): OptionRule {
  const expected = min === -Infinity && max === Infinity ? 'a finite number' : `a number ${range(min, max)}`;
  return check(expected, (v) => typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max);
}

/** A whole number in [min, max]. */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER): OptionRule {
  return check(`a whole number ${range(min, max)}`, (v) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max);
}

/** A share of something: a number from 0 to 1. */
export const ratio = number(0, 1);
/** A count or a length: a whole number >= 0. */
export const count = integer(0);
export const boolean = check('true or false', (v) => typeof v === 'boolean');

/** A string; `nonEmpty` refuses ''. */
export function string(o: { nonEmpty?: boolean } = {}): OptionRule {
  return check(o.nonEmpty ? 'a non-empty string' : 'a string', (v) => typeof v === 'string' && (!o.nonEmpty || v.length > 0));
}

/** A string matching `pattern`, described by `expected`. */
export function matching(pattern: RegExp, expected: string): OptionRule {
  return check(expected, (v) => typeof v === 'string' && pattern.test(v));
}

export function oneOf(values: readonly string[]): OptionRule {
  return check(`one of ${values.join(', ')}`, (v) => typeof v === 'string' && values.includes(v));
}

/** A file or folder path; resolved against the pipeline file's folder when there is one. '' stays '' (none). */
export const path: OptionRule = {
  expected: 'a file path (a string)',
  parse(v, at, ctx) {
    if (typeof v !== 'string') fail(at, this.expected, v);
    return v !== '' && ctx.baseDir !== undefined && !isAbsolute(v) ? resolve(ctx.baseDir, v) : v;
  },
};

/** The rule, or null (which turns the option's rule off). */
export function nullable(rule: OptionRule): OptionRule {
  return {
    expected: `${rule.expected}, or null`,
    parse(v, at, ctx) {
      if (v === null) return null;
      try {
        return rule.parse(v, at, ctx);
      } catch (e) {
        if (e instanceof OptionProblem && e.at === at) fail(at, this.expected, v);
        throw e;
      }
    },
  };
}

/** A value of either rule (the first that accepts it). */
export function either(a: OptionRule, b: OptionRule): OptionRule {
  return {
    expected: `${a.expected} or ${b.expected}`,
    parse(v, at, ctx) {
      try {
        return a.parse(v, at, ctx);
      } catch (e) {
        if (!(e instanceof OptionProblem)) throw e;
        try {
          return b.parse(v, at, ctx);
        } catch (e2) {
          if (e2 instanceof OptionProblem) fail(at, this.expected, v);
          throw e2;
        }
      }
    },
  };
}

/** A list whose items follow `item`; `expected` says it in words ('a list of strings'). */
export function list(item: OptionRule, expected = `a list, each ${item.expected}`, o: { minLength?: number } = {}): OptionRule {
  return {
    expected,
    parse(v, at, ctx) {
      if (!Array.isArray(v) || v.length < (o.minLength ?? 0)) fail(at, expected, v);
      return v.map((x, i) => {
        try {
          return item.parse(x, [...at, `[${i}]`], ctx);
        } catch (e) {
          // A wrong item: say what the whole list should hold, and which item broke it.
          if (e instanceof OptionProblem && e.at.length === at.length + 1) throw new OptionProblem(at, `must be ${expected}, but item ${i} is ${brief(x)}`);
          throw e;
        }
      });
    },
  };
}

/** A stage's name (its stats key; global stages also name their work folder after it, checked there). */
export const stageName = string({ nonEmpty: true });

/** A list of strings (word lists, language codes). */
export const strings = list(string(), 'a list of strings');
/** Words, substrings or characters to match: an empty one would match everything. */
export const words = list(string({ nonEmpty: true }), 'a list of non-empty strings');

/** A fixed-length list: [n, share]. */
export function tuple(items: readonly OptionRule[], expected: string): OptionRule {
  return {
    expected,
    parse(v, at, ctx) {
      if (!Array.isArray(v) || v.length !== items.length) fail(at, expected, v);
      return items.map((r, i) => {
        try {
          return r.parse(v[i], [...at, `[${i}]`], ctx);
        } catch (e) {
          if (e instanceof OptionProblem) fail(at, expected, v);
          throw e;
        }
      });
    },
  };
}

/** An object with keys of the user's choosing (languages, topics): `value` for each value, `key` for each key. */
export function record(value: OptionRule, key?: { pattern: RegExp; expected: string }, expected = `an object of ${key ? `${key.expected} to ` : ''}${value.expected}`): OptionRule {
  return {
    expected,
    parse(v, at, ctx) {
      if (!isPlain(v)) fail(at, expected, v);
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        if (key && !key.pattern.test(k)) throw new OptionProblem(at, `must be ${expected}, but has key ${JSON.stringify(k)}`);
        // defineProperty: a key such as '__proto__' stays a plain key, never the prototype.
        Object.defineProperty(out, k, { value: value.parse(x, [...at, k], ctx), enumerable: true, writable: true, configurable: true });
      }
      return out;
    },
  };
}

/** The schema's key for `given`, which may be spelt in snake_case; undefined when unknown. */
function schemaKey(schema: Record<string, OptionRule>, given: string): string | undefined {
  if (Object.hasOwn(schema, given)) return given;
  const camel = camelCase(given);
  return camel !== given && Object.hasOwn(schema, camel) ? camel : undefined;
}

/** What an unknown key gets told: the closest known option, and the list, in the user's spelling. */
function unknownKey(schema: Record<string, OptionRule>, given: string, at: readonly string[]): never {
  const known = Object.keys(schema);
  const spell = (k: string) => (isSnake(given) ? snakeCase(k) : k);
  const near = closest(given, known);
  const hint = near ? `; did you mean '${spell(near)}'?` : '';
  throw new OptionProblem([...at, given], `is unknown${hint} (known: ${known.map(spell).join(', ')})`);
}

/**
 * An object with known keys, each optional (the stage's defaults fill the rest); keys in either
 * spelling. Returns the given keys in camelCase with their parsed values.
 */
export function shape(schema: Record<string, OptionRule>, what = 'an object of options'): OptionRule {
  return {
    expected: what,
    parse(v, at, ctx) {
      if (!isPlain(v)) fail(at, what, v);
      const out: Record<string, unknown> = {};
      const spelt = new Map<string, string>();
      for (const [given, x] of Object.entries(v)) {
        // An absent value (a TypeScript caller's `{ seed: undefined }`) means the default.
        if (x === undefined) continue;
        const key = schemaKey(schema, given);
        if (key === undefined) unknownKey(schema, given, at);
        const before = spelt.get(key);
        if (before !== undefined) throw new OptionProblem([...at, given], `is given twice (also as '${before}')`);
        spelt.set(key, given);
        out[key] = schema[key]!.parse(x, [...at, given], ctx);
      }
      return out;
    },
  };
}

/** The same schema without some keys (a per-language override takes thresholds, not `name` or `language`). */
export function omit<S extends Record<string, OptionRule>>(schema: S, keys: readonly string[]): Record<string, OptionRule> {
  return Object.fromEntries(Object.entries(schema).filter(([k]) => !keys.includes(k)));
}
