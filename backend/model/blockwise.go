package model

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
)

// blockAttention is scaled dot-product attention computed block by block
// (flash-attention style): for each query block, the visible key blocks
// one at a time with an online softmax (a running maximum and sum), so the
// largest tensor alive is one block's scores, [B, KV, G, bq, bk], instead
// of [B, H, T, T]. The backward pass (blockwise_backward.go) recomputes the
// block scores from q, k, v, the output and the log-sum-exp, so training
// memory grows linearly with the sequence length.
//
// Layout: queries grouped per key/value head, q [B, KV, G, T, D] (G query
// heads share a key/value head), k and v [B, KV, T, D]: the products are
// batched over (B, KV) without repeating k and v.
type blockAttention struct {
	plan blockPlan
	// mask returns the boolean mask of query block i and key block j,
	// [B, 1, 1, bq, bk]: true where the query may attend the key.
	mask    func(i, j int) *Node
	scale   float64
	softcap float64 // 0: none
}

// maskedScore stands for a hidden key's score in the running maximum. It is
// finite so that exp(maskedScore - maskedScore) of a row with no visible
// key so far is 1, not NaN; such entries are zeroed by the mask anyway.
const maskedScore = -1e30

// blockLag is how many block pairs may be in flight at once (see
// blockChain): 2 lets one pair's matmuls overlap the previous pair's
// element-wise ops on the go backend's two executors.
const blockLag = 2

// kScale multiplies the keys before q·kᵀ: the attention scale, divided by
// the cap when scores are soft-capped (cap·tanh(scale·q·kᵀ/cap)). The keys
// rather than the queries: with grouped heads they are G times smaller.
func (a *blockAttention) kScale() float64 {
	if a.softcap > 0 {
		return a.scale / a.softcap
	}
	return a.scale
}

// scores returns the scores of queries qi [B,KV,G,bq,D] against pre-scaled
// keys kj [B,KV,bk,D], [B,KV,G,bq,bk], and with a soft-cap u = tanh(qi·kjᵀ)
// (s = cap·u; the backward pass needs u), nil without.
func (a *blockAttention) scores(qi, kj *Node) (s, u *Node) {
	batch := []int{0, 1}
	raw := DotGeneral(qi, []int{4}, batch, kj, []int{3}, batch)
	if a.softcap == 0 {
		return raw, nil
	}
	u = Tanh(raw)
	return MulScalar(u, a.softcap), u
}

// keyBlocks slices k [B,KV,T,D] into the plan's key blocks, each
// multiplied by scale (1: as is).
func (a *blockAttention) keyBlocks(k *Node, scale float64) []*Node {
	out := make([]*Node, a.plan.numKeyBlocks())
	for j := range out {
		s, e := a.plan.keyRange(j)
		out[j] = SliceAxis(k, 2, AxisRange(s, e))
		if scale != 1 {
			out[j] = MulScalar(out[j], scale)
		}
	}
	return out
}

// queryBlock slices query block i out of x [B,KV,G,T,·].
func (a *blockAttention) queryBlock(x *Node, i int) *Node {
	s, e := a.plan.queryRange(i)
	return SliceAxis(x, 3, AxisRange(s, e))
}

// forward returns the output [B,KV,G,T,D] and the log-sum-exp of each
// query's visible scores [B,KV,G,T,1]. A query that sees no key (padding)
// gets a zero output and a log-sum-exp of 0, as the plain attention's
// masked softmax gives it zero probabilities.
func (a *blockAttention) forward(q, k, v *Node) (out, lse *Node) {
	g := q.Graph()
	zero := ScalarZero(g, q.DType())
	hidden := Scalar(g, q.DType(), maskedScore)
	batch := []int{0, 1}
	ks, vs := a.keyBlocks(k, a.kScale()), a.keyBlocks(v, 1)
	chain := blockChain{lag: blockLag}
	var outs, lses []*Node
	for i, js := range a.plan.keys {
		qi := a.queryBlock(q, i)
		var m, l, acc *Node // running max, sum and p·v: [B,KV,G,bq,1|1|D]
		for _, j := range js {
			s, _ := a.scores(qi, chain.gate(ks[j]))
			mask := a.mask(i, j)
			s = Where(mask, s, hidden)
			mNew := ReduceAndKeep(s, ReduceMax, -1)
			if m != nil {
				mNew = Max(m, mNew)
			}
			p := Where(mask, Exp(Sub(s, mNew)), zero)
			pv := DotGeneral(p, []int{4}, batch, vs[j], []int{2}, batch)
			sum := ReduceAndKeep(p, ReduceSum, -1)
			if acc == nil {
				l, acc = sum, pv
			} else {
				alpha := Exp(Sub(m, mNew)) // rescales what earlier blocks summed
				l = Add(Mul(alpha, l), sum)
				acc = Add(Mul(alpha, acc), pv)
			}
			m = mNew
			chain.finish(acc)
		}
		// A row with a visible key has l ≥ 1 (its maximum contributes
		// exp(0)); a row with none has acc = 0 and l = 0.
		l1 := MaxScalar(l, 1)
		outs = append(outs, Div(acc, l1))
		lses = append(lses, Where(GreaterThan(l, zero), Add(m, Log(l1)), zero))
	}
	return concat(outs, 3), concat(lses, 3)
}

// concat is Concatenate that passes a single operand through.
func concat(xs []*Node, axis int) *Node {
	if len(xs) == 1 {
		return xs[0]
	}
	return Concatenate(xs, axis)
}

// blockChain orders block pairs. The go backend runs every node whose
// inputs are ready, so without it every pair's scores (which depend only
// on q and k) would be computed as soon as q and k are, and held until
// their consumers ran: all of them, the [T, T] memory blockwise attention
// exists to avoid. Pair n's keys wait for pair n-lag's result instead.
type blockChain struct {
	lag  int
	done []*Node
}

// gate returns x, held back until the pair lag places before finished.
func (c *blockChain) gate(x *Node) *Node {
	if n := len(c.done); n >= c.lag {
		return SchedulingBarrier(x, c.done[n-c.lag])
	}
	return x
}

// finish records a pair's last result.
func (c *blockChain) finish(x *Node) { c.done = append(c.done, x) }
