#!/usr/bin/env python3
"""Reference training step of the tiny Yi model (test/fixtures/yi-tiny), by PyTorch autograd in float64.

For a fixed batch of 3 sequences of 12 tokens (some targets ignored with -1, as SFT masks prompts), writes
test/fixtures/yi-tiny-train/:
  batch.json            the inputs, the targets, the mean cross-entropy loss of each of two steps
  grads.safetensors     d loss / d parameter for every parameter at the initial weights (f32)
  adamw.safetensors     the parameters after two torch.optim.AdamW steps on that batch, with clipping
Run with Debian's python3-torch (npm run test:reference).
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import llama_reference as ref  # noqa: E402  (the same weights, config and safetensors writer)

B, T = 3, 12
g = torch.Generator().manual_seed(77)
INPUTS = torch.randint(0, ref.V, (B, T), generator=g)
TARGETS = torch.randint(0, ref.V, (B, T), generator=g)
TARGETS[0, :4] = -1  # an answer-only loss masks the prompt
TARGETS[2, 7] = -1
ADAMW = dict(lr=1e-2, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
CLIP = 1.0
D = ref.D


def rotate_half(x):
    x1, x2 = x[..., : D // 2], x[..., D // 2:]
    return torch.cat((-x2, x1), dim=-1)


def loss_fn(w):
    """Mean next-token cross-entropy over the targets that are not -1; w: name -> float64 leaf."""
    x = w["model.embed_tokens.weight"][INPUTS]  # [B, T, H]
    inv_freq = 1.0 / (ref.CFG["rope_theta"] ** (torch.arange(0, D, 2, dtype=torch.float64) / D))
    freqs = torch.outer(torch.arange(T, dtype=torch.float64), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos()[None, :, None, :], emb.sin()[None, :, None, :]
    mask = torch.full((T, T), float("-inf"), dtype=torch.float64).triu(1)
    for l in range(ref.L):
        p = f"model.layers.{l}."
        h = ref.rmsnorm(x, w[p + "input_layernorm.weight"])
        q = (h @ w[p + "self_attn.q_proj.weight"].T).view(B, T, ref.HQ, D)
        k = (h @ w[p + "self_attn.k_proj.weight"].T).view(B, T, ref.HKV, D)
        v = (h @ w[p + "self_attn.v_proj.weight"].T).view(B, T, ref.HKV, D)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(ref.HQ // ref.HKV, dim=2)
        v = v.repeat_interleave(ref.HQ // ref.HKV, dim=2)
        scores = torch.einsum("bthd,bshd->bhts", q, k) / D ** 0.5 + mask
        att = torch.einsum("bhts,bshd->bthd", scores.softmax(-1), v).reshape(B, T, ref.H)
        x = x + att @ w[p + "self_attn.o_proj.weight"].T
        h = ref.rmsnorm(x, w[p + "post_attention_layernorm.weight"])
        gte = h @ w[p + "mlp.gate_proj.weight"].T
        up = h @ w[p + "mlp.up_proj.weight"].T
        x = x + (torch.nn.functional.silu(gte) * up) @ w[p + "mlp.down_proj.weight"].T
    logits = ref.rmsnorm(x, w["model.norm.weight"]) @ w["lm_head.weight"].T
    return torch.nn.functional.cross_entropy(logits.view(B * T, ref.V), TARGETS.view(-1), ignore_index=-1)


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures", "yi-tiny-train")
    os.makedirs(out, exist_ok=True)
    w = {k: v.double().clone().requires_grad_(True) for k, v in ref.weights.items()}
    loss = loss_fn(w)
    loss.backward()
    ref.write_safetensors(os.path.join(out, "grads.safetensors"), {k: v.grad.float() for k, v in w.items()})

    # Two optimizer steps from the same start: clip the global gradient norm, then AdamW.
    params = list(w.values())
    for p in params:
        p.grad = None
    opt = torch.optim.AdamW(params, **ADAMW)
    losses, norms = [], []
    for _ in range(2):
        opt.zero_grad()
        l = loss_fn(w)
        l.backward()
        norms.append(float(torch.nn.utils.clip_grad_norm_(params, CLIP)))
        opt.step()
        losses.append(float(l))
    ref.write_safetensors(os.path.join(out, "adamw.safetensors"), {k: v.detach().float() for k, v in w.items()})
    with open(os.path.join(out, "batch.json"), "w") as f:
        json.dump({"torch": torch.__version__, "inputs": INPUTS.tolist(), "targets": TARGETS.tolist(),
                   "loss": float(loss), "step_losses": losses, "grad_norms": norms,
                   "adamw": dict(ADAMW, betas=list(ADAMW["betas"])), "clip": CLIP}, f, indent=1)
    print(f"wrote {out}: loss {float(loss):.6f}, grad norms {norms} (torch {torch.__version__})", file=sys.stderr)


if __name__ == "__main__":
    main()
