package model

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
)

// IgnoreIndex marks label positions that do not count in the loss, as in
// PyTorch's cross_entropy.
const IgnoreIndex = -100

// lossChunkElements bounds the logits materialized at once by the loss:
// rows per chunk = lossChunkElements / vocab (Gemma's 262k vocabulary gets
// 32-row chunks; the benchmark configs fit in one chunk).
const lossChunkElements = 8 << 20

// Inputs are the graph nodes of one training batch, all [B,T] int32. See
// the package documentation for their meaning.
type Inputs struct {
	Tokens, Labels, Positions, Segments *Node
}

// LossGraph builds the summed masked next-token cross-entropy of a batch and
// the number of tokens it sums over (both float32 scalars). It is a graph
// building function: it panics on error, as GoMLX graph code does; the
// executor running it reports the panic as an error.
//
// Call it before reading any model variable in the graph. A graph the
// caller marked as training (scope.SetTraining(g, true)) gets LoRA dropout;
// any other graph is evaluated without it. Either way variables stay graph
// parameters, so later updates are seen by compiled graphs (see beginGraph).
func (m *Model) LossGraph(in Inputs) (sum, count *Node) {
	g := in.Tokens.Graph()
	m.beginGraph(g)
	dims := in.Tokens.Shape().Dimensions
	b, t := dims[0], dims[1]
	for _, n := range []*Node{in.Labels, in.Positions, in.Segments} {
		if !n.Shape().Equal(in.Tokens.Shape()) {
			panic("model: LossGraph inputs must all have the tokens' shape " + in.Tokens.Shape().String() + ", got " + n.Shape().String())
		}
	}
	sc := m.newSeqContext(in.Positions, in.Positions, in.Segments, in.Segments)
	h := m.decoder(in.Tokens, sc) // [B,T,H]

	// Shift: position t predicts labels[t+1], only inside its own segment.
	ignore := BroadcastToDims(Scalar(g, dtypes.Int32, IgnoreIndex), b, 1)
	targets := Concatenate([]*Node{SliceAxis(in.Labels, 1, AxisRange(1, t)), ignore}, 1)
	nextSeg := Concatenate([]*Node{SliceAxis(in.Segments, 1, AxisRange(1, t)), Zeros(g, shapes.Make(in.Segments.DType(), b, 1))}, 1)
	valid := LogicalAnd(NotEqual(targets, Scalar(g, dtypes.Int32, IgnoreIndex)),
		LogicalAnd(Equal(nextSeg, in.Segments), NotEqual(in.Segments, ScalarZero(g, dtypes.Int32))))
	targets = Where(valid, targets, ZerosLike(targets))

	n := b * t
	hidden := m.cfg.HiddenSize
	h = Reshape(h, n, hidden)
	targets = Reshape(targets, n)
	valid = Reshape(valid, n)
	count = ReduceAllSum(ConvertDType(valid, dtypes.Float32))
	sum = m.chunkedCrossEntropy(h, targets, valid)
	return sum, count
}

// MeanLossGraph is LossGraph's sum divided by its count (at least 1).
func (m *Model) MeanLossGraph(in Inputs) *Node {
	sum, count := m.LossGraph(in)
	return Div(sum, Max(count, OnesLike(count)))
}

// chunkedCrossEntropy sums -log softmax(h·Wᵀ)[target] over valid rows,
// evaluating at most lossChunkElements logits at a time. With more than one
// chunk each chunk is a gradient checkpoint: its logits are recomputed in
// the backward pass instead of being kept for every chunk at once.
func (m *Model) chunkedCrossEntropy(h, targets, valid *Node) *Node {
	g := h.Graph()
	w := m.lmHead(g)
	n, hidden := h.Shape().Dimensions[0], h.Shape().Dimensions[1]
	rows := max(1, min(n, m.lossChunkElements/m.cfg.VocabSize))
	chunked := rows < n
	if pad := (rows - n%rows) % rows; pad > 0 {
		h = Concatenate([]*Node{h, Zeros(g, shapes.Make(h.DType(), pad, hidden))}, 0)
		targets = Concatenate([]*Node{targets, Zeros(g, shapes.Make(targets.DType(), pad))}, 0)
		valid = Concatenate([]*Node{valid, Zeros(g, shapes.Make(valid.DType(), pad))}, 0)
	}
	total := h.Shape().Dimensions[0]
	var sum *Node
	for start := 0; start < total; start += rows {
		hc := SliceAxis(h, 0, AxisRange(start, start+rows))
		if chunked {
			hc = hc.Checkpoint()
		}
		tc := SliceAxis(targets, 0, AxisRange(start, start+rows))
		vc := SliceAxis(valid, 0, AxisRange(start, start+rows))
		logits := dense(hc, w) // [rows, V]
		target := ReduceSum(Mul(hc, Gather(w, ExpandAxes(tc, -1))), -1)
		if c := m.cfg.FinalLogitSoftcap; c > 0 {
			logits = softcap(logits, c)
			target = softcap(target, c)
		}
		mx := StopGradient(ReduceAndKeep(logits, ReduceMax, -1))
		lse := Add(Log(ReduceSum(Exp(Sub(logits, mx)), -1)), Reshape(mx, rows))
		nll := Where(vc, Sub(lse, target), ZerosLike(lse))
		part := ReduceAllSum(nll)
		if chunked {
			part = part.StopCheckpoint()
		}
		if sum == nil {
			sum = part
		} else {
			sum = Add(sum, part)
		}
	}
	return sum
}
