#!/usr/bin/env python3
"""A second, PyTorch reference forward pass for Whetstone's model engine.

Hugging Face transformers cannot be installed on the development box (no
PyPI), but Debian's python3-torch can. This script re-implements the
transformers forward pass of Gemma 3 / Llama / Qwen 2 / Qwen 3 with torch
ops in float64, reading the checkpoints written by

    go test ./backend/model -run TestWriteReferenceCheckpoints -args -write-reference=/tmp/ref

and writes testdata/torch/<name>.json with the logits of every token
sequence in tokens.json. TestForwardMatchesTorchFixtures compares the GoMLX
forward pass (same seeded random weights, rebuilt by NewRandom) with them.

    /usr/bin/python3 backend/model/testdata/torch_reference.py /tmp/ref backend/model/testdata/torch

gen_reference.py does the same with transformers itself where available.
"""
import json
import math
import os
import struct
import sys

import torch

DT = torch.float64


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F32", info["dtype"]
        b, e = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[b:e]), dtype=torch.float32)
        out[name] = t.reshape(info["shape"]).to(DT)
    return out


def rms_norm(x, w, eps, gemma):
    x = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps)
    return x * (1.0 + w) if gemma else x * w


def inv_freq(dim, base, scaling):
    f = 1.0 / (base ** (torch.arange(0, dim, 2, dtype=DT) / dim))
    if scaling is None:
        return f
    kind = scaling.get("rope_type", scaling.get("type"))
    if kind == "linear":
        return f / scaling["factor"]
    if kind == "llama3":
        factor, lo, hi = scaling["factor"], scaling["low_freq_factor"], scaling["high_freq_factor"]
        old = scaling["original_max_position_embeddings"]
        wavelen = 2 * math.pi / f
        scaled = torch.where(wavelen > old / lo, f / factor, f)
        smooth = (old / wavelen - lo) / (hi - lo)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = (wavelen >= old / hi) & (wavelen <= old / lo)
        return torch.where(medium, smoothed, scaled)
    raise ValueError(kind)


def rope(x, pos, freqs):  # x [T, H, D]
    ang = pos[:, None].to(DT) * freqs[None, :]
    emb = torch.cat([ang, ang], -1)
    cos, sin = emb.cos()[:, None, :], emb.sin()[:, None, :]
    d = x.shape[-1]
    rot = torch.cat([-x[..., d // 2:], x[..., : d // 2]], -1)
    return x * cos + rot * sin


def forward(cfg, w, tokens):
    mt = cfg["model_type"]
    gemma = mt == "gemma3_text"
    h, nh, kvh = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
    d = cfg.get("head_dim") or h // nh
    eps = cfg["rms_norm_eps"]
    t = len(tokens)
    pos = torch.arange(t)
    x = w["model.embed_tokens.weight"][torch.tensor(tokens)]
    if gemma:
        x = x * math.sqrt(h)
    layer_types = cfg.get("layer_types") or ["full_attention"] * cfg["num_hidden_layers"]
    window = cfg.get("sliding_window") or 0
    scale = cfg["query_pre_attn_scalar"] ** -0.5 if gemma else d ** -0.5
    softcap = cfg.get("attn_logit_softcapping")
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        sliding = layer_types[i] == "sliding_attention" and window > 0
        if gemma and sliding:
            freqs = inv_freq(d, cfg["rope_local_base_freq"], None)
        else:
            freqs = inv_freq(d, cfg["rope_theta"], cfg.get("rope_scaling"))
        hn = rms_norm(x, w[p + "input_layernorm.weight"], eps, gemma)
        q = hn @ w[p + "self_attn.q_proj.weight"].T
        k = hn @ w[p + "self_attn.k_proj.weight"].T
        v = hn @ w[p + "self_attn.v_proj.weight"].T
        if p + "self_attn.q_proj.bias" in w:
            q = q + w[p + "self_attn.q_proj.bias"]
            k = k + w[p + "self_attn.k_proj.bias"]
            v = v + w[p + "self_attn.v_proj.bias"]
        q, k, v = q.view(t, nh, d), k.view(t, kvh, d), v.view(t, kvh, d)
        if p + "self_attn.q_norm.weight" in w:
            q = rms_norm(q, w[p + "self_attn.q_norm.weight"], eps, gemma)
            k = rms_norm(k, w[p + "self_attn.k_norm.weight"], eps, gemma)
        q, k = rope(q, pos, freqs), rope(k, pos, freqs)
        rep = nh // kvh
        k, v = k.repeat_interleave(rep, dim=1), v.repeat_interleave(rep, dim=1)
        scores = torch.einsum("qhd,khd->hqk", q, k) * scale
        if softcap:
            scores = torch.tanh(scores / softcap) * softcap
        allowed = pos[None, :] <= pos[:, None]
        if sliding:
            allowed = allowed & (pos[None, :] > pos[:, None] - window)
        scores = scores.masked_fill(~allowed[None], float("-inf"))
        attn = torch.einsum("hqk,khd->qhd", scores.softmax(-1), v).reshape(t, nh * d)
        o = attn @ w[p + "self_attn.o_proj.weight"].T
        if gemma:
            o = rms_norm(o, w[p + "post_attention_layernorm.weight"], eps, True)
            x = x + o
            hn = rms_norm(x, w[p + "pre_feedforward_layernorm.weight"], eps, True)
        else:
            x = x + o
            hn = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps, False)
        gate = hn @ w[p + "mlp.gate_proj.weight"].T
        up = hn @ w[p + "mlp.up_proj.weight"].T
        act = torch.nn.functional.gelu(gate, approximate="tanh") if gemma else torch.nn.functional.silu(gate)
        m = (act * up) @ w[p + "mlp.down_proj.weight"].T
        if gemma:
            m = rms_norm(m, w[p + "post_feedforward_layernorm.weight"], eps, True)
        x = x + m
    x = rms_norm(x, w["model.norm.weight"], eps, gemma)
    head = w.get("lm_head.weight", w["model.embed_tokens.weight"])
    logits = x @ head.T
    cap = cfg.get("final_logit_softcapping")
    if cap:
        logits = torch.tanh(logits / cap) * cap
    return logits


def main(src, dst):
    os.makedirs(dst, exist_ok=True)
    for name in sorted(os.listdir(src)):
        d = os.path.join(src, name)
        with open(os.path.join(d, "config.json")) as f:
            cfg = json.load(f)
        with open(os.path.join(d, "tokens.json")) as f:
            seqs = json.load(f)
        w = read_safetensors(os.path.join(d, "model.safetensors"))
        out = [[[float(f"{v:.7g}") for v in row] for row in forward(cfg, w, s).tolist()] for s in seqs]
        with open(os.path.join(dst, name + ".json"), "w") as f:
            json.dump({"torch": torch.__version__, "tokens": seqs, "logits": out}, f, separators=(",", ":"))
        print(name, len(seqs), "sequences")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
