// What the filter stages share about options: the `name` every stage takes, per-language overrides,
// and the language rules' common schema entries. Checking is the schema's (../options/).
import { record, shape, string, type OptionRule } from '../options/schema.js';

export { StageOptionError } from '../errors.js';
export { stageName } from '../options/schema.js';

/** What every per-document stage accepts. */
export interface StageOptions {
  /** The stage's name in the pipeline and its stats (default: the stage type). */
  name: string;
}

/** The options for one language: the base options with that language's overrides applied. */
export function forLanguage<T extends object>(opts: T, perLanguage: Partial<Record<string, Partial<T>>>, language: string): T {
  const o = Object.hasOwn(perLanguage, language) ? perLanguage[language] : undefined;
  return o ? { ...opts, ...o } : opts;
}

/** 'auto' or a language code. */
export const languageChoice = string({ nonEmpty: true });
/** Overrides by language code: each an object of some of the stage's own rules (`rules`). */
export function byLanguage(rules: Record<string, OptionRule>): OptionRule {
  return record(shape(rules, "an object of some of the stage's options"), undefined, "an object of language codes to some of the stage's options ({ zh: { ... } })");
}
