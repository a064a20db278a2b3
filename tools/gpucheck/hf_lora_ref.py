"""The GPU check kit's reference: LoRA SFT steps of a Gemma 3 text model in
transformers + PEFT, with the shapes of one `whetstone bench` config.

The model is transformers' own Gemma3ForCausalLM built from a config (random
weights, no download), bf16 with SDPA attention on a GPU, LoRA r on the same
seven projections Whetstone adapts (q, k, v, o, gate, up, down; alpha = r, so
the scale is 1 like `whetstone bench`), AdamW lr 2e-4 and weight decay 0.01,
one batch of random tokens with about 30% of the labels masked. It prints one
JSON object on its last line: tokens/s over the median steady step (every
token of the batch counts, as in `whetstone bench`) and peak memory.

Exit status 3 means transformers or peft is missing (the caller falls back to
the plain-PyTorch reference); anything else non-zero is a failure.

  python3 hf_lora_ref.py --vocab 16384 --hidden 512 --layers 6 --heads 8 --kv 2 --hd 64 --inter 2048 --seq 256 --batch 4 --r 8 --steps 11
"""
import argparse
import json
import resource
import sys
import time

p = argparse.ArgumentParser()
for k, v in dict(vocab=512, hidden=64, layers=2, heads=4, kv=2, hd=16, inter=128, seq=64, batch=4, steps=12, r=8, threads=0).items():
    p.add_argument("--" + k, type=int, default=v)
p.add_argument("--device", default="auto", help="cuda, cpu or auto")
p.add_argument("--dtype", default="auto", help="bfloat16, float32 or auto (bf16 on a GPU, f32 on CPU)")
a = p.parse_args()

try:
    import torch
except ImportError as e:
    print(json.dumps({"error": f"torch not importable: {e}"}))
    sys.exit(3)
try:
    import transformers
    import peft
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig
except ImportError as e:
    print(json.dumps({"error": f"transformers/peft not importable: {e}"}))
    sys.exit(3)

if a.threads > 0:
    torch.set_num_threads(a.threads)
device = a.device if a.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
dtype_name = a.dtype if a.dtype != "auto" else ("bfloat16" if device == "cuda" else "float32")
dtype = getattr(torch, dtype_name)
torch.manual_seed(0)

cfg = Gemma3TextConfig(
    vocab_size=a.vocab, hidden_size=a.hidden, intermediate_size=a.inter, num_hidden_layers=a.layers,
    num_attention_heads=a.heads, num_key_value_heads=a.kv, head_dim=a.hd,
    max_position_embeddings=max(a.seq, 512), query_pre_attn_scalar=a.hd,
    sliding_window=512, attn_implementation="sdpa", use_cache=False,
)
# Some versions take the attention choice only through the private field.
try:
    cfg._attn_implementation = "sdpa"
except (AttributeError, ValueError):
    pass
model = Gemma3ForCausalLM(cfg).to(device=device, dtype=dtype)
lcfg = peft.LoraConfig(r=a.r, lora_alpha=a.r, lora_dropout=0.0, bias="none", task_type="CAUSAL_LM",
                       target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"])
model = peft.get_peft_model(model, lcfg)
model.train()
trainable = [q for q in model.parameters() if q.requires_grad]
opt = torch.optim.AdamW(trainable, lr=2e-4, weight_decay=0.01)

g = torch.Generator().manual_seed(0)
ids = torch.randint(0, a.vocab, (a.batch, a.seq), generator=g)
labels = ids.clone()
labels[torch.rand(a.batch, a.seq, generator=g) < 0.3] = -100
ids, labels = ids.to(device), labels.to(device)

if device == "cuda":
    torch.cuda.reset_peak_memory_stats()
sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
times, losses = [], []
for step in range(a.steps):
    sync()
    t = time.perf_counter()
    out = model(input_ids=ids, labels=labels)
    out.loss.backward()
    opt.step()
    opt.zero_grad(set_to_none=True)
    sync()
    times.append(time.perf_counter() - t)
    losses.append(float(out.loss.detach().float().cpu()))
    print(f"step {step} loss={losses[-1]:.4f} time={times[-1]*1000:.1f}ms", file=sys.stderr, flush=True)

steady = sorted(times[1:]) if len(times) > 1 else times
med = steady[len(steady) // 2]
res = {
    "impl": "transformers Gemma3ForCausalLM + PEFT LoRA",
    "device": device,
    "device_name": torch.cuda.get_device_name(0) if device == "cuda" else "cpu",
    "dtype": dtype_name,
    "attn_implementation": getattr(model.config, "_attn_implementation", None),
    "steps": len(times) - 1,
    "tokens_per_s": a.batch * a.seq / med,
    "median_step_ms": med * 1000,
    "first_step_s": times[0],
    "losses": losses,
    "frozen_params": sum(q.numel() for q in model.parameters() if not q.requires_grad),
    "trainable_params": sum(q.numel() for q in trainable),
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__},
}
if device == "cuda":
    res["peak_allocated_mb"] = torch.cuda.max_memory_allocated() / 2**20
    res["peak_reserved_mb"] = torch.cuda.max_memory_reserved() / 2**20
print(json.dumps(res))
