#!/usr/bin/env python3
"""Our LoRA adapter folders against PEFT: PEFT loads the adapter we saved onto our base model and gives
the logits of our merged model; its merge_and_unload gives our merged weights; and it writes an adapter
of its own (random A and B) with its logits, which the node side then merges and compares.

Usage: peft_check.py DIR   (DIR from `node dist/test/reference/peft-lora.js make DIR`)
Needs: torch, transformers, peft, safetensors.
"""
import json
import sys

import torch
from peft import LoraConfig, PeftModel, get_peft_model
from safetensors.torch import load_file
from transformers import LlamaForCausalLM

d = sys.argv[1]
ref = json.load(open(f"{d}/logits.json"))
ids = torch.tensor([ref["ids"]])


def base_model():
    try:
        return LlamaForCausalLM.from_pretrained(f"{d}/base", dtype=torch.float32)
    except TypeError:  # transformers < 4.56 spells it torch_dtype
        return LlamaForCausalLM.from_pretrained(f"{d}/base", torch_dtype=torch.float32)


ok = True
model = PeftModel.from_pretrained(base_model(), f"{d}/adapter")
model.eval()
with torch.no_grad():
    logits = model(ids).logits[0].double()
ours = torch.tensor(ref["logits"], dtype=torch.float64)
err = float((logits - ours).abs().max())
scale = float(ours.abs().max())
good = err < 1e-4 * max(1.0, scale)
ok &= good
print(f"{'ok  ' if good else 'FAIL'} PEFT loads our adapter: max |logit difference| from our merged model {err:.2e} (logits up to {scale:.1f})")

merged = model.merge_and_unload().state_dict()
mine = load_file(f"{d}/merged/model.safetensors")
worst = max(float((merged[k].double() - mine[k].double()).abs().max()) for k in mine)
good = worst < 1e-6 and set(mine) <= set(merged)
ok &= good
print(f"{'ok  ' if good else 'FAIL'} PEFT merge_and_unload: max |weight difference| from yi lora merge {worst:.2e} over {len(mine)} tensors")

# An adapter PEFT trains: B nonzero (init_lora_weights=False draws both A and B at random), rsLoRA scale.
torch.manual_seed(0)
cfg = LoraConfig(r=8, lora_alpha=4, lora_dropout=0.0, target_modules=["q_proj", "v_proj", "up_proj", "down_proj"],
                 task_type="CAUSAL_LM", init_lora_weights=False, use_rslora=True)
theirs = get_peft_model(base_model(), cfg)
theirs.eval()
with torch.no_grad():
    out = theirs(ids).logits[0]
theirs.save_pretrained(f"{d}/peft-adapter")
json.dump({"ids": ref["ids"], "logits": out.tolist()}, open(f"{d}/peft-logits.json", "w"))
sys.exit(0 if ok else 1)
