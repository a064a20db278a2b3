package executor

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/whetstone-ai/whetstone/backend/adapter"
	"github.com/whetstone-ai/whetstone/backend/batch"
	"github.com/whetstone-ai/whetstone/backend/chattemplate"
	"github.com/whetstone-ai/whetstone/backend/demo"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/runs"
	"github.com/whetstone-ai/whetstone/backend/tokenizer"
)

// fineTomeRows writes n rows in FineTome-100k's schema
// ({"conversations": [{"from": "human"|"gpt", "value": ...}]}), with a
// system turn now and then and a second exchange in some rows. Answers
// follow a pattern a tiny model can pick up within a few dozen steps.
func fineTomeRows(t *testing.T, path string, n int) {
	t.Helper()
	names := []string{"stone", "knife", "blade", "edge", "steel", "honing rod", "strop", "burr"}
	var b strings.Builder
	for i := 0; i < n; i++ {
		x, y := i%9+1, (i*7)%9+1
		turns := []map[string]string{}
		if i%5 == 0 {
			turns = append(turns, map[string]string{"from": "system", "value": "Answer in one sentence."})
		}
		turns = append(turns,
			map[string]string{"from": "human", "value": fmt.Sprintf("What is %d plus %d?", x, y)},
			map[string]string{"from": "gpt", "value": fmt.Sprintf("%d plus %d is %d.", x, y, x+y)})
		if i%3 == 0 {
			name := names[i%len(names)]
			turns = append(turns,
				map[string]string{"from": "human", "value": "Tell me about the " + name + "."},
				map[string]string{"from": "gpt", "value": "The " + name + " is part of sharpening a knife."})
		}
		line, _ := json.Marshal(map[string]any{"conversations": turns, "source": "whetstone-test", "score": 4.5})
		b.Write(line)
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

type fixture struct {
	files demo.Files
	data  string
	store *runs.Store
}

func newFixture(t *testing.T) fixture {
	dir := t.TempDir()
	files, err := demo.Create(filepath.Join(dir, "models"))
	if err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "finetome.jsonl")
	fineTomeRows(t, data, 120)
	store, err := runs.Open(filepath.Join(dir, "runs"))
	if err != nil {
		t.Fatal(err)
	}
	return fixture{files: files, data: data, store: store}
}

func (f fixture) config(steps int) runconfig.Config {
	c := runconfig.Default()
	c.Model.Source = f.files.ModelDir
	c.Dataset.Path = f.data
	c.Dataset.ValFraction = 0.1
	c.LoRA.R, c.LoRA.Alpha = 8, 16
	c.Training.LearningRate = 3e-3
	c.Training.MaxSteps = steps
	c.Training.MaxSeqLen = 128
	c.Training.GradAccum = 2
	c.Training.EvalEvery = 8
	c.Training.EvalBatches = 0
	c.Checkpoint.Every = 5
	c.Checkpoint.Keep = 2
	return c
}

func runQueued(t *testing.T, f fixture, env Env, cfg runconfig.Config, resumeID string) runs.Record {
	t.Helper()
	q, err := runs.NewQueue(f.store, New(env), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	q.Start(ctx)
	defer q.Close()
	id := resumeID
	if id == "" {
		rec, err := q.Submit(cfg)
		if err != nil {
			t.Fatal(err)
		}
		id = rec.ID
	} else if err := q.Resume(id, 0); err != nil {
		t.Fatal(err)
	}
	if err := q.Wait(ctx, id); err != nil {
		t.Fatal(err)
	}
	rec, err := f.store.Get(id)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func TestTinyGemmaTrainsOnFineTomeRows(t *testing.T) {
	f := newFixture(t)
	baseBefore, _ := os.ReadFile(filepath.Join(f.files.ModelDir, "model.safetensors"))
	rec := runQueued(t, f, Env{}, f.config(24), "")
	if rec.State != runs.Completed {
		log, _ := os.ReadFile(f.store.LogPath(rec.ID))
		t.Fatalf("run ended %s: %s\n%s", rec.State, rec.Error, log)
	}
	ms, err := f.store.Metrics(rec.ID)
	if err != nil || len(ms) != 24 {
		t.Fatalf("%d metrics: %v", len(ms), err)
	}
	var val []float64
	for _, m := range ms {
		if m.ValLoss != nil {
			val = append(val, *m.ValLoss)
		}
	}
	t.Logf("train loss %.3f -> %.3f, validation %v", ms[0].Loss, ms[23].Loss, val)
	if len(val) != 3 || !(val[2] < val[0]-0.1) {
		t.Errorf("validation loss did not decrease: %v", val)
	}
	// The adapter is a PEFT directory the export code reads back.
	ad, err := adapter.ReadAdapter(f.store.AdapterDir(rec.ID))
	if err != nil {
		t.Fatal(err)
	}
	if ad.Config.R != 8 || len(ad.Layers) != 4*7 {
		t.Errorf("adapter r=%d with %d layers", ad.Config.R, len(ad.Layers))
	}
	baseAfter, _ := os.ReadFile(filepath.Join(f.files.ModelDir, "model.safetensors"))
	if string(baseBefore) != string(baseAfter) {
		t.Error("base model file changed")
	}

	// Responses-only masking: no token of a user turn is trained on.
	tok, _ := tokenizer.Load(f.files.ModelDir)
	r, _ := chattemplate.NewRenderer(tok.Config())
	prep, err := batch.Prepare(context.Background(), batch.Config{Path: f.data, Encoder: tok,
		Template: batch.ChatTemplate{Renderer: r}, Mode: batch.TrainResponses, EOS: 1, Tokenize: batch.TokenizeOptions{MaxLen: 128}})
	if err != nil {
		t.Fatal(err)
	}
	ex := prep.Train[0]
	var trained, prompt strings.Builder
	for i, id := range ex.Tokens {
		s := tok.Decode([]int{int(id)}, false)
		if ex.Trainable[i] {
			trained.WriteString(s)
		} else {
			prompt.WriteString(s)
		}
	}
	if strings.Contains(trained.String(), "What is") || !strings.Contains(trained.String(), "plus") || !strings.Contains(prompt.String(), "What is") {
		t.Errorf("masking: trained %q, masked %q", trained.String(), prompt.String())
	}
}

// TestCrashAndResumeThroughTheQueue stops a run with a crashing hook at
// step 8 (after the checkpoint at step 5), resumes it from the queue,
// and checks every logged loss against an uninterrupted run.
func TestCrashAndResumeThroughTheQueue(t *testing.T) {
	f := newFixture(t)
	cfg := f.config(12)
	cfg.LoRA.Dropout = 0.05
	full := runQueued(t, f, Env{}, cfg, "")
	crash := Env{AfterStep: func(job *runs.Job, step int) error {
		if step == 8 && !job.Resume {
			return fmt.Errorf("simulated crash at step %d", step)
		}
		return nil
	}}
	crashed := runQueued(t, f, crash, cfg, "")
	if crashed.State != runs.Failed || crashed.LastCheckpoint != 5 || !crashed.State.Resumable() {
		t.Fatalf("crashed run: %+v", crashed)
	}
	resumed := runQueued(t, f, crash, cfg, crashed.ID)
	if resumed.State != runs.Completed {
		t.Fatalf("resumed run: %+v", resumed)
	}
	want, _ := f.store.Metrics(full.ID)
	got, _ := f.store.Metrics(resumed.ID)
	if len(got) != len(want) {
		t.Fatalf("%d metrics after resume, want %d (replayed steps must not repeat)", len(got), len(want))
	}
	for i := range want {
		if got[i].Step != want[i].Step || math.Abs(got[i].Loss-want[i].Loss) > 1e-6 {
			t.Errorf("step %d: loss %.8f after resume, %.8f uninterrupted", want[i].Step, got[i].Loss, want[i].Loss)
		}
	}
	if ms := got[len(got)-1]; ms.ValLoss == nil || want[len(want)-1].ValLoss == nil || math.Abs(*ms.ValLoss-*want[len(want)-1].ValLoss) > 1e-6 {
		t.Errorf("final validation loss differs")
	}
}

// TestDatasetFolderAndHubIDs reads a dataset given as a folder of split
// files (the train split only), and reports a hub id clearly when hub
// access is not configured.
func TestDatasetFolderAndHubIDs(t *testing.T) {
	f := newFixture(t)
	dir := filepath.Join(t.TempDir(), "ds")
	os.MkdirAll(filepath.Join(dir, "data"), 0o755)
	fineTomeRows(t, filepath.Join(dir, "data", "train-00000-of-00001.jsonl"), 40)
	fineTomeRows(t, filepath.Join(dir, "data", "test-00000-of-00001.jsonl"), 7)
	cfg := f.config(2)
	cfg.Dataset.Path = dir
	cfg.Dataset.ValFraction = 0.25
	rec := runQueued(t, f, Env{}, cfg, "")
	log, _ := os.ReadFile(f.store.LogPath(rec.ID))
	if rec.State != runs.Completed || !strings.Contains(string(log), "30 training and 10 validation examples (40 rows read") {
		t.Fatalf("folder dataset: %+v\n%s", rec, log)
	}
	cfg.Dataset.Path = "mlabonne/FineTome-100k"
	rec = runQueued(t, f, Env{}, cfg, "")
	if rec.State != runs.Failed || !strings.Contains(rec.Error, "mlabonne/FineTome-100k") {
		t.Errorf("hub id without hub access: %+v", rec)
	}
}

// A batch larger than the training set fails at once with the numbers,
// instead of building micro-batches that repeat the data many times over.
func TestBatchLargerThanTheDataIsRefused(t *testing.T) {
	f := newFixture(t)
	cfg := f.config(2)
	cfg.Training.BatchSize = 1000
	start := time.Now()
	rec := runQueued(t, f, Env{}, cfg, "")
	if rec.State != runs.Failed || !strings.Contains(rec.Error, "training.batch_size 1000 is larger than the 108 training examples") {
		t.Fatalf("run: state %s, error %q", rec.State, rec.Error)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("took %s to refuse", d)
	}
}

// A validation split smaller than batch_size is evaluated in smaller
// batches rather than batches that repeat its examples.
func TestSmallValidationSplitShrinksItsBatches(t *testing.T) {
	f := newFixture(t)
	cfg := f.config(2)
	cfg.Training.BatchSize = 20 // 108 training, 12 validation examples
	cfg.Training.GradAccum = 1
	cfg.Training.EvalEvery = 2
	rec := runQueued(t, f, Env{}, cfg, "")
	if rec.State != runs.Completed || rec.ValLoss == nil {
		t.Fatalf("run: state %s, error %q, validation loss %v", rec.State, rec.Error, rec.ValLoss)
	}
	log, err := os.ReadFile(f.store.LogPath(rec.ID))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "validation: 12 examples, fewer than training.batch_size 20: evaluating them in batches of 12") {
		t.Errorf("log does not mention the smaller validation batches:\n%s", log)
	}
}

// training.gradient_checkpointing reaches the model: the run says so and
// trains to the same losses as without it (it trades memory for compute,
// never results).
func TestGradientCheckpointingOption(t *testing.T) {
	f := newFixture(t)
	losses := func(on bool) ([]float64, string) {
		cfg := f.config(3)
		cfg.Training.GradientCheckpointing = on
		rec := runQueued(t, f, Env{}, cfg, "")
		if rec.State != runs.Completed {
			t.Fatalf("checkpointing=%v: state %s, error %q", on, rec.State, rec.Error)
		}
		ms, err := f.store.Metrics(rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		var out []float64
		for _, m := range ms {
			out = append(out, m.Loss)
		}
		log, err := os.ReadFile(f.store.LogPath(rec.ID))
		if err != nil {
			t.Fatal(err)
		}
		return out, string(log)
	}
	plain, plainLog := losses(false)
	ckpt, ckptLog := losses(true)
	if !strings.Contains(ckptLog, "gradient checkpointing: on") || strings.Contains(plainLog, "gradient checkpointing: on") {
		t.Errorf("the run log does not tell whether checkpointing is on")
	}
	if len(plain) != 3 || len(ckpt) != 3 {
		t.Fatalf("losses %v and %v", plain, ckpt)
	}
	for i := range plain {
		if math.Abs(plain[i]-ckpt[i]) > 1e-4 {
			t.Errorf("step %d: loss %v with checkpointing, %v without", i+1, ckpt[i], plain[i])
		}
	}
}
