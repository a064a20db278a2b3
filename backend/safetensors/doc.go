// Package safetensors reads and writes the safetensors format used by Hugging
// Face checkpoints.
//
// A safetensors file is an 8-byte little-endian header length N, N bytes of
// JSON describing every tensor (dtype, shape, byte range relative to the data
// section) plus an optional "__metadata__" string map, then the raw
// little-endian tensor bytes. Large checkpoints are split into shards listed
// by model.safetensors.index.json ({"weight_map": {tensor: file}}).
//
// Reading is lazy: [Open] and [OpenDir] parse only the headers and tensors are
// read from disk on demand with positioned reads, so a caller converting one
// tensor at a time never holds more than that tensor plus its destination.
// Writing is atomic (temporary file, fsync, rename) so an interrupted export
// never leaves a truncated checkpoint behind.
package safetensors
