package export

import (
	"context"
	"fmt"
	"math"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/adapter"
	"github.com/whetstone-ai/whetstone/backend/gguf"
	"github.com/whetstone-ai/whetstone/backend/model"
)

// buildLoRAGGUF declares a llama.cpp LoRA adapter (general.type "adapter"):
// for each adapted weight, "<llama.cpp name>.lora_a" with ggml dims
// [in, r] and ".lora_b" with [r, out], which is PEFT's row-major A [r, in]
// and B [out, r] unchanged. llama.cpp scales B·A by alpha/r, so a
// rank-stabilised adapter's alpha is stored as alpha·√r. A llama.cpp
// adapter holds only low-rank pairs, so an adapter with trained modules
// (modules_to_save) is refused: dropping them would export another model.
func buildLoRAGGUF(ctx context.Context, cfg *model.Config, ad *adapter.Adapter, quant gguf.TensorType, name string, p progress) (*gguf.Writer, error) {
	if len(ad.Saved) > 0 {
		return nil, fmt.Errorf("the adapter trains whole modules (%s) that a llama.cpp LoRA GGUF cannot carry; export %s (the merged model) instead", strings.Join(ad.SavedNames(), ", "), FormatGGUF)
	}
	arch, err := ggufArchName(cfg.Arch)
	if err != nil {
		return nil, err
	}
	if _, ok := fileTypes[quant]; !ok {
		return nil, fmt.Errorf("GGUF type %s is not supported for export (want %s)", quant, strings.Join(Quants(FormatGGUF), ", "))
	}
	alpha := ad.Config.LoraAlpha
	if ad.Config.UseRSLoRA {
		alpha *= math.Sqrt(float64(ad.Config.R))
	}
	w := gguf.NewWriter()
	for _, kv := range []gguf.KV{
		{Key: "general.architecture", Value: arch},
		{Key: "general.type", Value: "adapter"},
		{Key: "general.name", Value: name},
		{Key: "general.file_type", Value: fileTypes[quant]},
		{Key: "adapter.type", Value: "lora"},
		{Key: "adapter.lora.alpha", Value: float32(alpha)},
	} {
		if err := w.SetKV(kv.Key, kv.Value); err != nil {
			return nil, err
		}
	}
	modules := ad.Modules()
	total, done := 2*len(modules), 0
	for _, mod := range modules {
		l := ad.Layers[mod]
		gg, skip, err := ggufTensorName(cfg, mod+".weight")
		if err != nil {
			return nil, fmt.Errorf("adapter module %s: %w", mod, err)
		}
		if skip {
			return nil, fmt.Errorf("adapter module %s has no llama.cpp tensor", mod)
		}
		base := gg[:len(gg)-len(".weight")]
		aDims := []uint64{uint64(l.In), uint64(l.R)}
		bDims := []uint64{uint64(l.R), uint64(l.Out)}
		aType, bType := ggufTensorType(quant, aDims), ggufTensorType(quant, bDims)
		if err := w.AddTensor(base+".weight.lora_a", aDims, aType, func() ([]byte, error) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			done++
			p.emit("weights", done, total, base+".weight.lora_a")
			return gguf.Encode(aType, l.A)
		}); err != nil {
			return nil, err
		}
		if err := w.AddTensor(base+".weight.lora_b", bDims, bType, func() ([]byte, error) {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			// Llama's q/k rows are permuted in the base GGUF; B's output
			// rows must follow.
			b, err := ggufTransform(cfg, gg, []int{l.Out, l.R}, append([]float32(nil), l.B...))
			if err != nil {
				return nil, fmt.Errorf("adapter module %s: %w", mod, err)
			}
			done++
			p.emit("weights", done, total, base+".weight.lora_b")
			return gguf.Encode(bType, b)
		}); err != nil {
			return nil, err
		}
	}
	return w, nil
}
