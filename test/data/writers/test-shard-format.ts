// A token shard format for tests (the real one lives in src/train/shards.ts): u32 document
// count, u32 length of each document, then every token id as u32, little-endian.
import { readFileSync, writeFileSync } from 'node:fs';
import { registerTokenShardFormat, type TokenShardFormat } from '../../../src/data/writers/tokens.js';

function encode(docs: readonly Uint32Array[]): Buffer {
  const total = docs.reduce((n, d) => n + d.length, 0);
  const out = new Uint32Array(1 + docs.length + total);
  out[0] = docs.length;
  docs.forEach((d, i) => (out[1 + i] = d.length));
  let at = 1 + docs.length;
  for (const d of docs) {
    out.set(d, at);
    at += d.length;
  }
  return Buffer.from(out.buffer);
}

export function readTestShard(path: string): number[][] {
  const b = readFileSync(path);
  const u = new Uint32Array(b.buffer, b.byteOffset, b.length / 4);
  const n = u[0]!;
  const docs: number[][] = [];
  let at = 1 + n;
  for (let i = 0; i < n; i++) {
    docs.push([...u.subarray(at, at + u[1 + i]!)]);
    at += u[1 + i]!;
  }
  return docs;
}

export const testShards: TokenShardFormat = {
  extension: 'tok',
  writeShard: (path, docs) => writeFileSync(path, encode(docs)),
};

export const testShardsJoined: TokenShardFormat = {
  extension: 'tok',
  writeShard: testShards.writeShard,
  concatShards: (parts, path) => writeFileSync(path, encode(parts.flatMap((p) => readTestShard(p).map((d) => Uint32Array.from(d))))),
};

registerTokenShardFormat('test', testShards);
registerTokenShardFormat('test_joined', testShardsJoined);
