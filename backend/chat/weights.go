package chat

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gomlx/compute/dtypes"

	"github.com/whetstone-ai/whetstone/backend/model"
)

// Weights is how the frozen base weights are kept while answering
// (model.Options.StorageDType): the trade between answering exactly as the
// model was trained and answering fast, since one decoded token reads every
// weight once.
type Weights string

const (
	// WeightsAuto is WeightsInt8 for models of at least AutoInt8MinParams
	// parameters and WeightsFloat32 below.
	WeightsAuto Weights = "auto"
	// WeightsFloat32 answers exactly as training computed.
	WeightsFloat32 Weights = "float32"
	// WeightsBFloat16 reads half the bytes; values rounded to 8 bits of
	// mantissa.
	WeightsBFloat16 Weights = "bfloat16"
	// WeightsInt8 reads a quarter of the bytes: int8 codes with a scale per
	// row (weight-only, per output channel; see model/rowint8.go).
	WeightsInt8 Weights = "int8"
)

// WeightsChoices lists the values Request.Weights takes, the default first.
func WeightsChoices() []Weights {
	return []Weights{WeightsAuto, WeightsFloat32, WeightsBFloat16, WeightsInt8}
}

// AutoInt8MinParams is the model size from which WeightsAuto answers with
// int8 weights. Decoding a model this large is bound by reading its
// weights (Gemma 3 270M: 17 tokens/s in float32, 40 in int8 on a 2-core
// Xeon, backend/bench/README.md); a smaller one is bound by per-token
// overhead, gains little, and keeps its exact float32 answers.
const AutoInt8MinParams = 100_000_000

// WeightsNames is WeightsChoices for messages and help: "auto, float32, ...".
func WeightsNames() string {
	names := make([]string, 0, len(WeightsChoices()))
	for _, w := range WeightsChoices() {
		names = append(names, string(w))
	}
	return strings.Join(names, ", ")
}

// ParseWeights checks a Weights value; "" is WeightsAuto.
func ParseWeights(s string) (Weights, error) {
	if s == "" {
		return WeightsAuto, nil
	}
	for _, w := range WeightsChoices() {
		if string(w) == s {
			return w, nil
		}
	}
	return "", fmt.Errorf("chat: weights %q is not one of %s", s, WeightsNames())
}

// Resolve turns WeightsAuto into the concrete choice for the model in dir.
func (w Weights) Resolve(dir string) (Weights, error) {
	if w != WeightsAuto && w != "" {
		return w, nil
	}
	cfg, err := model.LoadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		return "", fmt.Errorf("chat: %w", err)
	}
	if cfg.NumParams() >= AutoInt8MinParams {
		return WeightsInt8, nil
	}
	return WeightsFloat32, nil
}

// dtype is the model storage dtype of a resolved choice.
func (w Weights) dtype() dtypes.DType {
	switch w {
	case WeightsBFloat16:
		return dtypes.BFloat16
	case WeightsInt8:
		return dtypes.Int8
	}
	return dtypes.Float32
}
