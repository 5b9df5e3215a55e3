// A synthetic Hugging Face tokenizer.json the size of real ones (Llama 3: 128k tokens, 280k merges;
// Qwen 2: 152k tokens, 151k merges): <unk>/<s>/</s>, 256 byte pieces, a Latin + CJK alphabet, then
// random six-character "words" of which every substring becomes a token and every split of a token a
// merge (shorter results first), so there are about 2.3 merges per token; the merge list is cut to the
// count asked for. Deterministic; builds in about a second.

const SPACE = '\u2581';

export interface SyntheticOptions {
  vocabSize: number;
  merges: number;
  /** Tokens appended after the vocabulary in added_tokens (special). Default 0. */
  addedTokens?: number;
}

export function syntheticTokenizerJson(o: SyntheticOptions): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  const pieces: string[] = [];
  const add = (p: string): void => {
    vocab[p] = pieces.length;
    pieces.push(p);
  };
  for (const p of ['<unk>', '<s>', '</s>']) add(p);
  for (let b = 0; b < 256; b++) add(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
  const alphabetStart = pieces.length;
  add(SPACE);
  for (let c = 0x61; c <= 0x7a; c++) add(String.fromCharCode(c));
  for (let c = 0x41; c <= 0x5a; c++) add(String.fromCharCode(c));
  for (let c = 0x4e00; c < 0x4e00 + 1500; c++) add(String.fromCharCode(c));
  const alphabet = pieces.length - alphabetStart;
  const merges: string[] = [];
  const listed = new Set<string>();
  let x = 12345;
  const rnd = (n: number): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return (x >>> 8) % n;
  };
  const WORD = 6;
  while (pieces.length < o.vocabSize) {
    let word = '';
    for (let i = 0; i < WORD; i++) word += pieces[alphabetStart + rnd(alphabet)]!;
    for (let len = 2; len <= WORD && pieces.length < o.vocabSize; len++) {
      for (let at = 0; at + len <= WORD; at++) {
        const t = word.slice(at, at + len);
        if (vocab[t] === undefined) add(t);
        for (let k = 1; k < len; k++) {
          const pair = `${t.slice(0, k)} ${t.slice(k)}`;
          if (!listed.has(pair)) {
            listed.add(pair);
            merges.push(pair);
          }
        }
        if (pieces.length >= o.vocabSize) break;
      }
    }
  }
  merges.length = Math.min(merges.length, o.merges);
  const added = [0, 1, 2].map((id) => ({ id, content: pieces[id], special: true }));
  for (let i = 0; i < (o.addedTokens ?? 0); i++) added.push({ id: pieces.length + i, content: `<|reserved_${i}|>`, special: true });
  return {
    version: '1.0',
    added_tokens: added,
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: SPACE }, { type: 'Replace', pattern: { String: ' ' }, content: SPACE }] },
    pre_tokenizer: null,
    post_processor: { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<s>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }], pair: [], special_tokens: {} },
    decoder: { type: 'Sequence', decoders: [{ type: 'Replace', pattern: { String: SPACE }, content: ' ' }, { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] },
    model: { type: 'BPE', dropout: null, unk_token: '<unk>', fuse_unk: true, byte_fallback: true, vocab, merges },
  };
}
