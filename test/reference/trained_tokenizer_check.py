#!/usr/bin/env python3
"""A tokenizer trained by `yi tokenizer train` loads in Hugging Face `tokenizers` (tokenizer.json) and
in the sentencepiece library (tokenizer.model), and both give our ids.

Usage: trained_tokenizer_check.py DIR  (DIR written by yi tokenizer train). Needs: tokenizers, sentencepiece.
Special-token text: sentencepiece treats control pieces as plain text (our default), Hugging Face
parses added tokens (our --special), so each is compared with the matching mode.
"""
import json
import subprocess
import sys

import sentencepiece as spm
from tokenizers import Tokenizer

d = sys.argv[1]
texts = ["Hello world, 12345 你好世界!", "  two  spaces\nnewline 🙂 emoji", "Yi 模型的训练数据 2024年 𠀋", "<|im_start|>user\nhi<|im_end|>"]
hf = Tokenizer.from_file(f"{d}/tokenizer.json")
sp = spm.SentencePieceProcessor(model_file=f"{d}/tokenizer.model")
fails = 0
for t in texts:
    def ours(*flags):
        out = subprocess.check_output(["node", "dist/src/cli/yi.js", "tokenizer", "encode", "--tokenizer", f"{d}/tokenizer.model", "--text", t, "--json", *flags])
        return json.loads(out)["ids"]
    same_sp = ours() == sp.encode(t)
    same_hf = ours("--special") == hf.encode(t, add_special_tokens=False).ids
    print(("ok   " if same_sp and same_hf else "FAIL ") + f"{t!r}: sentencepiece {'same' if same_sp else 'differs'}, tokenizers {'same' if same_hf else 'differs'}")
    fails += not (same_sp and same_hf)
print(f"{fails} failed" if fails else "trained tokenizer loads in sentencepiece and tokenizers with our ids")
sys.exit(1 if fails else 0)
