#!/usr/bin/env python3
"""A model folder written by `yi pretrain` (or `yi recipe`) loads in Hugging Face transformers as
LlamaForCausalLM with its tokenizer, and gives our logits and our token ids.

Usage: checkpoint_check.py MODEL_DIR LOGITS_JSON
LOGITS_JSON (written by the node side of scripts/test-reference.sh): {"text", "ids", "logits": [[...] per position]}.
Needs: torch, transformers, sentencepiece.
"""
import json
import sys

import torch
from transformers import AutoTokenizer, LlamaForCausalLM

model_dir, ref_path = sys.argv[1], sys.argv[2]
ref = json.load(open(ref_path))
model = LlamaForCausalLM.from_pretrained(model_dir, torch_dtype=torch.float32)
model.eval()
with torch.no_grad():
    logits = model(torch.tensor([ref["ids"]])).logits[0].double()
ours = torch.tensor(ref["logits"], dtype=torch.float64)
err = float((logits - ours).abs().max())
scale = float(ours.abs().max())
tok = AutoTokenizer.from_pretrained(model_dir)
hf_ids = tok.encode(ref["text"], add_special_tokens=False)
same_ids = hf_ids == ref["ids"]
ok = err < 1e-4 * max(1.0, scale) and same_ids
print(f"{'ok  ' if ok else 'FAIL'} transformers {model.__class__.__name__}: max |logit difference| {err:.2e} (logits up to {scale:.1f}); "
      f"tokenizer ids {'same' if same_ids else 'differ: ' + str(hf_ids) + ' vs ' + str(ref['ids'])}")
sys.exit(0 if ok else 1)
