package model

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
)

// IgnoreIndex marks label positions that do not count in the loss, as in
// PyTorch's cross_entropy. batch.IgnoreLabel, which the data pipeline
// writes, is the same value (checked in backend/train/executor).
const IgnoreIndex = -100

// LossChunkElements bounds the logits materialized at once by the loss:
// rows per chunk = LossChunkElements / vocab, but at least
// MinLossChunkRows (LossChunkRows); training graphs take vocabulary slices
// of the same number of logits (slicedNLL). A chunk's or a slice's logits
// die with it, so small ones cost no recomputation; 2M (8 MB of float32
// logits) measured 40 MB lower peak RSS than 8M on the 5m benchmark at the
// same speed.
const LossChunkElements = 2 << 20

// MinLossChunkRows keeps large vocabularies' chunks from becoming too thin
// to compute well (and sizes the training loss's vocabulary slices alike):
// each chunk's product reads (and the go backend packs) the whole [V, H]
// LM head, so 2M logits of Gemma 3's 262k vocabulary, 8 rows, made a
// matrix-vector-like product per 8 tokens. Measured on the go
// backend, [rows, 640] x [640, 262144] plus the exponentials, per row: 31
// ms in chunks of 8 (2-core Xeon, loaded), and on the quiet box 4.0 ms in
// chunks of 64, 3.0 in 128, 2.5 in 256, 2.25 in 512. 128 rows of 262k
// float32 logits are 128 MiB per tensor, three of them per chunk.
const MinLossChunkRows = 128

// lossChunkElementsFor is a model's bound on a loss chunk's logits: at
// least LossChunkElements, and MinLossChunkRows rows.
func lossChunkElementsFor(vocab int) int {
	return max(LossChunkElements, MinLossChunkRows*vocab)
}

// LossChunkRows is the number of rows a loss chunk holds for a vocabulary
// of the given size (before capping at the batch's rows).
func LossChunkRows(vocab int) int {
	return max(1, lossChunkElementsFor(vocab)/vocab)
}

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
	targets, valid := shiftedTargets(in, b, t)

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
// evaluating at most lossChunkElements logits at a time.
//
// Training graphs compute the loss's gradient with respect to h (and a
// trained head's) in the forward pass, vocabulary slice by vocabulary
// slice (slicedCrossEntropy), so no [rows, vocab] tensor outlives its
// slice and the LM head is never recomputed. Other graphs differentiate
// the plain formula in chunks of rows; with more than one chunk each chunk
// is then a gradient checkpoint, its logits recomputed in the backward
// pass instead of kept for every chunk at once.
func (m *Model) chunkedCrossEntropy(h, targets, valid *Node) *Node {
	g := h.Graph()
	w := m.lmHead(g)
	if m.trainingGraph(g) {
		if m.headTrained() {
			return m.trainedHeadCrossEntropy(h, w, targets, valid) // modules.go
		}
		return m.slicedCrossEntropy(h, w, targets, valid) // loss_slices.go
	}
	n := h.Shape().Dimensions[0]
	rows, h, targets, valid := m.lossChunks(h, targets, valid)
	chunked := rows < n
	total := h.Shape().Dimensions[0]
	var sum *Node
	for start := 0; start < total; start += rows {
		hc := SliceAxis(h, 0, AxisRange(start, start+rows))
		tc := SliceAxis(targets, 0, AxisRange(start, start+rows))
		vc := SliceAxis(valid, 0, AxisRange(start, start+rows))
		var part *Node
		switch {
		case chunked:
			part = m.crossEntropy(hc.Checkpoint(), w, tc, vc).StopCheckpoint()
		default:
			part = m.crossEntropy(hc, w, tc, vc)
		}
		if sum == nil {
			sum = part
		} else {
			sum = Add(sum, part)
		}
	}
	return sum
}

// lossChunks is how the loss splits h's n rows: rows per chunk (at most
// lossChunkElements logits each), and h [n, H], targets and valid [n]
// padded with invalid rows to a whole number of chunks.
func (m *Model) lossChunks(h, targets, valid *Node) (rows int, hp, tp, vp *Node) {
	g := h.Graph()
	n, hidden := h.Shape().Dimensions[0], h.Shape().Dimensions[1]
	rows = max(1, min(n, m.lossChunkElements/m.cfg.VocabSize))
	if pad := (rows - n%rows) % rows; pad > 0 {
		h = Concatenate([]*Node{h, Zeros(g, shapes.Make(h.DType(), pad, hidden))}, 0)
		targets = Concatenate([]*Node{targets, Zeros(g, shapes.Make(targets.DType(), pad))}, 0)
		valid = Concatenate([]*Node{valid, Zeros(g, shapes.Make(valid.DType(), pad))}, 0)
	}
	return rows, h, targets, valid
}

// crossEntropy is the summed masked negative log-likelihood of one chunk:
// h [rows, H], w [V, H], targets and valid [rows].
func (m *Model) crossEntropy(h, w, targets, valid *Node) *Node {
	return ReduceAllSum(m.chunkNLL(h, w, targets, valid))
}

// chunkNLL returns the masked per-row NLL of one chunk, for autodiff to
// differentiate where a graph needs its gradient.
func (m *Model) chunkNLL(h, w, targets, valid *Node) *Node {
	rows := h.Shape().Dimensions[0]
	logits := dense(h, w) // [rows, V]
	target := ReduceSum(Mul(h, Gather(w, ExpandAxes(targets, -1))), -1)
	if c := m.cfg.FinalLogitSoftcap; c > 0 {
		logits = softcap(logits, c)
		target = softcap(target, c)
	}
	mx := StopGradient(ReduceAndKeep(logits, ReduceMax, -1))
	se := ReduceAndKeep(Exp(Sub(logits, mx)), ReduceSum, -1) // [rows, 1]
	lse := Add(Log(Reshape(se, rows)), Reshape(mx, rows))
	return Where(valid, Sub(lse, target), ZerosLike(lse))
}
