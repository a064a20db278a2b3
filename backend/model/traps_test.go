package model

import (
	"math"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	mlmodel "github.com/gomlx/gomlx/ml/model"

	"github.com/whetstone-ai/whetstone/backend/accel"
)

// GoMLX behaviours this package works around. Each test pins the trap so a
// GoMLX upgrade that changes it is noticed (and the workaround revisited).

// The go backend has no DynamicSlice: takeRow uses Gather instead. It has
// DynamicUpdateSlice, which writeRows uses.
func TestTrapGoBackendLacksDynamicSlice(t *testing.T) {
	b, _, err := accel.Open(accel.Options{Backend: "go"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = ExecOnce(b, func(x *Node) *Node {
		return DynamicSlice(x, []*Node{Const(x.Graph(), int32(1))}, []int{2})
	}, []float32{1, 2, 3, 4})
	if err == nil || !strings.Contains(err.Error(), "not implemented") {
		t.Errorf("DynamicSlice on the go backend: %v (if it works now, takeRow can use it)", err)
	}
	// writeRows puts update [1,T=2,KV=2,D=2] at positions 1..2 of the
	// heads-major cache [1,KV=2,L=4,D=2].
	got, err := ExecOnce(b, func(cache, update, start *Node) *Node { return writeRows(cache, update, start) },
		tensors.FromShape(shapes.Make(dtypes.Float32, 1, 2, 4, 2)),
		tensors.FromFlatDataAndDimensions([]float32{1, 2, 3, 4, 5, 6, 7, 8}, 1, 2, 2, 2), int32(1))
	if err != nil {
		t.Fatal(err)
	}
	want := []float32{0, 0, 1, 2, 5, 6, 0, 0, 0, 0, 3, 4, 7, 8, 0, 0}
	if flat := tensors.MustCopyFlatData[float32](got); !equalF32(flat, want) {
		t.Errorf("writeRows = %v, want %v", flat, want)
	}
}

// The go backend embeds variables as constants in graphs not marked as
// training, freezing their values at compile time. beginGraph keeps them as
// parameters: a cached inference graph sees new LoRA values.
func TestTrapVariablesAreNotFrozenIntoGraphs(t *testing.T) {
	m := tinyModel(t, "llama", 1, Options{})
	if err := m.AddLoRA(LoRAConfig{Rank: 2, Alpha: 2}); err != nil {
		t.Fatal(err)
	}
	toks := testTokens(4, m.cfg.VocabSize, 1)
	before, _ := m.Logits(toks)
	randomizeLoRAB(t, m, 1)
	after, _ := m.Logits(toks) // same compiled graph
	if before[3][0] == after[3][0] {
		t.Error("cached graph ignored the new LoRA values")
	}
}

// Binary ops need equal ranks (no numpy rank promotion), and graph-building
// panics must come back as errors from our API.
func TestTrapGraphPanicsBecomeErrors(t *testing.T) {
	m := tinyModel(t, "qwen3", 1, Options{})
	_, err := m.Logits(make([]int32, 0))
	if err == nil {
		t.Error("empty sequence accepted")
	}
	e, err := m.executor("bad", func(_ *mlmodel.Scope, in []*Node) []*Node {
		return []*Node{Add(in[0], Const(in[0].Graph(), []float32{1, 2}))}
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Exec(tensors.FromFlatDataAndDimensions([]float32{1, 2, 3, 4}, 2, 2))
	if err == nil || !strings.Contains(err.Error(), "rank") {
		t.Errorf("rank mismatch: %v", err)
	}
}

func equalF32(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// StopGradient is an Identity op that the go backend executes as a full
// copy. Frozen weights must not go through it (dead-code elimination
// already skips their unused gradients): no parameter feeds an Identity.
func TestTrapNoIdentityCopiesOfWeights(t *testing.T) {
	m := tinyModel(t, "gemma3", 1, Options{})
	if _, err := m.Logits(testTokens(3, m.cfg.VocabSize, 1)); err != nil {
		t.Fatal(err)
	}
	e, err := m.executor("logits", nil)
	if err != nil {
		t.Fatal(err)
	}
	toks := tensors.FromFlatDataAndDimensions([]int32{1, 2, 3}, 1, 3)
	pos := tensors.FromFlatDataAndDimensions([]int32{0, 1, 2}, 1, 3)
	seg := tensors.FromFlatDataAndDimensions([]int32{1, 1, 1}, 1, 3)
	_, g, err := e.CallWithGraph(toks, pos, seg)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range g.Nodes() {
		if n.Type() == NodeTypeIdentity && n.Inputs()[0].Type() == NodeTypeParameter {
			t.Errorf("forward graph copies a parameter through Identity: %s", n)
		}
	}
}

// Rematerializing GoMLX's fused attention (gradient checkpointing around a
// layer) gives wrong gradients in v0.28.16; SetGradientCheckpointing
// therefore uses the decomposed attention. This pins the bug: when it
// stops failing, fused attention can stay on under checkpointing.
func TestTrapFusedAttentionUnderCheckpoint(t *testing.T) {
	m := tinyModel(t, "qwen3", 3, Options{})
	if err := m.AddLoRA(LoRAConfig{Rank: 2, Alpha: 4, Seed: 2}); err != nil {
		t.Fatal(err)
	}
	randomizeLoRAB(t, m, 4)
	b := smallBatch(m.cfg.VocabSize)
	_, want := lossAndGrads(t, m, b)
	m.SetGradientCheckpointing(true)
	m.fusedUnderCheckpoint = true
	_, got := lossAndGrads(t, m, b)
	worst := 0.0
	for i := range want {
		for j := range want[i] {
			worst = max(worst, math.Abs(float64(want[i][j]-got[i][j])))
		}
	}
	if worst < 1e-5 {
		t.Errorf("fused attention under checkpointing now gives the right gradients (max diff %g): the workaround in attention.go can go", worst)
	}
}
