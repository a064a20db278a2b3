package train

import (
	"fmt"
	"sort"

	"github.com/gomlx/gomlx/core/graph"
	gmodel "github.com/gomlx/gomlx/ml/model"

	"github.com/whetstone-ai/whetstone/backend/model"
)

// LossFunc builds the training loss inside a graph: the summed token
// cross-entropy and the number of tokens it covers, both scalars. The
// inputs are [batch, seq] int32 tensors as in Batch.
type LossFunc func(scope *gmodel.Scope, tokens, labels, positions, segments *graph.Node) (sum, count *graph.Node)

// Target is what the trainer optimises: a GoMLX store holding frozen base
// weights and the trainable adapter variables, and the loss over it. The
// trainer only ever updates Trainable; every other variable stays as it was.
type Target struct {
	Store     *gmodel.Store
	Trainable []*gmodel.Variable
	Loss      LossFunc
}

// check sorts the trainable variables by path (a stable order for the
// optimiser state and checkpoints) and verifies names are unique.
func (t *Target) check() error {
	if t.Store == nil || t.Loss == nil {
		return fmt.Errorf("training target needs a store and a loss")
	}
	if len(t.Trainable) == 0 {
		return fmt.Errorf("training target has no trainable variables (were LoRA adapters added?)")
	}
	sort.Slice(t.Trainable, func(i, j int) bool { return t.Trainable[i].Path() < t.Trainable[j].Path() })
	seen := map[string]bool{}
	for _, v := range t.Trainable {
		if seen[v.Name()] {
			return fmt.Errorf("two trainable variables are named %q", v.Name())
		}
		seen[v.Name()] = true
	}
	return nil
}

// ModelTarget trains the LoRA adapters of m (AddLoRA must have been
// called) on its masked next-token loss.
func ModelTarget(m *model.Model) Target {
	return Target{
		Store:     m.Store(),
		Trainable: m.TrainableVariables(),
		Loss: func(scope *gmodel.Scope, tokens, labels, positions, segments *graph.Node) (*graph.Node, *graph.Node) {
			return m.LossGraph(model.Inputs{Tokens: tokens, Labels: labels, Positions: positions, Segments: segments})
		},
	}
}
