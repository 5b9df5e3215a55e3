#!/usr/bin/env bash
# Regenerates test/fixtures/llama-bench/: llama.cpp's llama-bench output (-o json and -o jsonl) on the
# tiny preset's random-weight Q8_0 GGUF written by `yi bench`, for the parser's tests.
# Usage: YI_LLAMA_BENCH=/path/to/llama.cpp/build/bin/llama-bench bash test/reference/llama_bench_fixture.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${YI_LLAMA_BENCH:?set YI_LLAMA_BENCH to a llama-bench executable}"
dir=/tmp/yi-bench
mkdir -p "$dir"
# Writes $dir/tiny-q8_0-seed1.gguf (and times it, output discarded).
node dist/src/cli/yi.js bench --preset tiny --type q8_0 --threads 1 --prompt 16 --gen 8 --reps 1 --rounds 1 \
  --cache "$dir" --llama-bench "$YI_LLAMA_BENCH" --json >/dev/null
out=test/fixtures/llama-bench
"$YI_LLAMA_BENCH" -m "$dir/tiny-q8_0-seed1.gguf" -p 16,32 -n 8 -t 1 -r 2 -ngl 0 -o json >"$out/tiny-q8_0.json"
"$YI_LLAMA_BENCH" -m "$dir/tiny-q8_0-seed1.gguf" -p 16 -n 8 -t 1 -r 2 -ngl 0 -o jsonl >"$out/tiny-q8_0.jsonl"
