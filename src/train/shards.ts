// Token shards: the tokenized corpus that pretraining reads. A dataset is a folder with a manifest
// (dataset.json) and shard files (train-00000.tok, val-00000.tok ...), each holding whole documents
// as little-endian token ids (each document followed by EOS) and an index of where each document
// starts. The byte layout is documented in src/train/README.md. Readers read windows by positional
// reads; nothing here ever loads a whole shard.
import { closeSync, fstatSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { syncDir, writeAll, writeFileAtomic } from '../formats/atomic.js';
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

interface ShardHeader {
  width: 2 | 4;
  tokens: number;
  documents: number;
  tokensOffset: number;
  indexOffset: number;
  vocabSize: number;
  eosId: number;
}

const align8 = (n: number): number => Math.ceil(n / 8) * 8;

function indexOffsetOf(tokens: number, width: number): number {
  return align8(SHARD_HEADER_BYTES + tokens * width);
}

function encodeHeader(h: ShardHeader): Uint8Array {
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
function readHeader(fd: number, file: string): ShardHeader {
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

// ---------------------------------------------------------------------------------------------
// Writer

const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * Writes one shard by streaming: tokens go to a hidden temp file next to the target
 * (`.train-00000.tok.partial`), the index and the header are added by finish(), which fsyncs and
 * renames it into place. A crash leaves at most the temp file, which the next writer overwrites.
 */
export class ShardWriter {
  readonly width: 2 | 4;
  private readonly tmp: string;
  private fd: number | undefined;
  private readonly buf: Uint16Array | Uint32Array;
  private used = 0;
  private tokenCount = 0;
  /** Start offset of each document; a plain array grows without a copy of everything. */
  private readonly starts: number[] = [];

  constructor(
    readonly path: string,
    readonly opts: { dtype: TokenDtype; vocabSize: number; eosId: number },
  ) {
    if (!LITTLE_ENDIAN) throw new Error('token shards are little-endian; this machine is big-endian');
    this.width = dtypeBytes(opts.dtype);
    if (opts.vocabSize > 2 ** (8 * this.width)) throw new Error(`a vocabulary of ${opts.vocabSize} does not fit ${opts.dtype}`);
    this.buf = this.width === 2 ? new Uint16Array(1 << 20) : new Uint32Array(1 << 20);
    this.tmp = join(dirname(path), `.${basename(path)}.partial`);
    this.fd = openSync(this.tmp, 'w', 0o644);
    writeAll(this.fd, new Uint8Array(SHARD_HEADER_BYTES)); // placeholder until finish()
  }

  get tokens(): number {
    return this.tokenCount;
  }

  get documents(): number {
    return this.starts.length;
  }

  /** Appends one document: its ids, EOS included (the caller decides what a document ends with). */
  appendDocument(ids: ArrayLike<number>): void {
    if (this.fd === undefined) throw new Error(`${this.path}: shard already finished`);
    if (ids.length === 0) throw new Error(`${this.path}: a document needs at least one token`);
    this.starts.push(this.tokenCount);
    const vocab = this.opts.vocabSize;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!(id >= 0 && id < vocab && Number.isInteger(id))) throw new Error(`${this.path}: document ${this.starts.length - 1}: token ${id} is not an id of a ${vocab}-piece vocabulary`);
      this.buf[this.used++] = id;
      if (this.used === this.buf.length) this.flush();
    }
    this.tokenCount += ids.length;
  }

  private flush(): void {
    writeAll(this.fd!, new Uint8Array(this.buf.buffer, 0, this.used * this.width));
    this.used = 0;
  }

  /** Writes the index and header, fsyncs, renames the shard into place; returns its manifest entry. */
  finish(): ShardEntry {
    if (this.fd === undefined) throw new Error(`${this.path}: shard already finished`);
    const fd = this.fd;
    this.flush();
    const indexOffset = indexOffsetOf(this.tokenCount, this.width);
    writeAll(fd, new Uint8Array(indexOffset - (SHARD_HEADER_BYTES + this.tokenCount * this.width)));
    const index = new BigUint64Array(this.starts.length);
    for (let i = 0; i < this.starts.length; i++) index[i] = BigInt(this.starts[i]!);
    writeAll(fd, new Uint8Array(index.buffer));
    const header = encodeHeader({ width: this.width, tokens: this.tokenCount, documents: this.starts.length, tokensOffset: SHARD_HEADER_BYTES, indexOffset, vocabSize: this.opts.vocabSize, eosId: this.opts.eosId });
    if (writeSync(fd, header, 0, header.length, 0) !== header.length) throw new Error(`${this.tmp}: short write of the header`);
    fsyncSync(fd);
    closeSync(fd);
    this.fd = undefined;
    renameSync(this.tmp, this.path);
    syncDir(dirname(this.path));
    return { file: basename(this.path), tokens: this.tokenCount, documents: this.starts.length };
  }

  /** Drops the temp file (an error path; the target is left as it was). */
  abort(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
    try {
      unlinkSync(this.tmp);
    } catch {
      // already gone
    }
  }
}

/** Writes dataset.json atomically. */
export function writeDatasetMeta(dir: string, meta: DatasetMeta): void {
  const bytes = new TextEncoder().encode(JSON.stringify(meta, null, 2) + '\n');
  writeFileAtomic(join(dir, MANIFEST_FILE), (fd) => writeAll(fd, bytes));
}

// ---------------------------------------------------------------------------------------------
// Manifest validation

const MAX_MANIFEST_BYTES = 64 << 20;

function parseMeta(file: string): DatasetMeta {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (e) {
    throw new TokenShardError(file, `cannot read the manifest (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); is this a folder written by yi tokenize?`);
  }
  if (size > MAX_MANIFEST_BYTES) throw new TokenShardError(file, `${size} bytes, larger than a manifest can be (${MAX_MANIFEST_BYTES})`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new TokenShardError(file, `not valid JSON (${(e as Error).message})`);
  }
  const fail = (key: string, expected: string, got: unknown): never => {
    throw new TokenShardError(file, `field '${key}': expected ${expected}, got ${JSON.stringify(got)?.slice(0, 80)}`);
  };
  const obj = (v: unknown, key: string): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : fail(key, 'an object', v));
  const int = (v: unknown, key: string, min = 0): number => (typeof v === 'number' && Number.isSafeInteger(v) && v >= min ? v : fail(key, min === 0 ? 'a non-negative integer' : `an integer >= ${min}`, v));
  const str = (v: unknown, key: string): string => (typeof v === 'string' ? v : fail(key, 'a string', v));
  const m = obj(raw, '(top level)');
  if (m.format !== DATASET_FORMAT) fail('format', JSON.stringify(DATASET_FORMAT), m.format);
  if (m.version !== DATASET_VERSION) fail('version', `${DATASET_VERSION} (the version this reader knows)`, m.version);
  if (m.dtype !== 'uint16' && m.dtype !== 'uint32') fail('dtype', '"uint16" or "uint32"', m.dtype);
  const dtype = m.dtype as TokenDtype;
  const vocabSize = int(m.vocabSize, 'vocabSize', 1);
  if (dtypeForVocab(vocabSize) !== dtype) fail('dtype', `"${dtypeForVocab(vocabSize)}" for a vocabulary of ${vocabSize}`, dtype);
  const eosId = int(m.eosId, 'eosId');
  if (eosId >= vocabSize) fail('eosId', `an id below vocabSize ${vocabSize}`, eosId);
  const bosId = int(m.bosId, 'bosId', -1);
  if (bosId >= vocabSize) fail('bosId', `-1 or an id below vocabSize ${vocabSize}`, bosId);
  if (typeof m.addBos !== 'boolean') fail('addBos', 'true or false', m.addBos);
  if (m.addBos && bosId < 0) fail('addBos', 'false (bosId is -1)', m.addBos);
  const tokObj = obj(m.tokenizer, 'tokenizer');
  const tokenizer = { path: str(tokObj.path, 'tokenizer.path'), sha256: str(tokObj.sha256, 'tokenizer.sha256') };
  const splitsObj = obj(m.splits, 'splits');
  const seen = new Set<string>();
  const splits = {} as Record<SplitName, SplitEntry>;
  let totalTokens = 0;
  let totalDocs = 0;
  for (const name of SPLITS) {
    const s = obj(splitsObj[name], `splits.${name}`);
    if (!Array.isArray(s.shards)) fail(`splits.${name}.shards`, 'an array', s.shards);
    const shards = (s.shards as unknown[]).map((e, i): ShardEntry => {
      const key = `splits.${name}.shards[${i}]`;
      const o = obj(e, key);
      const f = str(o.file, `${key}.file`);
      // A bare file name: a manifest must not point outside its folder.
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(f)) fail(`${key}.file`, 'a plain file name inside the dataset folder', f);
      if (seen.has(f)) fail(`${key}.file`, 'a file no other shard uses', f);
      seen.add(f);
      return { file: f, tokens: int(o.tokens, `${key}.tokens`), documents: int(o.documents, `${key}.documents`) };
    });
    const tokens = int(s.tokens, `splits.${name}.tokens`);
    const documents = int(s.documents, `splits.${name}.documents`);
    const sumT = shards.reduce((a, e) => a + e.tokens, 0);
    const sumD = shards.reduce((a, e) => a + e.documents, 0);
    if (tokens !== sumT) fail(`splits.${name}.tokens`, `${sumT} (the sum over its shards)`, tokens);
    if (documents !== sumD) fail(`splits.${name}.documents`, `${sumD} (the sum over its shards)`, documents);
    splits[name] = { tokens, documents, shards };
    totalTokens += tokens;
    totalDocs += documents;
  }
  const totals = obj(m.totals, 'totals');
  if (totals.tokens !== totalTokens) fail('totals.tokens', `${totalTokens} (train + val)`, totals.tokens);
  if (totals.documents !== totalDocs) fail('totals.documents', `${totalDocs} (train + val)`, totals.documents);
  return {
    format: DATASET_FORMAT,
    version: DATASET_VERSION,
    dtype,
    vocabSize,
    eosId,
    bosId,
    addBos: m.addBos as boolean,
    tokenizer,
    splits,
    totals: { tokens: totalTokens, documents: totalDocs },
    source: typeof m.source === 'object' && m.source !== null ? (m.source as Record<string, unknown>) : undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// Reader

export interface OpenTokenDatasetOptions {
  /**
   * Also scan every shard whole (in windows): every id below vocabSize, documents starting at 0 in
   * increasing order, each ending with EOS. Costs one read of the dataset; off by default.
   */
  verify?: boolean;
}

interface OpenShard {
  file: string;
  fd: number;
  width: 2 | 4;
  tokens: number;
  documents: number;
  /** Offsets of this shard's first token / document in the split's concatenated stream. */
  tokenBase: number;
  docBase: number;
}

const WINDOW = 1 << 20;

/** One split: the concatenation of its shards' tokens, read by window. */
export class TokenSplit {
  readonly tokens: number;
  readonly documents: number;
  private readonly bytes: Uint8Array;

  /** @internal made by openTokenDataset */
  constructor(
    readonly name: SplitName,
    private readonly shards: OpenShard[],
    private readonly closed: () => boolean,
  ) {
    this.tokens = shards.reduce((a, s) => a + s.tokens, 0);
    this.documents = shards.reduce((a, s) => a + s.documents, 0);
    this.bytes = new Uint8Array(WINDOW * 2);
  }

  /** The shard holding stream position `pos` (tokens or documents, by `base`). */
  private shardAt(pos: number, base: 'tokenBase' | 'docBase', count: 'tokens' | 'documents'): OpenShard {
    let lo = 0;
    let hi = this.shards.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.shards[mid]![base] <= pos) lo = mid;
      else hi = mid - 1;
    }
    // Skip empty shards that share a base with the next one.
    while (lo < this.shards.length - 1 && pos >= this.shards[lo]![base] + this.shards[lo]![count]) lo++;
    return this.shards[lo]!;
  }

  private check(): void {
    if (this.closed()) throw new Error(`split '${this.name}': the dataset is closed`);
  }

  /**
   * Tokens start .. start + count - 1 of the split's stream (documents in order, each ending with
   * EOS), into `into` (at offset 0) or a new array. Positional reads only: O(count) memory.
   */
  read(start: number, count: number, into?: Uint32Array): Uint32Array {
    this.check();
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(count) || start < 0 || count < 0 || start + count > this.tokens) {
      throw new RangeError(`split '${this.name}': cannot read tokens ${start} .. ${start + count - 1} of ${this.tokens}`);
    }
    const out = into ?? new Uint32Array(count);
    if (out.length < count) throw new RangeError(`split '${this.name}': the target array holds ${out.length} tokens, ${count} asked`);
    let done = 0;
    while (done < count) {
      const pos = start + done;
      const s = this.shardAt(pos, 'tokenBase', 'tokens');
      const local = pos - s.tokenBase;
      const n = Math.min(count - done, s.tokens - local, WINDOW);
      const fileAt = SHARD_HEADER_BYTES + local * s.width;
      if (s.width === 4) {
        // Same width and byte order: straight into the caller's array.
        const dst = new Uint8Array(out.buffer, out.byteOffset + done * 4, n * 4);
        if (readFully(s.fd, dst, fileAt) !== dst.length) throw new TokenShardError(s.file, `short read at byte ${fileAt}: the file shrank while open`);
      } else {
        const dst = this.bytes.subarray(0, n * s.width);
        if (readFully(s.fd, dst, fileAt) !== dst.length) throw new TokenShardError(s.file, `short read at byte ${fileAt}: the file shrank while open`);
        const src = s.width === 2 ? new Uint16Array(dst.buffer, 0, n) : new Uint32Array(dst.buffer, 0, n);
        out.set(src, done);
      }
      done += n;
    }
    return out;
  }

  /** Where document i starts in the split's stream; documentStart(documents) is `tokens`. */
  documentStart(i: number): number {
    this.check();
    if (!Number.isSafeInteger(i) || i < 0 || i > this.documents) throw new RangeError(`split '${this.name}': no document ${i} (it has ${this.documents})`);
    if (i === this.documents) return this.tokens;
    const s = this.shardAt(i, 'docBase', 'documents');
    const local = i - s.docBase;
    const b = new Uint8Array(8);
    const at = indexOffsetOf(s.tokens, s.width) + local * 8;
    if (readFully(s.fd, b, at) !== 8) throw new TokenShardError(s.file, `short read at byte ${at}: the file shrank while open`);
    return s.tokenBase + Number(new DataView(b.buffer).getBigUint64(0, true));
  }
}

export class TokenDataset {
  private isClosed = false;
  private readonly splitsByName: Record<SplitName, TokenSplit>;

  /** @internal made by openTokenDataset */
  constructor(
    readonly dir: string,
    readonly meta: DatasetMeta,
    private readonly open: Record<SplitName, OpenShard[]>,
  ) {
    const closed = (): boolean => this.isClosed;
    this.splitsByName = { train: new TokenSplit('train', open.train, closed), val: new TokenSplit('val', open.val, closed) };
  }

  split(name: SplitName): TokenSplit {
    const s = this.splitsByName[name];
    if (!s) throw new Error(`${this.dir}: no split '${name}' (splits: ${SPLITS.join(', ')})`);
    return s;
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const name of SPLITS) for (const s of this.open[name]) closeSync(s.fd);
  }
}

/**
 * Opens a dataset folder: validates dataset.json and every shard header against the manifest and
 * the files' real sizes (and, with `verify`, every token and document boundary).
 */
export function openTokenDataset(dir: string, opts: OpenTokenDatasetOptions = {}): TokenDataset {
  const meta = parseMeta(join(dir, MANIFEST_FILE));
  const width = dtypeBytes(meta.dtype);
  const open: Record<SplitName, OpenShard[]> = { train: [], val: [] };
  try {
    for (const name of SPLITS) {
      let tokenBase = 0;
      let docBase = 0;
      for (const e of meta.splits[name].shards) {
        const file = join(dir, e.file);
        let fd: number;
        try {
          fd = openSync(file, 'r');
        } catch (err) {
          throw new TokenShardError(file, `cannot open the shard listed in ${MANIFEST_FILE} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
        }
        const s: OpenShard = { file, fd, width, tokens: e.tokens, documents: e.documents, tokenBase, docBase };
        open[name].push(s);
        const h = readHeader(fd, file);
        if (h.width !== width) throw new TokenShardError(file, `dtype mismatch: header field 'token_bytes' is ${h.width}, ${MANIFEST_FILE} says ${meta.dtype}`);
        if (h.tokens !== e.tokens) throw new TokenShardError(file, `header field 'tokens' is ${h.tokens}, ${MANIFEST_FILE} says ${e.tokens}`);
        if (h.documents !== e.documents) throw new TokenShardError(file, `header field 'documents' is ${h.documents}, ${MANIFEST_FILE} says ${e.documents}`);
        if (h.vocabSize !== meta.vocabSize) throw new TokenShardError(file, `header field 'vocab_size' is ${h.vocabSize}, ${MANIFEST_FILE} says ${meta.vocabSize}`);
        if (h.eosId !== meta.eosId) throw new TokenShardError(file, `header field 'eos_id' is ${h.eosId}, ${MANIFEST_FILE} says ${meta.eosId}`);
        if (opts.verify) verifyShard(s, meta);
        tokenBase += e.tokens;
        docBase += e.documents;
      }
    }
  } catch (e) {
    for (const name of SPLITS) for (const s of open[name]) closeSync(s.fd);
    throw e;
  }
  return new TokenDataset(dir, meta, open);
}

/**
 * Every id below vocabSize; the index starts at 0 and increases; each document ends with EOS. One
 * pass over the tokens with the index read alongside (document starts increase, so the token
 * before each start falls in the current window or a later one).
 */
function verifyShard(s: OpenShard, meta: DatasetMeta): void {
  const fail = (detail: string): never => {
    throw new TokenShardError(s.file, detail);
  };
  if (s.documents === 0) {
    if (s.tokens > 0) fail(`${s.tokens} tokens but no document in the index`);
    return;
  }
  const indexAt = indexOffsetOf(s.tokens, s.width);
  const idxBytes = new Uint8Array(Math.min(s.documents, WINDOW) * 8);
  let starts = new BigUint64Array(0);
  let idxBase = 0; // document number of starts[0]
  let doc = 0; // next document whose start is checked
  let prev = -1;
  const startOf = (d: number): number => {
    if (d - idxBase >= starts.length) {
      idxBase = d;
      const n = Math.min(WINDOW, s.documents - d);
      readFully(s.fd, idxBytes.subarray(0, n * 8), indexAt + d * 8);
      starts = new BigUint64Array(idxBytes.buffer, 0, n);
    }
    return Number(starts[d - idxBase]!);
  };
  const bytes = new Uint8Array(WINDOW * s.width);
  for (let at = 0; at < s.tokens; at += WINDOW) {
    const n = Math.min(WINDOW, s.tokens - at);
    const dst = bytes.subarray(0, n * s.width);
    readFully(s.fd, dst, SHARD_HEADER_BYTES + at * s.width);
    const ids = s.width === 2 ? new Uint16Array(dst.buffer, 0, n) : new Uint32Array(dst.buffer, 0, n);
    for (let i = 0; i < n; i++) {
      if (ids[i]! >= meta.vocabSize) fail(`token ${at + i} is ${ids[i]}, not below vocabSize ${meta.vocabSize}`);
    }
    // Documents whose preceding token lies in this window.
    for (; doc < s.documents; doc++) {
      const start = startOf(doc);
      if (doc === 0 && start !== 0) fail(`document index: document 0 starts at ${start}, expected 0`);
      if (doc > 0 && start <= prev) fail(`document index: document ${doc} starts at ${start}, not after document ${doc - 1} (${prev})`);
      if (start >= s.tokens) fail(`document index: document ${doc} starts at ${start}, past the shard's ${s.tokens} tokens`);
      if (start - 1 >= at + n) break;
      if (doc > 0 && ids[start - 1 - at] !== meta.eosId) fail(`document ${doc - 1} does not end with EOS (${meta.eosId}): token ${start - 1} is ${ids[start - 1 - at]}`);
      prev = start;
    }
    if (at + n === s.tokens && ids[n - 1] !== meta.eosId) fail(`the last document does not end with EOS (${meta.eosId}): it ends with ${ids[n - 1]}`);
  }
}
