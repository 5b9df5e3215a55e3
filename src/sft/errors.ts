// The trainer's typed error: a bad option, a base model unfit for chat finetuning, a run folder that
// cannot be resumed. Its message names the option, file or field and what was expected.
export class SftError extends Error {
  override name = 'SftError';
}
