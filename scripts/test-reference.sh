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
# An assignment fails the script (set -e) when pick finds no Python; a bare "$(pick ...)" would not.
py_torch=$(pick torch)
py_spm=$(pick sentencepiece)
py_numpy=$(pick numpy)
"$py_torch" test/reference/llama_reference.py
"$py_spm" test/reference/sentencepiece_fixtures.py
"$py_numpy" test/reference/minhash_reference.py
npm run build
command -v spm_train >/dev/null && "$(pick sentencepiece)" test/reference/spm_train_compare.py || echo "test:reference: spm_train comparison skipped (apt-get install sentencepiece)"
node --test --test-concurrency=1 dist/test/model dist/test/tokenizer dist/test/data/dedup
# llama.cpp's llama-bench loads and times the preset GGUFs `yi bench --llama-bench` writes (skipped, saying
# so, unless YI_LLAMA_BENCH names a llama-bench executable).
node --test --test-concurrency=1 dist/test/bench/llama-bench-real.test.js
# Interop: what `yi convert` writes loads in transformers and in llama.cpp's gguf-py (pip install
# torch transformers safetensors gguf). Skipped, saying so, when those are missing.
# GGUF block types: llama-quantize's outputs (k-quant mixes, q4_0 with its Q6_K output, Q4_1/Q5_0/Q5_1)
# dequantize exactly as gguf-py does, stay close to their f32 dequantization, and generate. Needs llama.cpp
# (LLAMA_CPP=path to a built checkout, default ~/src/llama.cpp as in docs/benchmarks.md, with build/bin/llama-quantize
# and gguf-py) and numpy (a python3 with it, or YI_TORCH_PYTHON's interpreter).
LLAMA_CPP=${LLAMA_CPP:-$HOME/src/llama.cpp}
if [ -x "$LLAMA_CPP/build/bin/llama-quantize" ] && npy=$(pick numpy 2>/dev/null || { [ -n "${YI_TORCH_PYTHON:-}" ] && echo "$YI_TORCH_PYTHON"; }); then
  kq=$(mktemp -d)
  node dist/test/reference/kquant-llamacpp.js make "$kq"
  types="Q4_K_M Q5_K_M Q6_K Q4_0 Q3_K_M Q2_K Q4_1 Q5_0 Q5_1"
  for t in $types; do
    "$LLAMA_CPP/build/bin/llama-quantize" "$kq/f32.gguf" "$kq/$t.gguf" "$t" 1 >"$kq/$t.log" 2>&1 || { cat "$kq/$t.log"; exit 1; }
    PYTHONPATH="$LLAMA_CPP/gguf-py" "$npy" test/reference/kquant_dequant.py "$kq/$t.gguf" "$kq/$t.ref"
  done
  node dist/test/reference/kquant-llamacpp.js check "$kq" $types
  # Our quantizers give llama-quantize's bytes; yi quantize gives its whole files (types and bytes of every
  # tensor): on the 2-layer model, on a 16-layer one (per-layer choices), and on the tiny fixture, whose
  # widths (64, 172) are not whole super-blocks (fallbacks: Q5_0, Q5_1, Q8_0, F16).
  node dist/test/reference/kquant-llamacpp.js bytes "$kq" Q4_K_M Q5_K_M Q6_K Q3_K_M Q2_K Q4_1 Q5_0 Q5_1
  node dist/src/cli/yi.js convert test/fixtures/yi-tiny "$kq/tiny-f32.gguf" --type f32 --quiet >/dev/null
  for m in f32 deep-f32 tiny-f32; do
    for t in Q8_0 Q6_K Q5_K_M Q5_K_S Q4_K_M Q4_K_S Q4_0 Q4_1 Q5_0 Q5_1 Q3_K_L Q3_K_M Q3_K_S Q2_K; do
      # The tiny fixture's rows of 64: llama-quantize's Q2_K/Q3_K fall back to IQ4_NL, which yi quantize refuses.
      [ "$m" = tiny-f32 ] && case $t in Q2_K|Q3_K_*) continue;; esac
      "$LLAMA_CPP/build/bin/llama-quantize" "$kq/$m.gguf" "$kq/ref-$m-$t.gguf" "$t" 1 >"$kq/q.log" 2>&1 || { cat "$kq/q.log"; exit 1; }
      node dist/src/cli/yi.js quantize -m "$kq/$m.gguf" --type "${t,,}" -o "$kq/yi-$m-$t.gguf" --quiet >/dev/null 2>&1
      node dist/test/reference/kquant-llamacpp.js same "$kq/yi-$m-$t.gguf" "$kq/ref-$m-$t.gguf"
    done
  done
  for t in Q4_K_M Q2_K Q4_0; do node dist/src/cli/yi.js generate -m "$kq/$t.gguf" -p "hello world" -n 8 --temperature 0 --quiet >/dev/null; done
  rm -rf "$kq"
else
  echo "test:reference: llama.cpp k-quant check skipped (needs $LLAMA_CPP/build/bin/llama-quantize and numpy)"
fi
# yi eval perplexity against llama.cpp's llama-perplexity on the same GGUF and text, within 0.5% (docs/eval.md):
# the yi-tiny fixture with add_bos_token set (so each chunk starts with BOS), in f32 and two quantized mixes, on
# the docs' text cut to the characters its 96-piece vocabulary has (llama.cpp stops on a character with no piece
# when there is no byte fallback). Needs $LLAMA_CPP/build/bin/llama-perplexity (cmake --build build --target llama-perplexity).
if [ -x "$LLAMA_CPP/build/bin/llama-perplexity" ]; then
  pp=$(mktemp -d)
  node --input-type=module -e "
import { tinyModelFolder } from './dist/test/cli/yi-cli.js';
import { Tokenizer } from './dist/src/tokenizer/tokenizer.js';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
const dir = tinyModelFolder('$pp/tiny');
writeFileSync(dir + '/tokenizer_config.json', JSON.stringify({ add_bos_token: true }));
const tok = Tokenizer.load(dir);
const docs = readdirSync('docs').filter((f) => f.endsWith('.md')).sort().map((f) => readFileSync('docs/' + f, 'utf8')).join('\\n');
writeFileSync('$pp/text.txt', [...docs].filter((c) => c === ' ' || tok.pieceToId(c) !== undefined).join('').slice(0, 6000));
"
  node dist/src/cli/yi.js convert "$pp/tiny" "$pp/f32.gguf" --type f32 --quiet >/dev/null
  for t in q8_0 q4_k_m; do node dist/src/cli/yi.js quantize -m "$pp/f32.gguf" --type $t -o "$pp/$t.gguf" --quiet >/dev/null 2>&1; done
  for t in f32 q8_0 q4_k_m; do node dist/test/reference/perplexity-llamacpp.js "$LLAMA_CPP/build/bin/llama-perplexity" "$pp/$t.gguf" "$pp/text.txt" 64; done
  rm -rf "$pp"
else
  echo "test:reference: llama-perplexity comparison skipped (needs $LLAMA_CPP/build/bin/llama-perplexity)"
fi
# LoRA against PEFT (docs/finetuning.md): PEFT loads the adapter folder we save onto our base model with our merged
# model's logits, its merge_and_unload gives yi lora merge's weights, and an adapter PEFT saves (random A and B,
# rsLoRA) merges here to PEFT's logits. Needs a python3 with torch, transformers, peft and safetensors (or
# YI_TORCH_PYTHON naming one); skipped, saying so, otherwise.
peft_py=$(pick peft 2>/dev/null) || peft_py=${YI_TORCH_PYTHON:-}
if [ -n "$peft_py" ] && "$peft_py" -c "import torch, transformers, peft, safetensors" 2>/dev/null; then
  pd=$(mktemp -d)
  node dist/test/reference/peft-lora.js make "$pd"
  "$peft_py" test/reference/peft_check.py "$pd"
  node dist/test/reference/peft-lora.js check "$pd"
  rm -rf "$pd"
else
  echo "test:reference: PEFT LoRA check skipped (needs python3 with torch, transformers, peft, safetensors, or YI_TORCH_PYTHON; pip install peft)"
fi
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
