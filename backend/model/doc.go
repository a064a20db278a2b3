// Package model is Whetstone's decoder-only language model engine on GoMLX:
// Gemma 3, Llama 3 and Qwen 2.5/3 built from Hugging Face checkpoints, with
// LoRA adapters for training and a KV-cached generator for chat.
//
// # Layout
//
// One file per architecture (gemma3.go, llama.go, qwen.go) says how that
// family differs; the shared blocks (blocks.go, attention.go, rope.go,
// mlp.go, norm.go) build the graph for all of them. weights.go owns tensor
// names, including the checkpoint prefixes of multimodal Gemma 3
// ("language_model.model." and "model.language_model."), which are resolved
// in exactly one place. lora.go holds adapters, loss.go the chunked
// cross-entropy, generate.go and sample.go generation, genconfig.go the
// stop tokens and sampling defaults of generation_config.json, presets.go
// the benchmark shapes ("tiny", "5m", "30m", "gemma3-270m").
//
// # Loading and building
//
//	m, err := model.Load(dir, model.Options{})          // config.json + safetensors
//	m, err := model.NewRandom(cfg, seed, model.Options{}) // tests, demo, benchmarks
//	err = m.SaveCheckpoint(dir)                         // config.json + model.safetensors
//	m.Close()                                           // free graphs and weights now
//
// Base weights are frozen GoMLX variables under the store scope "/base",
// named by their canonical Hugging Face text-model names
// ("model.layers.0.self_attn.q_proj.weight"). They are kept as float32 by
// default (fastest on the pure-Go backend) or in Options.StorageDType (e.g.
// bfloat16, converted to float32 inside the graph) to halve memory. Loading
// reads one tensor at a time from disk, so peak memory is the stored model
// plus one tensor.
//
// With Options.Quantization "nf4" or "int8" (runconfig model.quantization,
// QLoRA) the decoder projections' matrices are kept instead as quantized
// parts under "/qbase" (package quant) and dequantized in the graph next
// to each use, forward and backward (quantized.go says why both); no float
// copy of them is kept, and BaseWeight returns what they dequantize to.
//
// # LoRA
//
//	err = m.AddLoRA(model.LoRAConfig{Rank: 8, Alpha: 16, TargetModules: model.AllLinear})
//
// Adapters are float32 trainable variables under "/lora", named exactly as
// PEFT names them for the text model
// ("base_model.model.model.layers.{i}.self_attn.q_proj.lora_A.weight",
// A is [r, in], B is [out, r]), so exporting an adapter is a copy.
// m.LoRAState / m.SetLoRAState move them in and out as host tensors;
// m.MergedWeight returns W + scale·B·A for merged exports (the model itself
// is never modified, so there is nothing to unmerge); m.BaseWeight and
// m.BaseWeightNames read the frozen weights.
//
// # Training API
//
// The trainer builds its own GoMLX executor over m.Store() and calls
//
//	sum, count := m.LossGraph(scope, model.Inputs{Tokens, Labels, Positions, Segments})
//
// inside the graph function. Inputs are [batch, seq] int32. Labels are
// aligned with Tokens (labels[t] is the expected token at position t, -100
// to ignore it); the loss shifts them itself, predicting labels[t+1] from
// position t, and never across a segment boundary. Segments number packed
// sequences from 1 (0 is padding): attention is causal and only within a
// segment. Positions restart at 0 for each packed sequence. The LM head and
// cross-entropy are evaluated in chunks of rows so [batch, seq, vocab]
// logits are never materialized for large vocabularies; in graphs marked
// as training each chunk also computes its gradient with respect to the
// hidden states in the forward pass, so no chunk's logits are kept for the
// backward pass (a frozen LM head gets no gradient; one trained as a
// lora.modules_to_save module builds its own, slice by slice).
// The loss is (sum, count) so gradient accumulation can weight micro-batches by token
// count; MeanLossGraph divides them. SequenceLogProbs gives per-row sums of
// the trained tokens' log-probabilities, with or without the adapters in the
// same graph, for the preference losses (backend/train's DPO and ORPO).
// m.SetGradientCheckpointing(true) recomputes each layer in the backward
// pass to halve activation memory. Rows of 256 tokens or more take
// blockwise attention (blockwise*.go: an online softmax over key blocks and
// a backward that recomputes them), so attention memory grows linearly with
// the sequence; m.SetAttentionBlock forces a block size or the plain path.
// Dropout is active when the graph is
// marked as training (scope.SetTraining(g, true)), drawing from the store's
// RNG, which m.Seed resets for reproducible runs. m.TrainableVariables lists
// the LoRA variables; optimizers from ml/train/optimizer find them as the
// store's trainable variables.
//
// Outside a training graph, m.Loss(Batch) evaluates a host batch and
// m.Logits(tokens) returns full logits of one short sequence (tests,
// evaluation).
//
// Graphs read every model variable as a parameter, never as an embedded
// constant: the pure-Go backend would otherwise bake variable values into
// graphs not marked as training, and cached graphs would ignore later LoRA
// updates. LossGraph handles this itself when it is the first thing in the
// graph to read the model.
//
// # Generation
//
//	out, err := m.Generate(ctx, prompt, model.GenerateOptions{MaxNewTokens: 64, Temperature: 0.7},
//	    func(tok int32) error { ... })
//
// Keys and values are cached per layer; cache lengths and prompt chunks are
// bucketed to powers of two so a whole conversation compiles a handful of
// graphs. Greedy decoding (Temperature 0) and sampling with top-k, top-p,
// min-p and repetition penalty, seeded; stops on m.StopTokens() (EOS ids of
// config.json and generation_config.json) unless told otherwise, and on
// context cancellation. GenerateOptions.NoCache recomputes everything each
// step (the reference the cache is tested against).
//
// # Backends
//
// Options.Backend is any GoMLX backend; nil opens the pure-Go one through
// backend/accel. Everything here runs on it (see traps_test.go for the ops
// it lacks and how they are avoided).
//
// Every exported function converts GoMLX panics into errors.
package model
