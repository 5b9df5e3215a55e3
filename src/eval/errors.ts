// Typed errors of the evaluation commands: the message names the file or option and what was expected.

/** An evaluation that cannot run as asked (a missing or too short text, a context the model cannot take ...). */
export class EvalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EvalError';
  }
}
