#!/usr/bin/env python3
"""Reference logits of a tiny random Yi/Llama model, computed by an independent PyTorch implementation.

Writes test/fixtures/yi-tiny/: model.safetensors (HF tensor names, f32), config.json (HF Llama),
and logits.json (the token sequence and the float64 logits at every position).
Run with Debian's python3-torch: `/usr/bin/python3 test/reference/llama_reference.py` (npm run test:reference).
"""
import json
import os
import struct
import sys

import torch

torch.manual_seed(1234)
CFG = dict(vocab_size=96, hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
           intermediate_size=96, max_position_embeddings=64, rope_theta=5_000_000.0, rms_norm_eps=1e-5)
V, H, L = CFG["vocab_size"], CFG["hidden_size"], CFG["num_hidden_layers"]
HQ, HKV, F = CFG["num_attention_heads"], CFG["num_key_value_heads"], CFG["intermediate_size"]
D = H // HQ
TOKENS = [1, 17, 42, 5, 88, 3, 3, 60, 12, 95, 0, 31, 7, 50]


def rand(*shape, scale=None):
    scale = scale if scale is not None else shape[-1] ** -0.5
    return ((torch.rand(*shape, dtype=torch.float64) * 2 - 1) * scale).float()


weights = {"model.embed_tokens.weight": rand(V, H, scale=1.0), "model.norm.weight": 1 + rand(H, scale=0.1),
           "lm_head.weight": rand(V, H)}
for l in range(L):
    p = f"model.layers.{l}."
    weights[p + "input_layernorm.weight"] = 1 + rand(H, scale=0.1)
    weights[p + "post_attention_layernorm.weight"] = 1 + rand(H, scale=0.1)
    weights[p + "self_attn.q_proj.weight"] = rand(HQ * D, H)
    weights[p + "self_attn.k_proj.weight"] = rand(HKV * D, H)
    weights[p + "self_attn.v_proj.weight"] = rand(HKV * D, H)
    weights[p + "self_attn.o_proj.weight"] = rand(H, HQ * D)
    weights[p + "mlp.gate_proj.weight"] = rand(F, H)
    weights[p + "mlp.up_proj.weight"] = rand(F, H)
    weights[p + "mlp.down_proj.weight"] = rand(H, F)


def rmsnorm(x, w):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + CFG["rms_norm_eps"]) * w


def rotate_half(x):
    x1, x2 = x[..., : D // 2], x[..., D // 2:]
    return torch.cat((-x2, x1), dim=-1)


def forward(tokens):
    """Logits [T, V] in float64 (the f32 weights promoted), full causal attention, no cache."""
    w = {k: v.double() for k, v in weights.items()}
    T = len(tokens)
    x = w["model.embed_tokens.weight"][torch.tensor(tokens)]
    inv_freq = 1.0 / (CFG["rope_theta"] ** (torch.arange(0, D, 2, dtype=torch.float64) / D))
    freqs = torch.outer(torch.arange(T, dtype=torch.float64), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos()[:, None, :], emb.sin()[:, None, :]
    mask = torch.full((T, T), float("-inf"), dtype=torch.float64).triu(1)
    for l in range(L):
        p = f"model.layers.{l}."
        h = rmsnorm(x, w[p + "input_layernorm.weight"])
        q = (h @ w[p + "self_attn.q_proj.weight"].T).view(T, HQ, D)
        k = (h @ w[p + "self_attn.k_proj.weight"].T).view(T, HKV, D)
        v = (h @ w[p + "self_attn.v_proj.weight"].T).view(T, HKV, D)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(HQ // HKV, dim=1)  # query head h uses kv head h // (HQ / HKV)
        v = v.repeat_interleave(HQ // HKV, dim=1)
        scores = torch.einsum("thd,shd->hts", q, k) / D ** 0.5 + mask
        att = torch.einsum("hts,shd->thd", scores.softmax(-1), v).reshape(T, H)
        x = x + att @ w[p + "self_attn.o_proj.weight"].T
        h = rmsnorm(x, w[p + "post_attention_layernorm.weight"])
        g = h @ w[p + "mlp.gate_proj.weight"].T
        u = h @ w[p + "mlp.up_proj.weight"].T
        x = x + (torch.nn.functional.silu(g) * u) @ w[p + "mlp.down_proj.weight"].T
    x = rmsnorm(x, w["model.norm.weight"])
    return x @ w["lm_head.weight"].T


def write_safetensors(path, tensors):
    """The safetensors layout: u64 header length, JSON header (8-byte aligned with spaces), raw data."""
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        data = tensors[name].contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "yi-tiny")
    os.makedirs(out, exist_ok=True)
    write_safetensors(os.path.join(out, "model.safetensors"), weights)
    config = dict(architectures=["LlamaForCausalLM"], model_type="llama", hidden_act="silu", bos_token_id=1,
                  eos_token_id=2, pad_token_id=0, tie_word_embeddings=False, torch_dtype="float32", **CFG)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    logits = forward(TOKENS)
    with open(os.path.join(out, "logits.json"), "w") as f:
        json.dump({"torch": torch.__version__, "tokens": TOKENS, "logits": [[round(v, 9) for v in row] for row in logits.tolist()]}, f)
    print(f"wrote {out} (torch {torch.__version__})", file=sys.stderr)


if __name__ == "__main__":
    main()
