package model

import (
	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/ml/layers/attention"
)

// attentionMask builds the [B, T, S] boolean mask "query t may attend key s":
// same non-zero segment, key position not after the query position, and for
// sliding layers within window positions (q - k < window, as transformers'
// sliding_window_overlay).
func attentionMask(qPos, kPos, qSeg, kSeg *Node, window int) *Node {
	qp, kp := ExpandAxes(qPos, -1), ExpandAxes(kPos, 1) // [B,T,1], [B,1,S]
	qs, ks := ExpandAxes(qSeg, -1), ExpandAxes(kSeg, 1)
	mask := LogicalAnd(LessOrEqual(kp, qp), Equal(qs, ks))
	mask = LogicalAnd(mask, NotEqual(qs, ScalarZero(qSeg.Graph(), qSeg.DType())))
	if window > 0 {
		diff := Sub(qp, kp)
		mask = LogicalAnd(mask, LessThan(diff, Scalar(qPos.Graph(), diff.DType(), window)))
	}
	return mask
}

// seqContext is what every layer needs besides its hidden states.
type seqContext struct {
	ropeGlobal, ropeLocal rope
	maskFull, maskSliding *Node   // [B,T,S]
	cache                 []*Node // 2 per layer (k, v): [B,L,KV,D]; nil without cache
	cacheStart            *Node   // scalar int32: where the new keys go
	updatedCache          []*Node
	// fresh says the cache was empty and is as long as the new tokens
	// (start 0): the cached keys are then the queries' own, at positions
	// 0..T-1, as without a cache, and attention may be blockwise.
	fresh bool
	// blockMasks are the mask blocks blockwise attention sliced (shared
	// by its layers and their backward passes).
	blockMasks map[blockMaskKey]*Node
}

// attention is grouped-query self-attention with optional q/k norm,
// rotary embeddings, soft-capping and a KV cache. Without a cache, where
// attentionBlock says so (long rows, or forced), the core is blockwise
// (blockwise.go: memory linear in the sequence length, forward and
// backward). Otherwise it is GoMLX's attention.Core: the go backend runs
// it as a fused kernel when there is no soft-cap and fusedAttentionPays,
// and it falls back to the decomposed form (masked softmax; rows with no
// visible key, i.e. padding, get zero output) otherwise and for gradients.
func (m *Model) attention(x *Node, layer int, sc *seqContext) *Node {
	c := m.cfg
	dims := x.Shape().Dimensions
	b, t := dims[0], dims[1]
	q := Reshape(m.linear(x, layer, "q_proj"), b, t, c.NumHeads, c.HeadDim)
	k := Reshape(m.linear(x, layer, "k_proj"), b, t, c.NumKVHeads, c.HeadDim)
	v := Reshape(m.linear(x, layer, "v_proj"), b, t, c.NumKVHeads, c.HeadDim)
	if c.QKNorm {
		q = m.norm(q, layerName(layer, "self_attn.q_norm.weight"))
		k = m.norm(k, layerName(layer, "self_attn.k_norm.weight"))
	}
	r, mask := sc.ropeGlobal, sc.maskFull
	if c.IsSliding(layer) {
		r, mask = sc.ropeLocal, sc.maskSliding
	}
	q, k = r.apply(q), r.apply(k)
	// Heads-major layout: the score and value products are then plain
	// batched matmuls over (batch, kv-head) with no transposes around them.
	toBHSD := func(x *Node) *Node { return permute(x, 0, 2, 1, 3) }
	qh := toBHSD(q)
	var kh, vh *Node
	if sc.cache != nil {
		kh = writeRows(sc.cache[2*layer], k, sc.cacheStart)
		vh = writeRows(sc.cache[2*layer+1], v, sc.cacheStart)
		sc.updatedCache[2*layer], sc.updatedCache[2*layer+1] = kh, vh
		if c.IsSliding(layer) && !sc.fresh {
			kh, vh, mask = windowRows(kh, vh, mask, sc.cacheStart, c.SlidingWindow)
		}
	} else {
		kh, vh = toBHSD(k), toBHSD(v)
	}
	mask4 := ExpandAxes(mask, 1) // [B,1,T,S]
	var out *Node
	fuse := fusedAttentionPays(c.HeadDim) || m.fusedUnderCheckpoint
	block := 0
	switch {
	case sc.cache == nil:
		block = m.AttentionBlock(t)
	case sc.fresh:
		block = m.promptAttentionBlock(t)
	}
	if block > 0 {
		window := 0
		if c.IsSliding(layer) {
			window = c.SlidingWindow
		}
		out = m.blockwiseAttention(qh, kh, vh, mask, window, block, sc)
	} else if m.trainingGraph(x.Graph()) && c.AttnLogitSoftcap == 0 && !m.gradCheckpoint && sc.cache == nil {
		out = attentionWithGradient(qh, kh, vh, mask4, c.AttnScale, fuse)
	} else {
		out, _ = attention.Core(qh, kh, vh, attention.LayoutBHSD, attention.CoreOptions{
			Scale:         c.AttnScale,
			AttentionMask: mask4,
			ScoreSoftCap:  c.AttnLogitSoftcap,
			// GoMLX v0.28.16 computes wrong gradients when a fused attention
			// op is rematerialized (TestTrapFusedAttentionUnderCheckpoint).
			DisableFusion: !fuse || m.gradCheckpoint && !m.fusedUnderCheckpoint,
		})
	}
	out = Reshape(toBHSD(out), b, t, c.NumHeads*c.HeadDim)
	return m.linear(out, layer, "o_proj")
}

// fusedAttentionPays says whether the go backend's fused attention kernel
// beats the decomposed form (two batched matmuls around a masked softmax)
// at this head size. Its specialised kernel is for head size 64; others run
// a general loop about a hundred times slower than the matmuls (Gemma 3's
// 256: 9.9 s against 0.078 s for one layer's forward at 1,024 tokens, see
// backend/bench/README.md), and that loop was 97% of a gemma3-270m step.
func fusedAttentionPays(headDim int) bool { return headDim == 64 }

// softcap is cap·tanh(x/cap).
func softcap(x *Node, limit float64) *Node {
	return MulScalar(Tanh(MulScalar(x, 1/limit)), limit)
}

// windowRows narrows a sliding layer's cached keys and values [1,KV,L,D]
// and its mask [B,T,L] to the window+T-1 positions that its T queries,
// the first at position start, can see. Decoding one token against a
// cache of L positions then reads window of them: at 1,024 tokens of
// chat (a cache of 2,048), Gemma 3 270M's sliding layers, 15 of 18, read
// 512 positions each instead of 2,048.
func windowRows(kh, vh, mask, start *Node, window int) (k, v, m *Node) {
	dims := kh.Shape().Dimensions
	l, t := dims[2], mask.Shape().Dimensions[1]
	n := window + t - 1
	if window <= 0 || n >= l {
		return kh, vh, mask
	}
	g := kh.Graph()
	// The first key any query sees (never past l-n, as start+t <= l).
	from := Max(Sub(start, Scalar(g, dtypes.Int32, window-1)), ScalarZero(g, dtypes.Int32))
	// A gather of one slice: the go backend has no DynamicSlice.
	at := Reshape(from, 1)
	k = GatherSlices(kh, []int{2}, at, []int{n}, true)
	v = GatherSlices(vh, []int{2}, at, []int{n}, true)
	m = GatherSlices(mask, []int{2}, at, []int{n}, true)
	return k, v, m
}

// writeRows returns cache [1,KV,L,D] with positions start..start+T-1
// replaced by update [1,T,KV,D] (start+T <= L). The cache is kept
// heads-major, the layout attention reads, so a decode step neither
// transposes nor copies it: DynamicUpdateSlice writes the new rows into the
// step's donated cache buffer in place.
func writeRows(cache, update, start *Node) *Node {
	zero := ScalarZero(cache.Graph(), dtypes.Int32)
	return DynamicUpdateSlice(cache, permute(update, 0, 2, 1, 3), []*Node{zero, zero, start, zero})
}

// takeRow returns x[0, i] of x [1,T,...] for a scalar index node i, keeping
// the leading axis (the go backend lacks DynamicSlice).
func takeRow(x, i *Node) *Node {
	dims := x.Shape().Dimensions
	return Gather(Reshape(x, dims[1:]...), Reshape(i, 1, 1))
}
