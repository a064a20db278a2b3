package demo

import (
	"strings"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/batch"
	"github.com/whetstone-ai/whetstone/backend/chattemplate"
	"github.com/whetstone-ai/whetstone/backend/dataset"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/tokenizer"
)

// Every method's demo is a valid run config over files Create wrote, and
// its data reads as the method needs: the preference set as pairs, each
// with a distinct chosen and rejected answer that fit the rows; the corpus
// as one text row per file.
func TestEveryMethodHasADemo(t *testing.T) {
	f, err := Create(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load(f.ModelDir)
	if err != nil {
		t.Fatal(err)
	}
	r, err := chattemplate.NewRenderer(tok.Config())
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range runconfig.Methods() {
		d, err := ForMethod(m, f)
		if err != nil {
			t.Fatal(err)
		}
		if d.Method != m || d.Config.Training.Method != m || d.Config.Dataset.Path != d.Data {
			t.Errorf("%s: demo %+v", m, d)
		}
		if errs := d.Config.Validate(); len(errs) > 0 {
			t.Errorf("%s: %v", m, errs)
		}
		mode := batch.TrainResponses
		if m == runconfig.MethodCPT {
			mode = batch.TrainAll
		}
		prep, err := batch.Prepare(t.Context(), batch.Config{
			Path: d.Data, Encoder: tok, Template: batch.ChatTemplate{Renderer: r}, Mode: mode, EOS: eosID,
			Tokenize: batch.TokenizeOptions{MaxLen: d.Config.Training.MaxSeqLen, SplitLong: m == runconfig.MethodCPT},
		})
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		rep := prep.Report
		if rep.Rows != d.Rows || rep.Truncated != 0 || len(rep.Dropped) != 0 || prep.SkippedRows != 0 {
			t.Errorf("%s: %d rows read of %d, %+v", m, rep.Rows, d.Rows, rep)
		}
		want := map[string]dataset.Format{runconfig.MethodSFT: dataset.FormatShareGPT, runconfig.MethodDPO: dataset.FormatPreference,
			runconfig.MethodORPO: dataset.FormatPreference, runconfig.MethodCPT: dataset.FormatText}[m]
		if got := prep.Detection.Mapping.Format; got != want {
			t.Errorf("%s: %s reads as %s, want %s", m, d.Data, got, want)
		}
		pairs := 0
		for _, e := range prep.Train {
			if e.Rejected != nil {
				pairs++
			}
		}
		if (want == dataset.FormatPreference) != (pairs == len(prep.Train)) || (want != dataset.FormatPreference && pairs > 0) {
			t.Errorf("%s: %d pairs among %d examples", m, pairs, len(prep.Train))
		}
		if (d.Question == "") != (m == runconfig.MethodCPT) {
			t.Errorf("%s: question %q", m, d.Question)
		}
	}
	if _, err := ForMethod("ppo", f); err == nil || !strings.Contains(err.Error(), "sft, dpo, orpo, cpt") {
		t.Errorf("unknown method: %v", err)
	}
}

// A pair whose answers are the same teaches nothing, and the rejected
// answers are not the chosen ones of other pairs.
func TestPreferencePairsDiffer(t *testing.T) {
	chosen := map[string]bool{}
	for _, p := range allPairs() {
		chosen[p.Chosen] = true
	}
	for _, p := range allPairs() {
		if p.Chosen == p.Rejected || chosen[p.Rejected] || p.Prompt == "" {
			t.Errorf("pair %q: chosen %q, rejected %q", p.Prompt, p.Chosen, p.Rejected)
		}
	}
	if n := Pairs(); n < 24 || n > 48 {
		t.Errorf("%d pairs", n)
	}
}
