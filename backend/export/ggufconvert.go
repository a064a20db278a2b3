package export

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/gguf"
	"github.com/whetstone-ai/whetstone/backend/model"
)

// llama.cpp file types (enum llama_ftype) for general.file_type.
var fileTypes = map[gguf.TensorType]uint32{
	gguf.TensorF32:  0,
	gguf.TensorF16:  1,
	gguf.TensorQ8_0: 7,
	gguf.TensorBF16: 32,
	// Mostly Q4_K (llama.cpp's Q4_K_S label): matrices whose rows are not
	// a whole number of 256-value super-blocks use Q8_0 or F16.
	gguf.TensorQ4_K: 14,
}

// ggufArchName is llama.cpp's architecture name for a model.
func ggufArchName(a model.Arch) (string, error) {
	switch a {
	case model.Gemma3, model.Llama, model.Qwen2, model.Qwen3:
		return string(a), nil
	}
	return "", fmt.Errorf("GGUF export does not support architecture %q", a)
}

// ggufTensorType picks the storage type of one tensor: vectors (norms,
// biases) stay F32 as llama.cpp's converter keeps them, and a matrix whose
// rows are not a whole number of quantization blocks falls back to F16.
func ggufTensorType(want gguf.TensorType, dims []uint64) gguf.TensorType {
	if len(dims) < 2 {
		return gguf.TensorF32
	}
	if want.CheckShape(dims) == nil {
		return want
	}
	if want == gguf.TensorQ4_K && gguf.TensorQ8_0.CheckShape(dims) == nil {
		return gguf.TensorQ8_0
	}
	return gguf.TensorF16
}

// buildGGUF declares the metadata and tensors of src as a llama.cpp model
// of storage type quant. Tensor data is produced when the writer streams.
func buildGGUF(ctx context.Context, src *source, quant gguf.TensorType, name string, p progress) (*gguf.Writer, error) {
	cfg := src.cfg
	arch, err := ggufArchName(cfg.Arch)
	if err != nil {
		return nil, err
	}
	ft, ok := fileTypes[quant]
	if !ok {
		return nil, fmt.Errorf("GGUF type %s is not supported for export (want %s)", quant, strings.Join(Quants(FormatGGUF), ", "))
	}
	w := gguf.NewWriter()
	set := func(key string, v any) {
		if err == nil {
			err = w.SetKV(key, v)
		}
	}
	set("general.architecture", arch)
	set("general.type", "model")
	set("general.name", name)
	set("general.file_type", ft)
	if quant == gguf.TensorQ8_0 || quant == gguf.TensorQ4_K {
		set("general.quantization_version", uint32(2))
	}
	ctxLen := cfg.MaxPositionEmbeddings
	if ctxLen <= 0 {
		ctxLen = 8192
	}
	set(arch+".context_length", uint32(ctxLen))
	set(arch+".embedding_length", uint32(cfg.HiddenSize))
	set(arch+".block_count", uint32(cfg.NumLayers))
	set(arch+".feed_forward_length", uint32(cfg.IntermediateSize))
	set(arch+".attention.head_count", uint32(cfg.NumHeads))
	set(arch+".attention.head_count_kv", uint32(cfg.NumKVHeads))
	set(arch+".attention.key_length", uint32(cfg.HeadDim))
	set(arch+".attention.value_length", uint32(cfg.HeadDim))
	set(arch+".attention.layer_norm_rms_epsilon", float32(cfg.RMSNormEps))
	set(arch+".rope.freq_base", float32(cfg.RopeTheta))
	if cfg.Arch != model.Gemma3 {
		set(arch+".rope.dimension_count", uint32(cfg.HeadDim))
		set(arch+".vocab_size", uint32(cfg.VocabSize))
	}
	if cfg.Arch == model.Gemma3 && cfg.SlidingWindow > 0 {
		set(arch+".attention.sliding_window", uint32(cfg.SlidingWindow))
	}
	if cfg.FinalLogitSoftcap > 0 {
		set(arch+".final_logit_softcapping", float32(cfg.FinalLogitSoftcap))
	}
	if rs := cfg.RopeScaling; rs != nil && rs.Type == "linear" {
		set(arch+".rope.scaling.type", "linear")
		set(arch+".rope.scaling.factor", float32(rs.Factor))
	}
	if err != nil {
		return nil, fmt.Errorf("GGUF metadata: %w", err)
	}

	// Tensors, in checkpoint order, with llama.cpp's names.
	type plan struct{ hf, gg string }
	var plans []plan
	embedRows := 0
	for _, hf := range src.ckpt.Names() {
		gg, skip, err := ggufTensorName(cfg, hf)
		if err != nil {
			return nil, err
		}
		if skip {
			continue
		}
		if gg == "token_embd.weight" {
			info, _ := src.ckpt.Info(hf)
			embedRows = info.Shape[0]
		}
		plans = append(plans, plan{hf, gg})
	}
	if embedRows == 0 {
		return nil, fmt.Errorf("base model %s has no embedding matrix (model.embed_tokens.weight)", src.dir)
	}
	vocab, err := readVocab(src.dir, cfg, embedRows)
	if err != nil {
		return nil, err
	}
	if err := vocab.setMetadata(w); err != nil {
		return nil, fmt.Errorf("GGUF tokenizer metadata: %w", err)
	}

	total := len(plans)
	if cfg.RopeScaling != nil && cfg.RopeScaling.Type == "llama3" {
		total++
	}
	done := 0
	for _, pl := range plans {
		info, _ := src.ckpt.Info(pl.hf)
		if !info.DType.IsFloat() {
			return nil, fmt.Errorf("tensor %s has dtype %s, not a float", pl.hf, info.DType)
		}
		dims := make([]uint64, len(info.Shape))
		for i, d := range info.Shape {
			dims[len(dims)-1-i] = uint64(d)
		}
		typ := ggufTensorType(quant, dims)
		hf, gg, shape := pl.hf, pl.gg, info.Shape
		err := w.AddTensor(gg, dims, typ, func() ([]byte, error) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			vals, err := src.float32(hf)
			if err != nil {
				return nil, err
			}
			if vals, err = ggufTransform(cfg, gg, shape, vals); err != nil {
				return nil, fmt.Errorf("tensor %s: %w", hf, err)
			}
			data, err := gguf.Encode(typ, vals)
			done++
			p.emit("weights", done, total, gg)
			return data, err
		})
		if err != nil {
			return nil, err
		}
	}
	if rs := cfg.RopeScaling; rs != nil && rs.Type == "llama3" {
		freqs := llama3RopeFactors(cfg)
		if err := w.AddTensor("rope_freqs.weight", []uint64{uint64(len(freqs))}, gguf.TensorF32, func() ([]byte, error) {
			done++
			p.emit("weights", done, total, "rope_freqs.weight")
			return gguf.Encode(gguf.TensorF32, freqs)
		}); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// ggufTransform applies what llama.cpp's converter changes in values:
// Gemma's RMSNorm computes x·(1+w), so its norm weights are stored with 1
// added; Llama's q/k projections are permuted to interleaved RoPE pairs.
func ggufTransform(cfg *model.Config, gg string, shape []int, vals []float32) ([]float32, error) {
	switch cfg.Arch {
	case model.Gemma3:
		if len(shape) == 1 && hasSuffixAny(gg, "norm.weight") {
			for i := range vals {
				vals[i]++
			}
		}
	case model.Llama:
		cols := 1
		if len(shape) == 2 {
			cols = shape[1]
		}
		switch {
		case hasSuffixAny(gg, ".attn_q.weight", ".attn_q.bias"):
			return permuteRoPE(vals, shape[0], cols, cfg.NumHeads)
		case hasSuffixAny(gg, ".attn_k.weight", ".attn_k.bias"):
			return permuteRoPE(vals, shape[0], cols, cfg.NumKVHeads)
		}
	}
	return vals, nil
}

func hasSuffixAny(s string, suffixes ...string) bool {
	for _, x := range suffixes {
		if len(s) >= len(x) && s[len(s)-len(x):] == x {
			return true
		}
	}
	return false
}

// llama3RopeFactors computes the per-frequency divisors of Llama 3.1's
// RoPE scaling, which llama.cpp reads from the rope_freqs tensor:
// high frequencies are kept, low ones divided by factor, and the band in
// between interpolated smoothly.
func llama3RopeFactors(cfg *model.Config) []float32 {
	rs := cfg.RopeScaling
	half := cfg.HeadDim / 2
	out := make([]float32, half)
	lowWavelen := float64(rs.OriginalMaxPositionEmbeddings) / rs.LowFreqFactor
	highWavelen := float64(rs.OriginalMaxPositionEmbeddings) / rs.HighFreqFactor
	for i := 0; i < half; i++ {
		freq := 1 / math.Pow(cfg.RopeTheta, float64(2*i)/float64(cfg.HeadDim))
		wavelen := 2 * math.Pi / freq
		switch {
		case wavelen < highWavelen:
			out[i] = 1
		case wavelen > lowWavelen:
			out[i] = float32(rs.Factor)
		default:
			smooth := (float64(rs.OriginalMaxPositionEmbeddings)/wavelen - rs.LowFreqFactor) / (rs.HighFreqFactor - rs.LowFreqFactor)
			out[i] = float32(1 / ((1-smooth)/rs.Factor + smooth))
		}
	}
	return out
}
