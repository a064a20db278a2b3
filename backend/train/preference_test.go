package train

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gomlx/gomlx/core/graph"
	"github.com/gomlx/gomlx/core/tensors"
	gmodel "github.com/gomlx/gomlx/ml/model"

	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/safetensors"
)

// torchPython returns a Python interpreter that has torch. Without one the
// test is skipped, unless WHETSTONE_REQUIRE_TORCH is set (CI sets it, and
// installs python3-torch), where it fails.
func torchPython(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if err := exec.Command(py, "-c", "import torch").Run(); err == nil {
			return py
		}
	}
	if os.Getenv("WHETSTONE_REQUIRE_TORCH") != "" {
		t.Fatal("no python3 with torch, and WHETSTONE_REQUIRE_TORCH is set (apt install python3-torch)")
	}
	t.Skip("no python3 with torch (apt install python3-torch): the PyTorch reference cannot run")
	return ""
}

type refSeq struct {
	Tokens []int32 `json:"tokens"`
	Labels []int32 `json:"labels"`
}

type refPair struct {
	Chosen   refSeq `json:"chosen"`
	Rejected refSeq `json:"rejected"`
}

// preferencePairs are fixed pairs over a vocabulary: prompts of different
// lengths (labels -100) followed by answers of different lengths.
func preferencePairs(vocab int) []refPair {
	r := rand.New(rand.NewPCG(7, 11))
	tok := func() int32 { return int32(2 + r.IntN(vocab-2)) }
	seq := func(prompt []int32, answer int) refSeq {
		s := refSeq{}
		for _, p := range prompt {
			s.Tokens = append(s.Tokens, p)
			s.Labels = append(s.Labels, model.IgnoreIndex)
		}
		for range answer {
			x := tok()
			s.Tokens = append(s.Tokens, x)
			s.Labels = append(s.Labels, x)
		}
		return s
	}
	var out []refPair
	for _, lens := range [][3]int{{5, 4, 6}, {7, 3, 3}, {4, 6, 2}} {
		prompt := make([]int32, lens[0])
		for j := range prompt {
			prompt[j] = tok()
		}
		out = append(out, refPair{Chosen: seq(prompt, lens[1]), Rejected: seq(prompt, lens[2])})
	}
	return out
}

// pairBatch lays pairs out as PreferenceTarget reads them: chosen rows,
// then rejected rows, padded at the end, plus one all-padding pair that
// must count nowhere.
func pairBatch(pairs []refPair) Batch {
	rows := make([]refSeq, 0, 2*len(pairs)+2)
	for _, p := range pairs {
		rows = append(rows, p.Chosen)
	}
	rows = append(rows, refSeq{})
	for _, p := range pairs {
		rows = append(rows, p.Rejected)
	}
	rows = append(rows, refSeq{})
	seqLen := 0
	for _, r := range rows {
		seqLen = max(seqLen, len(r.Tokens))
	}
	b := Batch{Rows: len(rows), Seq: seqLen}
	for _, r := range rows {
		for i := range seqLen {
			if i < len(r.Tokens) {
				b.Tokens = append(b.Tokens, r.Tokens[i])
				b.Labels = append(b.Labels, r.Labels[i])
				b.Positions = append(b.Positions, int32(i))
				b.Segments = append(b.Segments, 1)
			} else {
				b.Tokens = append(b.Tokens, 0)
				b.Labels = append(b.Labels, model.IgnoreIndex)
				b.Positions = append(b.Positions, 0)
				b.Segments = append(b.Segments, 0)
			}
		}
	}
	return b
}

// lossAndGrads evaluates a target's weighted loss, its metrics and the
// gradient of the loss with respect to every trainable variable, by name.
func lossAndGrads(t *testing.T, m *model.Model, target Target, b Batch) (float64, map[string]float64, map[string][]float32) {
	t.Helper()
	weights := target.Weights
	if len(weights) == 0 {
		weights = []float64{1}
	}
	var names []string
	exec, err := gmodel.NewExec(m.Backend(), target.Store, func(scope *gmodel.Scope, in []*graph.Node) []*graph.Node {
		g := in[0].Graph()
		scope.SetTraining(g, true)
		l := target.Loss(scope, in[0], in[1], in[2], in[3])
		var loss *graph.Node
		for k, term := range l.Terms {
			part := graph.MulScalar(graph.Div(term.Sum, graph.MaxScalar(term.Count, 1)), weights[k])
			if loss == nil {
				loss = part
			} else {
				loss = graph.Add(loss, part)
			}
		}
		nodes := make([]*graph.Node, len(target.Trainable))
		for i, v := range target.Trainable {
			nodes[i] = v.NodeValue(g)
		}
		out := []*graph.Node{loss}
		names = names[:0]
		for _, mt := range l.Metrics {
			names = append(names, mt.Name)
			out = append(out, graph.Div(mt.Sum, graph.MaxScalar(mt.Count, 1)))
		}
		return append(out, graph.Gradient(loss, nodes...)...)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer exec.Finalize()
	out, err := exec.Call(batchTensors(b)...)
	if err != nil {
		t.Fatal(err)
	}
	metrics := map[string]float64{}
	for i, name := range names {
		metrics[name] = float64(tensors.ToScalar[float32](out[1+i]))
	}
	grads := map[string][]float32{}
	for i, v := range target.Trainable {
		grads[v.Name()] = tensors.MustCopyFlatData[float32](out[1+len(names)+i])
	}
	return float64(tensors.ToScalar[float32](out[0])), metrics, grads
}

// TestPreferenceLossesMatchTorch checks DPO (with and without label
// smoothing) and ORPO against testdata/preference_reference.py, a float64
// PyTorch computation of TRL's formulas over the same model and adapters,
// each sequence run on its own: losses, rewards and the gradient of every
// adapter matrix within 1e-5.
func TestPreferenceLossesMatchTorch(t *testing.T) {
	py := torchPython(t)
	cfg, err := model.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.NewRandom(cfg, 5, model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	lc := model.LoRAConfig{Rank: 4, Alpha: 8, Seed: 3}
	if err := m.AddLoRA(lc); err != nil {
		t.Fatal(err)
	}
	// B starts at zero, where the adapted model is the reference; give it
	// values so the two differ and every gradient path is exercised.
	state, err := m.LoRAState()
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range state {
		for j := range state[i].Data {
			if strings.Contains(state[i].Name, ".lora_B.") {
				state[i].Data[j] = float32(r.NormFloat64() * 0.05)
			}
		}
	}
	if err := m.SetLoRAState(state); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	if err := m.SaveCheckpoint(dir); err != nil {
		t.Fatal(err)
	}
	var lora []safetensors.Tensor
	for _, ht := range state {
		st, err := safetensors.FromFloat32(ht.Name, safetensors.F32, ht.Shape, ht.Data)
		if err != nil {
			t.Fatal(err)
		}
		lora = append(lora, st)
	}
	if err := safetensors.WriteFile(filepath.Join(dir, "lora.safetensors"), lora, nil); err != nil {
		t.Fatal(err)
	}
	pairs := preferencePairs(cfg.VocabSize)
	cases := map[string]PreferenceOptions{
		"dpo":          {Method: runconfig.MethodDPO, Beta: 0.1},
		"dpo_smoothed": {Method: runconfig.MethodDPO, Beta: 0.5, LabelSmoothing: 0.2},
		"orpo":         {Method: runconfig.MethodORPO, Lambda: 0.1},
	}
	spec := map[string]any{"scale": lc.Scale(), "cases": map[string]any{}}
	for name, o := range cases {
		spec["cases"].(map[string]any)[name] = map[string]any{
			"method": o.Method, "beta": o.Beta, "label_smoothing": o.LabelSmoothing, "lambda": o.Lambda, "pairs": pairs,
		}
	}
	data, _ := json.Marshal(spec)
	if err := os.WriteFile(filepath.Join(dir, "case.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, filepath.Join("testdata", "preference_reference.py"), dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("preference_reference.py: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Cases map[string]map[string]json.RawMessage `json:"cases"`
	}
	if err := json.Unmarshal(raw, &ref); err != nil {
		t.Fatal(err)
	}

	b := pairBatch(pairs)
	for name, o := range cases {
		t.Run(name, func(t *testing.T) {
			target, err := PreferenceTarget(m, o)
			if err != nil {
				t.Fatal(err)
			}
			loss, metrics, grads := lossAndGrads(t, m, target, b)
			want := ref.Cases[name]
			var wantLoss float64
			_ = json.Unmarshal(want["loss"], &wantLoss)
			if d := math.Abs(loss - wantLoss); d > 1e-5 {
				t.Errorf("loss %.8f, PyTorch %.8f (diff %.2g)", loss, wantLoss, d)
			}
			for mname, got := range metrics {
				var w float64
				if err := json.Unmarshal(want[mname], &w); err != nil {
					t.Fatalf("the reference has no %s", mname)
				}
				if d := math.Abs(got - w); d > 1e-5 {
					t.Errorf("%s %.8f, PyTorch %.8f", mname, got, w)
				}
			}
			var wantGrads map[string][]float64
			if err := json.Unmarshal(want["grads"], &wantGrads); err != nil {
				t.Fatal(err)
			}
			if len(wantGrads) != len(grads) {
				t.Fatalf("%d gradients, the reference has %d", len(grads), len(wantGrads))
			}
			worst, norm := 0.0, 0.0
			for gname, g := range grads {
				w := wantGrads[gname]
				if len(w) != len(g) {
					t.Fatalf("%s: %d values, the reference %d", gname, len(g), len(w))
				}
				for i := range g {
					worst = math.Max(worst, math.Abs(float64(g[i])-w[i]))
					norm = math.Max(norm, math.Abs(w[i]))
				}
			}
			if norm == 0 {
				t.Fatal("the reference gradients are all zero: the check would prove nothing")
			}
			if worst > 1e-5 {
				t.Errorf("gradients differ from PyTorch by up to %.3g (largest gradient %.3g)", worst, norm)
			}
			t.Logf("loss %.8f (PyTorch %.8f), gradients within %.2g of PyTorch (largest %.3g)", loss, wantLoss, worst, norm)
		})
	}
}
