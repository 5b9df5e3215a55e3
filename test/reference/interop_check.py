#!/usr/bin/env python3
"""Checks that checkpoints written by `yi convert` load in the reference tools.

Usage: interop_check.py HF_DIR GGUF_F32 GGUF_Q8 GGUF_Q4 FIXTURE_DIR
- HF_DIR (written by yi convert from a GGUF) loads in Hugging Face transformers (LlamaForCausalLM)
  and gives the fixture's reference logits;
- the GGUF files read with llama.cpp's own Python reader (gguf-py): metadata keys and types,
  tensor types, and every tensor, dequantized by gguf-py and un-permuted with llama.cpp's rule,
  close to the original weights.
Needs: torch, transformers, safetensors, gguf (pip), numpy.
"""
import json
import os
import sys

import numpy as np
import torch
from gguf import GGUFReader
from gguf.quants import dequantize
from safetensors.numpy import load_file
from transformers import LlamaForCausalLM

hf_dir, gguf_f32, gguf_q8, gguf_q4, fixture = sys.argv[1:6]
ref = json.load(open(os.path.join(fixture, "logits.json")))
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


# 1. transformers loads the HF folder we wrote and computes the reference logits.
model = LlamaForCausalLM.from_pretrained(hf_dir, torch_dtype=torch.float32)
model.eval()
with torch.no_grad():
    logits = model(torch.tensor([ref["tokens"]])).logits[0].double().numpy()
err = float(np.abs(logits - np.array(ref["logits"])).max())
check(err < 1e-4, f"transformers {__import__('transformers').__version__} loads {hf_dir}: max |logit error| {err:.2e}")

# 2. gguf-py reads our GGUF files; tensors match the original weights after llama.cpp's permutation.
orig = load_file(os.path.join(fixture, "model.safetensors"))
cfg = json.load(open(os.path.join(fixture, "config.json")))


def permute(w, n_head):  # llama.cpp convert_hf_to_gguf.py LlamaModel.permute
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


names = {"token_embd.weight": "model.embed_tokens.weight", "output_norm.weight": "model.norm.weight", "output.weight": "lm_head.weight"}
for l in range(cfg["num_hidden_layers"]):
    for g, h in [("attn_q", "self_attn.q_proj"), ("attn_k", "self_attn.k_proj"), ("attn_v", "self_attn.v_proj"), ("attn_output", "self_attn.o_proj"),
                 ("ffn_gate", "mlp.gate_proj"), ("ffn_up", "mlp.up_proj"), ("ffn_down", "mlp.down_proj"),
                 ("attn_norm", "input_layernorm"), ("ffn_norm", "post_attention_layernorm")]:
        names[f"blk.{l}.{g}.weight"] = f"model.layers.{l}.{h}.weight"

for path, tol in [(gguf_f32, 0.0), (gguf_q8, 0.02), (gguf_q4, 0.2)]:
    r = GGUFReader(path)
    arch = bytes(r.fields["general.architecture"].parts[-1]).decode()
    check(arch == "llama", f"{os.path.basename(path)}: general.architecture = {arch}")
    for key in ["llama.block_count", "llama.embedding_length", "llama.attention.head_count", "llama.attention.head_count_kv",
                "llama.rope.freq_base", "llama.attention.layer_norm_rms_epsilon", "llama.context_length", "llama.feed_forward_length"]:
        check(key in r.fields, f"{os.path.basename(path)}: has {key}")
    worst = 0.0
    seen = 0
    for t in r.tensors:
        hf = names.get(t.name)
        if hf is None:
            continue
        w = dequantize(t.data, t.tensor_type).reshape(orig[hf].shape).astype(np.float64)
        want = orig[hf].astype(np.float64)
        if "q_proj" in hf:
            want = permute(want, cfg["num_attention_heads"])
        elif "k_proj" in hf:
            want = permute(want, cfg["num_key_value_heads"])
        worst = max(worst, float(np.abs(w - want).max() / max(1e-9, np.abs(want).max())))
        seen += 1
    check(seen == len(names), f"{os.path.basename(path)}: {seen} of {len(names)} tensors found")
    check(worst <= tol, f"{os.path.basename(path)}: gguf-py dequantized tensors vs original, worst relative error {worst:.2e} (allowed {tol})")

print(f"{len(failures)} failed" if failures else "all interop checks passed")
sys.exit(1 if failures else 0)
