// Sizes on the command line (1048576, 512KiB, 2GiB, 1.5GB): the engine's parser, reported as a CLI option error.
import { EngineOptionsError, parseByteSize } from '../serve/engine-options.js';
import { ModelOptionError } from './model-options.js';

export function byteSizeOption(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  try {
    return parseByteSize(`--${name}`, v);
  } catch (e) {
    if (e instanceof EngineOptionsError) throw new ModelOptionError(e.message);
    throw e;
  }
}
