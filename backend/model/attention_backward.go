package model

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/layers/attention"
)

// attentionWithGradient is scaled dot-product attention over heads-major
// q [B, H, T, D] and k, v [B, KV, S, D] (H a multiple of KV) with a
// boolean mask [B, 1, T, S]: the go backend's fused kernel forward where
// it pays (fuse; see fusedAttentionPays), else the decomposed one, and a
// backward written out here (see sdpaGradients) instead of autodiff of
// GoMLX's decomposed form.
//
// Autodiff of the decomposed form needs its forward too: every training
// step computed attention twice and kept the [B, KV, H/KV, T, S] scores
// and probabilities of every layer until the backward pass. And the go
// backend transposes the scores' gradient and the probabilities (contracted
// over their middle axes) before the key and value gradients. Here the
// probabilities are recomputed per layer in the backward pass, and only
// q and the output gradient, S/D times smaller, are transposed.
func attentionWithGradient(q, k, v, mask *Node, scale float64, fuse bool) *Node {
	var out *Node
	return withGradient([]*Node{q, k, v}, func(in []*Node) *Node {
		out, _ = attention.Core(in[0], in[1], in[2], attention.LayoutBHSD, attention.CoreOptions{
			Scale:         scale,
			AttentionMask: mask,
			DisableFusion: !fuse,
		})
		return out
	}, func(dOut *Node) []*Node {
		dq, dk, dv := sdpaGradients(q, k, v, mask, out, dOut, scale)
		return []*Node{dq, dk, dv}
	})
}

// sdpaGradients returns the gradients of attention's inputs given its
// output and the output's gradient, with P = softmax(scale·q·kᵀ, masked):
//
//	dv = Pᵀ·dOut
//	dS = P ⊙ (dOut·vᵀ - rowsum(dOut ⊙ out))
//	dq = scale·dS·k,  dk = scale·dSᵀ·q
//
// Query heads are grouped per key/value head ([B, KV, G, T, ·]), so the
// products are batched over (B, KV) without repeating k and v.
func sdpaGradients(q, k, v, mask, out, dOut *Node, scale float64) (dq, dk, dv *Node) {
	qd, kd := q.Shape().Dimensions, k.Shape().Dimensions
	b, h, t, d := qd[0], qd[1], qd[2], qd[3]
	kv, s := kd[1], kd[2]
	grp := h / kv
	grouped := func(x *Node) *Node { return Reshape(x, b, kv, grp, t, d) }
	q5, o5, dO5 := grouped(q), grouped(out), grouped(dOut)
	batch := []int{0, 1}
	// The go backend runs any node whose inputs are ready: without this
	// barrier the recomputed scores of every layer would be computed (and
	// held) during the forward pass. Tying the keys to the output gradient
	// defers them to this layer's turn in the backward pass.
	k = SchedulingBarrier(k, dOut)

	scores := MulScalar(DotGeneral(q5, []int{4}, batch, k, []int{3}, batch), scale) // [B,KV,G,T,S]
	p := MaskedSoftmax(scores, Reshape(mask, b, 1, 1, t, s), -1)
	dp := DotGeneral(dO5, []int{4}, batch, v, []int{3}, batch) // [B,KV,G,T,S]
	rowDot := ReduceAndKeep(Mul(dO5, o5), ReduceSum, -1)       // [B,KV,G,T,1]
	ds := MulScalar(Mul(p, Sub(dp, rowDot)), scale)

	dq = Reshape(DotGeneral(ds, []int{4}, batch, k, []int{2}, batch), b, h, t, d)
	// Contract over (G, T) with those axes trailing on the left operand:
	// [B,KV,D,G,T]·[B,KV,G,T,S] -> [B,KV,D,S], then the small transpose.
	byFeature := func(x *Node) *Node { return TransposeAllAxes(x, 0, 1, 4, 2, 3) }
	dk = TransposeAllAxes(DotGeneral(byFeature(q5), []int{3, 4}, batch, ds, []int{2, 3}, batch), 0, 1, 3, 2)
	dv = TransposeAllAxes(DotGeneral(byFeature(dO5), []int{3, 4}, batch, p, []int{2, 3}, batch), 0, 1, 3, 2)
	return dq, dk, dv
}
