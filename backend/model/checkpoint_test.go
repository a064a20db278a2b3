package model

import (
	"fmt"
	"testing"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	mlmodel "github.com/gomlx/gomlx/ml/model"
)

// TestCheckpointedBackwardReadsNoForwardActivation: with gradient
// checkpointing, no node of the backward pass reads a tensor of a layer's
// inside (the MLP's [B, T, intermediate] or wider) computed in the forward
// pass: it must use the layer's recomputed copy. A custom gradient whose
// closure held a forward node (geluTanh's gate did) keeps that tensor of
// every layer alive from the forward pass to the backward pass, which is
// the memory checkpointing is there to save. Every architecture's MLP
// (GELU and SiLU), with plain and blockwise attention.
func TestCheckpointedBackwardReadsNoForwardActivation(t *testing.T) {
	for _, name := range []string{"gemma3", "llama", "qwen3"} {
		for _, block := range []int{-1, 4} {
			t.Run(fmt.Sprintf("%s/block%d", name, block), func(t *testing.T) {
				m := tinyModel(t, name, 3, Options{})
				if err := m.AddLoRA(LoRAConfig{Rank: 4, Alpha: 8, TargetModules: AllLinear, Seed: 1}); err != nil {
					t.Fatal(err)
				}
				m.SetGradientCheckpointing(true)
				m.SetAttentionBlock(block)
				const rows, seq = 2, 16
				ts, err := twoRowBatch(seq, m.cfg.VocabSize).tensors()
				if err != nil {
					t.Fatal(err)
				}
				vars := m.TrainableVariables()
				wide := m.cfg.IntermediateSize
				var checked bool
				e, err := mlmodel.NewExec(m.backend, m.store, func(scope *mlmodel.Scope, in []*Node) []*Node {
					g := in[0].Graph()
					scope.SetTraining(g, true)
					loss := m.MeanLossGraph(Inputs{Tokens: in[0], Labels: in[1], Positions: in[2], Segments: in[3]})
					forward := len(g.Nodes())
					var nodes []*Node
					for _, v := range vars {
						nodes = append(nodes, v.NodeValue(g))
					}
					grads := Gradient(loss, nodes...)
					all := g.Nodes()
					for _, n := range all[forward:] {
						for _, input := range n.Inputs() {
							if int(input.Id()) >= forward {
								continue
							}
							s := input.Shape()
							if s.Rank() >= 3 && s.Dimensions[0] == rows && s.Dimensions[s.Rank()-1] >= wide {
								t.Errorf("backward node %s reads forward node %s %s: a layer activation kept past the forward pass", n.Type(), input.Type(), s)
							}
						}
					}
					checked = true
					return append([]*Node{loss}, grads...)
				})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := e.Exec(ts[0], ts[1], ts[2], ts[3]); err != nil {
					t.Fatal(err)
				}
				if !checked {
					t.Fatal("the graph was not built")
				}
			})
		}
	}
}
