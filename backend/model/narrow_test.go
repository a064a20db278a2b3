package model

import (
	"fmt"
	"testing"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	mlmodel "github.com/gomlx/gomlx/ml/model"
)

// TestBackwardConvertsNarrowWeightsAgain: with base weights stored in
// bfloat16 or int8, no node of a training graph's backward pass reads a
// projection weight's float32 copy made in the forward pass, with or
// without gradient checkpointing: the backward pass converts the weight
// again. Reading the forward's copy keeps every projection's float32 copy
// alive from the forward pass to the backward pass, more memory than
// float32 storage itself. The losses and gradients stay those of
// TestChunkedLossGradients (bfloat16) and TestRowInt8* (int8).
func TestBackwardConvertsNarrowWeightsAgain(t *testing.T) {
	for _, storage := range []dtypes.DType{dtypes.BFloat16, dtypes.Int8} {
		for _, ckpt := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/checkpointing=%v", storage, ckpt), func(t *testing.T) {
				m := tinyModel(t, "gemma3", 3, Options{StorageDType: storage})
				if err := m.AddLoRA(LoRAConfig{Rank: 4, Alpha: 8, TargetModules: AllLinear, Seed: 1}); err != nil {
					t.Fatal(err)
				}
				m.SetGradientCheckpointing(ckpt)
				// The base weights stored narrow (projections, and the
				// norms' vectors, which are let be).
				var narrow []*mlmodel.Variable
				for name, v := range m.base {
					if m.narrow(name) {
						narrow = append(narrow, v)
					}
				}
				if len(narrow) == 0 {
					t.Fatal("no narrow-stored base weights")
				}
				const seq = 16
				ts, err := twoRowBatch(seq, m.cfg.VocabSize).tensors()
				if err != nil {
					t.Fatal(err)
				}
				vars := m.TrainableVariables()
				e, err := mlmodel.NewExec(m.backend, m.store, func(scope *mlmodel.Scope, in []*Node) []*Node {
					g := in[0].Graph()
					scope.SetTraining(g, true)
					loss := m.MeanLossGraph(Inputs{Tokens: in[0], Labels: in[1], Positions: in[2], Segments: in[3]})
					forward := len(g.Nodes())
					stored := map[*Node]bool{}
					for _, v := range narrow {
						stored[v.NodeValue(g)] = true
					}
					var nodes []*Node
					for _, v := range vars {
						nodes = append(nodes, v.NodeValue(g))
					}
					grads := Gradient(loss, nodes...)
					// Autodiff also builds gradients that custom ones
					// replace; the backend never runs them.
					live := liveNodes(append([]*Node{loss}, grads...))
					for _, n := range g.Nodes()[forward:] {
						if !live[n] {
							continue
						}
						for _, input := range n.Inputs() {
							if int(input.Id()) < forward && input.Rank() == 2 && input.DType() == dtypes.Float32 && convertedFrom(input, stored) {
								t.Errorf("backward node %s reads the forward's %s %s, a base weight's float32 copy", n.Type(), input.Type(), input.Shape())
							}
						}
					}
					return append([]*Node{loss}, grads...)
				})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := e.Exec(ts[0], ts[1], ts[2], ts[3]); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// convertedFrom reports whether n is one of the stored variables' nodes
// converted (through at most a few single-input steps: a barrier, a
// conversion, a reshape).
func convertedFrom(n *Node, stored map[*Node]bool) bool {
	for range 4 {
		if stored[n] {
			return true
		}
		if len(n.Inputs()) == 0 {
			return false
		}
		n = n.Inputs()[0]
	}
	return stored[n]
}

// liveNodes is the set of nodes the outputs are computed from.
func liveNodes(outputs []*Node) map[*Node]bool {
	live := map[*Node]bool{}
	stack := outputs
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if live[n] {
			continue
		}
		live[n] = true
		stack = append(stack, n.Inputs()...)
	}
	return live
}
