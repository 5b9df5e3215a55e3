// tokenizeCorpus: a corpus (JSONL(.gz/.zst), Parquet, text) in, a token dataset (dataset.json +
// train/val shards) out. Documents are encoded on worker threads in batches whose results are taken
// in order, so the output is the same for any thread count. Each finished shard is renamed into
// place and recorded in tokenize-progress.json with how many input documents it consumed, so that a
// killed run resumes after its last finished shard; dataset.json is written last.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, statSync, unlinkSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { listCorpusFiles, readDocuments } from '../data/documents.js';
import { writeAll, writeFileAtomic } from '../formats/atomic.js';
import { Tokenizer } from '../tokenizer/tokenizer.js';
import type { EncodedBatch } from './encode-batch.js';
import { EncoderPool } from './encoder-pool.js';
import {
  DATASET_FORMAT,
  DATASET_VERSION,
  dtypeForVocab,
  inspectShard,
  MANIFEST_FILE,
  openTokenDataset,
  shardFileName,
  ShardWriter,
  SPLITS,
  writeDatasetMeta,
  type DatasetMeta,
  type ShardEntry,
  type SplitName,
} from './shards.js';

export const PROGRESS_FILE = 'tokenize-progress.json';
export const DEFAULT_SHARD_TOKENS = 100_000_000;
export const DEFAULT_VAL_FRACTION = 0.005;

export interface TokenizeCorpusOptions {
  /** tokenizer.model, tokenizer.json, a Hugging Face folder or a .gguf file. */
  tokenizer: string;
  /** Corpus files or folders (see readDocuments). */
  inputs: string[];
  /** The dataset folder (created; must be empty unless resuming). */
  out: string;
  /** Text field of JSONL records / column of Parquet files. Default 'text'. */
  field?: string;
  /** Fraction of documents for the validation split, chosen by a hash of each document's text. Default 0.005. */
  valFraction?: number;
  /** A shard closes before a document would take it past this many tokens. Default 100M. */
  shardTokens?: number;
  /** Encoding threads; 1 encodes on the calling thread. Default: defaultTokenizeThreads(). */
  threads?: number;
  /** Continue an unfinished run in `out` after its last finished shard (same inputs and options). */
  resume?: boolean;
  /** Start each document with BOS. Default false (Yi's base tokenizer has add_bos_token false). */
  addBos?: boolean;
  /** Documents per encoding batch (at most; a batch also closes at 256K characters). Default 1024. */
  batchDocuments?: number;
  /** Called after each encoded batch. */
  onProgress?: (p: TokenizeProgress) => void;
  /** Called after each shard is renamed into place and recorded. */
  onShard?: (s: ShardEntry & { split: SplitName }) => void;
  /** Stops the run (checked after each batch and each shard); finished shards stay for a resume. */
  signal?: AbortSignal;
}

export interface TokenizeProgress {
  files: number;
  filesDone: number;
  /** Input documents read so far (skipped ones of a resumed run included). */
  inputDocuments: number;
  /** Encoded by this run: documents written (empty ones excluded), their tokens and UTF-8 text bytes. */
  documents: number;
  tokens: number;
  bytes: number;
  /** Finished shards, all splits, those of an earlier run included. */
  shards: number;
  seconds: number;
}

export interface TokenizeResult {
  dir: string;
  meta: DatasetMeta;
  /** What this run did: with resume, less than the dataset holds; zero when it was already complete. */
  progress: TokenizeProgress;
  resumed: boolean;
  /** `out` already held the finished dataset (resume): nothing was done. */
  alreadyComplete: boolean;
}

/**
 * One worker per core, at most 16 (the reading thread is mostly idle: parsing JSONL runs at ~140
 * MB/s, encoding at ~5 MB/s per core); on one core, encode in-process.
 */
export function defaultTokenizeThreads(): number {
  return Math.max(1, Math.min(availableParallelism(), 16));
}

/** What a resumed run must share with the run it continues (also kept in dataset.json's `source`). */
interface RunFingerprint {
  tokenizerSha256: string;
  inputs: { path: string; bytes: number }[];
  field: string;
  valFraction: number;
  shardTokens: number;
  addBos: boolean;
}

type RecordedShard = ShardEntry & { /** Input documents before this index are all in finished shards of the split. */ inputEnd: number };

interface ProgressFile {
  format: 'yi-tokenize-progress';
  version: 1;
  fingerprint: RunFingerprint;
  shards: Record<SplitName, RecordedShard[]>;
}

/**
 * Whether a document goes to the validation split: FNV-1a of its UTF-16 code units, finalized with
 * MurmurHash3's fmix32, as a fraction of 2^32. Depends on the text alone, so reruns (and exact
 * duplicates) land in the same split whatever the input order.
 */
export function isValidationDocument(text: string, valFraction: number): boolean {
  if (valFraction <= 0) return false;
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296 < valFraction;
}

/**
 * sha256 of a tokenizer: of the file's bytes, or for a Hugging Face folder of each of
 * tokenizer.model, tokenizer.json, tokenizer_config.json present, as name NUL bytes NUL.
 */
export function tokenizerSha256(path: string): string {
  const h = createHash('sha256');
  const addFile = (file: string): void => {
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(1 << 20);
      for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
    } finally {
      closeSync(fd);
    }
  };
  if (statSync(path).isDirectory()) {
    for (const name of ['tokenizer.model', 'tokenizer.json', 'tokenizer_config.json']) {
      const f = join(path, name);
      if (!existsSync(f)) continue;
      h.update(name + '\0');
      addFile(f);
      h.update('\0');
    }
  } else addFile(path);
  return h.digest('hex');
}

const BATCH_DOCS = 1024;
const BATCH_CHARS = 1 << 18;

export async function tokenizeCorpus(opts: TokenizeCorpusOptions): Promise<TokenizeResult> {
  const field = opts.field ?? 'text';
  const valFraction = opts.valFraction ?? DEFAULT_VAL_FRACTION;
  const shardTokens = opts.shardTokens ?? DEFAULT_SHARD_TOKENS;
  const threads = opts.threads ?? defaultTokenizeThreads();
  const addBos = opts.addBos ?? false;
  const batchDocs = opts.batchDocuments ?? BATCH_DOCS;
  if (!Number.isSafeInteger(batchDocs) || batchDocs < 1) throw new Error(`batchDocuments must be a positive integer (got ${batchDocs})`);
  if (!(valFraction >= 0 && valFraction < 1)) throw new Error(`valFraction must be in [0, 1) (got ${valFraction})`);
  if (!Number.isSafeInteger(shardTokens) || shardTokens < 1) throw new Error(`shardTokens must be a positive integer (got ${shardTokens})`);
  if (!Number.isSafeInteger(threads) || threads < 1) throw new Error(`threads must be a positive integer (got ${threads})`);
  if (!existsSync(opts.tokenizer)) throw new Error(`tokenizer ${opts.tokenizer}: no such file or folder`);
  const tok = Tokenizer.load(opts.tokenizer);
  const eos = tok.specials.eos;
  const bos = tok.specials.bos;
  if (eos < 0) throw new Error(`tokenizer ${opts.tokenizer} has no end-of-sequence token; documents are separated by EOS`);
  if (addBos && bos < 0) throw new Error(`tokenizer ${opts.tokenizer} has no beginning-of-sequence token to add`);
  const files = listCorpusFiles(opts.inputs);
  if (files.length === 0) throw new Error(`no corpus files (.txt, .md, .jsonl(.gz/.zst), .parquet) in ${opts.inputs.join(', ')}`);
  const fingerprint: RunFingerprint = {
    tokenizerSha256: tokenizerSha256(opts.tokenizer),
    inputs: files.map((f) => ({ path: f, bytes: statSync(f).size })),
    field,
    valFraction,
    shardTokens,
    addBos,
  };
  const out = opts.out;
  mkdirSync(out, { recursive: true });
  const progressPath = join(out, PROGRESS_FILE);
  const started = performance.now();
  const progress: TokenizeProgress = { files: files.length, filesDone: 0, inputDocuments: 0, documents: 0, tokens: 0, bytes: 0, shards: 0, seconds: 0 };

  // Where an earlier run stopped.
  const done: Record<SplitName, RecordedShard[]> = { train: [], val: [] };
  if (existsSync(join(out, MANIFEST_FILE))) {
    if (!opts.resume) throw new Error(`${out} already holds a dataset (${MANIFEST_FILE}); choose another output folder`);
    const ds = openTokenDataset(out);
    ds.close();
    const diff = fingerprintDiff(ds.meta.source as Partial<RunFingerprint> | undefined, fingerprint);
    if (diff) throw new Error(`${out} holds a finished dataset made with a different ${diff}`);
    return { dir: out, meta: ds.meta, progress, resumed: true, alreadyComplete: true };
  }
  if (existsSync(progressPath)) {
    if (!opts.resume) throw new Error(`${out} holds an unfinished run (${PROGRESS_FILE}); pass resume (--resume) to continue it, or choose another output folder`);
    const p = readProgress(progressPath);
    const diff = fingerprintDiff(p.fingerprint, fingerprint);
    if (diff) throw new Error(`cannot resume ${out}: it was started with a different ${diff}`);
    for (const split of SPLITS) {
      for (const s of p.shards[split]) {
        const h = inspectShard(join(out, s.file));
        if (h.tokens !== s.tokens || h.documents !== s.documents) throw new Error(`cannot resume ${out}: ${s.file} holds ${h.tokens} tokens / ${h.documents} documents, ${PROGRESS_FILE} recorded ${s.tokens} / ${s.documents}`);
      }
      done[split] = p.shards[split];
    }
  } else if (!opts.resume && readdirSync(out).length > 0) {
    throw new Error(`${out} is not empty; choose a new or empty output folder`);
  }
  const resumed = done.train.length + done.val.length > 0;
  progress.shards = done.train.length + done.val.length;

  const dtype = dtypeForVocab(tok.vocabSize);
  const writers: Partial<Record<SplitName, ShardWriter>> = {};
  const resumeEnd = (split: SplitName): number => done[split].at(-1)?.inputEnd ?? 0;
  const skipBefore = { train: resumeEnd('train'), val: resumeEnd('val') };
  const aborted = (): void => {
    if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('tokenizeCorpus aborted');
  };
  const saveProgress = (): void => {
    const p: ProgressFile = { format: 'yi-tokenize-progress', version: 1, fingerprint, shards: done };
    const bytes = new TextEncoder().encode(JSON.stringify(p) + '\n');
    writeFileAtomic(progressPath, (fd) => writeAll(fd, bytes));
  };
  const finishShard = (split: SplitName, inputEnd: number): void => {
    const e = writers[split]!.finish();
    writers[split] = undefined;
    done[split].push({ ...e, inputEnd });
    saveProgress();
    progress.shards++;
    opts.onShard?.({ split, ...e });
    aborted();
  };
  const place = (split: SplitName, inputIndex: number, ids: Uint32Array): void => {
    const w = writers[split];
    // Documents stay whole: a shard closes before a document that would overflow it (a document
    // longer than the cap gets a shard of its own).
    if (w && w.tokens > 0 && w.tokens + ids.length > shardTokens) finishShard(split, inputIndex);
    (writers[split] ??= new ShardWriter(join(out, shardFileName(split, done[split].length)), { dtype, vocabSize: tok.vocabSize, eosId: eos })).appendDocument(ids);
  };

  interface Batch {
    texts: string[];
    inputIndex: number[];
    split: SplitName[];
    bytes: number;
    chars: number;
    result?: Promise<EncodedBatch>;
  }
  const newBatch = (): Batch => ({ texts: [], inputIndex: [], split: [], bytes: 0, chars: 0 });
  const pool = new EncoderPool(tok, opts.tokenizer, threads, { bos: addBos ? bos : -1, eos });
  const inflight: Batch[] = [];
  const maxInflight = 2 * threads;
  let batch = newBatch();
  const dispatch = (): void => {
    if (batch.texts.length === 0) return;
    batch.result = pool.encode(batch.texts);
    inflight.push(batch);
    batch = newBatch();
  };
  const drain = async (): Promise<void> => {
    const b = inflight.shift()!;
    const r = await b.result!;
    let at = 0;
    for (let k = 0; k < b.texts.length; k++) {
      const len = r.lengths[k]!;
      if (len === 0) continue;
      place(b.split[k]!, b.inputIndex[k]!, r.ids.subarray(at, at + len));
      at += len;
      progress.documents++;
    }
    progress.tokens += r.ids.length;
    progress.bytes += b.bytes;
    progress.seconds = (performance.now() - started) / 1000;
    opts.onProgress?.({ ...progress });
    aborted();
  };

  try {
    for (const file of files) {
      for await (const text of readDocuments([file], { field })) {
        const index = progress.inputDocuments++;
        const split: SplitName = isValidationDocument(text, valFraction) ? 'val' : 'train';
        if (index < skipBefore[split]) continue; // already in a finished shard
        batch.texts.push(text);
        batch.inputIndex.push(index);
        batch.split.push(split);
        batch.bytes += Buffer.byteLength(text);
        batch.chars += text.length;
        if (batch.texts.length >= batchDocs || batch.chars >= BATCH_CHARS) {
          dispatch();
          while (inflight.length >= maxInflight) await drain();
        }
      }
      progress.filesDone++;
    }
    dispatch();
    while (inflight.length > 0) await drain();
    for (const split of SPLITS) if (writers[split]) finishShard(split, progress.inputDocuments);
  } catch (e) {
    for (const split of SPLITS) writers[split]?.abort();
    throw e;
  } finally {
    await pool.close();
  }

  const splits = Object.fromEntries(
    SPLITS.map((s) => {
      const shards = done[s].map(({ file, tokens, documents }) => ({ file, tokens, documents }));
      return [s, { tokens: sum(shards, 'tokens'), documents: sum(shards, 'documents'), shards }];
    }),
  ) as DatasetMeta['splits'];
  const meta: DatasetMeta = {
    format: DATASET_FORMAT,
    version: DATASET_VERSION,
    dtype,
    vocabSize: tok.vocabSize,
    eosId: eos,
    bosId: bos,
    addBos,
    tokenizer: { path: resolve(opts.tokenizer), sha256: fingerprint.tokenizerSha256 },
    splits,
    totals: { tokens: splits.train.tokens + splits.val.tokens, documents: splits.train.documents + splits.val.documents },
    source: { ...fingerprint, inputDocuments: progress.inputDocuments },
  };
  writeDatasetMeta(out, meta);
  unlinkSync(progressPath);
  progress.seconds = (performance.now() - started) / 1000;
  return { dir: out, meta, progress, resumed, alreadyComplete: false };
}

function sum(xs: ShardEntry[], key: 'tokens' | 'documents'): number {
  return xs.reduce((a, x) => a + x[key], 0);
}

/** The first option that differs between two runs, named for the user, or undefined. */
function fingerprintDiff(old: Partial<RunFingerprint> | undefined, now: RunFingerprint): string | undefined {
  const names: Record<keyof RunFingerprint, string> = {
    tokenizerSha256: 'tokenizer (sha256)',
    inputs: 'input file list or file sizes',
    field: 'field',
    valFraction: 'validation fraction',
    shardTokens: 'shard size (tokens)',
    addBos: 'BOS setting',
  };
  for (const k of Object.keys(names) as (keyof RunFingerprint)[]) {
    if (JSON.stringify(old?.[k]) !== JSON.stringify(now[k])) return `${names[k]} (was ${JSON.stringify(old?.[k])?.slice(0, 200)}, now ${JSON.stringify(now[k]).slice(0, 200)})`;
  }
  return undefined;
}

function readProgress(path: string): ProgressFile {
  let p: ProgressFile;
  try {
    p = JSON.parse(readFileSync(path, 'utf8')) as ProgressFile;
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  const okShard = (s: RecordedShard): boolean =>
    typeof s === 'object' && s !== null && typeof s.file === 'string' && /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(s.file) && [s.tokens, s.documents, s.inputEnd].every((n) => Number.isSafeInteger(n) && n >= 0);
  if (p?.format !== 'yi-tokenize-progress' || p.version !== 1 || typeof p.fingerprint !== 'object' || !SPLITS.every((s) => Array.isArray(p.shards?.[s]) && p.shards[s].every(okShard))) {
    throw new Error(`${path}: not a progress file of this version of yi tokenize`);
  }
  return p;
}
