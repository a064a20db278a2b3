package train

import (
	"path/filepath"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/adapter"
	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
)

// A run that trains the embeddings saves them with its adapter, under
// PEFT's names and listed in modules_to_save, so the adapter reloads
// whole; the tied "tiny" preset lists both names for its one matrix.
func TestSaveAdapterWithTrainedModules(t *testing.T) {
	cfg, err := model.Preset("tiny")
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.NewRandom(cfg, 1, model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.AddLoRA(model.LoRAConfig{Rank: 2, Alpha: 4, TargetModules: []string{"q_proj"}, ModulesToSave: []string{"embed_tokens"}}); err != nil {
		t.Fatal(err)
	}
	rc := runconfig.Default()
	rc.Model.Source = "tiny-base"
	dir := filepath.Join(t.TempDir(), "adapter")
	if err := SaveAdapter(dir, m, rc); err != nil {
		t.Fatal(err)
	}
	ad, err := adapter.ReadAdapter(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := ad.Config.ModulesToSave; len(got) != 2 || got[0] != "embed_tokens" || got[1] != "lm_head" {
		t.Errorf("modules_to_save %v", got)
	}
	emb, err := m.BaseWeight("model.embed_tokens.weight")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"embed_tokens", "lm_head"} {
		mod := ad.Saved[n]
		if mod == nil || len(mod.Data) != len(emb.Data) || mod.Data[7] != emb.Data[7] {
			t.Errorf("saved %s: %+v", n, mod)
		}
	}
	fresh, err := model.NewRandom(cfg, 1, model.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if err := fresh.AttachAdapter(ad); err != nil {
		t.Fatal(err)
	}
	if n := len(fresh.ModuleVariables()); n != 1 {
		t.Errorf("%d module variables after loading, want the tied one", n)
	}
}
