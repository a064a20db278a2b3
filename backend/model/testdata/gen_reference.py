#!/usr/bin/env python3
"""Regenerate reference logits for Whetstone's model engine with Hugging Face
transformers (an implementation this project did not write).

Run on a machine with torch + transformers (CPU is fine, the models are tiny):

    go test ./backend/model -run TestWriteReferenceCheckpoints -args -write-reference=/tmp/ref
    python3 backend/model/testdata/gen_reference.py /tmp/ref backend/model/testdata/reference

For each tiny checkpoint directory under /tmp/ref (config.json +
model.safetensors written by model.SaveCheckpoint, plus tokens.json) it loads
the model with AutoModelForCausalLM in float32, eager attention, and writes
<out>/<name>/{config.json, model.safetensors, tokens.json, logits.json}.
TestForwardMatchesTransformersFixtures compares our forward pass with
logits.json at 1e-4 when the directory exists.
"""
import json
import os
import shutil
import sys

import torch
from transformers import AutoConfig, AutoModelForCausalLM


def main(src: str, dst: str) -> None:
    torch.manual_seed(0)
    for name in sorted(os.listdir(src)):
        d = os.path.join(src, name)
        if not os.path.isfile(os.path.join(d, "config.json")):
            continue
        cfg = AutoConfig.from_pretrained(d)
        model = AutoModelForCausalLM.from_pretrained(
            d, config=cfg, torch_dtype=torch.float32, attn_implementation="eager"
        )
        model.eval()
        with open(os.path.join(d, "tokens.json")) as f:
            sequences = json.load(f)
        out = []
        with torch.no_grad():
            for seq in sequences:
                ids = torch.tensor([seq], dtype=torch.long)
                logits = model(input_ids=ids, use_cache=False).logits[0]
                out.append(logits.tolist())
        o = os.path.join(dst, name)
        os.makedirs(o, exist_ok=True)
        for f in ("config.json", "model.safetensors", "tokens.json"):
            shutil.copy(os.path.join(d, f), os.path.join(o, f))
        with open(os.path.join(o, "logits.json"), "w") as f:
            json.dump({"transformers": __import__("transformers").__version__,
                       "torch": torch.__version__, "logits": out}, f)
        print(f"{name}: {len(sequences)} sequences, vocab {cfg.vocab_size}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
