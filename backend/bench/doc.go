// Package bench measures Whetstone's speed and memory on fixed,
// Gemma-3-shaped LoRA configurations, so every change can be compared with
// the last one and with PyTorch on the same machine.
//
// A run measures, for one Config:
//   - training tokens/s: forward, backward and AdamW step through the real
//     trainer (train.Run over train.ModelTarget), median step after the
//     first (which compiles), counting every token of the batch as the
//     PyTorch reference does;
//   - peak resident memory (VmHWM) right after training, beside the memory
//     estimate (backend/estimate) for the same settings;
//   - the step's matmul FLOPs counted from the shapes (CountStepFLOPs) and
//     the fraction of a float32 GEMM's measured rate (the roofline,
//     measured in the same process first) that a step reaches;
//   - generation tokens/s with the KV cache (greedy, after a warm-up);
//   - tokenizer tokens/s on a real tokenizer.json when one is available;
//   - dataset rows/s reading FineTome-shaped parquet and JSONL files.
//
// Results are JSON (Result, File) with a versioned schema and a description
// of the machine, so files from different machines and commits can be
// compared. VmHWM is a process-lifetime peak: measure each configuration in
// a fresh process (the CLI does) when the memory figure matters.
package bench
