// Package export turns a base model and a trained LoRA adapter into the
// files other tools load, without Python or a llama.cpp build:
//
//   - PEFT: adapter_config.json + adapter_model.safetensors, loadable by
//     peft.PeftModel.from_pretrained (and importable back, to continue
//     training or to chat).
//   - Merged: the adapter folded into the base weights (W + scale·B·A),
//     saved as (sharded) safetensors in bf16, f16 or f32 with the base
//     model's config, generation config and tokenizer files, loadable by
//     transformers as the base model's class.
//   - GGUF: the merged model with llama.cpp's tensor names and metadata and
//     the tokenizer embedded, in F32, F16, BF16 or Q8_0, plus an Ollama
//     Modelfile next to it.
//
// Every export is built in a temporary directory beside the destination and
// renamed into place only when complete, so a failure or a cancellation
// never leaves a half-written export under the final name. Progress is
// published on the events topic "export.progress".
//
// The PEFT adapter itself (adapter_config.json, tensor names, reading and
// writing, the LoRA scale) is backend/adapter's; export converts it.
package export
