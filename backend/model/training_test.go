package model

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	mlmodel "github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"
)

// refLoss is the mean next-token cross-entropy of one unpacked sequence
// computed from the reference logits (labels aligned with tokens).
func refLoss(ref *refModel, tokens, labels []int32) (sum float64, count int) {
	logits := ref.forward(tokens)
	for t := 0; t+1 < len(tokens); t++ {
		if labels[t+1] == IgnoreIndex {
			continue
		}
		mx := math.Inf(-1)
		for _, v := range logits[t] {
			mx = math.Max(mx, v)
		}
		z := 0.0
		for _, v := range logits[t] {
			z += math.Exp(v - mx)
		}
		sum += math.Log(z) + mx - logits[t][labels[t+1]]
		count++
	}
	return sum, count
}

func seqRow(n int, start int32, seg int32) (pos, segs []int32) {
	for i := range n {
		pos = append(pos, start+int32(i))
		segs = append(segs, seg)
	}
	return
}

// TestPackedChunkedLossMatchesReference: two sequences packed in one row
// plus padding give the same loss as the reference computed on each
// sequence alone; with chunking forced the result is unchanged.
func TestPackedChunkedLossMatchesReference(t *testing.T) {
	for _, name := range []string{"gemma3", "qwen3"} {
		t.Run(name, func(t *testing.T) {
			m := tinyModel(t, name, 5, Options{})
			ref := newRefModel(t, m)
			a := testTokens(7, m.cfg.VocabSize, 1)
			b := testTokens(5, m.cfg.VocabSize, 2)
			la := append([]int32{}, a...)
			la[1], la[2] = IgnoreIndex, IgnoreIndex // a "prompt" not trained on
			lb := append([]int32{}, b...)
			sa, ca := refLoss(ref, a, la)
			sb, cb := refLoss(ref, b, lb)
			want := (sa + sb) / float64(ca+cb)

			pa, ga := seqRow(7, 0, 1)
			pb, gb := seqRow(5, 0, 2)
			pad := 4
			row := func(x, y []int32, fill int32) []int32 {
				out := append(append([]int32{}, x...), y...)
				for range pad {
					out = append(out, fill)
				}
				return out
			}
			batch := Batch{
				Tokens:    [][]int32{row(a, b, 0)},
				Labels:    [][]int32{row(la, lb, IgnoreIndex)},
				Positions: [][]int32{row(pa, pb, 0)},
				Segments:  [][]int32{row(ga, gb, 0)},
			}
			got, count, err := m.Loss(batch)
			if err != nil {
				t.Fatal(err)
			}
			if count != ca+cb {
				t.Errorf("count %d, want %d (no prediction across the segment boundary)", count, ca+cb)
			}
			if math.Abs(got-want) > 1e-4 {
				t.Errorf("loss %.6f, reference %.6f", got, want)
			}
			m.lossChunkElements = 3 * m.cfg.VocabSize // 3 rows per chunk, with padding rows
			m.resetExecs()
			chunked, _, err := m.Loss(batch)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(chunked-got) > 1e-5 {
				t.Errorf("chunked loss %.6f != %.6f", chunked, got)
			}
		})
	}
}

func TestBatchValidation(t *testing.T) {
	m := tinyModel(t, "llama", 1, Options{})
	_, _, err := m.Loss(Batch{Tokens: [][]int32{{1, 2}}, Labels: [][]int32{{1}}, Positions: [][]int32{{0, 1}}, Segments: [][]int32{{1, 1}}})
	if err == nil || !strings.Contains(err.Error(), "columns") {
		t.Errorf("ragged batch: %v", err)
	}
	if _, err := m.Logits([]int32{-1}); err == nil {
		t.Error("negative token accepted")
	}
}

func smallBatch(vocab int) Batch { return twoRowBatch(10, vocab) }

// twoRowBatch is two rows of seq random tokens, each one sequence, every
// token a label.
func twoRowBatch(seq, vocab int) Batch {
	toks := [][]int32{testTokens(seq, vocab, 1), testTokens(seq, vocab, 4)}
	pos, seg := seqRow(seq, 0, 1)
	return Batch{Tokens: toks, Labels: toks, Positions: [][]int32{pos, pos}, Segments: [][]int32{seg, seg}}
}

// TestLoRAGradientsMatchFiniteDifferences checks d loss / d LoRA entries
// from GoMLX autodiff against central differences of the loss.
func TestLoRAGradientsMatchFiniteDifferences(t *testing.T) {
	m := tinyModel(t, "gemma3", 3, Options{})
	if err := m.AddLoRA(LoRAConfig{Rank: 2, Alpha: 4, Seed: 1, TargetModules: []string{"q_proj", "v_proj", "down_proj"}}); err != nil {
		t.Fatal(err)
	}
	randomizeLoRAB(t, m, 2)
	batch := smallBatch(m.cfg.VocabSize)
	vars := m.TrainableVariables()
	state, err := m.LoRAState()
	if err != nil {
		t.Fatal(err)
	}
	// Both ways the model is differentiated: GoMLX autodiff of the loss
	// formula (evaluation graphs) and the loss's own forward-pass gradient
	// (training graphs).
	_, autodiff := lossAndGradsIn(t, m, batch, false)
	_, fused := lossAndGradsIn(t, m, batch, true)
	checked := 0
	for vi, v := range vars {
		grad := autodiff[vi]
		for i := range grad {
			if d := math.Abs(float64(grad[i] - fused[vi][i])); d > 1e-5 {
				t.Fatalf("%s[%d]: autodiff %g, training graph %g", v.Name(), i, grad[i], fused[vi][i])
			}
		}
		for _, idx := range []int{0, len(grad) / 2, len(grad) - 1} {
			const eps = 1e-2
			eval := func(delta float32) float64 {
				state[vi].Data[idx] += delta
				if err := m.SetLoRAState(state); err != nil {
					t.Fatal(err)
				}
				state[vi].Data[idx] -= delta
				l, _, err := m.Loss(batch)
				if err != nil {
					t.Fatal(err)
				}
				return l
			}
			fd := (eval(eps) - eval(-eps)) / (2 * eps)
			g := float64(grad[idx])
			if math.Abs(fd-g) > 2e-3+2e-2*math.Abs(fd) {
				t.Errorf("%s[%d]: autodiff %.6g, finite difference %.6g", v.Name(), idx, g, fd)
			}
			checked++
		}
	}
	if err := m.SetLoRAState(state); err != nil {
		t.Fatal(err)
	}
	if checked != 54 {
		t.Errorf("checked %d entries", checked)
	}
}

// TestOptimizerStepChangesOnlyLoRA runs SGD steps through GoMLX's optimizer
// on the model's store: LoRA variables move, the loss drops, base weights
// stay bit-identical.
func TestOptimizerStepChangesOnlyLoRA(t *testing.T) {
	m := tinyModel(t, "qwen2", 3, Options{})
	if err := m.AddLoRA(LoRAConfig{Rank: 4, Alpha: 8, Dropout: 0.1, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if err := m.Seed(42); err != nil {
		t.Fatal(err)
	}
	batch := smallBatch(m.cfg.VocabSize)
	ts, _ := batch.tensors()
	before, _ := m.LoRAState()
	baseBefore, _ := m.BaseWeight(layerName(0, "self_attn.q_proj.weight"))
	biasBefore, _ := m.BaseWeight(layerName(1, "self_attn.k_proj.bias"))
	loss0, _, _ := m.Loss(batch)
	opt := optimizer.StochasticGradientDescent().WithLearningRate(0.5).WithDecay(false).Done()
	e, err := mlmodel.NewExec(m.backend, m.store, func(scope *mlmodel.Scope, in []*Node) *Node {
		g := in[0].Graph()
		scope.SetTraining(g, true)
		loss := m.MeanLossGraph(Inputs{Tokens: in[0], Labels: in[1], Positions: in[2], Segments: in[3]})
		opt.UpdateGraph(scope, g, loss)
		return loss
	})
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if _, err := e.Exec(ts[0], ts[1], ts[2], ts[3]); err != nil {
			t.Fatal(err)
		}
	}
	loss1, _, _ := m.Loss(batch)
	if !(loss1 < loss0-1e-3) {
		t.Errorf("loss did not decrease: %.5f -> %.5f", loss0, loss1)
	}
	after, _ := m.LoRAState()
	changed := 0
	for i := range after {
		for j := range after[i].Data {
			if after[i].Data[j] != before[i].Data[j] {
				changed++
				break
			}
		}
	}
	if changed != len(after) {
		t.Errorf("%d of %d LoRA tensors changed", changed, len(after))
	}
	baseAfter, _ := m.BaseWeight(layerName(0, "self_attn.q_proj.weight"))
	biasAfter, _ := m.BaseWeight(layerName(1, "self_attn.k_proj.bias"))
	for i := range baseAfter.Data {
		if baseAfter.Data[i] != baseBefore.Data[i] {
			t.Fatalf("base weight changed at %d", i)
		}
	}
	for i := range biasAfter.Data {
		if biasAfter.Data[i] != biasBefore.Data[i] {
			t.Fatalf("base bias changed at %d", i)
		}
	}
}

// sgdStep runs one SGD step (dropout on) and returns the LoRA state.
func sgdStep(t *testing.T, rngSeed int64) []HostTensor {
	t.Helper()
	m := tinyModel(t, "llama", 3, Options{})
	if err := m.AddLoRA(LoRAConfig{Rank: 2, Alpha: 4, Dropout: 0.5, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	randomizeLoRAB(t, m, 1)
	if err := m.Seed(rngSeed); err != nil {
		t.Fatal(err)
	}
	ts, _ := smallBatch(m.cfg.VocabSize).tensors()
	opt := optimizer.StochasticGradientDescent().WithLearningRate(0.1).WithDecay(false).Done()
	e, err := mlmodel.NewExec(m.backend, m.store, func(scope *mlmodel.Scope, in []*Node) *Node {
		scope.SetTraining(in[0].Graph(), true)
		loss := m.MeanLossGraph(Inputs{Tokens: in[0], Labels: in[1], Positions: in[2], Segments: in[3]})
		opt.UpdateGraph(scope, in[0].Graph(), loss)
		return loss
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Exec(ts[0], ts[1], ts[2], ts[3]); err != nil {
		t.Fatal(err)
	}
	st, err := m.LoRAState()
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestDropoutIsSeeded: the same seed reproduces a training step exactly,
// another seed draws other dropout masks.
func TestDropoutIsSeeded(t *testing.T) {
	a, b, c := sgdStep(t, 7), sgdStep(t, 7), sgdStep(t, 8)
	same, diff := true, false
	for i := range a {
		for j := range a[i].Data {
			same = same && a[i].Data[j] == b[i].Data[j]
			diff = diff || a[i].Data[j] != c[i].Data[j]
		}
	}
	if !same {
		t.Error("same seed, different step")
	}
	if !diff {
		t.Error("different seeds, identical step: is dropout applied?")
	}
}

// Evaluation graphs (not marked as training) never apply dropout.
func TestNoDropoutWhenEvaluating(t *testing.T) {
	m := tinyModel(t, "llama", 3, Options{})
	if err := m.AddLoRA(LoRAConfig{Rank: 2, Alpha: 4, Dropout: 0.5}); err != nil {
		t.Fatal(err)
	}
	randomizeLoRAB(t, m, 1)
	b := smallBatch(m.cfg.VocabSize)
	l1, _, _ := m.Loss(b)
	l2, _, _ := m.Loss(b)
	if l1 != l2 {
		t.Errorf("evaluation loss varies: %v vs %v", l1, l2)
	}
}

// lossAndGrads returns the mean loss and LoRA gradients of a batch from a
// training graph (the loss computes its own gradient in the forward pass).
func lossAndGrads(t testing.TB, m *Model, b Batch) (float32, [][]float32) {
	t.Helper()
	return lossAndGradsIn(t, m, b, true)
}

// lossAndGradsIn is lossAndGrads with the graph's training flag chosen:
// false differentiates the plain loss formula with GoMLX autodiff.
func lossAndGradsIn(t testing.TB, m *Model, b Batch, training bool) (float32, [][]float32) {
	t.Helper()
	ts, err := b.tensors()
	if err != nil {
		t.Fatal(err)
	}
	vars := m.TrainableVariables()
	e, err := mlmodel.NewExec(m.backend, m.store, func(scope *mlmodel.Scope, in []*Node) []*Node {
		scope.SetTraining(in[0].Graph(), training)
		loss := m.MeanLossGraph(Inputs{Tokens: in[0], Labels: in[1], Positions: in[2], Segments: in[3]})
		var nodes []*Node
		for _, v := range vars {
			nodes = append(nodes, v.NodeValue(loss.Graph()))
		}
		return append([]*Node{loss}, Gradient(loss, nodes...)...)
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Exec(ts[0], ts[1], ts[2], ts[3])
	if err != nil {
		t.Fatal(err)
	}
	var grads [][]float32
	for _, r := range res[1:] {
		grads = append(grads, tensors.MustCopyFlatData[float32](r))
	}
	return tensors.ToScalar[float32](res[0]), grads
}

// TestChunkedLossGradients: the chunked LM-head loss (the path large
// vocabularies take) gives the same loss and gradients as one chunk, both
// as GoMLX differentiates it (checkpointed chunks of rows) and with the
// gradient computed in the forward pass by vocabulary slices (training
// graphs), also with bf16-stored base weights and with Gemma 2 style logit
// soft-capping.
func TestChunkedLossGradients(t *testing.T) {
	for _, storage := range []dtypes.DType{dtypes.Float32, dtypes.BFloat16} {
		for _, softcap := range []float64{0, 5} {
			name := fmt.Sprintf("%s/softcap=%g", storage, softcap)
			m := tinyModel(t, "gemma3", 3, Options{StorageDType: storage})
			m.cfg.FinalLogitSoftcap = softcap
			if err := m.AddLoRA(LoRAConfig{Rank: 2, Alpha: 4, Seed: 2}); err != nil {
				t.Fatal(err)
			}
			randomizeLoRAB(t, m, 4)
			b := smallBatch(m.cfg.VocabSize)
			l1, g1 := lossAndGradsIn(t, m, b, false)
			v := m.cfg.VocabSize
			// Evaluation graphs chunk rows: whole, or 3 rows a chunk.
			// Training graphs slice the vocabulary (lossSliceLag = 2
			// slices in flight): whole; in row groups of 1 (a slice may
			// not be narrower than the vocabulary); one group of all 20
			// rows in slices of 7 columns; groups of 4 rows in slices of
			// v/4.
			cases := []struct{ chunk, minCols int }{{1 << 30, MinLossSliceCols}, {3 * v, MinLossSliceCols}, {3 * v, 1}, {2 * v, v / 4}}
			for _, training := range []bool{false, true} {
				for _, c := range cases {
					m.lossChunkElements, m.minLossSliceCols = c.chunk, c.minCols
					l2, g2 := lossAndGradsIn(t, m, b, training)
					what := fmt.Sprintf("%s training=%v chunk=%d min cols=%d", name, training, c.chunk, c.minCols)
					if math.IsNaN(float64(l1)) || math.Abs(float64(l1-l2)) > 1e-5 {
						t.Errorf("%s: loss %v, want %v", what, l2, l1)
					}
					worst, scale := 0.0, 0.0
					for i := range g1 {
						for j := range g1[i] {
							worst = math.Max(worst, math.Abs(float64(g1[i][j]-g2[i][j])))
							scale = math.Max(scale, math.Abs(float64(g1[i][j])))
						}
					}
					if scale == 0 || worst > 1e-5 {
						t.Errorf("%s: gradients differ by %g (largest %g)", what, worst, scale)
					}
				}
			}
		}
	}
}

// Gradient checkpointing changes memory, not results.
func TestGradientCheckpointingSameGradients(t *testing.T) {
	m := tinyModel(t, "qwen3", 3, Options{})
	if err := m.AddLoRA(LoRAConfig{Rank: 2, Alpha: 4, Seed: 2}); err != nil {
		t.Fatal(err)
	}
	randomizeLoRAB(t, m, 4)
	b := smallBatch(m.cfg.VocabSize)
	l1, g1 := lossAndGrads(t, m, b)
	m.SetGradientCheckpointing(true)
	l2, g2 := lossAndGrads(t, m, b)
	if math.Abs(float64(l1-l2)) > 1e-6 {
		t.Errorf("loss %v vs %v", l1, l2)
	}
	for i := range g1 {
		for j := range g1[i] {
			if math.Abs(float64(g1[i][j]-g2[i][j])) > 1e-6 {
				t.Fatalf("gradient %d[%d]: %v vs %v", i, j, g1[i][j], g2[i][j])
			}
		}
	}
}

// TestTrainingGraphGradientsMatchAutodiff: training graphs differentiate
// attention, LoRA B and the loss with hand-written gradients; they must
// equal GoMLX autodiff of the plain formulas (evaluation graphs) on every
// architecture, with grouped-query attention, sliding windows, packed
// sequences and padding.
func TestTrainingGraphGradientsMatchAutodiff(t *testing.T) {
	for _, name := range []string{"gemma3", "llama", "qwen2", "qwen3"} {
		t.Run(name, func(t *testing.T) {
			m := tinyModel(t, name, 5, Options{})
			// The soft-capped attention of the tiny Gemma config keeps
			// GoMLX's attention everywhere; without it training graphs
			// take the hand-written backward.
			m.cfg.AttnLogitSoftcap = 0
			if err := m.AddLoRA(LoRAConfig{Rank: 2, Alpha: 4, Seed: 3}); err != nil {
				t.Fatal(err)
			}
			randomizeLoRAB(t, m, 6)
			v := m.cfg.VocabSize
			p1, s1 := seqRow(5, 0, 1)
			p2, s2 := seqRow(4, 0, 2)
			pad, _ := seqRow(3, 0, 0)
			packedPos := append(append(p1, p2...), pad...)
			packedSeg := append(append(s1, s2...), 0, 0, 0)
			packed := testTokens(12, v, 7)
			labels := slices.Clone(packed)
			labels[2], labels[9], labels[10], labels[11] = IgnoreIndex, IgnoreIndex, IgnoreIndex, IgnoreIndex
			full, fullSeg := seqRow(12, 0, 1)
			b := Batch{
				Tokens:    [][]int32{packed, testTokens(12, v, 3)},
				Labels:    [][]int32{labels, testTokens(12, v, 3)},
				Positions: [][]int32{packedPos, full},
				Segments:  [][]int32{packedSeg, fullSeg},
			}
			l1, want := lossAndGradsIn(t, m, b, false)
			l2, got := lossAndGradsIn(t, m, b, true)
			if math.Abs(float64(l1-l2)) > 1e-6 {
				t.Errorf("loss %v in a training graph, %v otherwise", l2, l1)
			}
			for i, v := range m.TrainableVariables() {
				worst, scale := 0.0, 0.0
				for j := range want[i] {
					worst = math.Max(worst, math.Abs(float64(want[i][j]-got[i][j])))
					scale = math.Max(scale, math.Abs(float64(want[i][j])))
				}
				if scale == 0 || worst > 1e-6+1e-4*scale {
					t.Errorf("%s: training graph gradient off by %g (largest %g)", v.Name(), worst, scale)
				}
			}
		})
	}
}
