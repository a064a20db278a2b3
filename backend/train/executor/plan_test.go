package executor

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/batch"
	"github.com/whetstone-ai/whetstone/backend/dataset"
	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/runs"
)

// notInPlan are the config paths that do not change what the executor
// does, with why. Everything else in runconfig.Schema must change the Plan.
var notInPlan = map[string]string{
	"name": "a label for people: the run store lists it, training never depends on it",
	// Re-check when Optimizers grows: the test then perturbs it like any
	// other enum and fails until the trainer reads it.
	"training.optimizer": "adamw is the only choice (runconfig.Optimizers), so no other value can be set; the trainer is AdamW",
}

// planBase is a valid config at its defaults.
func planBase() runconfig.Config {
	c := runconfig.Default()
	c.Model.Source, c.Dataset.Path = "org/model", "data.jsonl"
	return c
}

// perturbations are values, as `--set` takes them, that differ from f's
// default, in the order they are tried; the first valid one is used.
func perturbations(f runconfig.Field) []string {
	switch f.Kind {
	case runconfig.KindBool:
		return []string{strconv.FormatBool(!f.Default.(bool))}
	case runconfig.KindInt:
		d := reflect.ValueOf(f.Default).Int()
		return []string{strconv.FormatInt(d+1, 10), strconv.FormatInt(d-1, 10)}
	case runconfig.KindFloat:
		d := f.Default.(float64)
		var out []string
		for _, x := range []float64{d * 2, d + f.Step, d / 2, (d + 1) / 2, 0.5, 1, 2} {
			if x != d {
				out = append(out, strconv.FormatFloat(x, 'g', -1, 64))
			}
		}
		return out
	case runconfig.KindString:
		return []string{"changed"}
	case runconfig.KindEnum:
		var out []string
		for _, e := range f.Enum {
			if e != reflect.ValueOf(f.Default).String() {
				out = append(out, e)
			}
		}
		return out
	case runconfig.KindList:
		l := f.Default.([]string)
		if len(l) == 0 {
			// An empty default list: one of its choices.
			return []string{"[" + f.Enum[0] + "]"}
		}
		return []string{"[" + strings.Join(l[:len(l)-1], ", ") + "]"}
	case runconfig.KindMap:
		return []string{"{conversations: dialog}"}
	}
	return nil
}

// Every config path reaches the executor: set to anything but its
// default, it changes the Plan (the options handed to the dataset reader,
// the tokenizer, the batcher, the model and the trainer), unless it is
// listed in notInPlan with a reason.
func TestEveryConfigPathChangesThePlan(t *testing.T) {
	base, err := plan(planBase())
	require.NoError(t, err)
	for _, f := range runconfig.Schema() {
		c, value := planBase(), ""
		for _, v := range perturbations(f) {
			try := planBase()
			if try.Set(f.Path, v) == nil && try.Check() == nil {
				c, value = try, v
				break
			}
		}
		why, excused := notInPlan[f.Path]
		if value == "" {
			if !excused {
				t.Errorf("%s: no valid value other than its default to try; list it in notInPlan with why", f.Path)
			}
			continue
		}
		p, err := plan(c)
		require.NoError(t, err, f.Path)
		changed := !reflect.DeepEqual(base, p)
		t.Logf("%s=%s changes the plan: %v", f.Path, value, changed)
		switch {
		case !changed && !excused:
			t.Errorf("config path %s is not consumed: setting it to %s leaves the executor's plan as it was", f.Path, value)
		case changed && excused:
			t.Errorf("%s changes the plan now; take it off notInPlan (%q)", f.Path, why)
		}
	}
	for path := range notInPlan {
		require.True(t, slices.ContainsFunc(runconfig.Schema(), func(f runconfig.Field) bool { return f.Path == path }), "notInPlan lists %s, which runconfig does not have", path)
	}
}

// What the plan holds for the defaults: the data options the executor once
// hard-coded come from the config, the mapping is read from its names,
// and a validation file replaces the split.
func TestPlanDataOptions(t *testing.T) {
	c := planBase()
	c.Dataset.Mapping = map[string]string{"conversations": "dialog", "from": "role", "format": "openai"}
	c.Dataset.Format = "sharegpt"
	p, err := plan(c)
	require.NoError(t, err)
	d := p.Data
	require.Equal(t, dataset.Mapping{Format: dataset.FormatShareGPT, ConversationColumn: "dialog", RoleKey: "role"}, d.Dataset.Mapping)
	require.True(t, d.Dataset.SkipBadRows)
	require.True(t, d.Tokenize.SkipBadRows)
	require.Equal(t, 1000, d.Dataset.MaxBadRows)
	require.Equal(t, dataset.TruncateRight, d.Tokenize.Truncation)
	require.Equal(t, batch.TrainResponses, d.Mode)
	require.Equal(t, batch.SplitOptions{Fraction: 0.05, Seed: 3407}, d.Split)
	require.Equal(t, model.LoRAConfig{Rank: 8, Alpha: 8, TargetModules: runconfig.LoRATargets(), Seed: 3407}, p.LoRA)

	c.Dataset.ValPath = "val.jsonl"
	c.Dataset.SkipBadRows, c.Dataset.MaxBadRows, c.Dataset.Truncation = false, 0, dataset.DropLong
	p, err = plan(c)
	require.NoError(t, err)
	require.Equal(t, "val.jsonl", p.Data.ValPath)
	require.Zero(t, p.Data.Split, "val_path wins over val_fraction: nothing is split off")
	require.False(t, p.Data.Dataset.SkipBadRows || p.Data.Tokenize.SkipBadRows)
	require.Equal(t, dataset.DropLong, p.Data.Tokenize.Truncation)

	c.Dataset.Mapping = map[string]string{"turns": "dialog"}
	_, err = plan(c)
	require.ErrorContains(t, err, "dataset.mapping.turns")
}

// A validation folder or hub dataset is read from its validation split,
// else its test split, else the training data's.
func TestValidationSplit(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	touch := func(p string) {
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(`{"text": "x"}`+"\n"), 0o644))
	}
	both, testOnly, none := filepath.Join(dir, "both"), filepath.Join(dir, "test-only"), filepath.Join(dir, "none")
	touch(filepath.Join(both, "data", "train-00000.jsonl"))
	touch(filepath.Join(both, "data", "validation-00000.jsonl"))
	touch(filepath.Join(both, "data", "test-00000.jsonl"))
	touch(filepath.Join(testOnly, "data", "train-00000.jsonl"))
	touch(filepath.Join(testOnly, "data", "test-00000.jsonl"))
	touch(filepath.Join(none, "rows.jsonl"))
	require.Equal(t, "validation", validationSplit(ctx, both, nil, ""))
	require.Equal(t, "test", validationSplit(ctx, testOnly, nil, ""))
	require.Equal(t, "", validationSplit(ctx, none, nil, ""))
	require.Equal(t, "train", validationSplit(ctx, filepath.Join(none, "rows.jsonl"), nil, "train"))
	hub := []string{"/c/snap/data/train-0.parquet", "/c/snap/data/dev-0.parquet"}
	require.Equal(t, "validation", validationSplit(ctx, "org/ds", hub, ""))
	require.Equal(t, "x", validationSplit(ctx, "org/ds", hub[:1], "x"))
}

// heldOutRows writes n rows unlike fineTomeRows' (other questions, other
// answers), so a model trained on those scores them differently.
func heldOutRows(t *testing.T, path string, n int, answer func(i int) string) {
	t.Helper()
	var b strings.Builder
	for i := range n {
		b.WriteString(`{"conversations": [{"from": "human", "value": "Name the tool ` + strconv.Itoa(i) + `."}, {"from": "gpt", "value": "` + answer(i) + `"}]}` + "\n")
	}
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
}

// dataset.val_path: the validation loss is computed on that file, with
// every row of the training file trained on. Two runs that differ only in
// the validation file's content train identically (the same losses step by
// step: no validation row is trained on) and report different validation
// losses; the same config with val_fraction holds rows of the training
// file out instead.
func TestValPathIsTheValidationSet(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	valA, valB := filepath.Join(dir, "val-a.jsonl"), filepath.Join(dir, "val-b.jsonl")
	heldOutRows(t, valA, 9, func(i int) string { return "The strop is part of sharpening a knife." })
	heldOutRows(t, valB, 9, func(i int) string { return strings.Repeat("zq ", 5+i%4) + "!" })
	run := func(valPath string) (train []float64, val float64, log string) {
		cfg := f.config(3)
		cfg.Training.EvalEvery = 0
		cfg.Dataset.ValPath = valPath
		rec := runQueued(t, f, Env{}, cfg, "")
		out, _ := os.ReadFile(f.store.LogPath(rec.ID))
		if rec.State != runs.Completed || rec.ValLoss == nil {
			t.Fatalf("val_path %q: state %s, error %q\n%s", valPath, rec.State, rec.Error, out)
		}
		ms, err := f.store.Metrics(rec.ID)
		require.NoError(t, err)
		for _, m := range ms {
			train = append(train, m.Loss)
		}
		return train, *rec.ValLoss, string(out)
	}
	trainA, lossA, logA := run(valA)
	trainB, lossB, logB := run(valB)
	trainSplit, lossSplit, logSplit := run("")
	t.Logf("validation loss: %.4f on val-a, %.4f on val-b, %.4f on a 10%% split of the training file", lossA, lossB, lossSplit)
	require.Contains(t, logA, "data: 120 training and 9 validation examples (120 rows read")
	require.Contains(t, logA, "validation: 9 examples from "+valA)
	require.Contains(t, logB, "validation: 9 examples from "+valB)
	require.Contains(t, logSplit, "data: 108 training and 12 validation examples (120 rows read")
	require.Len(t, trainA, 3)
	for i := range trainA {
		require.InDelta(t, trainA[i], trainB[i], 1e-6, "step %d: the validation file changed training", i+1)
	}
	require.Greater(t, math.Abs(lossA-lossB), 0.01, "the validation loss does not depend on the validation file")
	require.NotEqual(t, trainA, trainSplit, "with val_path every training row is trained on; with val_fraction some are held out")
	require.Greater(t, math.Abs(lossA-lossSplit), 1e-3)
}
