// Names that become path components of a run's output folder (a global stage's work folder is
// named after the stage): a safe character set, so that no name can climb out of the folder
// (`../../x`), hide (`.x`), or be a device or an empty name.

/** Letters, digits, '.', '_' and '-', starting with a letter or digit, at most 64 characters. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const SAFE_NAME_RULE = "1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit";

/** Why `name` cannot be a path component, or undefined when it can. */
export function unsafeName(name: unknown): string | undefined {
  if (typeof name !== 'string') return `expected a string (${SAFE_NAME_RULE})`;
  if (SAFE_NAME.test(name)) return undefined;
  return `${JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name)} is not a valid name: expected ${SAFE_NAME_RULE}`;
}
