// Tokenizer.load(path): a tokenizer.model, a tokenizer.json, a .gguf file, or a Hugging Face folder
// (tokenizer.model preferred, else tokenizer.json; tokenizer_config.json applied when present).
// Every failure is a TokenizerError (or the GGUF reader's GGUFError) naming the file.
import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { openGGUF } from '../formats/gguf.js';
import { TokenizerError } from './errors.js';
import { MAX_JSON_BYTES, MAX_MODEL_BYTES } from './limits.js';
import { readTokenizerFile, readTokenizerJson, statTokenizerPath, unreadable } from './read-file.js';
import { parseModelProto } from './sentencepiece-proto.js';
import { specFromGGUFMetadata } from './sources/gguf.js';
import { specFromModelProto } from './sources/sentencepiece.js';
import { applyTokenizerConfig } from './sources/tokenizer-config.js';
import { specFromTokenizerJson } from './sources/tokenizer-json.js';
import type { TokenizerSpec } from './spec.js';

export { applyTokenizerConfig } from './sources/tokenizer-config.js';

export function loadTokenizerSpec(path: string): TokenizerSpec {
  if (statTokenizerPath(path).isDirectory()) {
    const model = join(path, 'tokenizer.model');
    const json = join(path, 'tokenizer.json');
    const spec = existsSync(model) ? fromModel(model) : existsSync(json) ? fromJson(json) : undefined;
    if (!spec) throw new TokenizerError(path, 'no tokenizer.model or tokenizer.json in this folder');
    const config = join(path, 'tokenizer_config.json');
    if (existsSync(config)) applyTokenizerConfig(spec, readTokenizerJson(config, MAX_JSON_BYTES), config);
    return spec;
  }
  if (path.endsWith('.json')) return fromJson(path);
  if (path.endsWith('.gguf') || magic(path) === 'GGUF') {
    const f = openGGUF(path);
    try {
      return specFromGGUFMetadata(f.metadata, path);
    } finally {
      f.close();
    }
  }
  return fromModel(path);
}

function fromModel(path: string): TokenizerSpec {
  return specFromModelProto(parseModelProto(readTokenizerFile(path, MAX_MODEL_BYTES), path), path);
}

function fromJson(path: string): TokenizerSpec {
  return specFromTokenizerJson(readTokenizerJson(path, MAX_JSON_BYTES), path);
}

function magic(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw unreadable(path, e);
  }
  try {
    const b = Buffer.alloc(4);
    const got = readSync(fd, b, 0, 4, 0);
    return b.toString('latin1', 0, got);
  } finally {
    closeSync(fd);
  }
}
