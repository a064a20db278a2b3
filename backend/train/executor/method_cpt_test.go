package executor

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/batch"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/runs"
	"github.com/whetstone-ai/whetstone/backend/tokenizer"
)

// cptConfig is continued pretraining on the demo corpus (a folder of .txt
// files), validated on its held-out file, in rows of 64 tokens: each file
// is several rows long.
func (f fixture) cptConfig(steps int) runconfig.Config {
	c := f.config(steps)
	c.Dataset.Path = f.files.CorpusDir
	c.Dataset.ValPath = f.files.CorpusValPath
	c.Training.Method = runconfig.MethodCPT
	c.Training.MaxSeqLen = 64
	c.Training.GradAccum = 1
	c.Training.EvalEvery = 4
	return c
}

// Continued pretraining reads .txt files as one text row each, cuts every
// text into max_seq_len pieces rather than truncating it, trains every
// token (no prompt to mask, whatever train_on_responses_only says) and
// packs the pieces into full rows.
func TestCPTTrainsEveryTokenOfTextFilesInFullRows(t *testing.T) {
	f := newFixture(t)
	cfg := f.cptConfig(8)
	p, err := plan(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Batch.Pack || p.Data.Mode != batch.TrainAll || !cfg.Training.TrainOnResponsesOnly {
		t.Fatalf("plan: pack %v, mode %v", p.Batch.Pack, p.Data.Mode)
	}
	tok, err := tokenizer.Load(f.files.ModelDir)
	if err != nil {
		t.Fatal(err)
	}
	store, _ := runs.Open(filepath.Join(t.TempDir(), "runs"))
	rec, err := store.Create(cfg)
	if err != nil {
		t.Fatal(err)
	}
	job := &runs.Job{ID: rec.ID, Config: cfg, Store: store}
	prep, err := prepareData(context.Background(), Env{}, p.Data, f.files.ModelDir, tok, job)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := os.ReadDir(f.files.CorpusDir)
	r := prep.Report
	t.Logf("%d files: %d examples, %d tokens, %d trained, %d truncated, %d extra pieces", len(files), len(prep.Train), r.Tokens, r.TrainableTokens, r.Truncated, r.Pieces)
	if r.Rows != len(files) || r.Truncated != 0 || len(prep.Train) < 3*len(files) || r.Pieces != len(prep.Train)-len(files) {
		t.Errorf("the %d files were not cut into pieces: %+v, %d examples", len(files), r, len(prep.Train))
	}
	var tokens int
	for _, e := range prep.Train {
		if e.Len() > cfg.Training.MaxSeqLen || e.Rejected != nil {
			t.Fatalf("row %d: a piece of %d tokens", e.Row, e.Len())
		}
		// A piece's first token has no context in its row to be
		// predicted from (the model's loss shifts labels by one): every
		// other token is trained.
		for i, tr := range e.Trainable[1:] {
			if !tr {
				t.Fatalf("row %d: token %d of a text is not trained", e.Row, i+1)
			}
		}
		tokens += e.Len()
	}
	if int64(tokens) != r.Tokens || r.TrainableTokens < r.Tokens-int64(len(prep.Train)) {
		t.Errorf("%d tokens in the pieces, %d read, %d trainable", tokens, r.Tokens, r.TrainableTokens)
	}
	// Every text's tokens, in order, across its pieces: the file's
	// encoding, nothing lost at the cuts.
	text, _ := os.ReadFile(filepath.Join(f.files.CorpusDir, files[0].Name()))
	var joined []int32
	for _, e := range prep.Train {
		if e.Row == prep.Train[0].Row { // rows count from 1, as a user reads them
			joined = append(joined, e.Tokens...)
		}
	}
	if want := tok.Encode(strings.TrimRight(string(text), "\n"), true); len(joined) < len(want) || !sameIDs(joined[:len(want)], want) {
		t.Errorf("file %s: its pieces hold %d tokens that do not start with its %d", files[0].Name(), len(joined), len(want))
	}

	bopts := p.Batch
	bopts.PadID = int32(max(0, tok.Config().PadID))
	data, err := newEpochData(prep.Train, bopts, true)
	if err != nil {
		t.Fatal(err)
	}
	used, total := 0, 0
	for i := range data.Len() {
		b, err := data.Batch(0, i)
		if err != nil {
			t.Fatal(err)
		}
		if b.Seq != cfg.Training.MaxSeqLen {
			t.Fatalf("batch %d: rows of %d tokens, want %d", i, b.Seq, cfg.Training.MaxSeqLen)
		}
		for _, s := range b.Segments {
			if s != 0 {
				used++
			}
		}
		total += len(b.Segments)
	}
	if fill := float64(used) / float64(total); fill < 0.9 {
		t.Errorf("packed rows are %.0f%% full", 100*fill)
	}

	// The same config trains through the queue, and its held-out loss,
	// on a file it never sees, falls.
	run := runQueued(t, f, Env{}, cfg, "")
	if run.State != runs.Completed {
		t.Fatalf("run ended %s: %s", run.State, run.Error)
	}
	ms, _ := f.store.Metrics(run.ID)
	var val []float64
	for _, m := range ms {
		if m.ValLoss != nil {
			val = append(val, *m.ValLoss)
		}
	}
	if len(val) != 2 || !(val[1] < val[0]) {
		t.Errorf("held-out loss %v", val)
	}
	log, _ := os.ReadFile(f.store.LogPath(run.ID))
	if !strings.Contains(string(log), "method: continued pretraining") {
		t.Errorf("the log does not say the method:\n%s", log)
	}
}

func sameIDs(a []int32, b []int) bool {
	for i := range b {
		if a[i] != int32(b[i]) {
			return false
		}
	}
	return true
}
