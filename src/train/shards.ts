// Token shards: the tokenized corpus that pretraining reads (byte layout: src/train/README.md).
// The format, the writer and the reader live in their own files; this module is their one entry.
export * from './shard-format.js';
export * from './shard-writer.js';
export * from './shard-reader.js';
