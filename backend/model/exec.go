package model

import (
	"fmt"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	mlmodel "github.com/gomlx/gomlx/ml/model"
)

// executor returns the cached executor for key, building it with fn. GoMLX
// executors compile once per distinct input shape.
func (m *Model) executor(key string, fn func(*mlmodel.Scope, []*Node) []*Node) (*mlmodel.Exec, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, fmt.Errorf("model: used after Close")
	}
	if e, ok := m.execs[key]; ok {
		return e, nil
	}
	e, err := mlmodel.NewExec(m.backend, m.store, fn)
	if err != nil {
		return nil, fmt.Errorf("model: building %s executor: %w", key, err)
	}
	e.SetMaxCache(64)
	m.execs[key] = e
	return e, nil
}

// resetExecs drops compiled graphs after the set of variables changed.
func (m *Model) resetExecs() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, e := range m.execs {
		e.Finalize()
	}
	m.execs = map[string]*mlmodel.Exec{}
}

// Logits runs the full forward pass over one sequence and returns its
// logits [len(tokens)][vocab]. For tests and evaluation of short texts.
func (m *Model) Logits(tokens []int32) (out [][]float32, err error) {
	defer catch(&err, "logits")
	if len(tokens) == 0 {
		return nil, fmt.Errorf("model: logits of an empty sequence")
	}
	for i, t := range tokens {
		if t < 0 || int(t) >= m.cfg.VocabSize {
			return nil, fmt.Errorf("model: token %d at index %d is outside the vocabulary (size %d)", t, i, m.cfg.VocabSize)
		}
	}
	n := len(tokens)
	pos := make([]int32, n)
	seg := make([]int32, n)
	for i := range pos {
		pos[i], seg[i] = int32(i), 1
	}
	e, err := m.executor("logits", func(_ *mlmodel.Scope, in []*Node) []*Node {
		return []*Node{m.forwardLogitsGraph(in[0], in[1], in[2])}
	})
	if err != nil {
		return nil, err
	}
	res, err := e.Exec(
		tensors.FromFlatDataAndDimensions(tokens, 1, n),
		tensors.FromFlatDataAndDimensions(pos, 1, n),
		tensors.FromFlatDataAndDimensions(seg, 1, n))
	if err != nil {
		return nil, fmt.Errorf("model: logits: %w", err)
	}
	flat, err := tensors.CopyFlatData[float32](res[0])
	res[0].FinalizeAll()
	if err != nil {
		return nil, err
	}
	v := m.cfg.VocabSize
	out = make([][]float32, n)
	for i := range out {
		out[i] = flat[i*v : (i+1)*v]
	}
	return out, nil
}

// Batch is a host-side batch: row-major [B][T] int32 slices, same meaning
// as Inputs.
type Batch struct {
	Tokens, Labels, Positions, Segments [][]int32
}

func (b Batch) tensors() ([]*tensors.Tensor, error) {
	rows := len(b.Tokens)
	if rows == 0 {
		return nil, fmt.Errorf("model: empty batch")
	}
	cols := len(b.Tokens[0])
	names := []string{"tokens", "labels", "positions", "segments"}
	var out []*tensors.Tensor
	for i, field := range [][][]int32{b.Tokens, b.Labels, b.Positions, b.Segments} {
		if len(field) != rows {
			return nil, fmt.Errorf("model: batch %s has %d rows, tokens %d", names[i], len(field), rows)
		}
	}
	for _, field := range [][][]int32{b.Tokens, b.Labels, b.Positions, b.Segments} {
		flat := make([]int32, 0, rows*cols)
		for r, row := range field {
			if len(row) != cols {
				return nil, fmt.Errorf("model: batch row %d has %d columns, want %d", r, len(row), cols)
			}
			flat = append(flat, row...)
		}
		out = append(out, tensors.FromFlatDataAndDimensions(flat, rows, cols))
	}
	return out, nil
}

// Loss evaluates the mean loss of a batch and the number of tokens counted
// (no dropout, no gradients).
func (m *Model) Loss(b Batch) (mean float64, count int, err error) {
	defer catch(&err, "loss")
	ts, err := b.tensors()
	if err != nil {
		return 0, 0, err
	}
	e, err := m.executor("loss", func(_ *mlmodel.Scope, in []*Node) []*Node {
		sum, cnt := m.LossGraph(Inputs{Tokens: in[0], Labels: in[1], Positions: in[2], Segments: in[3]})
		return []*Node{sum, cnt}
	})
	if err != nil {
		return 0, 0, err
	}
	res, err := e.Exec(ts[0], ts[1], ts[2], ts[3])
	if err != nil {
		return 0, 0, fmt.Errorf("model: loss: %w", err)
	}
	sum := tensors.ToScalar[float32](res[0])
	cnt := tensors.ToScalar[float32](res[1])
	if cnt == 0 {
		return 0, 0, nil
	}
	return float64(sum) / float64(cnt), int(cnt), nil
}

var _ = dtypes.Float32

// inferenceParam is the graph parameter marking graphs that read the model
// without training it.
const inferenceParam = "/whetstone_model_inference"

// beginGraph must run before a graph reads any model variable. The pure-Go
// backend prefers variables embedded as constants in graphs that are not
// marked as training, which would freeze LoRA values at compile time (a
// later SetLoRAState or optimizer step would be ignored by a cached graph).
// So every graph is marked as training, keeping variables as parameters;
// graphs the caller did not mark as training get the inference flag, which
// turns dropout off.
func (m *Model) beginGraph(g *Graph) {
	if _, found := mlmodel.GetGraphParam(g, inferenceParam); found {
		return
	}
	inference := !m.store.IsTraining(g)
	mlmodel.SetGraphParam(g, inferenceParam, inference)
	m.store.SetTraining(g, true)
}

// trainingGraph reports whether the caller marked a graph as training
// (beginGraph marks every graph, so the store's flag alone does not tell).
// Training graphs get dropout and the loss's forward-pass gradient.
func (m *Model) trainingGraph(g *Graph) bool {
	v, found := mlmodel.GetGraphParam(g, inferenceParam)
	return m.store.IsTraining(g) && !(found && v == true)
}
