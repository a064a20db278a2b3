package model

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gomlx/compute/dtypes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	mlmodel "github.com/gomlx/gomlx/ml/model"
	"github.com/gomlx/gomlx/ml/train/optimizer"

	"github.com/whetstone-ai/whetstone/backend/adapter"
)

const (
	peftEmbedName = "base_model.model.model.embed_tokens.weight"
	peftHeadName  = "base_model.model.lm_head.weight"
)

// The configured modules become float32 copies of the base matrices under
// PEFT's names, one shared copy for a tied model, and leave the output as
// it was until trained.
func TestModulesToSaveAreCopiesUnderPEFTNames(t *testing.T) {
	for _, tc := range []struct {
		name    string
		opts    Options
		modules []string
		// wantListed is ModulesToSave after AddLoRA; wantVars the
		// variables' names.
		wantListed, wantVars []string
	}{
		{"llama", Options{}, []string{"embed_tokens"}, []string{"embed_tokens"}, []string{peftEmbedName}},
		{"llama", Options{}, []string{"lm_head", "model.embed_tokens"}, []string{"embed_tokens", "lm_head"}, []string{peftEmbedName, peftHeadName}},
		// Tied: either name trains the one matrix, listed under both.
		{"gemma3", Options{}, []string{"lm_head"}, []string{"embed_tokens", "lm_head"}, []string{peftEmbedName}},
		{"qwen3", Options{Quantization: QuantNF4}, []string{"embed_tokens"}, []string{"embed_tokens", "lm_head"}, []string{peftEmbedName}},
	} {
		t.Run(tc.name+"/"+strings.Join(tc.modules, "+"), func(t *testing.T) {
			m := tinyModel(t, tc.name, 2, tc.opts)
			toks := testTokens(6, m.cfg.VocabSize, 1)
			before, err := m.Logits(toks)
			if err != nil {
				t.Fatal(err)
			}
			if err := m.AddLoRA(LoRAConfig{Rank: 2, Alpha: 4, TargetModules: []string{"q_proj"}, ModulesToSave: tc.modules}); err != nil {
				t.Fatal(err)
			}
			if got := m.LoRA().ModulesToSave; !slices.Equal(got, tc.wantListed) {
				t.Errorf("ModulesToSave %v, want %v", got, tc.wantListed)
			}
			var names []string
			for _, v := range m.ModuleVariables() {
				names = append(names, v.Name())
				if !v.Trainable || v.DType() != dtypes.Float32 {
					t.Errorf("%s: trainable %v, dtype %s", v.Name(), v.Trainable, v.DType())
				}
			}
			if !slices.Equal(names, tc.wantVars) {
				t.Errorf("module variables %v, want %v", names, tc.wantVars)
			}
			trainable := m.TrainableVariables()
			if n := len(trainable); n != 2*m.cfg.NumLayers+len(tc.wantVars) {
				t.Errorf("%d trainable variables", n)
			}
			after, err := m.Logits(toks)
			if err != nil {
				t.Fatal(err)
			}
			if d := maxAbsDiff(after, toFloat64(before)); d != 0 {
				t.Errorf("fresh modules changed logits by %g", d)
			}
			st, err := m.LoRAState()
			if err != nil {
				t.Fatal(err)
			}
			var stateNames []string
			for _, ht := range st[2*m.cfg.NumLayers:] {
				stateNames = append(stateNames, ht.Name)
				base, _ := m.BaseWeight(embedName)
				if !slices.Equal(ht.Shape, []int{m.cfg.VocabSize, m.cfg.HiddenSize}) {
					t.Errorf("%s shape %v", ht.Name, ht.Shape)
				}
				if ht.Name == peftEmbedName && !slices.Equal(ht.Data, base.Data) {
					t.Errorf("%s is not a copy of the embeddings", ht.Name)
				}
			}
			var want []string
			for _, n := range tc.wantListed {
				want = append(want, adapter.ModuleTensorName(n))
			}
			if !slices.Equal(stateNames, want) {
				t.Errorf("state names %v, want %v", stateNames, want)
			}
		})
	}
	m := tinyModel(t, "llama", 2, Options{})
	if err := m.AddLoRA(LoRAConfig{Rank: 2, Alpha: 4, ModulesToSave: []string{"norm"}}); err == nil || !strings.Contains(err.Error(), `"norm"`) {
		t.Errorf("unknown module: %v", err)
	}
}

// The gradient of a trained embedding (and of a tied model's matrix, which
// the LM head also reads) is the same from the training graphs' loss as
// from autodiff, and matches finite differences.
func TestModuleGradientsMatchFiniteDifferences(t *testing.T) {
	for _, tc := range []struct {
		name    string
		modules []string
	}{{"llama", []string{"embed_tokens", "lm_head"}}, {"gemma3", []string{"embed_tokens"}}} {
		t.Run(tc.name, func(t *testing.T) {
			m := tinyModel(t, tc.name, 3, Options{})
			if err := m.AddLoRA(LoRAConfig{Rank: 2, Alpha: 4, Seed: 1, TargetModules: []string{"v_proj"}, ModulesToSave: tc.modules}); err != nil {
				t.Fatal(err)
			}
			randomizeLoRAB(t, m, 2)
			// Three chunks: the trained head takes the chunked autodiff path.
			m.lossChunkElements = 7 * m.cfg.VocabSize
			batch := smallBatch(m.cfg.VocabSize)
			vars := m.TrainableVariables()
			_, autodiff := lossAndGradsIn(t, m, batch, false)
			_, training := lossAndGradsIn(t, m, batch, true)
			state, err := m.LoRAState()
			if err != nil {
				t.Fatal(err)
			}
			for vi := 2 * m.cfg.NumLayers; vi < len(vars); vi++ {
				v := vars[vi]
				grad := autodiff[vi]
				for i := range grad {
					if d := math.Abs(float64(grad[i] - training[vi][i])); d > 1e-5 {
						t.Fatalf("%s[%d]: autodiff %g, training graph %g", v.Name(), i, grad[i], training[vi][i])
					}
				}
				// Rows of tokens in the batch (embedding and head gradient)
				// and of one that is not (head gradient only).
				tok := int(batch.Tokens[0][3])
				for _, idx := range []int{tok*m.cfg.HiddenSize + 1, 5*m.cfg.HiddenSize + 2} {
					const eps = 1e-2
					eval := func(delta float32) float64 {
						var moved []HostTensor
						for _, ht := range state {
							if ht.Name == v.Name() || (m.cfg.TieWordEmbeddings && ht.Name == peftHeadName) {
								ht.Data = slices.Clone(ht.Data)
								ht.Data[idx] += delta
							}
							moved = append(moved, ht)
						}
						if err := m.SetLoRAState(moved); err != nil {
							t.Fatal(err)
						}
						l, _, err := m.Loss(batch)
						if err != nil {
							t.Fatal(err)
						}
						return l
					}
					fd := (eval(eps) - eval(-eps)) / (2 * eps)
					if g := float64(grad[idx]); math.Abs(fd-g) > 2e-3+2e-2*math.Abs(fd) {
						t.Errorf("%s[%d]: autodiff %.6g, finite difference %.6g", v.Name(), idx, g, fd)
					}
				}
			}
			if err := m.SetLoRAState(state); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// sgdSteps runs n SGD steps on a training graph over batch.
func sgdSteps(t *testing.T, m *Model, batch Batch, lr float64, n int) {
	t.Helper()
	ts, err := batch.tensors()
	if err != nil {
		t.Fatal(err)
	}
	opt := optimizer.StochasticGradientDescent().WithLearningRate(lr).WithDecay(false).Done()
	e, err := mlmodel.NewExec(m.backend, m.store, func(scope *mlmodel.Scope, in []*Node) *Node {
		scope.SetTraining(in[0].Graph(), true)
		loss := m.MeanLossGraph(Inputs{Tokens: in[0], Labels: in[1], Positions: in[2], Segments: in[3]})
		opt.UpdateGraph(scope, in[0].Graph(), loss)
		return loss
	})
	if err != nil {
		t.Fatal(err)
	}
	for range n {
		if _, err := e.Exec(ts[0], ts[1], ts[2], ts[3]); err != nil {
			t.Fatal(err)
		}
	}
}

// Training only an embed_tokens module moves the embedding rows of the
// batch's input tokens (and no others, the head being untied and frozen), lowers
// the loss, leaves the base weights alone, and the saved adapter loads
// back into a fresh model with the same outputs; on a tied model the one
// matrix moves and reloads the same way.
func TestTrainedModulesSaveAndReload(t *testing.T) {
	for _, tc := range []struct {
		name    string
		modules []string
	}{{"llama", []string{"embed_tokens"}}, {"gemma3", []string{"embed_tokens", "lm_head"}}} {
		t.Run(tc.name, func(t *testing.T) {
			m := tinyModel(t, tc.name, 4, Options{})
			if err := m.AddLoRA(LoRAConfig{Rank: 2, Alpha: 4, Seed: 1, TargetModules: []string{"q_proj"}, ModulesToSave: tc.modules}); err != nil {
				t.Fatal(err)
			}
			base, _ := m.BaseWeight(embedName)
			batch := smallBatch(m.cfg.VocabSize)
			loss0, _, _ := m.Loss(batch)
			sgdSteps(t, m, batch, 0.5, 4)
			loss1, _, _ := m.Loss(batch)
			if !(loss1 < loss0-1e-3) {
				t.Errorf("loss did not decrease: %.5f -> %.5f", loss0, loss1)
			}
			trained, err := m.MergedWeight(embedName)
			if err != nil {
				t.Fatal(err)
			}
			// The inputs that predict a token: the last position predicts
			// none, so its input gets no gradient.
			inBatch := map[int]bool{}
			for _, row := range batch.Tokens {
				for _, tok := range row[:len(row)-1] {
					inBatch[int(tok)] = true
				}
			}
			h := m.cfg.HiddenSize
			for r := range m.cfg.VocabSize {
				moved := !slices.Equal(trained.Data[r*h:(r+1)*h], base.Data[r*h:(r+1)*h])
				if want := inBatch[r] || m.cfg.TieWordEmbeddings; moved != want {
					t.Errorf("embedding row %d moved %v, want %v", r, moved, want)
				}
			}
			if after, _ := m.BaseWeight(embedName); !slices.Equal(after.Data, base.Data) {
				t.Error("the frozen base embeddings changed")
			}

			ad, err := m.Adapter("tiny")
			if err != nil {
				t.Fatal(err)
			}
			dir := filepath.Join(t.TempDir(), "adapter")
			if err := adapter.WriteAdapter(dir, ad, false); err != nil {
				t.Fatal(err)
			}
			back, err := adapter.ReadAdapter(dir)
			if err != nil {
				t.Fatal(err)
			}
			fresh := tinyModel(t, tc.name, 4, Options{})
			if err := fresh.AttachAdapter(back); err != nil {
				t.Fatal(err)
			}
			toks := testTokens(8, m.cfg.VocabSize, 3)
			want, _ := m.Logits(toks)
			got, err := fresh.Logits(toks)
			if err != nil {
				t.Fatal(err)
			}
			if d := maxAbsDiff(got, toFloat64(want)); d != 0 {
				t.Errorf("reloaded adapter's logits differ by %g", d)
			}
		})
	}
}

// A tied model holds one matrix: an adapter that trained embed_tokens and
// lm_head differently, or one of them alone, is refused.
func TestTiedModelRefusesUntiedModules(t *testing.T) {
	m := tinyModel(t, "gemma3", 2, Options{})
	if err := m.AddLoRA(LoRAConfig{Rank: 2, Alpha: 4, TargetModules: []string{"q_proj"}, ModulesToSave: []string{"embed_tokens"}}); err != nil {
		t.Fatal(err)
	}
	ad, err := m.Adapter("tiny")
	if err != nil {
		t.Fatal(err)
	}
	head := ad.Saved["lm_head"]
	head.Data[0]++
	state := []HostTensor{
		{Name: peftEmbedName, Shape: ad.Saved["embed_tokens"].Shape, Data: ad.Saved["embed_tokens"].Data},
		{Name: peftHeadName, Shape: head.Shape, Data: head.Data},
	}
	if err := m.SetLoRAState(state); err == nil || !strings.Contains(err.Error(), "ties") {
		t.Errorf("different tied matrices: %v", err)
	}
	if err := tinyModel(t, "gemma3", 2, Options{}).AttachAdapter(ad); err == nil || !strings.Contains(err.Error(), "ties") {
		t.Errorf("AttachAdapter with different tied matrices: %v", err)
	}
	delete(ad.Saved, "embed_tokens")
	ad.Config.ModulesToSave = []string{"lm_head"}
	if err := tinyModel(t, "gemma3", 2, Options{}).AttachAdapter(ad); err == nil || !strings.Contains(err.Error(), "lm_head alone") {
		t.Errorf("AttachAdapter with lm_head alone: %v", err)
	}
}

// sequenceLogProbs runs SequenceLogProbs over batch.
func sequenceLogProbs(t *testing.T, m *Model, batch Batch, base bool) []float32 {
	t.Helper()
	ts, err := batch.tensors()
	if err != nil {
		t.Fatal(err)
	}
	e, err := mlmodel.NewExec(m.backend, m.store, func(_ *mlmodel.Scope, in []*Node) *Node {
		logp, _ := m.SequenceLogProbs(Inputs{Tokens: in[0], Labels: in[1], Positions: in[2], Segments: in[3]}, base)
		return logp
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Exec(ts[0], ts[1], ts[2], ts[3])
	if err != nil {
		t.Fatal(err)
	}
	return tensors.MustCopyFlatData[float32](res[0])
}

// The base model a preference loss compares with leaves the trained
// modules out, as it leaves out the adapters.
func TestBaseSequenceLogProbsLeaveModulesOut(t *testing.T) {
	m := tinyModel(t, "llama", 5, Options{})
	batch := smallBatch(m.cfg.VocabSize)
	want := sequenceLogProbs(t, m, batch, false)
	if err := m.AddLoRA(LoRAConfig{Rank: 2, Alpha: 4, TargetModules: []string{"q_proj"}, ModulesToSave: []string{"embed_tokens", "lm_head"}}); err != nil {
		t.Fatal(err)
	}
	sgdSteps(t, m, batch, 0.5, 2)
	if got := sequenceLogProbs(t, m, batch, true); !slices.Equal(got, want) {
		t.Errorf("base log-probabilities %v, want the untrained model's %v", got, want)
	}
	if got := sequenceLogProbs(t, m, batch, false); slices.Equal(got, want) {
		t.Error("the trained model's log-probabilities did not change")
	}
}
