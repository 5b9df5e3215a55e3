// Encoding a batch of documents into one flat id array: the unit of work that tokenizeCorpus runs
// in-process or hands to a worker thread (flat typed arrays cross threads without a copy).
import type { Tokenizer } from '../tokenizer/tokenizer.js';

export interface EncodedBatch {
  /** Every document's ids back to back: [bos] ids... eos for each non-empty document. */
  ids: Uint32Array;
  /** Per input document: its number of ids in `ids`, 0 when it encoded to nothing (skipped). */
  lengths: Uint32Array;
}

export interface DocumentIds {
  /** Prepend this id to each document (-1: none). */
  bos: number;
  /** Append this id to each document. */
  eos: number;
}

export function encodeBatch(tok: Tokenizer, texts: readonly string[], marks: DocumentIds): EncodedBatch {
  const lengths = new Uint32Array(texts.length);
  // Text that looks like a special token stays text (parseSpecial false): a document cannot forge EOS.
  const parts = texts.map((t) => tok.encode(t, { addBos: false, addEos: false, parseSpecial: false }));
  const extra = (marks.bos >= 0 ? 1 : 0) + 1;
  let total = 0;
  for (let i = 0; i < parts.length; i++) {
    if (parts[i]!.length === 0) continue;
    lengths[i] = parts[i]!.length + extra;
    total += lengths[i]!;
  }
  const ids = new Uint32Array(total);
  let at = 0;
  for (const p of parts) {
    if (p.length === 0) continue;
    if (marks.bos >= 0) ids[at++] = marks.bos;
    ids.set(p, at);
    at += p.length;
    ids[at++] = marks.eos;
  }
  return { ids, lengths };
}
