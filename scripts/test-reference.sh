#!/usr/bin/env bash
# Regenerates the reference fixtures with independent implementations (PyTorch for model logits,
# the SentencePiece library for token ids), runs the tests that read them, then checks that
# converted checkpoints and trained tokenizers load in transformers, tokenizers and gguf-py. Needs Debian's
# python3-torch and python3-sentencepiece (apt-get install python3-torch python3-sentencepiece);
# `npm test` itself only reads the checked-in fixtures. `git diff test/fixtures` shows what changed.
set -euo pipefail
cd "$(dirname "$0")/.."
pick() { # the first Python that can import every module named
  for py in /usr/bin/python3 python3; do
    if command -v "$py" >/dev/null && "$py" -c "import $1" 2>/dev/null; then echo "$py"; return; fi
  done
  echo "test:reference: no python3 with '$1' (apt-get install python3-${1/torch/torch})" >&2; exit 1
}
"$(pick torch)" test/reference/llama_reference.py
"$(pick sentencepiece)" test/reference/sentencepiece_fixtures.py
"$(pick numpy)" test/reference/minhash_reference.py
npm run build
command -v spm_train >/dev/null && "$(pick sentencepiece)" test/reference/spm_train_compare.py || echo "test:reference: spm_train comparison skipped (apt-get install sentencepiece)"
node --test --test-concurrency=1 dist/test/model dist/test/tokenizer dist/test/data/dedup
# llama.cpp's llama-bench loads and times the preset GGUFs `yi bench --llama-bench` writes (skipped, saying
# so, unless YI_LLAMA_BENCH names a llama-bench executable).
node --test --test-concurrency=1 dist/test/bench/llama-bench-real.test.js
# Interop: what `yi convert` writes loads in transformers and in llama.cpp's gguf-py (pip install
# torch transformers safetensors gguf). Skipped, saying so, when those are missing.
py=$(pick transformers 2>/dev/null) && "$py" -c "import gguf, safetensors" 2>/dev/null || { echo "test:reference: interop check skipped (needs python3 with transformers, gguf, safetensors)"; exit 0; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
yi() { node dist/src/cli/yi.js "$@" --quiet 2>/dev/null; }
yi convert test/fixtures/yi-tiny "$tmp/f32.gguf"
yi convert test/fixtures/yi-tiny "$tmp/q8.gguf" --type q8_0
yi convert test/fixtures/yi-tiny "$tmp/q4.gguf" --type q4_0
yi convert "$tmp/f32.gguf" "$tmp/hf"
"$py" test/reference/interop_check.py "$tmp/hf" "$tmp/f32.gguf" "$tmp/q8.gguf" "$tmp/q4.gguf" test/fixtures/yi-tiny
# A trained tokenizer loads in Hugging Face tokenizers and sentencepiece with our ids.
node --input-type=module -e "import { bilingualCorpus } from './dist/bench/corpus.js'; import { writeFileSync } from 'node:fs'; writeFileSync('$tmp/corpus.txt', bilingualCorpus(1000000, 3));"
node dist/src/cli/yi.js tokenizer train --input "$tmp/corpus.txt" --vocab-size 3000 --out "$tmp/tok" --no-progress >/dev/null
"$py" test/reference/trained_tokenizer_check.py "$tmp/tok"
# A trained checkpoint (the tiny recipe's model folder) loads in transformers with our logits and ids.
node dist/src/cli/yi.js recipe --scale tiny --out "$tmp/recipe" --threads 1 --no-progress >/dev/null 2>&1
node --input-type=module -e "
import { loadModel, Runtime, Tokenizer } from './dist/src/index.js';
import { writeFileSync } from 'node:fs';
const dir = '$tmp/recipe/train/model';
const rt = await Runtime.create({ threads: 1 });
const m = loadModel(rt, dir, { dtype: 'f32', contextLength: 64, batch: 1 });
const text = 'The jury said that the city was ready.';
const ids = Tokenizer.load(dir).encode(text);
const logits = ids.map((id) => Array.from(m.forward([id]).toArray()));
writeFileSync('$tmp/logits.json', JSON.stringify({ text, ids, logits }));
await rt.close();"
"$py" test/reference/checkpoint_check.py "$tmp/recipe/train/model" "$tmp/logits.json"
