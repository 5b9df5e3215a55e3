#!/usr/bin/env python3
"""Training tokens/s of the same Yi/Llama model in PyTorch on CPU: the baseline of `npm run bench -- --only train`.

Usage: torch_train.py HIDDEN LAYERS HEADS KV_HEADS FFN VOCAB SEQ BATCH_SEQS THREADS STEPS [SFT OPTIONS]
Prints one JSON line: {"tokens_per_s": ..., "torch": version, "threads": n, "python": sys.executable}.
A plain PyTorch implementation (the one transformers' LlamaForCausalLM uses: separate q/k/v/o, SwiGLU,
RMSNorm, rotate-half RoPE, causal softmax attention), f32, AdamW, the same batch shape as ours.

SFT options (the baseline of `npm run bench -- --only sft`):
  --batch FILE      a packed batch as JSON {inputs, targets, positions, segments: [BATCH_SEQS * SEQ]}:
                    RoPE positions restart per sample, attention stays within each sample (a block-diagonal
                    causal mask), targets -1 are not counted and the loss is their sum over the counted ones;
                    AdamW 0.9/0.999/1e-8, weight decay 0.1, clip 1.0 (the paper's SFT settings)
  --neftune ALPHA   NEFTune noise on the input embeddings, alpha / sqrt(L * d) with L the sample's length
  --lora RANK       LoRA (PEFT's layer: x W^T + alpha/r * B(A(dropout(x)))) on q,k,v,o,gate,up,down; the
                    base (embedding, norms, lm_head too) frozen; --lora-alpha A (default 16), --lora-dropout P
                    (default 0.05). With PEFT importable its LoraModel is used ("peft" in the output), else
                    the same layer written out here.
"""
import json
import sys
import time

import torch

H, L, HQ, HKV, F, V, T, B, THREADS, STEPS = map(int, sys.argv[1:11])
OPTS = dict(zip(sys.argv[11::2], sys.argv[12::2]))
unknown = set(OPTS) - {"--batch", "--neftune", "--lora", "--lora-alpha", "--lora-dropout", "--no-peft"}
if unknown or len(sys.argv[11:]) % 2:
    sys.exit(f"torch_train.py: unknown or incomplete options {sorted(unknown) or sys.argv[11:]}")
SFT = "--batch" in OPTS
LORA = int(OPTS.get("--lora", "0"))
NEFTUNE = float(OPTS.get("--neftune", "0"))
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

    def forward(self, ids, positions=None, mask=None, noise=None):
        x = self.emb(ids)
        if noise is not None:
            x = x + noise
        cos, sin = self.cos, self.sin
        if positions is not None:
            cos, sin = self.cos[0, positions], self.sin[0, positions]  # [B, T, 1, D]
        if mask is None:
            mask = self.mask
        for b in self.blocks:
            h = rms(x, b.n1)
            q = b.q(h).view(B, T, HQ, D)
            k = b.k(h).view(B, T, HKV, D)
            v = b.v(h).view(B, T, HKV, D)
            q = q * cos + rot(q) * sin
            k = k * cos + rot(k) * sin
            k = k.repeat_interleave(HQ // HKV, 2).transpose(1, 2)
            v = v.repeat_interleave(HQ // HKV, 2).transpose(1, 2)
            s = (q.transpose(1, 2) @ k.transpose(2, 3)) / D ** 0.5 + mask
            a = (s.softmax(-1) @ v).transpose(1, 2).reshape(B, T, H)
            x = x + b.o(a)
            h = rms(x, b.n2)
            x = x + b.d(torch.nn.functional.silu(b.g(h)) * b.u(h))
        return self.head(rms(x, self.norm))


class LoraLinear(torch.nn.Module):
    """PEFT's LoRA layer: base(x) + scale * B(A(dropout(x))), A kaiming-uniform, B zero, base frozen."""

    def __init__(self, base, r, alpha, p):
        super().__init__()
        self.base = base
        self.drop = torch.nn.Dropout(p)
        self.a = torch.nn.Linear(base.in_features, r, bias=False)
        self.b = torch.nn.Linear(r, base.out_features, bias=False)
        torch.nn.init.zeros_(self.b.weight)
        self.scale = alpha / r

    def forward(self, x):
        return self.base(x) + self.b(self.a(self.drop(x))) * self.scale


def add_lora(m):
    """Freezes the model and puts adapters on every projection: PEFT's LoraModel if importable, else LoraLinear."""
    r, alpha, p = LORA, float(OPTS.get("--lora-alpha", "16")), float(OPTS.get("--lora-dropout", "0.05"))
    if "--no-peft" not in OPTS:
        try:
            import peft

            cfg = peft.LoraConfig(r=r, lora_alpha=alpha, lora_dropout=p, target_modules=["q", "k", "v", "o", "g", "u", "d"], bias="none")
            return peft.get_peft_model(m, cfg), f"peft {peft.__version__}"
        except ImportError:
            pass
    for prm in m.parameters():
        prm.requires_grad_(False)
    for blk in m.blocks:
        for name in ("q", "k", "v", "o", "g", "u", "d"):
            setattr(blk, name, LoraLinear(getattr(blk, name), r, alpha, p))
    return m, "plain LoRA layers"


m = Model()
lora_impl = None
if LORA:
    m, lora_impl = add_lora(m)
m.train()
trainable = [p for p in m.parameters() if p.requires_grad]
if SFT:
    opt = torch.optim.AdamW(trainable, lr=1e-5, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.1)
    with open(OPTS["--batch"]) as f:
        batch = json.load(f)
    inputs = torch.tensor(batch["inputs"]).view(B, T)
    targets = torch.tensor(batch["targets"]).view(B, T)
    positions = torch.tensor(batch["positions"]).view(B, T)
    seg = torch.tensor(batch["segments"]).view(B, T)
    # Block-diagonal causal mask: a token sees earlier tokens of its own sample; padding sees itself only.
    same = (seg[:, :, None] == seg[:, None, :]) & (seg[:, :, None] >= 0)
    allowed = (same & torch.ones(T, T, dtype=torch.bool).tril()) | torch.eye(T, dtype=torch.bool)
    mask = torch.zeros(B, 1, T, T).masked_fill(~allowed[:, None], float("-inf"))
    counted = int((targets >= 0).sum())
    # NEFTune: each token's bound alpha / sqrt(L * d), L its sample's length; none on padding.
    lengths = (same.sum(-1)).float()  # [B, T]: the length of the token's sample (0 on padding)
    bound = torch.where(seg >= 0, NEFTUNE / (lengths.clamp(min=1) * H).sqrt(), torch.zeros(()))[..., None]

    def step():
        opt.zero_grad(set_to_none=True)
        noise = (torch.rand(B, T, H) * 2 - 1) * bound if NEFTUNE > 0 else None
        logits = m(inputs, positions, mask, noise)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), targets.reshape(-1), ignore_index=-1, reduction="sum") / counted
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        opt.step()
else:
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
out = {"tokens_per_s": B * T * STEPS / dt, "torch": torch.__version__, "threads": torch.get_num_threads(), "python": sys.executable}
if LORA:
    out["lora"] = lora_impl
    out["trainable"] = sum(p.numel() for p in trainable)
print(json.dumps(out))
