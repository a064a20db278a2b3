package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	"github.com/gomlx/gomlx/ml/layers/attention"
	mlmodel "github.com/gomlx/gomlx/ml/model"

	"github.com/whetstone-ai/whetstone/backend/accel"
)

// TestBlockPlanVisitsExactlyTheVisibleBlocks: against a brute-force count
// of visible (query, key) index pairs, every block holding one is visited
// and every visited block holds one, for block sizes that do and do not
// divide the length, with and without a window.
func TestBlockPlanVisitsExactlyTheVisibleBlocks(t *testing.T) {
	for _, tc := range []struct{ t, bq, bk, window int }{
		{10, 4, 4, 0}, {10, 4, 4, 3}, {13, 4, 3, 0}, {13, 3, 5, 4}, {16, 4, 4, 16}, {7, 16, 16, 0}, {1024, 128, 128, 512},
	} {
		p := newBlockPlan(tc.t, tc.bq, tc.bk, tc.window)
		visited := map[[2]int]bool{}
		for i, js := range p.keys {
			for _, j := range js {
				visited[[2]int{i, j}] = true
			}
		}
		visible := map[[2]int]bool{}
		for q := range tc.t {
			for k := 0; k <= q; k++ {
				if tc.window == 0 || q-k < tc.window {
					visible[[2]int{q / tc.bq, k / tc.bk}] = true
				}
			}
		}
		name := fmt.Sprintf("%+v", tc)
		for b := range visible {
			if !visited[b] {
				t.Errorf("%s: block %v has visible pairs but is skipped", name, b)
			}
		}
		for b := range visited {
			if !visible[b] {
				t.Errorf("%s: block %v is visited but fully hidden", name, b)
			}
		}
		if p.pairs() != len(visited) {
			t.Errorf("%s: pairs() = %d, want %d", name, p.pairs(), len(visited))
		}
	}
	// The sliding window skips blocks: gemma3-270m's local layers at 1,024
	// tokens visit 30 of the 36 causal pairs of 128-token blocks.
	if got := newBlockPlan(1024, 128, 128, 512).pairs(); got != 30 {
		t.Errorf("1024 tokens, blocks of 128, window 512: %d pairs, want 30", got)
	}
}

// attnCase is a batch of rows for the attention-level comparison: packed
// sequences, a left-padded one and a full one, 11 tokens each.
func attnCase() (pos, seg [][]int32) {
	p1, s1 := seqRow(5, 0, 1)
	p2, s2 := seqRow(4, 0, 2)
	packedPos := append(append(p1, p2...), 0, 0)
	packedSeg := append(append(s1, s2...), 0, 0)
	lp, ls := seqRow(8, 0, 1)
	leftPos := append([]int32{0, 0, 0}, lp...)
	leftSeg := append([]int32{0, 0, 0}, ls...)
	full, fullSeg := seqRow(11, 0, 1)
	return [][]int32{packedPos, leftPos, full}, [][]int32{packedSeg, leftSeg, fullSeg}
}

func randomFloats(rng *rand.Rand, dims ...int) *tensors.Tensor {
	n := 1
	for _, d := range dims {
		n *= d
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return tensors.FromFlatDataAndDimensions(v, dims...)
}

func int32Tensor(rows [][]int32) *tensors.Tensor {
	var flat []int32
	for _, r := range rows {
		flat = append(flat, r...)
	}
	return tensors.FromFlatDataAndDimensions(flat, len(rows), len(rows[0]))
}

// attentionOutAndGrads evaluates attention over q [B,H,T,D], k, v
// [B,KV,T,D] with the mask of the given positions and segments, and the
// gradients of Σ out·w with respect to q, k and v: blockwise with blocks
// of block tokens, or GoMLX's decomposed attention (block 0).
func attentionOutAndGrads(t *testing.T, b compute.Backend, cfg *Config, block, window int, checkpoint bool, q, k, v, w, pos, seg *tensors.Tensor) [][]float32 {
	t.Helper()
	m := &Model{cfg: cfg}
	e, err := NewExec(b, func(in []*Node) []*Node {
		q, k, v, w, pos, seg := in[0], in[1], in[2], in[3], in[4], in[5]
		qi, ki, vi := q, k, v
		if checkpoint {
			// Inputs of a checkpointed block: what attention reads is
			// recomputed in the backward pass.
			qi, ki, vi = MulScalar(q.Checkpoint(), 1), MulScalar(k.Checkpoint(), 1), MulScalar(v.Checkpoint(), 1)
		}
		mask := attentionMask(pos, pos, seg, seg, window)
		var out *Node
		if block > 0 {
			out = m.blockwiseAttention(qi, ki, vi, mask, window, block, &seqContext{})
		} else {
			out, _ = attention.Core(qi, ki, vi, attention.LayoutBHSD, attention.CoreOptions{
				Scale: cfg.AttnScale, AttentionMask: ExpandAxes(mask, 1), ScoreSoftCap: cfg.AttnLogitSoftcap, DisableFusion: true,
			})
		}
		if checkpoint {
			out = out.StopCheckpoint()
		}
		loss := ReduceAllSum(Mul(out, w))
		return append([]*Node{out}, Gradient(loss, q, k, v)...)
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Exec(q, k, v, w, pos, seg)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]float32
	for _, r := range res {
		out = append(out, tensors.MustCopyFlatData[float32](r))
	}
	return out
}

// TestBlockwiseAttentionEqualsPlain: blockwise attention's output and its
// recomputed gradients with respect to q, k and v equal GoMLX's decomposed
// attention differentiated by autodiff within 1e-5, with packed, padded
// and full rows, grouped-query heads, global and sliding windows, with and
// without a soft-cap, block sizes that do not divide the 11 tokens (and
// one larger than the row), and under gradient checkpointing.
func TestBlockwiseAttentionEqualsPlain(t *testing.T) {
	pos, seg := attnCase()
	const bsz, tl, d = 3, 11, 8
	backend, _, err := accel.Open(accel.Options{Backend: "go"})
	if err != nil {
		t.Fatal(err)
	}
	for _, heads := range [][2]int{{4, 2}, {3, 1}} {
		for _, window := range []int{0, 3} {
			for _, softcap := range []float64{0, 2} {
				cfg := &Config{AttnScale: 0.35, AttnLogitSoftcap: softcap}
				rng := rand.New(rand.NewPCG(uint64(heads[0]+window), uint64(softcap)))
				q := randomFloats(rng, bsz, heads[0], tl, d)
				k := randomFloats(rng, bsz, heads[1], tl, d)
				v := randomFloats(rng, bsz, heads[1], tl, d)
				w := randomFloats(rng, bsz, heads[0], tl, d)
				ps, ss := int32Tensor(pos), int32Tensor(seg)
				want := attentionOutAndGrads(t, backend, cfg, 0, window, false, q, k, v, w, ps, ss)
				for _, block := range []int{4, 3, 16} {
					for _, ckpt := range []bool{false, true} {
						name := fmt.Sprintf("heads %v window %d softcap %g block %d checkpoint %v", heads, window, softcap, block, ckpt)
						got := attentionOutAndGrads(t, backend, cfg, block, window, ckpt, q, k, v, w, ps, ss)
						for i, what := range []string{"output", "dq", "dk", "dv"} {
							worst, scale := 0.0, 0.0
							for j := range want[i] {
								if math.IsNaN(float64(got[i][j])) {
									t.Fatalf("%s: %s[%d] is NaN", name, what, j)
								}
								worst = math.Max(worst, math.Abs(float64(got[i][j]-want[i][j])))
								scale = math.Max(scale, math.Abs(float64(want[i][j])))
							}
							if scale == 0 || worst > 1e-5 {
								t.Errorf("%s: %s differs by %g (largest %g)", name, what, worst, scale)
							}
						}
					}
				}
			}
		}
	}
}

// blockwiseBatch is two rows of 13 tokens: three packed sequences with
// padding, and one full sequence.
func blockwiseBatch(vocab int) Batch {
	p1, s1 := seqRow(5, 0, 1)
	p2, s2 := seqRow(3, 0, 2)
	p3, s3 := seqRow(3, 0, 3)
	packedPos := append(append(append(p1, p2...), p3...), 0, 0)
	packedSeg := append(append(append(s1, s2...), s3...), 0, 0)
	packed := testTokens(13, vocab, 7)
	labels := append([]int32(nil), packed...)
	labels[2], labels[11], labels[12] = IgnoreIndex, IgnoreIndex, IgnoreIndex
	full, fullSeg := seqRow(13, 0, 1)
	return Batch{
		Tokens:    [][]int32{packed, testTokens(13, vocab, 3)},
		Labels:    [][]int32{labels, testTokens(13, vocab, 3)},
		Positions: [][]int32{packedPos, full},
		Segments:  [][]int32{packedSeg, fullSeg},
	}
}

// TestBlockwiseModelGradientsEqualPlain: on every architecture (Gemma 3
// with sliding and global layers, soft-capped or not; Llama; Qwen 2 and 3)
// the loss and LoRA gradients of training graphs with blockwise attention
// forced equal those of the plain attention within 1e-5 (relative to the
// largest gradient when it exceeds 1), with packing and padding, blocks
// that do not divide the 13 tokens, and with gradient checkpointing.
func TestBlockwiseModelGradientsEqualPlain(t *testing.T) {
	for _, tc := range []struct {
		name    string
		softcap bool
	}{{"gemma3", true}, {"gemma3", false}, {"llama", false}, {"qwen2", false}, {"qwen3", false}} {
		t.Run(fmt.Sprintf("%s/softcap=%v", tc.name, tc.softcap), func(t *testing.T) {
			m := tinyModel(t, tc.name, 5, Options{})
			if !tc.softcap {
				m.cfg.AttnLogitSoftcap = 0
			}
			if err := m.AddLoRA(LoRAConfig{Rank: 2, Alpha: 4, Seed: 3}); err != nil {
				t.Fatal(err)
			}
			randomizeLoRAB(t, m, 6)
			b := blockwiseBatch(m.cfg.VocabSize)
			m.SetAttentionBlock(-1)
			l1, want := lossAndGrads(t, m, b)
			e1, _, err := m.Loss(b)
			if err != nil {
				t.Fatal(err)
			}
			for _, block := range []int{4, 2} {
				for _, ckpt := range []bool{false, true} {
					m.SetGradientCheckpointing(ckpt)
					m.SetAttentionBlock(block)
					l2, got := lossAndGrads(t, m, b)
					e2, _, err := m.Loss(b)
					if err != nil {
						t.Fatal(err)
					}
					what := fmt.Sprintf("block %d checkpoint %v", block, ckpt)
					if math.Abs(float64(l1-l2)) > 1e-5 || math.Abs(e1-e2) > 1e-5 {
						t.Errorf("%s: loss %v (evaluation %v), want %v (%v)", what, l2, e2, l1, e1)
					}
					for i, v := range m.TrainableVariables() {
						worst, scale := 0.0, 0.0
						for j := range want[i] {
							worst = math.Max(worst, math.Abs(float64(want[i][j]-got[i][j])))
							scale = math.Max(scale, math.Abs(float64(want[i][j])))
						}
						if scale == 0 || math.IsNaN(worst) || worst > 1e-5*math.Max(1, scale) {
							t.Errorf("%s: %s differs by %g (largest %g)", what, v.Name(), worst, scale)
						}
					}
				}
			}
			m.SetGradientCheckpointing(false)
		})
	}
}

// TestBlockwiseTrainingGraphHasNoSquareTensors: with blockwise attention a
// training graph over 64 tokens in blocks of 16 builds no float tensor
// whose two trailing axes are [64, 64] (scores, probabilities or their
// gradients): its largest attention tensors are blocks. The plain path's
// graph has them, so the check can fail.
func TestBlockwiseTrainingGraphHasNoSquareTensors(t *testing.T) {
	m := tinyModel(t, "gemma3", 5, Options{})
	if err := m.AddLoRA(LoRAConfig{Rank: 2, Alpha: 4, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	const tl = 64
	pos, seg := seqRow(tl, 0, 1)
	toks := testTokens(tl, m.cfg.VocabSize, 1)
	ts, err := Batch{Tokens: [][]int32{toks}, Labels: [][]int32{toks}, Positions: [][]int32{pos}, Segments: [][]int32{seg}}.tensors()
	if err != nil {
		t.Fatal(err)
	}
	squares := func(block int) int {
		m.SetAttentionBlock(block)
		vars := m.TrainableVariables()
		var g *Graph
		e, err := mlmodel.NewExec(m.backend, m.store, func(scope *mlmodel.Scope, in []*Node) []*Node {
			g = in[0].Graph()
			scope.SetTraining(g, true)
			loss := m.MeanLossGraph(Inputs{Tokens: in[0], Labels: in[1], Positions: in[2], Segments: in[3]})
			var nodes []*Node
			for _, v := range vars {
				nodes = append(nodes, v.NodeValue(g))
			}
			return append([]*Node{loss}, Gradient(loss, nodes...)...)
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Exec(ts[0], ts[1], ts[2], ts[3]); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, node := range g.Nodes() {
			if s := node.Shape(); node.NumOutputs() == 1 && s.DType.IsFloat() && s.Rank() >= 2 &&
				s.Dimensions[s.Rank()-1] == tl && s.Dimensions[s.Rank()-2] == tl {
				n++
			}
		}
		return n
	}
	if n := squares(16); n != 0 {
		t.Errorf("blockwise training graph has %d float [%d, %d] tensors", n, tl, tl)
	}
	if n := squares(-1); n == 0 {
		t.Errorf("the plain path's training graph has no [%d, %d] tensor: the check is vacuous", tl, tl)
	}
}

// TestAttentionBlockChoice: rows of 256 tokens or more are computed
// blockwise, in blocks of 128 up to 2,048 tokens and in 16 blocks (multiples
// of 128) beyond; shorter rows keep the plain path; SetAttentionBlock
// forces either.
func TestAttentionBlockChoice(t *testing.T) {
	for seq, want := range map[int]int{64: 0, 255: 0, 256: 128, 1024: 128, 2048: 128, 2049: 256, 4096: 256, 8192: 512, 10000: 640} {
		if got := AutoAttentionBlock(seq); got != want {
			t.Errorf("AutoAttentionBlock(%d) = %d, want %d", seq, got, want)
		}
	}
	m := &Model{}
	if got := m.AttentionBlock(1024); got != 128 {
		t.Errorf("default at 1024 tokens: block %d, want 128", got)
	}
	m.attnBlock = 8
	if got := m.AttentionBlock(4); got != 8 {
		t.Errorf("forced 8: block %d", got)
	}
	m.attnBlock = -1
	if got := m.AttentionBlock(4096); got != 0 {
		t.Errorf("forced off: block %d", got)
	}
}

// TestBlockwiseBackwardWaitsForTheOutputGradient: every tensor of a query
// block's size or more that the backward pass builds depends on the
// output gradient. The go backend runs a node as soon as its inputs are
// ready, so one that did not would run during the forward pass and be
// held until the backward pass: per layer, for the whole forward pass.
func TestBlockwiseBackwardWaitsForTheOutputGradient(t *testing.T) {
	const bsz, kv, grp, tl, d, block = 2, 1, 4, 12, 8, 4
	backend, _, err := accel.Open(accel.Options{Backend: "go"})
	if err != nil {
		t.Fatal(err)
	}
	g := NewGraph(backend, "blockwise-backward")
	param := func(name string, dims ...int) *Node {
		return Parameter(g, name, shapes.Make(dtypes.Float32, dims...))
	}
	q, k, v := param("q", bsz, kv, grp, tl, d), param("k", bsz, kv, tl, d), param("v", bsz, kv, tl, d)
	pos := Iota(g, shapes.Make(dtypes.Int32, bsz, tl), 1)
	seg := OnesLike(pos)
	mask := attentionMask(pos, pos, seg, seg, 0)
	sc := &seqContext{}
	a := &blockAttention{plan: newBlockPlan(tl, block, block, 0), scale: 0.3, softcap: 2}
	a.mask = func(i, j int) *Node {
		qs, qe := a.plan.queryRange(i)
		ks, ke := a.plan.keyRange(j)
		return sc.blockMask(mask, qs, qe, ks, ke)
	}
	out, lse := a.forward(q, k, v)
	dOut := param("dOut", bsz, kv, grp, tl, d)
	first := len(g.Nodes())
	a.backward(q, k, v, out, lse, dOut)
	waits := map[*Node]bool{}
	var dependsOnDOut func(n *Node) bool
	dependsOnDOut = func(n *Node) bool {
		if n == dOut {
			return true
		}
		if w, ok := waits[n]; ok {
			return w
		}
		w := false
		for _, in := range n.Inputs() {
			if dependsOnDOut(in) {
				w = true
				break
			}
		}
		waits[n] = w
		return w
	}
	for _, n := range g.Nodes()[first:] {
		if n.NumOutputs() != 1 || !n.Shape().DType.IsFloat() || n.Shape().Size() < bsz*kv*grp*block*d {
			continue
		}
		if !dependsOnDOut(n) {
			t.Errorf("backward node %s does not wait for the output gradient", n)
		}
	}
}
