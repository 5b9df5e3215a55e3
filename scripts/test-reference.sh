#!/usr/bin/env bash
# Regenerates the reference fixtures with independent implementations (PyTorch for model logits,
# the SentencePiece library for token ids), then runs the tests that read them. Needs Debian's
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
npm run build
node --test --test-concurrency=1 dist/test/model dist/test/tokenizer
