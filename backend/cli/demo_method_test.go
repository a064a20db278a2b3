package cli

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/demo"
	"github.com/whetstone-ai/whetstone/backend/runs"
	"github.com/whetstone-ai/whetstone/backend/train"
)

// demoRun runs `whetstone demo` with args in ws and returns its output
// and the metrics of the run it made (the newest: the store lists runs
// oldest first).
func demoRun(t *testing.T, ws string, args ...string) (string, []runs.Metrics) {
	t.Helper()
	out, err := runCLI(t, ws, append([]string{"demo"}, args...)...)
	require.NoError(t, err, out)
	store, err := runs.Open(filepath.Join(ws, "runs"))
	require.NoError(t, err)
	list, err := store.List()
	require.NoError(t, err)
	require.NotEmpty(t, list)
	ms, err := store.Metrics(list[len(list)-1].ID)
	require.NoError(t, err)
	require.NotEmpty(t, ms)
	return out, ms
}

// The preference demos: DPO learns the preference set (its reward
// accuracy ends above 0.9 and its margin grows from the first step, where
// the adapters are zero and the model is its own reference), and ORPO's
// margin grows too; both print the figures as they train and at the end.
// One workspace, so the demo model is made once.
func TestPreferenceDemos(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two 20-step preference runs (about a minute on two cores)")
	}
	ws := t.TempDir()
	out, ms := demoRun(t, ws, "--method", "dpo", "--steps", "20")
	first, last := ms[0].Extra, ms[len(ms)-1].Extra
	require.Len(t, ms, 20)
	require.Greater(t, last[train.MetricRewardAccuracy], 0.9, "reward accuracy at the end")
	require.Greater(t, last[train.MetricRewardMargin], first[train.MetricRewardMargin]+1, "the reward margin grows")
	for _, want := range []string{"preference pairs)", "method:  dpo", "--method dpo", "] 20/20  loss", "  margin ", "  acc ",
		"reward margin 0.0000 (step 1) -> ", "reward accuracy ", "asking both models", "the chosen answer: ", "reward accuracy 1.0000"} {
		require.Contains(t, out, want)
	}

	out, ms = demoRun(t, ws, "--method", "orpo", "--steps", "20")
	first, last = ms[0].Extra, ms[len(ms)-1].Extra
	require.Greater(t, last[train.MetricRewardMargin], first[train.MetricRewardMargin], "the ORPO reward margin grows")
	require.Less(t, last[train.MetricNLL], first[train.MetricNLL], "ORPO learns the chosen answers")
	for _, want := range []string{"method:  orpo", "  nll ", "NLL of chosen ", "log odds ratio "} {
		require.Contains(t, out, want)
	}
	require.NotContains(t, out, "DPO teaches which", "the note is DPO's")
}

// The continued-pretraining demo trains on the corpus folder's .txt files
// and its held-out loss, on a file it never trains on, falls.
func TestContinuedPretrainingDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("trains the 40-step continued-pretraining demo")
	}
	out, ms := demoRun(t, t.TempDir(), "--method", "cpt")
	var val []float64
	for _, m := range ms {
		if m.ValLoss != nil {
			val = append(val, *m.ValLoss)
		}
		require.Empty(t, m.Extra, "continued pretraining reports the loss only")
	}
	require.GreaterOrEqual(t, len(val), 4, "the held-out loss is measured as the demo goes")
	require.Less(t, val[len(val)-1], val[0]-0.5, "held-out loss %v", val)
	for _, want := range []string{"text files)", "held out: ", "method:  cpt", "held-out loss: "} {
		require.Contains(t, out, want)
	}
	require.NotContains(t, out, "asking both models", "a text model is not asked chat questions")
}

func TestDemoRejectsAnUnknownMethod(t *testing.T) {
	out, err := runCLI(t, t.TempDir(), "demo", "--method", "rlhf")
	require.ErrorIs(t, err, ErrUsage, out)
	for _, m := range []string{"sft", "dpo", "orpo", "cpt"} {
		require.Contains(t, err.Error(), m)
	}
}

// --method is a flag of train, with the methods runconfig lists, and every
// dedicated flag runconfig.Flags names is one train defines.
func TestTrainMethodFlag(t *testing.T) {
	ws := t.TempDir()
	out, err := runCLI(t, ws, "train", "--print", "--model", "m", "--data", "pairs.jsonl", "--method", "dpo", "--set", "training.dpo_beta=0.2")
	require.NoError(t, err, out)
	require.Contains(t, out, "method: dpo")
	require.Contains(t, out, "# whetstone train --model m --method dpo --data pairs.jsonl --set training.dpo_beta=0.2")
	_, err = runCLI(t, ws, "train", "--model", "m", "--data", "d", "--method", "ppo")
	require.ErrorIs(t, err, ErrUsage)
	require.Contains(t, err.Error(), "training.method")

	help, _ := runCLI(t, ws, "train", "--help")
	require.Contains(t, help, "sft, dpo, orpo, cpt")
	require.Contains(t, help, "--method sft|dpo|orpo|cpt")
	for _, f := range []string{"model", "method", "data", "max-steps", "lr", "rank", "out"} {
		require.Contains(t, help, "  -"+f+" ", "train --help lists -%s", f)
	}
}

// A preference method on chat data, and preference pairs with SFT, are
// refused before a run is made, on training.method, with the fix.
func TestTrainRefusesAMethodTheDataCannotTrain(t *testing.T) {
	ws := t.TempDir()
	files, err := demo.Create(filepath.Join(ws, "models", "demo"))
	require.NoError(t, err)
	for _, c := range []struct{ method, data, want string }{
		{"dpo", files.DataPath, "training.method: dpo trains on preference pairs, but " + files.DataPath + " reads as sharegpt rows"},
		{"orpo", files.CorpusDir, "reads as text rows without chosen and rejected answers"},
		{"sft", files.PairsPath, "training.method: sft cannot train on preference pairs, and " + files.PairsPath + " holds them (chosen and rejected answers): set training.method to dpo or orpo"},
		{"cpt", files.PairsPath, "cpt cannot train on preference pairs"},
	} {
		out, err := runCLI(t, ws, "train", "--model", files.ModelDir, "--method", c.method, "--data", c.data, "--max-steps", "1")
		require.Error(t, err, out)
		require.Contains(t, err.Error(), c.want)
	}
	store, err := runs.Open(filepath.Join(ws, "runs"))
	require.NoError(t, err)
	list, err := store.List()
	require.NoError(t, err)
	require.Empty(t, list, "a refused config makes no run")
}
