#!/usr/bin/env python3
"""Training tokens/s of the same Yi/Llama model in PyTorch on CPU: the baseline of `npm run bench -- --only train`.

Usage: torch_train.py HIDDEN LAYERS HEADS KV_HEADS FFN VOCAB SEQ BATCH_SEQS THREADS STEPS
Prints one JSON line: {"tokens_per_s": ..., "torch": version, "threads": n, "python": sys.executable}.
A plain PyTorch implementation (the one transformers' LlamaForCausalLM uses: separate q/k/v/o, SwiGLU,
RMSNorm, rotate-half RoPE, causal softmax attention), f32, AdamW, the same batch shape as ours.
"""
import json
import sys
import time

import torch

H, L, HQ, HKV, F, V, T, B, THREADS, STEPS = map(int, sys.argv[1:11])
torch.set_num_threads(THREADS)
torch.manual_seed(0)
D = H // HQ


class Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.n1 = torch.nn.Parameter(torch.ones(H))
        self.n2 = torch.nn.Parameter(torch.ones(H))
        self.q = torch.nn.Linear(H, HQ * D, bias=False)
        self.k = torch.nn.Linear(H, HKV * D, bias=False)
        self.v = torch.nn.Linear(H, HKV * D, bias=False)
        self.o = torch.nn.Linear(HQ * D, H, bias=False)
        self.g = torch.nn.Linear(H, F, bias=False)
        self.u = torch.nn.Linear(H, F, bias=False)
        self.d = torch.nn.Linear(F, H, bias=False)


def rms(x, w):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * w


def rot(x):
    return torch.cat((-x[..., D // 2:], x[..., : D // 2]), dim=-1)


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = torch.nn.Embedding(V, H)
        self.blocks = torch.nn.ModuleList(Block() for _ in range(L))
        self.norm = torch.nn.Parameter(torch.ones(H))
        self.head = torch.nn.Linear(H, V, bias=False)
        inv = 1.0 / (5e6 ** (torch.arange(0, D, 2).float() / D))
        f = torch.outer(torch.arange(T).float(), inv)
        e = torch.cat((f, f), -1)
        self.register_buffer("cos", e.cos()[None, :, None, :])
        self.register_buffer("sin", e.sin()[None, :, None, :])
        self.register_buffer("mask", torch.full((T, T), float("-inf")).triu(1))

    def forward(self, ids):
        x = self.emb(ids)
        for b in self.blocks:
            h = rms(x, b.n1)
            q = b.q(h).view(B, T, HQ, D)
            k = b.k(h).view(B, T, HKV, D)
            v = b.v(h).view(B, T, HKV, D)
            q = q * self.cos + rot(q) * self.sin
            k = k * self.cos + rot(k) * self.sin
            k = k.repeat_interleave(HQ // HKV, 2).transpose(1, 2)
            v = v.repeat_interleave(HQ // HKV, 2).transpose(1, 2)
            s = (q.transpose(1, 2) @ k.transpose(2, 3)) / D ** 0.5 + self.mask
            a = (s.softmax(-1) @ v).transpose(1, 2).reshape(B, T, H)
            x = x + b.o(a)
            h = rms(x, b.n2)
            x = x + b.d(torch.nn.functional.silu(b.g(h)) * b.u(h))
        return self.head(rms(x, self.norm))


m = Model()
opt = torch.optim.AdamW(m.parameters(), lr=3e-4, betas=(0.9, 0.95), weight_decay=0.1)
ids = torch.randint(0, V, (B, T + 1))


def step():
    opt.zero_grad(set_to_none=True)
    logits = m(ids[:, :T])
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), ids[:, 1:].reshape(-1))
    loss.backward()
    torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
    opt.step()


step()  # warm-up
t0 = time.perf_counter()
for _ in range(STEPS):
    step()
dt = time.perf_counter() - t0
print(json.dumps({"tokens_per_s": B * T * STEPS / dt, "torch": torch.__version__, "threads": torch.get_num_threads(), "python": sys.executable}))
