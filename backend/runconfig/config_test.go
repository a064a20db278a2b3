package runconfig

import (
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/dataset"
)

func TestDefaultsFollowUnslothGemma3Notebook(t *testing.T) {
	c := Default()
	if c.LoRA.R != 8 || c.LoRA.Alpha != 8 || c.LoRA.Dropout != 0 {
		t.Errorf("lora = %+v", c.LoRA)
	}
	tr := c.Training
	if tr.LearningRate != 2e-4 || tr.WeightDecay != 0.01 || tr.Scheduler != "linear" || tr.WarmupSteps != 5 ||
		tr.BatchSize != 2 || tr.GradAccum != 4 || tr.MaxSteps != 60 || tr.MaxSeqLen != 2048 || !tr.TrainOnResponsesOnly {
		t.Errorf("training = %+v", tr)
	}
	if c.Seed != 3407 {
		t.Errorf("seed = %d", c.Seed)
	}
	// Defaults are valid apart from the two things only the user can know.
	errs := c.Validate()
	got := map[string]bool{}
	for _, e := range errs {
		got[e.Field] = true
	}
	if len(errs) != 2 || !got["model.source"] || !got["dataset.path"] {
		t.Errorf("Validate(Default()) = %v, want model.source and dataset.path only", errs)
	}
}

func TestPresets(t *testing.T) {
	for fam, r := range map[string]int{"gemma3": 8, "llama3": 16, "qwen3": 32} {
		c, err := ForFamily(fam)
		if err != nil {
			t.Fatal(err)
		}
		if c.LoRA.R != r || Presets()[fam].Family != fam {
			t.Errorf("%s preset: r = %d, want %d", fam, c.LoRA.R, r)
		}
	}
	if _, err := ForFamily("gpt2"); err == nil {
		t.Error("unknown family accepted")
	}
	if c, _ := ForFamily("qwen3"); c.LoRA.R != 32 {
		t.Errorf("qwen3 r = %d", c.LoRA.R)
	}
}

func TestParseKeepsDefaultsAndRejectsUnknownFields(t *testing.T) {
	c, err := Parse([]byte("model:\n  source: ./m\ndataset:\n  path: d.jsonl\ntraining:\n  learning_rate: 1e-3\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Training.LearningRate != 1e-3 || c.Training.BatchSize != 2 || c.LoRA.R != 8 || !c.Training.TrainOnResponsesOnly {
		t.Errorf("parsed = %+v", c)
	}
	if _, err := Parse([]byte("training:\n  learning_rte: 1\n")); err == nil || !strings.Contains(err.Error(), "learning_rte") {
		t.Errorf("typo not reported: %v", err)
	}
	if _, err := Parse([]byte(`{"training": {"learning_rte": 1}}`)); err == nil || !strings.Contains(err.Error(), "learning_rte") {
		t.Errorf("JSON typo not reported: %v", err)
	}
	if c, err := Parse(nil); err != nil || !reflect.DeepEqual(c, Default()) {
		t.Errorf("empty file: %v %+v", err, c)
	}
}

func TestYAMLAndJSONRoundTripToTheSameConfig(t *testing.T) {
	c := Default()
	c.Name = "my run"
	c.Model.Source = "google/gemma-3-270m-it"
	c.Dataset.Path = "data/finetome.parquet"
	c.Dataset.Mapping = map[string]string{"conversations": "dialog"}
	c.LoRA.Targets = []string{"q_proj", "v_proj"}
	c.Training.Scheduler = "cosine"
	dir := t.TempDir()
	for _, name := range []string{"run.yaml", "run.json"} {
		p := filepath.Join(dir, name)
		if err := c.Save(p); err != nil {
			t.Fatal(err)
		}
		back, err := Load(p)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, c) {
			t.Errorf("%s round trip:\n got %+v\nwant %+v", name, back, c)
		}
	}
}

func TestValidateNamesFields(t *testing.T) {
	c := Default()
	c.Model.Source = "m"
	c.Dataset.Path = "d"
	c.LoRA.R = 0
	c.LoRA.Dropout = 1.5
	c.LoRA.Targets = []string{"q_proj", "qq_proj"}
	c.Training.Scheduler = "step"
	c.Training.MaxSteps, c.Training.Epochs = 0, 0
	c.Training.BatchSize = 0
	want := []string{"lora.r", "lora.dropout", "lora.targets", "training.scheduler", "training.max_steps", "training.batch_size"}
	got := map[string]string{}
	for _, e := range c.Validate() {
		got[e.Field] = e.Message
	}
	for _, f := range want {
		if got[f] == "" {
			t.Errorf("no error for %s (got %v)", f, got)
		}
	}
	if !strings.Contains(got["lora.targets"], "qq_proj") {
		t.Errorf("target message %q does not name the bad module", got["lora.targets"])
	}
	if err := c.Check(); err == nil || !strings.Contains(err.Error(), "training.scheduler") {
		t.Errorf("Check() = %v", err)
	}
}

// shellSplit is enough of a POSIX splitter for CommandLine's output.
func shellSplit(s string) []string {
	var out []string
	var cur strings.Builder
	inQ, has := false, false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '\'':
			inQ = !inQ
			has = true
		case ch == ' ' && !inQ:
			if has {
				out = append(out, cur.String())
			}
			cur.Reset()
			has = false
		case ch == '\\' && !inQ && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			has = true
		default:
			cur.WriteByte(ch)
			has = true
		}
	}
	if has {
		out = append(out, cur.String())
	}
	return out
}

func TestCommandLineRoundTrip(t *testing.T) {
	c := Default()
	c.Model.Source = "/models/gemma 3"
	c.Dataset.Path = "rows.jsonl"
	c.Dataset.Mapping = map[string]string{"from": "role"}
	c.Training.LearningRate = 1e-4
	c.Training.MaxSteps = 120
	c.Training.Scheduler = "cosine"
	c.LoRA.R = 16
	c.LoRA.Targets = []string{"q_proj", "v_proj"}
	c.Name = "true" // a string YAML would read as a bool
	c.Dataset.SkipBadRows = false
	c.Dataset.Truncation = dataset.DropLong
	c.Output = "out/adapter"
	line, err := c.CommandLine()
	if err != nil {
		t.Fatal(err)
	}
	t.Log(line)
	args := shellSplit(line)
	if args[0] != "whetstone" || args[1] != "train" {
		t.Fatalf("line = %q", line)
	}
	back := Default()
	for i := 2; i < len(args); i += 2 {
		if err := back.ApplyFlag(strings.TrimPrefix(args[i], "--"), args[i+1]); err != nil {
			t.Fatalf("%s %s: %v", args[i], args[i+1], err)
		}
	}
	if !reflect.DeepEqual(back, c) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back, c)
	}
	if !strings.Contains(line, "--rank 16") || !strings.Contains(line, "--lr 0.0001") {
		t.Errorf("dedicated flags not used: %s", line)
	}
	if l, _ := Default().CommandLine(); l != "whetstone train" {
		t.Errorf("defaults render as %q", l)
	}
}

func TestSetErrors(t *testing.T) {
	c := Default()
	if err := c.Set("training.nope", "1"); err == nil {
		t.Error("unknown path accepted")
	}
	if err := c.Set("lora.r", "eight"); err == nil || !strings.Contains(err.Error(), "lora.r") {
		t.Errorf("bad value: %v", err)
	}
	if c.LoRA.R != 8 {
		t.Error("failed Set modified the config")
	}
	if err := c.Set("lora.scale", "1"); err == nil {
		t.Error("unknown lora field accepted")
	}
}

func TestMaxRowMBBounds(t *testing.T) {
	c := Default()
	c.Model.Source, c.Dataset.Path = "org/m", "org/d"
	c.Dataset.MaxRowMB = -1
	require.Contains(t, fieldsOf(c.Validate()), "dataset.max_row_mb")
	c.Dataset.MaxRowMB = 4096
	require.Contains(t, fieldsOf(c.Validate()), "dataset.max_row_mb")
	c.Dataset.MaxRowMB = 64
	require.NotContains(t, fieldsOf(c.Validate()), "dataset.max_row_mb")
}

func fieldsOf(errs []FieldError) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Field)
	}
	return out
}

func TestPreferenceMethodsRefuseModulesToSave(t *testing.T) {
	for _, method := range Methods() {
		c := Default()
		c.Model.Source, c.Dataset.Path = "m", "d.jsonl"
		c.Training.Method = method
		c.LoRA.ModulesToSave = []string{"embed_tokens"}
		refused := slices.Contains(fieldsOf(c.Validate()), "lora.modules_to_save")
		if want := method == MethodDPO || method == MethodORPO; refused != want {
			t.Errorf("method %s with modules_to_save: refused %v, want %v", method, refused, want)
		}
	}
}
