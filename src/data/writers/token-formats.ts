// The token shard formats the pipeline can write, by name (`yi data run --token-format NAME`).
// Connect src/train/shards.ts here with one line, e.g.
//   registerTokenShardFormat('yi', yiShardFormat);
// Imported by every pipeline worker before it opens writers.
export {};
