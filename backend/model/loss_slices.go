package model

import (
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
)

// MinLossSliceCols is the narrowest vocabulary slice the training loss
// computes all of a row group's logits in (slicedNLL): when the batch has
// more rows than lossChunkElements / (lossSliceLag · MinLossSliceCols),
// the rows are split into groups so a slice stays this wide (or the whole
// vocabulary).
const MinLossSliceCols = 1024

// lossSliceLag is how many vocabulary slices' logits the training loss
// computes ahead of the exponentials (slicedGroupNLL).
const lossSliceLag = 2

// slicedCrossEntropy is chunkedCrossEntropy for training graphs with a
// frozen LM head: the summed NLL of rows h [n, H], whose gradient with
// respect to h comes with the loss (slicedNLL) through the surrogate
// Σ h·sg(dh) - sg(Σ h·dh), exactly zero, whose derivative is dh.
func (m *Model) slicedCrossEntropy(h, w, targets, valid *Node) *Node {
	nll, dh, _ := m.slicedNLL(StopGradient(h), w, targets, valid)
	surrogate := ReduceAllSum(Mul(h, StopGradient(dh)))
	return Add(ReduceAllSum(nll), Sub(surrogate, StopGradient(surrogate)))
}

// slicedNLL returns, for rows h [n, H] against the LM head w [V, H], the
// masked per-row NLL [n], its gradient with respect to h [n, H] (zero on
// rows that are not valid) and each row's log-sum-exp [n]. Nothing in it
// is differentiated: callers pass stopped inputs.
//
// The rows go in groups of at most lossChunkElements / (lossSliceLag ·
// MinLossSliceCols) (all of them for batches up to 16k tokens of a 262k
// vocabulary); each group walks the vocabulary in slices (slicedGroupNLL).
func (m *Model) slicedNLL(h, w, targets, valid *Node) (nll, dh, lse *Node) {
	n := h.Shape().Dimensions[0]
	vocab := w.Shape().Dimensions[0]
	group := max(1, m.lossChunkElements/(lossSliceLag*min(vocab, m.minLossSliceCols)))
	if group >= n {
		return m.slicedGroupNLL(h, w, targets, valid)
	}
	var nlls, dhs, lses []*Node
	for start := 0; start < n; start += group {
		r := AxisRange(start, min(n, start+group))
		a, b, c := m.slicedGroupNLL(SliceAxis(h, 0, r), w, SliceAxis(targets, 0, r), SliceAxis(valid, 0, r))
		nlls, dhs, lses = append(nlls, a), append(dhs, b), append(lses, c)
	}
	return Concatenate(nlls, 0), Concatenate(dhs, 0), Concatenate(lses, 0)
}

// slicedGroupNLL is slicedNLL for one group of rows, the vocabulary taken
// in slices of lossChunkElements / (lossSliceLag · n) columns, so that the
// slices in flight hold about one chunk's logits, with an online softmax: a
// running row maximum mx, the running sum se of exp(logits - mx) and the
// running product acc of those exponentials (times the softcap's slope)
// with the slice's rows of w, both rescaled whenever mx grows. Then
// lse = log(se) + mx and d nll / d h = acc / se - w[target].
//
// Slicing the vocabulary rather than the rows means each row of the head
// is read (and packed for the GEMM) once for the logits and once for the
// gradient per step, not once per row chunk: chunks of 128 rows packed
// Gemma 3's 671 MB head twice for every 128 tokens.
//
// The go backend runs every node whose inputs are ready, and the slices'
// logits depend only on h and w, so slice i's rows of w are gathered with
// indices held back (SchedulingBarrier) until slice i-lossSliceLag's
// exponentials exist, that is until its logits have been read. Held back
// by one slice, a slice's element-wise work left a core idle; by two, the
// next products run meanwhile (gemma3-270m: 132 and 141 tokens/s at the
// same peak RSS, 2-core Xeon). Gathering, not slicing, w leaves w itself
// out of the barrier, which would copy it.
func (m *Model) slicedGroupNLL(h, w, targets, valid *Node) (nll, dh, lse *Node) {
	g := h.Graph()
	n, vocab := h.Shape().Dimensions[0], w.Shape().Dimensions[0]
	cols := max(1, min(vocab, m.lossChunkElements/(lossSliceLag*n)))
	capped := m.cfg.FinalLogitSoftcap
	var mx, se, acc *Node // [n, 1], [n, 1], [n, H]
	var exps []*Node
	for v0 := 0; v0 < vocab; v0 += cols {
		width := min(vocab, v0+cols) - v0
		ids := AddScalar(Iota(g, shapes.Make(dtypes.Int32, width, 1), 0), float64(v0))
		if i := len(exps); i >= lossSliceLag {
			ids = SchedulingBarrier(ids, exps[i-lossSliceLag])
		}
		ws := Gather(w, ids)   // [width, H]
		logits := dense(h, ws) // [n, width]
		if capped > 0 {
			logits = softcap(logits, capped)
		}
		top := ReduceAndKeep(logits, ReduceMax, -1)
		if mx != nil {
			top = Max(mx, top)
		}
		e := Exp(Sub(logits, top))
		pe := e
		if capped > 0 {
			// d/dx c·tanh(x/c) = 1 - tanh²(x/c) = 1 - (capped/c)².
			pe = Mul(e, OneMinus(Square(MulScalar(logits, 1/capped))))
		}
		sum := ReduceAndKeep(e, ReduceSum, -1)
		part := DotGeneral(pe, []int{1}, nil, ws, []int{0}, nil) // [n, H]
		if mx == nil {
			se, acc = sum, part
		} else {
			scale := Exp(Sub(mx, top))
			se = Add(Mul(se, scale), sum)
			acc = Add(Mul(acc, scale), part)
		}
		mx = top
		exps = append(exps, e)
	}
	wt := Gather(w, ExpandAxes(targets, -1)) // [n, H]
	target := ReduceSum(Mul(h, wt), -1)
	if capped > 0 {
		target = softcap(target, capped)
		wt = Mul(wt, ExpandAxes(OneMinus(Square(MulScalar(target, 1/capped))), -1))
	}
	lse = Add(Log(Reshape(se, n)), Reshape(mx, n))
	nll = Where(valid, Sub(lse, target), ZerosLike(lse))
	dh = Sub(Div(acc, se), wt)
	mask := ExpandAxes(ConvertDType(valid, dh.DType()), -1)
	return nll, Mul(dh, mask), lse
}
