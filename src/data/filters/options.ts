// Option handling shared by the filter factories. Pipelines are also declared in JSON/YAML files,
// so options arrive untyped: a misspelt key or a wrong type is an error that names the stage and the
// option, never silently ignored.

export class StageOptionError extends Error {}

/** What every per-document stage accepts. */
export interface StageOptions {
  /** The stage's name in the pipeline and its stats (default: the stage type). */
  name: string;
}

type Plain = Record<string, unknown>;

function isPlain(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return `a ${typeof v}`;
}

/**
 * Checks one value against its default: same type (numbers finite), an array for an array, an
 * object for an object. A default of null marks an optional path or list: a string or null.
 * A number may be null where its rule can be turned off (`nullable`).
 */
function checkValue(where: string, key: string, def: unknown, v: unknown, nullable: ReadonlySet<string>): void {
  const bad = (expected: string): never => {
    throw new StageOptionError(`${where}: option '${key}' must be ${expected}, got ${describe(v)}`);
  };
  if (def === null) {
    if (v !== null && typeof v !== 'string') bad('a string (a file path) or null');
    return;
  }
  if (v === null) {
    if (!nullable.has(key)) bad(describe(def));
    return;
  }
  if (typeof def === 'number') {
    if (typeof v !== 'number' || !Number.isFinite(v)) bad('a finite number');
  } else if (Array.isArray(def)) {
    if (!Array.isArray(v)) bad('an array');
  } else if (isPlain(def)) {
    if (!isPlain(v)) bad('an object');
  } else if (typeof v !== typeof def) bad(describe(def));
}

export interface ResolveSpec {
  /** Numeric options that null turns off. */
  nullable?: readonly string[];
  /** An option holding per-language overrides of the other options (merged over the defaults'). */
  perLanguage?: string;
}

/**
 * `defaults` overridden by `given`, after checking every given key exists and has the default's
 * type. Per-language overrides are merged language by language, and their keys checked too.
 */
export function resolveOptions<T extends object>(type: string, defaults: T, given: unknown, spec: ResolveSpec = {}): T {
  if (given === undefined || given === null) return structuredClone(defaults);
  if (!isPlain(given)) throw new StageOptionError(`${type}: options must be an object, got ${describe(given)}`);
  const where = typeof given.name === 'string' ? `${type} '${given.name}'` : type;
  const defs = defaults as Plain;
  const nullable = new Set(spec.nullable ?? []);
  const out = structuredClone(defs);
  for (const [key, v] of Object.entries(given)) {
    if (v === undefined) continue;
    if (!(key in defs)) {
      throw new StageOptionError(`${where}: unknown option '${key}' (known: ${Object.keys(defs).join(', ')})`);
    }
    checkValue(where, key, defs[key], v, nullable);
    if (key === spec.perLanguage) {
      const merged = { ...(defs[key] as Plain) };
      for (const [lang, o] of Object.entries(v as Plain)) {
        if (!isPlain(o)) throw new StageOptionError(`${where}: option '${key}.${lang}' must be an object, got ${describe(o)}`);
        for (const [k, x] of Object.entries(o)) {
          if (!(k in defs) || k === key || k === 'name' || k === 'language') {
            throw new StageOptionError(`${where}: unknown option '${key}.${lang}.${k}' (a per-language override takes the stage's thresholds and rules)`);
          }
          checkValue(where, `${key}.${lang}.${k}`, defs[k], x, new Set([...nullable].map((n) => `${key}.${lang}.${n}`)));
        }
        merged[lang] = { ...((defs[key] as Plain)[lang] as Plain | undefined), ...o };
      }
      out[key] = merged;
    } else out[key] = structuredClone(v);
  }
  return out as T;
}

/** The options for one language: the base options with that language's overrides applied. */
export function forLanguage<T extends object>(opts: T, perLanguage: Partial<Record<string, Partial<T>>>, language: string): T {
  const o = perLanguage[language];
  return o ? { ...opts, ...o } : opts;
}

/** Throws unless lo <= v <= hi (for ratios and counts given by users). */
export function checkRange(type: string, key: string, v: number | null, lo: number, hi: number): void {
  if (v !== null && (v < lo || v > hi)) throw new StageOptionError(`${type}: option '${key}' must be between ${lo} and ${hi}, got ${v}`);
}
