package model

import (
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
)

// backward returns the gradients of forward's inputs q [B,KV,G,T,D] and
// k, v [B,KV,T,D] from its output out, log-sum-exp lse and the output's
// gradient dOut, recomputing each block's probabilities instead of keeping
// them (flash-attention's backward). Per visible block pair (i, j), with
// P = exp(S - lse) on the mask and 0 off it:
//
//	dv_j += Pᵀ·dOut_i
//	dS    = P ⊙ (dOut_i·v_jᵀ - rowsum(dOut ⊙ out)_i)
//	dq_i += dS·(c·k_j),  dk_j += c·dSᵀ·q_i
//
// with c = kScale (the keys are scaled once, as in forward). With a
// soft-cap (S = cap·tanh(c·q·kᵀ)) dS is multiplied by 1 - tanh² and both
// gradients by cap. dk and dv are summed in a [B,KV,D,bk] layout
// (contracting q and dOut over their (G, rows) axes with those axes
// trailing, as sdpaGradients does) and transposed once.
//
// Only slices of q, dOut and out are made up front (they replace the
// whole tensors, which die with them); each query block's transposes and
// row sums are made in its turn in the block chain, so the backward pass
// holds about one copy of its inputs, not one per derived tensor.
func (a *blockAttention) backward(q, k, v, out, lse, dOut *Node) (dq, dk, dv *Node) {
	g := q.Graph()
	zero := ScalarZero(g, q.DType())
	batch := []int{0, 1}
	// Tie everything the recomputation reads to the output gradient: the
	// go backend would otherwise start it (and hold its results) during
	// the forward pass.
	q, k, v = SchedulingBarrier(q, dOut), SchedulingBarrier(k, dOut), SchedulingBarrier(v, dOut)
	out = SchedulingBarrier(out, dOut)
	ks, vs := a.keyBlocks(k, a.kScale()), a.keyBlocks(v, 1)
	dkT := make([]*Node, a.plan.numKeyBlocks())
	dvT := make([]*Node, a.plan.numKeyBlocks())
	byFeature := func(x *Node) *Node { return TransposeAllAxes(x, 0, 1, 4, 2, 3) } // [B,KV,D,G,bq]
	chain := blockChain{lag: blockLag}
	dqs := make([]*Node, 0, len(a.plan.keys))
	for i, js := range a.plan.keys {
		qi, dOi := chain.gate(a.queryBlock(q, i)), chain.gate(a.queryBlock(dOut, i))
		lsei := a.queryBlock(lse, i)
		rowDoti := ReduceAndKeep(Mul(dOi, a.queryBlock(out, i)), ReduceSum, -1) // [B,KV,G,bq,1]
		qT, dOiT := byFeature(qi), byFeature(dOi)
		var dqi *Node
		for _, j := range js {
			s, u := a.scores(qi, chain.gate(ks[j]))
			p := Where(a.mask(i, j), Exp(Sub(s, lsei)), zero)
			dvT[j] = addTo(dvT[j], DotGeneral(dOiT, []int{3, 4}, batch, p, []int{2, 3}, batch))
			dp := DotGeneral(dOi, []int{4}, batch, vs[j], []int{3}, batch)
			ds := Mul(p, Sub(dp, rowDoti))
			if u != nil {
				ds = Mul(ds, OneMinus(Square(u)))
			}
			dqi = addTo(dqi, DotGeneral(ds, []int{4}, batch, ks[j], []int{2}, batch))
			dkT[j] = addTo(dkT[j], DotGeneral(qT, []int{3, 4}, batch, ds, []int{2, 3}, batch))
			chain.finish(dqi)
		}
		dqs = append(dqs, dqi)
	}
	kd := k.Shape().Dimensions
	for j := range dkT {
		if dkT[j] == nil { // no query sees these keys
			s, e := a.plan.keyRange(j)
			dkT[j] = Zeros(g, shapes.Make(k.DType(), kd[0], kd[1], kd[3], e-s))
			dvT[j] = dkT[j]
		}
	}
	toKeyMajor := func(x *Node) *Node { return TransposeAllAxes(x, 0, 1, 3, 2) }
	dq = concat(dqs, 3)
	dk = MulScalar(toKeyMajor(concat(dkT, 3)), a.kScale())
	if a.softcap > 0 {
		dq, dk = MulScalar(dq, a.softcap), MulScalar(dk, a.softcap)
	}
	dv = toKeyMajor(concat(dvT, 3))
	return dq, dk, dv
}

// addTo returns sum + x, or x when sum is nil.
func addTo(sum, x *Node) *Node {
	if sum == nil {
		return x
	}
	return Add(sum, x)
}
