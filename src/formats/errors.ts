// Typed errors for the file formats. Each message names the file, the field and what was expected,
// so that a user holding a broken checkpoint knows which byte or key to look at.

/** Base class: a file that does not follow its format (or a value we cannot represent). */
export class FormatError extends Error {
  constructor(
    /** Short format tag used as the message prefix ('gguf', 'safetensors', 'config'). */
    readonly format: string,
    /** The file the problem is in. */
    readonly file: string,
    /** What was wrong, naming the field. */
    readonly detail: string,
  ) {
    super(`${format}: ${file}: ${detail}`);
    this.name = new.target.name;
  }
}

export class GGUFError extends FormatError {
  constructor(file: string, detail: string) {
    super('gguf', file, detail);
  }
}

export class SafetensorsError extends FormatError {
  constructor(file: string, detail: string) {
    super('safetensors', file, detail);
  }
}

/** A Hugging Face JSON file (config.json, generation_config.json, tokenizer_config.json) or a model config. */
export class ConfigError extends FormatError {
  constructor(file: string, detail: string) {
    super('config', file, detail);
  }
}
