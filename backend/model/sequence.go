package model

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	mlmodel "github.com/gomlx/gomlx/ml/model"
)

// adaptersOffParam is the graph parameter that, while set, builds the
// decoder without its LoRA adapters: the base model, inside the same graph
// as the adapted one (DPO's reference model costs no second copy).
const adaptersOffParam = "whetstone_adapters_off"

func adaptersOff(g *Graph) bool {
	v, found := mlmodel.GetGraphParam(g, adaptersOffParam)
	return found && v == true
}

// SequenceLogProbs builds, for every row of a batch, the summed
// log-probability of its trained tokens (labels shifted as in LossGraph)
// and how many tokens that sum covers, both [B] float32. With base set the
// adapters are left out and the result carries no gradient: it is the
// frozen base model's, the reference of preference losses.
//
// Unlike LossGraph, the per-row sums keep each token's log-probability
// differentiable on its own (the preference losses weigh rows
// differently), so the loss chunks are plain gradient checkpoints: their
// logits are recomputed in the backward pass.
func (m *Model) SequenceLogProbs(in Inputs, base bool) (logp, count *Node) {
	g := in.Tokens.Graph()
	m.beginGraph(g)
	if base {
		mlmodel.SetGraphParam(g, adaptersOffParam, true)
		defer mlmodel.SetGraphParam(g, adaptersOffParam, false)
	}
	dims := in.Tokens.Shape().Dimensions
	b, t := dims[0], dims[1]
	sc := m.newSeqContext(in.Positions, in.Positions, in.Segments, in.Segments)
	h := m.decoder(in.Tokens, sc)
	targets, valid := shiftedTargets(in, b, t)
	n := b * t
	nll := m.tokenNLL(Reshape(h, n, m.cfg.HiddenSize), Reshape(targets, n), Reshape(valid, n))
	logp = Neg(ReduceSum(Reshape(nll, b, t), 1))
	count = ReduceSum(ConvertDType(valid, dtypes.Float32), 1)
	if base {
		logp = StopGradient(logp)
	}
	return logp, count
}

// shiftedTargets returns the label each position predicts (the next
// position's, inside its own segment) and whether it counts.
func shiftedTargets(in Inputs, b, t int) (targets, valid *Node) {
	g := in.Tokens.Graph()
	ignore := BroadcastToDims(Scalar(g, dtypes.Int32, IgnoreIndex), b, 1)
	targets = Concatenate([]*Node{SliceAxis(in.Labels, 1, AxisRange(1, t)), ignore}, 1)
	nextSeg := Concatenate([]*Node{SliceAxis(in.Segments, 1, AxisRange(1, t)), Zeros(g, shapes.Make(in.Segments.DType(), b, 1))}, 1)
	valid = LogicalAnd(NotEqual(targets, Scalar(g, dtypes.Int32, IgnoreIndex)),
		LogicalAnd(Equal(nextSeg, in.Segments), NotEqual(in.Segments, ScalarZero(g, dtypes.Int32))))
	return Where(valid, targets, ZerosLike(targets)), valid
}

// tokenNLL is the masked negative log-likelihood of every row of h
// ([n, H]; zero where not valid), at most lossChunkElements logits at a
// time, each chunk a gradient checkpoint.
func (m *Model) tokenNLL(h, targets, valid *Node) *Node {
	w := m.lmHead(h.Graph())
	n := h.Shape().Dimensions[0]
	rows, h, targets, valid := m.lossChunks(h, targets, valid)
	total := h.Shape().Dimensions[0]
	var parts []*Node
	for start := 0; start < total; start += rows {
		hc := SliceAxis(h, 0, AxisRange(start, start+rows))
		tc := SliceAxis(targets, 0, AxisRange(start, start+rows))
		vc := SliceAxis(valid, 0, AxisRange(start, start+rows))
		var nll *Node
		if rows < n {
			nll = m.chunkNLL(hc.Checkpoint(), w, tc, vc)
			nll = nll.StopCheckpoint()
		} else {
			nll = m.chunkNLL(hc, w, tc, vc)
		}
		parts = append(parts, nll)
	}
	out := parts[0]
	if len(parts) > 1 {
		out = Concatenate(parts, 0)
	}
	if total > n {
		out = SliceAxis(out, 0, AxisRange(0, n))
	}
	return ConvertDType(out, dtypes.Float32)
}
