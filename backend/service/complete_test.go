package service

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/pathpolicy"
	"github.com/whetstone-ai/whetstone/backend/runs"
	"github.com/whetstone-ai/whetstone/backend/tokenizer/tokenizertest"
)

func TestServedModelsNameWhatProgramsMayChatWith(t *testing.T) {
	s, cache := newPickerServices(t, true)
	_, err := s.Runs.Demo("")
	require.NoError(t, err)
	tiny := tinyModelDir(t)
	tokenizertest.ByteLevel(t, tiny)
	cacheModel(t, cache, "acme/tiny", tiny, true)
	cacheModel(t, cache, "acme/config-only", tiny, false)

	// Runs, as the store holds them: two completed runs of one name, one
	// of its own, and one that failed; each completed one has an adapter.
	store, _, err := s.Runs.b.get()
	require.NoError(t, err)
	demoCfg, err := s.Runs.Demo("")
	require.NoError(t, err)
	run := func(name string, state runs.State) string {
		cfg := demoCfg.Config
		cfg.Name = name
		rec, err := store.Create(cfg)
		require.NoError(t, err)
		_, err = store.Update(rec.ID, func(r *runs.Record) {
			now := time.Now()
			r.State, r.Finished = state, &now
		})
		require.NoError(t, err)
		if state == runs.Completed {
			require.NoError(t, os.MkdirAll(store.AdapterDir(rec.ID), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(store.AdapterDir(rec.ID), "adapter_model.safetensors"), nil, 0o644))
		}
		return rec.ID
	}
	twin1, twin2 := run("twin", runs.Completed), run("twin", runs.Completed)
	run("solo", runs.Completed)
	run("broken", runs.Failed)

	served, err := s.ServedModels()
	require.NoError(t, err)
	var ids []string
	for _, m := range served {
		ids = append(ids, m.ID)
		require.False(t, m.Created.IsZero(), m.ID)
	}
	require.ElementsMatch(t, []string{"demo", "acme/tiny", "run:solo", "run:" + twin1, "run:" + twin2}, ids,
		"the demo once (not also as the runs' base folder), the cached model with weights, and completed runs (by id when their name is shared)")
	require.Equal(t, "demo", ids[0])

	for _, c := range []struct{ id, runID, model string }{
		{"run:solo", "solo", ""},
		{"run:" + twin1, twin1, ""},
		{"demo", "", demoCfg.ModelDir},
		{"acme/tiny", "", "acme/tiny"},
		{" demo ", "", demoCfg.ModelDir},
	} {
		req := ChatRequest{Model: "stale", Adapter: "stale", RunID: "stale"}
		require.NoError(t, s.UseServedModel(&req, c.id), c.id)
		require.Equal(t, c.runID, req.RunID, c.id)
		require.Equal(t, c.model, req.Model, c.id)
		require.Empty(t, req.Adapter, c.id)
	}
	for _, c := range []struct {
		id   string
		want error
	}{
		{"acme/config-only", ErrUnknownModel},
		{"nobody/nothing", ErrUnknownModel},
		{"run:broken", ErrUnknownModel},
		{"run:twin", ErrUnknownModel},
		{"run:nope", runs.ErrNotFound},
		{"", ErrInvalidRequest},
		{t.TempDir(), pathpolicy.ErrOutside},
		{s.Chat.deps.Workspace.RunsDir(), ErrUnknownModel}, // allowed, but no model folder
	} {
		err := s.UseServedModel(&ChatRequest{}, c.id)
		require.ErrorIs(t, err, c.want, c.id)
	}
}
