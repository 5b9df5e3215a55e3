// What a user's load does with a tokenizer file: Tokenizer.load on it (tokenizer_config.json: on its
// folder, which also holds a tokenizer.model or tokenizer.json), then encode and decode a short
// mixed-script string, so that a corrupted but loadable tokenizer is exercised too.
import { basename, dirname } from 'node:path';
import { Tokenizer } from '../../../src/tokenizer/tokenizer.js';

const TEXT = 'Hello, 世界! Привет мир 123 4567 <|im_end|><s> naïve \u{1F600}\n\t  end';

export function loadTokenizerAndEncode(path: string): number {
  const tok = Tokenizer.load(basename(path) === 'tokenizer_config.json' ? dirname(path) : path);
  const plain = tok.encode(TEXT);
  const special = tok.encode(TEXT, { parseSpecial: true, addBos: true, addEos: true });
  tok.decode(plain);
  tok.decode(special, { skipSpecial: false });
  const stream = tok.createStreamDecoder();
  for (const id of special) stream.push(id);
  stream.flush();
  return plain.length + special.length;
}
