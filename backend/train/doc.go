// Package train is Whetstone's supervised fine-tuning loop: it optimises the
// LoRA adapters of a model (backend/model) on batches of tokenized
// conversations and leaves the base weights untouched.
//
// One optimiser step runs GradAccum micro-batches through a compiled
// forward/backward graph that adds each micro-batch's gradient of the
// summed token loss to accumulators held in the GoMLX store, then a second
// graph divides by the step's token count, clips the global gradient norm
// and applies AdamW with decoupled weight decay (torch.optim.AdamW's
// update). The learning-rate schedule (warmup, then linear, cosine or
// constant) and Adam's bias corrections are computed on the host and fed
// to that graph, so a checkpoint only needs the step number to restore
// them. A non-finite loss or gradient norm skips the update inside the
// graph and stops the run with an explanation.
//
// Data order depends only on (seed, epoch), so the data position is the
// number of micro-batches consumed. A checkpoint (checkpoint.go) holds the
// adapters, the Adam moments, that position and the store's RNG state;
// resuming from it reproduces the uninterrupted run's losses exactly on the
// same backend.
//
// The loop reports through its own small types (StepMetrics, Report,
// Stopper, ErrPaused, ErrCancelled) and does not know the run queue:
// backend/train/executor adapts it to backend/runs, reading a
// runconfig.Config, loading model, tokenizer and data, training, writing
// the final adapter (SaveAdapter, in backend/adapter's PEFT format) and
// translating metrics, stops and errors to the run store's.
package train
