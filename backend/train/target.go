package train

import (
	"fmt"
	"sort"

	"github.com/gomlx/gomlx/core/graph"
	gmodel "github.com/gomlx/gomlx/ml/model"

	"github.com/whetstone-ai/whetstone/backend/model"
)

// LossFunc builds a micro-batch's objective inside a graph. The inputs are
// [batch, seq] int32 tensors as in Batch.
type LossFunc func(scope *gmodel.Scope, tokens, labels, positions, segments *graph.Node) Loss

// Loss is an objective as sums over a micro-batch, so that an optimiser
// step over several micro-batches (gradient accumulation) normalizes once
// over all of them: the step's loss is Σ Weight·(Σ Sum)/(Σ Count) over its
// terms, each sum and count added up across the micro-batches before the
// division, Weight being Target.Weights'. SFT has one term (summed token losses over the token count);
// ORPO two (the chosen answers' token loss and the pairs' odds-ratio term).
type Loss struct {
	Terms []Term
	// Metrics are the figures StepMetrics.Extra reports, each Σ Sum / Σ
	// Count over the step; they take no part in the gradient.
	Metrics []Metric
}

// Term is one part of an objective: float32 scalars, Sum differentiable.
type Term struct {
	Sum, Count *graph.Node
}

// Metric is one reported figure of an objective: float32 scalars.
type Metric struct {
	Name       string
	Sum, Count *graph.Node
}

// Target is what the trainer optimises: a GoMLX store holding frozen base
// weights and the trainable variables, and the loss over it. The trainer
// only ever updates Trainable; every other variable stays as it was.
type Target struct {
	Store     *gmodel.Store
	Trainable []*gmodel.Variable
	Loss      LossFunc
	// Weights are the weights of the loss's terms, one per term; nil is
	// one term of weight 1.
	Weights []float64
	// LRScale multiplies the learning rate of the trainable variables
	// whose path it holds (the embeddings of lora.modules_to_save get
	// training.embedding_learning_rate this way); the others get 1.
	LRScale map[string]float64
}

// storedBytes is the memory of the store's variables (0 without a store).
func (t *Target) storedBytes() int64 {
	if t.Store == nil {
		return 0
	}
	return t.Store.ByteSize()
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
// called) on its masked next-token loss: SFT, and continued pretraining,
// whose data labels every token.
func ModelTarget(m *model.Model) Target {
	return Target{
		Store:     m.Store(),
		Trainable: m.TrainableVariables(),
		Loss: func(scope *gmodel.Scope, tokens, labels, positions, segments *graph.Node) Loss {
			sum, count := m.LossGraph(model.Inputs{Tokens: tokens, Labels: labels, Positions: positions, Segments: segments})
			return Loss{Terms: []Term{{Sum: sum, Count: count}}}
		},
	}
}
