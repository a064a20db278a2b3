package model

import (
	"slices"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
)

// archTraits are the switches that distinguish the architectures inside the
// shared decoder blocks.
type archTraits struct {
	// normOffset is added to RMSNorm weights (1 for Gemma's x·(1+w)).
	normOffset float64
	// embedScale multiplies embeddings by sqrt(hidden_size).
	embedScale bool
	// sandwichNorms adds post-attention and pre/post-feed-forward norms.
	sandwichNorms bool
}

func traitsFor(a Arch) archTraits {
	switch a {
	case Gemma3:
		return gemma3Traits()
	case Qwen2, Qwen3:
		return qwenTraits()
	default:
		return llamaTraits()
	}
}

// embed looks tokens [B,T] up in the embedding table.
func (m *Model) embed(tokens *Node) *Node {
	var x *Node // [B,T,H]
	if m.baseModule(tokens.Graph(), embedName) {
		x = m.baseGather(embedName, ExpandAxes(tokens, -1))
	} else {
		x = Gather(m.moduleWeight(tokens.Graph(), embedName), ExpandAxes(tokens, -1))
	}
	if m.traits.embedScale {
		x = MulScalar(x, GemmaEmbedScale(m.cfg.HiddenSize))
	}
	return x
}

// newSeqContext prepares rotary tables and masks for query positions qPos
// [B,T] attending keys at kPos [B,S] with segments qSeg/kSeg.
func (m *Model) newSeqContext(qPos, kPos, qSeg, kSeg *Node) *seqContext {
	c := m.cfg
	sc := &seqContext{
		ropeGlobal: newRope(qPos, ropeInvFreq(c.HeadDim, c.RopeTheta, c.RopeScaling)),
		maskFull:   attentionMask(qPos, kPos, qSeg, kSeg, 0),
	}
	sc.ropeLocal, sc.maskSliding = sc.ropeGlobal, sc.maskFull
	if c.SlidingWindow > 0 {
		sc.maskSliding = attentionMask(qPos, kPos, qSeg, kSeg, c.SlidingWindow)
		if c.Arch == Gemma3 {
			sc.ropeLocal = newRope(qPos, ropeInvFreq(c.HeadDim, c.RopeLocalTheta, nil))
		}
	}
	return sc
}

// decoder runs the embeddings and every layer and returns the final-normed
// hidden states [B,T,H].
func (m *Model) decoder(tokens *Node, sc *seqContext) *Node {
	x := m.embed(tokens)
	for i := range m.cfg.NumLayers {
		if m.gradCheckpoint {
			// Keep only each layer's input for the backward pass and
			// recompute the layer's activations from it.
			x = m.layer(x.Checkpoint(), i, sc).StopCheckpoint()
		} else {
			x = m.layer(x, i, sc)
		}
	}
	return m.norm(x, finalNormName)
}

func (m *Model) layer(x *Node, i int, sc *seqContext) *Node {
	h := m.norm(x, layerName(i, "input_layernorm.weight"))
	h = m.attention(h, i, sc)
	if m.traits.sandwichNorms {
		h = m.norm(h, layerName(i, "post_attention_layernorm.weight"))
		x = Add(x, h)
		h = m.norm(x, layerName(i, "pre_feedforward_layernorm.weight"))
		h = m.mlp(h, i)
		h = m.norm(h, layerName(i, "post_feedforward_layernorm.weight"))
		return Add(x, h)
	}
	x = Add(x, h)
	h = m.norm(x, layerName(i, "post_attention_layernorm.weight"))
	return Add(x, m.mlp(h, i))
}

// lmHead returns the output embedding matrix [V,H] (tied or not).
func (m *Model) lmHead(g *Graph) *Node { return m.moduleWeight(g, m.moduleBase("lm_head")) }

// logits projects hidden states [..., H] to [..., V], soft-capped when
// configured. Only for short sequences: training uses the chunked loss.
func (m *Model) logits(h *Node) *Node {
	g := h.Graph()
	name := m.moduleBase("lm_head")
	var out *Node
	if m.baseModule(g, name) {
		out = m.baseDense(h, name)
	} else {
		out = dense(h, m.lmHead(g))
	}
	if m.cfg.FinalLogitSoftcap > 0 {
		out = softcap(out, m.cfg.FinalLogitSoftcap)
	}
	return out
}

// dense is x[..., in] · W[out, in]ᵀ.
func dense(x, w *Node) *Node {
	if fewRows(x) {
		// Decoding: x is a few rows. The go backend reads the weight once
		// per product (its matrix-vector path, third_party/gomlx-compute),
		// with the weight on either side; without that path its
		// small-matrix kernel is about twice as fast with the weight as the
		// left operand. The [out, rows...] result of one row is already in
		// [rows..., out] order; a few rows take a tiny transpose.
		out := DotGeneral(w, []int{1}, nil, x, []int{x.Rank() - 1}, nil) // [out, rows...]
		if x.Shape().Size() == x.Shape().Dimensions[x.Rank()-1] {
			dims := append(slices.Clone(x.Shape().Dimensions[:x.Rank()-1]), w.Shape().Dimensions[0])
			return Reshape(out, dims...)
		}
		return leadingAxisLast(out)
	}
	return DotGeneral(x, []int{x.Rank() - 1}, nil, w, []int{1}, nil)
}

// fewRows reports whether x [..., n] has at most gemvRows rows (decoding).
func fewRows(x *Node) bool {
	return x.Shape().Size()/x.Shape().Dimensions[x.Rank()-1] <= gemvRows
}

// leadingAxisLast moves x's first axis to the end: [a, b, c] -> [b, c, a].
func leadingAxisLast(x *Node) *Node {
	perm := make([]int, x.Rank())
	for i := range perm {
		perm[i] = (i + 1) % x.Rank()
	}
	return permute(x, perm...)
}

// permute is TransposeAllAxes(x, perm...), written as a Reshape when the
// axes of more than one element keep their order, as a one-token decode
// step's queries and a single key-value head's cache do: the go backend
// copies the whole tensor for every transpose.
func permute(x *Node, perm ...int) *Node {
	dims := x.Shape().Dimensions
	last := -1
	for _, a := range perm {
		if dims[a] == 1 {
			continue
		}
		if a < last {
			return TransposeAllAxes(x, perm...)
		}
		last = a
	}
	out := make([]int, len(perm))
	for i, a := range perm {
		out[i] = dims[a]
	}
	return Reshape(x, out...)
}

// gemvRows is the largest number of rows dense computes weight-first.
const gemvRows = 4

// forwardLogitsGraph is the cache-less forward used for evaluation and
// tests: tokens, positions, segments [B,T] -> logits [B,T,V].
func (m *Model) forwardLogitsGraph(tokens, positions, segments *Node) *Node {
	m.beginGraph(tokens.Graph())
	sc := m.newSeqContext(positions, positions, segments, segments)
	return m.logits(m.decoder(tokens, sc))
}

var _ = dtypes.Float32
