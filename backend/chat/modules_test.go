package chat

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/adapter"
	"github.com/whetstone-ai/whetstone/backend/model"
)

// A continued-pretraining adapter trains the embeddings whole; chat must
// load them with the LoRA layers, not answer with the base embeddings.
func TestAttachAdapterLoadsTrainedModules(t *testing.T) {
	dir := tinyChatModel(t)
	trained, err := model.Load(dir, model.Options{})
	require.NoError(t, err)
	require.NoError(t, trained.AddLoRA(model.LoRAConfig{Rank: 4, Alpha: 4, ModulesToSave: []string{"embed_tokens"}, Seed: 1}))
	state, err := trained.LoRAState()
	require.NoError(t, err)
	// The tiny model ties its head to its embeddings: the state holds the
	// one matrix under both names.
	name := adapter.ModuleTensorName("embed_tokens")
	changed := false
	for i := range state {
		if state[i].Name == name || state[i].Name == adapter.ModuleTensorName("lm_head") {
			for j := range state[i].Data {
				state[i].Data[j] += 0.25
			}
			changed = true
		}
	}
	require.True(t, changed, "the LoRA state has no %s", name)
	require.NoError(t, trained.SetLoRAState(state))
	ad, err := trained.Adapter(dir)
	require.NoError(t, err)
	adDir := t.TempDir() + "/adapter"
	require.NoError(t, adapter.WriteAdapter(adDir, ad, false))

	m, err := model.Load(dir, model.Options{})
	require.NoError(t, err)
	require.NoError(t, AttachAdapter(m, adDir))
	got, err := m.MergedWeight("model.embed_tokens.weight")
	require.NoError(t, err)
	base, err := m.BaseWeight("model.embed_tokens.weight")
	require.NoError(t, err)
	require.InDelta(t, base.Data[0]+0.25, got.Data[0], 1e-6, "chat's model must use the adapter's trained embeddings")
}
