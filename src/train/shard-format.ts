// Token shards: the tokenized corpus that pretraining reads. A dataset is a folder with a manifest
// (dataset.json) and shard files (train-00000.tok, val-00000.tok ...), each holding whole documents
// as little-endian token ids (each document followed by EOS) and an index of where each document
// starts. The byte layout is documented in src/train/README.md. Readers read windows by positional
// reads; nothing here ever loads a whole shard. This file holds the format (constants, manifest
// types, the shard header); shard-writer.ts writes shards, shard-reader.ts validates and reads them.
import { closeSync, fstatSync, openSync } from 'node:fs';
import { FormatError } from '../formats/errors.js';
import { readFully } from '../formats/file-reader.js';

export class TokenShardError extends FormatError {
  constructor(file: string, detail: string) {
    super('token shards', file, detail);
  }
}

export const DATASET_FORMAT = 'yi-token-shards';
export const DATASET_VERSION = 1;
export const SHARD_MAGIC = 'YITOKSHD';
export const SHARD_VERSION = 1;
export const SHARD_HEADER_BYTES = 64;
export const MANIFEST_FILE = 'dataset.json';
export const SPLITS = ['train', 'val'] as const;

export type SplitName = (typeof SPLITS)[number];
export type TokenDtype = 'uint16' | 'uint32';

/** uint16 holds ids 0 .. 65535, so a vocabulary of up to 65536 pieces. */
export function dtypeForVocab(vocabSize: number): TokenDtype {
  return vocabSize <= 65536 ? 'uint16' : 'uint32';
}

export function dtypeBytes(dtype: TokenDtype): 2 | 4 {
  return dtype === 'uint16' ? 2 : 4;
}

/** The shard file name of split `split`, number `index` (train-00000.tok). */
export function shardFileName(split: SplitName, index: number): string {
  return `${split}-${String(index).padStart(5, '0')}.tok`;
}

export interface ShardEntry {
  /** File name inside the dataset folder. */
  file: string;
  tokens: number;
  documents: number;
}

export interface SplitEntry {
  tokens: number;
  documents: number;
  shards: ShardEntry[];
}

/** dataset.json. */
export interface DatasetMeta {
  format: typeof DATASET_FORMAT;
  version: number;
  dtype: TokenDtype;
  vocabSize: number;
  eosId: number;
  /** -1 when the tokenizer has none. */
  bosId: number;
  /** Whether each document starts with bosId (Yi's base tokenizer: add_bos_token false, so no). */
  addBos: boolean;
  /** The tokenizer the ids belong to: the path as given and the sha256 of its bytes. */
  tokenizer: { path: string; sha256: string };
  splits: Record<SplitName, SplitEntry>;
  totals: { tokens: number; documents: number };
  /** How the dataset was made (inputs, options, counts): informative, not validated. */
  source?: Record<string, unknown>;
}

// ---------------------------------------------------------------------------------------------
// Header

export interface ShardHeader {
  width: 2 | 4;
  tokens: number;
  documents: number;
  tokensOffset: number;
  indexOffset: number;
  vocabSize: number;
  eosId: number;
}

const align8 = (n: number): number => Math.ceil(n / 8) * 8;

export function indexOffsetOf(tokens: number, width: number): number {
  return align8(SHARD_HEADER_BYTES + tokens * width);
}

export function encodeHeader(h: ShardHeader): Uint8Array {
  const b = new Uint8Array(SHARD_HEADER_BYTES);
  const v = new DataView(b.buffer);
  for (let i = 0; i < 8; i++) b[i] = SHARD_MAGIC.charCodeAt(i);
  v.setUint32(8, SHARD_VERSION, true);
  v.setUint32(12, h.width, true);
  v.setBigUint64(16, BigInt(h.tokens), true);
  v.setBigUint64(24, BigInt(h.documents), true);
  v.setBigUint64(32, BigInt(h.tokensOffset), true);
  v.setBigUint64(40, BigInt(h.indexOffset), true);
  v.setUint32(48, h.vocabSize, true);
  v.setUint32(52, h.eosId, true);
  return b;
}

/** Reads and checks a shard's header against the file's real size. */
export function readHeader(fd: number, file: string): ShardHeader {
  const size = fstatSync(fd).size;
  const fail = (detail: string): never => {
    throw new TokenShardError(file, detail);
  };
  if (size < SHARD_HEADER_BYTES) fail(`truncated: ${size} bytes, shorter than the ${SHARD_HEADER_BYTES}-byte header`);
  const b = new Uint8Array(SHARD_HEADER_BYTES);
  readFully(fd, b, 0);
  const v = new DataView(b.buffer);
  const magic = String.fromCharCode(...b.subarray(0, 8));
  if (magic !== SHARD_MAGIC) fail(`magic is ${JSON.stringify(magic)}, expected ${JSON.stringify(SHARD_MAGIC)}: not a token shard`);
  const version = v.getUint32(8, true);
  if (version !== SHARD_VERSION) fail(`header field 'version' is ${version}; this reader knows version ${SHARD_VERSION}`);
  const width = v.getUint32(12, true);
  if (width !== 2 && width !== 4) fail(`header field 'token_bytes' is ${width}, expected 2 (uint16) or 4 (uint32)`);
  const u64 = (at: number, name: string): number => {
    const x = v.getBigUint64(at, true);
    if (x > BigInt(Number.MAX_SAFE_INTEGER)) fail(`header field '${name}' is ${x}, too large`);
    return Number(x);
  };
  const h: ShardHeader = {
    width: width as 2 | 4,
    tokens: u64(16, 'tokens'),
    documents: u64(24, 'documents'),
    tokensOffset: u64(32, 'tokens_offset'),
    indexOffset: u64(40, 'index_offset'),
    vocabSize: v.getUint32(48, true),
    eosId: v.getUint32(52, true),
  };
  if (h.tokensOffset !== SHARD_HEADER_BYTES) fail(`header field 'tokens_offset' is ${h.tokensOffset}, expected ${SHARD_HEADER_BYTES}`);
  const indexOffset = indexOffsetOf(h.tokens, h.width);
  if (h.indexOffset !== indexOffset) fail(`header field 'index_offset' is ${h.indexOffset}, expected ${indexOffset} for ${h.tokens} tokens of ${h.width} bytes`);
  if (h.documents > h.tokens) fail(`header field 'documents' is ${h.documents}, more than its ${h.tokens} tokens`);
  const expected = indexOffset + 8 * h.documents;
  if (size < expected) fail(`truncated: ${size} bytes, the header promises ${h.tokens} tokens and ${h.documents} documents (${expected} bytes)`);
  if (size > expected) fail(`${size - expected} bytes of trailing data after the document index (expected ${expected} bytes)`);
  return h;
}

export interface ShardInfo {
  dtype: TokenDtype;
  tokens: number;
  documents: number;
  vocabSize: number;
  eosId: number;
}

/** A shard's header, checked against the file's size (the tokens themselves are not read). */
export function inspectShard(path: string): ShardInfo {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new TokenShardError(path, `cannot open (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    const h = readHeader(fd, path);
    return { dtype: h.width === 2 ? 'uint16' : 'uint32', tokens: h.tokens, documents: h.documents, vocabSize: h.vocabSize, eosId: h.eosId };
  } finally {
    closeSync(fd);
  }
}
