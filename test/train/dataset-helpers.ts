// Builds small token datasets straight from id arrays (no tokenizer) for the shard and packing tests.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATASET_FORMAT, DATASET_VERSION, dtypeForVocab, shardFileName, ShardWriter, SPLITS, writeDatasetMeta, type DatasetMeta, type ShardEntry, type SplitName } from '../../src/train/shards.js';

export interface TestDataset {
  vocabSize: number;
  eosId: number;
  /** Documents per split, each with its EOS already at the end. */
  docs: Partial<Record<SplitName, number[][]>>;
  /** Shard cap in tokens (documents stay whole). */
  shardTokens: number;
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeTestDataset(dir: string, d: TestDataset): DatasetMeta {
  const dtype = dtypeForVocab(d.vocabSize);
  const splits = {} as DatasetMeta['splits'];
  for (const split of SPLITS) {
    const shards: ShardEntry[] = [];
    let w: ShardWriter | undefined;
    for (const doc of d.docs[split] ?? []) {
      if (w && w.tokens + doc.length > d.shardTokens) {
        shards.push(w.finish());
        w = undefined;
      }
      w ??= new ShardWriter(join(dir, shardFileName(split, shards.length)), { dtype, vocabSize: d.vocabSize, eosId: d.eosId });
      w.appendDocument(doc);
    }
    if (w) shards.push(w.finish());
    splits[split] = { tokens: shards.reduce((a, s) => a + s.tokens, 0), documents: shards.reduce((a, s) => a + s.documents, 0), shards };
  }
  const meta: DatasetMeta = {
    format: DATASET_FORMAT,
    version: DATASET_VERSION,
    dtype,
    vocabSize: d.vocabSize,
    eosId: d.eosId,
    bosId: -1,
    addBos: false,
    tokenizer: { path: 'none', sha256: '0'.repeat(64) },
    splits,
    totals: { tokens: splits.train.tokens + splits.val.tokens, documents: splits.train.documents + splits.val.documents },
  };
  writeDatasetMeta(dir, meta);
  return meta;
}

/** Seeded documents of ids in 0 .. vocabSize - 1 (never eos inside), each ending with eos. */
export function randomDocs(n: number, vocabSize: number, eosId: number, maxLen: number, seed: number): number[][] {
  let s = seed >>> 0 || 1;
  const rnd = (k: number): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.floor((s / 4294967296) * k);
  };
  const docs: number[][] = [];
  for (let i = 0; i < n; i++) {
    const len = 1 + rnd(maxLen);
    const doc: number[] = [];
    for (let j = 0; j < len; j++) {
      let id = rnd(vocabSize);
      if (id === eosId) id = (id + 1) % vocabSize;
      doc.push(id);
    }
    doc.push(eosId);
    docs.push(doc);
  }
  return docs;
}
