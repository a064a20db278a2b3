#!/usr/bin/env python3
"""An independent PyTorch computation of TRL's DPO and ORPO losses.

Reads a directory written by backend/train's TestPreferenceLossesMatchTorch:
config.json and model.safetensors (the base model), lora.safetensors (the
adapters under PEFT's names), and case.json (the LoRA scale, the pairs as
token ids and labels, the losses' settings). It runs the float64 forward
pass of backend/model/testdata/torch_reference.py over each sequence on its
own (no padding, no packing), with every adapted projection's weight
W + scale·B·A, and computes with autograd, as TRL's DPOTrainer (sigmoid
loss) and ORPOTrainer do:

  log-probabilities of the label tokens (labels shifted by one, -100
  ignored), summed per answer for DPO, averaged per answer for ORPO;
  DPO:  z = beta·((pc - pr) - (rc - rr)),
        loss = mean(-(1-ls)·logsigmoid(z) - ls·logsigmoid(-z)),
        the reference r* being the base model (no adapters);
  ORPO: log_odds = (pc - pr) - (log1p(-exp(pc)) - log1p(-exp(pr))),
        loss = NLL(chosen tokens, averaged over them) - lambda·mean(logsigmoid(log_odds)).

It writes result.json: for each case its loss, the rewards figures and the
gradient of the loss with respect to every adapter matrix.

    python3 preference_reference.py DIR
"""
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "model", "testdata"))
from torch_reference import DT, forward, read_safetensors  # noqa: E402


def seq_logps(cfg, w, seq):
    logits = forward(cfg, w, seq["tokens"])
    logp = torch.log_softmax(logits, -1)
    labels = seq["labels"]
    total, n = torch.zeros((), dtype=DT), 0
    for t in range(len(labels) - 1):
        if labels[t + 1] != -100:
            total = total + logp[t, labels[t + 1]]
            n += 1
    return total, n


def logsigmoid(x):
    return torch.nn.functional.logsigmoid(x)


def run_case(cfg, base, lora, scale, case):
    params = {name: t.clone().requires_grad_(True) for name, t in lora.items()}
    w = dict(base)
    for name in params:
        if name.endswith(".lora_A.weight"):
            module = name[len("base_model.model."):-len(".lora_A.weight")]
            a = params[name]
            b = params[name.replace(".lora_A.", ".lora_B.")]
            w[module + ".weight"] = base[module + ".weight"] + scale * (b @ a)
    pc, pr, nc, nr = [], [], [], []
    for pair in case["pairs"]:
        s, n = seq_logps(cfg, w, pair["chosen"])
        pc.append(s); nc.append(n)
        s, n = seq_logps(cfg, w, pair["rejected"])
        pr.append(s); nr.append(n)
    pc, pr = torch.stack(pc), torch.stack(pr)
    nc, nr = torch.tensor(nc, dtype=DT), torch.tensor(nr, dtype=DT)
    out = {}
    if case["method"] == "dpo":
        with torch.no_grad():
            rc = torch.stack([seq_logps(cfg, base, p["chosen"])[0] for p in case["pairs"]])
            rr = torch.stack([seq_logps(cfg, base, p["rejected"])[0] for p in case["pairs"]])
        beta, ls = case["beta"], case["label_smoothing"]
        z = beta * ((pc - pr) - (rc - rr))
        loss = (-(1 - ls) * logsigmoid(z) - ls * logsigmoid(-z)).mean()
        chosen, rejected = beta * (pc - rc).detach(), beta * (pr - rr).detach()
    else:
        lam = case["lambda"]
        ac, ar = pc / nc, pr / nr
        log_odds = (ac - ar) - (torch.log1p(-torch.exp(ac)) - torch.log1p(-torch.exp(ar)))
        ratio = logsigmoid(log_odds)
        nll = -pc.sum() / nc.sum()
        loss = nll - lam * ratio.mean()
        chosen, rejected = lam * ac.detach(), lam * ar.detach()
        out["nll_loss"] = nll.item()
        out["log_odds_ratio"] = ratio.mean().item()
    loss.backward()
    out["loss"] = loss.item()
    out["rewards/chosen"] = chosen.mean().item()
    out["rewards/rejected"] = rejected.mean().item()
    out["rewards/margins"] = (chosen - rejected).mean().item()
    out["rewards/accuracies"] = (chosen > rejected).to(DT).mean().item()
    out["grads"] = {name: p.grad.flatten().tolist() for name, p in params.items()}
    return out


def main(d):
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(d, "case.json")) as f:
        spec = json.load(f)
    base = read_safetensors(os.path.join(d, "model.safetensors"))
    lora = read_safetensors(os.path.join(d, "lora.safetensors"))
    result = {"torch": torch.__version__,
              "cases": {name: run_case(cfg, base, lora, spec["scale"], case) for name, case in spec["cases"].items()}}
    with open(os.path.join(d, "result.json"), "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
