// Options of the global stages come from TypeScript or from a pipeline file (JSON/YAML), so they
// are checked at construction: an unknown name or a value of the wrong kind fails at once, naming
// the stage type and the option, instead of running a long job with a silently ignored setting.

export class StageOptionError extends Error {}

type Kind = 'number' | 'string' | 'boolean' | 'array' | 'object';

function kindOf(v: unknown): Kind | 'null' | 'other' {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  const t = typeof v;
  return t === 'number' || t === 'string' || t === 'boolean' || t === 'object' ? t : 'other';
}

/**
 * The defaults overridden by `given`. Every given key must be a default's key and have the same
 * kind of value (number, string, boolean, array or plain object); `undefined` values are ignored.
 */
export function resolveOptions<T extends object>(type: string, defaults: T, given: Partial<T> | undefined): T {
  if (given === undefined || given === null) return { ...defaults };
  if (kindOf(given) !== 'object') throw new StageOptionError(`${type}: options must be an object, got ${kindOf(given)}`);
  const out = { ...defaults } as Record<string, unknown>;
  for (const [k, v] of Object.entries(given)) {
    if (v === undefined) continue;
    if (!(k in defaults)) {
      throw new StageOptionError(`${type}: unknown option '${k}' (known: ${Object.keys(defaults).join(', ')})`);
    }
    const want = kindOf((defaults as Record<string, unknown>)[k]);
    const got = kindOf(v);
    if (want !== got) throw new StageOptionError(`${type}: option '${k}' must be a ${want}, got ${got} (${JSON.stringify(v)})`);
    out[k] = v;
  }
  return out as T;
}

/** An integer option within [min, max]. */
export function checkInt(type: string, name: string, v: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new StageOptionError(`${type}: option '${name}' must be an integer in [${min}, ${max}], got ${v}`);
  }
}

/** One of the listed strings. */
export function checkOneOf(type: string, name: string, v: string, allowed: readonly string[]): void {
  if (!allowed.includes(v)) throw new StageOptionError(`${type}: option '${name}' must be one of ${allowed.join(', ')}, got '${v}'`);
}
