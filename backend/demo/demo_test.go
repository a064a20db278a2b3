package demo

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/batch"
	"github.com/whetstone-ai/whetstone/backend/chattemplate"
	"github.com/whetstone-ai/whetstone/backend/dataset"
	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/tokenizer"
)

func TestCreateWritesALoadableModelTokenizerAndDataset(t *testing.T) {
	dir := t.TempDir()
	f, err := Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := tokenizer.Load(f.ModelDir)
	if err != nil {
		t.Fatal(err)
	}
	if tok.VocabSize() != VocabSize {
		t.Errorf("vocab size %d, want %d", tok.VocabSize(), VocabSize)
	}
	text := "<start_of_turn>user\nHow do I sharpen a knife? Ünïcode ☃<end_of_turn>\n"
	ids := tok.Encode(text, true)
	if ids[0] != bosID {
		t.Errorf("no <bos> first: %v", ids[:3])
	}
	if got := tok.Decode(ids, false); got != "<bos>"+text {
		t.Errorf("round trip: %q", got)
	}
	if id, _ := tok.TokenID("<end_of_turn>"); id != endOfTurnID {
		t.Errorf("<end_of_turn> = %d", id)
	}
	// Learned merges make common words short.
	if n := len(tok.Encode(" sharpen the knife", false)); n > 8 {
		t.Errorf("%d tokens for a common phrase; merges not learned?", n)
	}

	r, err := chattemplate.NewRenderer(tok.Config())
	if err != nil {
		t.Fatal(err)
	}
	out, err := r.Render([]chattemplate.Message{{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Hi"}, {Role: "assistant", Content: "Hello!"}},
		chattemplate.Options{AddGenerationPrompt: false})
	if err != nil {
		t.Fatal(err)
	}
	want := "<bos><start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n"
	if out != want {
		t.Errorf("template renders\n%q\nwant\n%q", out, want)
	}

	m, err := model.Load(f.ModelDir, model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Config().NumLayers != 4 || m.Config().VocabSize != VocabSize {
		t.Errorf("model config %+v", m.Config())
	}

	// The dataset reads as ShareGPT with every row usable, and responses-only
	// labelling leaves something to learn in every row.
	prep, err := batch.Prepare(t.Context(), batch.Config{
		Path: f.DataPath, Encoder: tok, Template: batch.ChatTemplate{Renderer: r}, Mode: batch.TrainResponses, EOS: eosID,
		Tokenize: batch.TokenizeOptions{MaxLen: 256},
	})
	if err != nil {
		t.Fatal(err)
	}
	if prep.Detection.Mapping.Format != dataset.FormatShareGPT || len(prep.Train) != Conversations() {
		t.Errorf("detected %+v, %d examples", prep.Detection.Mapping, len(prep.Train))
	}

	// A second Create reuses the files.
	st, _ := os.Stat(filepath.Join(f.ModelDir, "model.safetensors"))
	f2, err := Create(dir)
	if err != nil || f2 != f {
		t.Fatal(f2, err)
	}
	st2, _ := os.Stat(filepath.Join(f.ModelDir, "model.safetensors"))
	if !st.ModTime().Equal(st2.ModTime()) {
		t.Error("demo model rebuilt although it was complete")
	}
	if !strings.HasSuffix(f.DataPath, ".jsonl") {
		t.Error(f.DataPath)
	}
}

func TestTokenizerIsDeterministic(t *testing.T) {
	a, err := buildTokenizerJSON(corpus(), VocabSize)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := buildTokenizerJSON(corpus(), VocabSize)
	if string(a) != string(b) {
		t.Error("two builds of the demo tokenizer differ")
	}
}
