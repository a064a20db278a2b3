package model

import (
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
)

// minBlock is the smallest block AutoAttentionBlock chooses, and rows
// shorter than two of them keep the plain path: with a single block there
// is nothing to skip. Measured on a shared 2-core Xeon
// (BenchmarkAttentionLayer, backend/bench/README.md): one gemma3-270m
// layer's attention forward and backward at 2 × 1,024 tokens takes about
// 300 CPU ms in blocks of 128 or 256, 370–390 in 512, 420–500 on the plain
// path; at the 5m shape (4 × 256 tokens, head size 64) 26 ms in blocks of
// 128 against 383 for the plain path's fused forward; at 64 tokens (tiny)
// the plain path is as fast or faster.
const minBlock = 128

// maxBlocksPerRow bounds the blocks per row AutoAttentionBlock chooses:
// the graph holds a few dozen nodes per block pair (forward and backward,
// per layer), so longer rows get larger blocks rather than more of them.
const maxBlocksPerRow = 16

// AutoAttentionBlock is the block size of the blockwise attention a model
// uses by default for rows of seq tokens, 0 for the plain path: rows of
// at least two blocks of 128 tokens are computed blockwise, in blocks of
// 128, or larger ones (multiples of 128) that keep 16 blocks per row.
func AutoAttentionBlock(seq int) int {
	if seq < 2*minBlock {
		return 0
	}
	perRow := (seq + maxBlocksPerRow - 1) / maxBlocksPerRow
	return max(minBlock, (perRow+minBlock-1)/minBlock*minBlock)
}

// SetAttentionBlock chooses how graphs built afterwards compute attention
// over whole sequences (training, evaluation, and the prompt's first chunk
// in KV-cached generation; its later steps use the plain path): 0 (the
// default) as AutoAttentionBlock says, n > 0
// blockwise in blocks of n tokens at any length, n < 0 never blockwise.
func (m *Model) SetAttentionBlock(n int) {
	m.attnBlock = n
	m.resetExecs()
}

// AttentionBlock is the block size of the blockwise attention that graphs
// over rows of seq tokens use (training, evaluation), 0 where they use the
// plain path.
func (m *Model) AttentionBlock(seq int) int {
	switch {
	case m.attnBlock < 0:
		return 0
	case m.attnBlock > 0:
		return m.attnBlock
	}
	return AutoAttentionBlock(seq)
}

// blockwiseAttention is attention over heads-major q [B,H,T,D] and k, v
// [B,KV,T,D] (one sequence attending to itself, no KV cache) with the mask
// [B,T,T] of a layer whose sliding window is window (0: global), computed
// blockwise with blocks of block tokens and a recomputing backward.
// Returns [B,H,T,D].
func (m *Model) blockwiseAttention(q, k, v, mask *Node, window, block int, sc *seqContext) *Node {
	c := m.cfg
	qd := q.Shape().Dimensions
	b, h, t, d := qd[0], qd[1], qd[2], qd[3]
	kv := k.Shape().Dimensions[1]
	a := &blockAttention{
		plan:    newBlockPlan(t, block, block, window),
		scale:   c.AttnScale,
		softcap: c.AttnLogitSoftcap,
	}
	a.mask = func(i, j int) *Node {
		qs, qe := a.plan.queryRange(i)
		ks, ke := a.plan.keyRange(j)
		return sc.blockMask(mask, qs, qe, ks, ke)
	}
	q5 := Reshape(q, b, kv, h/kv, t, d)
	out := withSavedGradient([]*Node{q5, k, v}, func(in []*Node) (*Node, []*Node) {
		out, lse := a.forward(in[0], in[1], in[2])
		return out, []*Node{lse}
	}, func(in []*Node, out *Node, saved []*Node, dOut *Node) []*Node {
		dq, dk, dv := a.backward(in[0], in[1], in[2], out, saved[0], dOut)
		return []*Node{dq, dk, dv}
	})
	return Reshape(out, b, h, t, d)
}

// blockMaskKey names one block of one mask.
type blockMaskKey struct {
	mask           *Node
	qs, qe, ks, ke int
}

// blockMask returns mask [B,T,S]'s block of queries [qs, qe) and keys
// [ks, ke) as [B,1,1,qe-qs,ke-ks], sliced once per graph and shared by
// every layer (and by the backward pass).
func (sc *seqContext) blockMask(mask *Node, qs, qe, ks, ke int) *Node {
	key := blockMaskKey{mask, qs, qe, ks, ke}
	if n, ok := sc.blockMasks[key]; ok {
		return n
	}
	if sc.blockMasks == nil {
		sc.blockMasks = map[blockMaskKey]*Node{}
	}
	bm := Slice(mask, AxisRange(), AxisRange(qs, qe), AxisRange(ks, ke))
	bm = Reshape(bm, mask.Shape().Dimensions[0], 1, 1, qe-qs, ke-ks)
	sc.blockMasks[key] = bm
	return bm
}

// minPromptBlockwise is the shortest prompt chunk whose attention runs
// blockwise by default. Blockwise, a prompt's attention skips the blocks
// that the causal mask and sliding windows hide, but pays for more, smaller
// ops: a 1,024-token prefill of the gemma3-270m shape took 1.37-1.58 s
// blockwise against 1.65-1.69 s plain, 512 tokens the same either way, and
// 256 tokens 5-10 % longer (2-core Intel Xeon).
const minPromptBlockwise = 1024

// promptAttentionBlock is the block size of the blockwise attention of a
// prompt's first chunk of t tokens in KV-cached generation, 0 for the
// plain path: as AttentionBlock when SetAttentionBlock chose, otherwise
// AutoAttentionBlock from minPromptBlockwise tokens on.
func (m *Model) promptAttentionBlock(t int) int {
	if m.attnBlock != 0 || t >= minPromptBlockwise {
		return m.AttentionBlock(t)
	}
	return 0
}
