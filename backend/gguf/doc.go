// Package gguf reads and writes GGUF version 3 files, the single-file model
// format of llama.cpp and Ollama: a header, typed metadata key/values, a
// table of tensor descriptions, then the aligned tensor data.
//
// The writer streams: tensor payloads are produced one at a time by a
// callback, so exporting a multi-gigabyte model never holds more than one
// tensor in memory. The reader maps nothing; it reads the header and the
// tensor table and fetches a tensor's bytes on demand.
//
// Shapes follow ggml's convention: Dims[0] is the fastest-varying (innermost)
// dimension, the reverse of PyTorch/safetensors order. A Hugging Face linear
// weight of shape [out, in] is a GGUF tensor with Dims [in, out].
package gguf

// Magic is the first four bytes of every GGUF file ("GGUF" in little endian).
const Magic uint32 = 0x46554747

// Version is the GGUF version this package writes. Version 2 files (64-bit
// counts, same layout) are also read.
const Version uint32 = 3

// DefaultAlignment is the data alignment when general.alignment is absent.
const DefaultAlignment = 32

// KeyAlignment is the metadata key that overrides DefaultAlignment.
const KeyAlignment = "general.alignment"
