// The cleaning pipeline's own errors: a pipeline that cannot be loaded, built or run, and (a kind
// of it) a stage option that is unknown or out of range. Both name what was wrong and where.

export class PipelineError extends Error {
  override name = 'PipelineError';
}

/**
 * A stage option that is unknown, of the wrong type or out of range. `option` is the option's
 * path as the user spelt it ('byLanguage.zh.minDocWords'), `problem` the rest of the sentence
 * ("must be a number from 0 to 1, got 50"), so that the pipeline loader can restate the error with
 * the pipeline file and the stage without repeating them.
 */
export class StageOptionError extends PipelineError {
  override name = 'StageOptionError';
  constructor(
    /** The stage the options are for: its type, or "type 'name'". */
    readonly stage: string,
    readonly option: string | undefined,
    readonly problem: string,
    /** Where the stage is declared (a pipeline file and position); empty for options given in code. */
    where = stage,
  ) {
    super(`${where}: ${option === undefined ? '' : `option '${option}' `}${problem}`);
  }
}
