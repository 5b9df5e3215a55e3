// Reading a token dataset: the manifest and every shard header validated against the files' real
// sizes, then tokens read by positional windows (format: shard-format.ts).
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readFully } from '../formats/file-reader.js';
import { DATASET_FORMAT, DATASET_VERSION, dtypeBytes, indexOffsetOf, MANIFEST_FILE, readHeader, SHARD_HEADER_BYTES, SPLITS, TokenShardError, dtypeForVocab, type DatasetMeta, type ShardEntry, type SplitEntry, type SplitName, type TokenDtype } from './shard-format.js';

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
