// What finetuning takes from the base model besides its weights: the config, the tokenizer (the model's
// own, or one given), and the chat template the samples are rendered with and the finetuned model keeps.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readTokenizerConfig } from '../formats/hf-config.js';
import { openGGUF } from '../formats/gguf.js';
import type { YiConfig } from '../model/config.js';
import { readModelConfig } from '../model/source.js';
import { CHATML_TEMPLATE } from '../tokenizer/chat.js';
import { Tokenizer } from '../tokenizer/tokenizer.js';
import { SftError } from './errors.js';

export interface BaseModel {
  /** The model as given (an HF folder or a .gguf file). */
  path: string;
  config: YiConfig;
  tokenizer: Tokenizer;
  /** The tokenizer's file or folder (copied into every saved model folder). */
  tokenizerPath: string;
  /** The Jinja chat template samples are rendered with: the model's own, else ChatML. */
  chatTemplate: string;
  /** Where chatTemplate came from, for errors and the report. */
  templateSource: string;
  /** <|im_end|>'s id: the turn end the model must learn to emit. */
  imEnd: number;
}

/** Reads the base model's config, tokenizer and chat template, refusing a tokenizer without ChatML's markers. */
export function openBaseModel(path: string, tokenizerPath?: string): BaseModel {
  const config = readModelConfig(path);
  const tokPath = tokenizerPath ?? path;
  if (tokenizerPath === undefined && statSync(path).isDirectory() && !existsSync(join(path, 'tokenizer.model')) && !existsSync(join(path, 'tokenizer.json'))) {
    throw new SftError(`${path}: the model folder has no tokenizer.model or tokenizer.json; give the tokenizer with --tokenizer`);
  }
  const tokenizer = Tokenizer.load(tokPath);
  if (tokenizer.vocabSize > config.vocabSize) {
    throw new SftError(`${tokPath}: the tokenizer has ${tokenizer.vocabSize} ids but the model's vocabulary (vocab_size) is ${config.vocabSize}`);
  }
  for (const marker of ['<|im_start|>', '<|im_end|>']) {
    if (tokenizer.pieceToId(marker) === undefined) {
      throw new SftError(`${tokPath}: the tokenizer has no ${marker} token; ChatML finetuning needs <|im_start|> and <|im_end|> as single special tokens`);
    }
  }
  const own = chatTemplateOf(tokPath);
  return {
    path,
    config,
    tokenizer,
    tokenizerPath: tokPath,
    chatTemplate: own?.template ?? CHATML_TEMPLATE,
    templateSource: own?.source ?? 'the built-in ChatML template',
    imEnd: tokenizer.pieceToId('<|im_end|>')!,
  };
}

/** The chat template that comes with a model: tokenizer_config.json's, or the GGUF's. */
function chatTemplateOf(path: string): { template: string; source: string } | undefined {
  if (path.endsWith('.gguf')) {
    const g = openGGUF(path);
    try {
      const t = g.metadata.get('tokenizer.chat_template');
      return typeof t === 'string' ? { template: t, source: `${path} (tokenizer.chat_template)` } : undefined;
    } finally {
      g.close();
    }
  }
  const file = statSync(path).isDirectory() ? join(path, 'tokenizer_config.json') : join(path, '..', 'tokenizer_config.json');
  if (!existsSync(file)) return undefined;
  const t = readTokenizerConfig(file).chatTemplate;
  return t === undefined ? undefined : { template: t, source: `${file} (chat_template)` };
}
