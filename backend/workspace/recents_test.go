package workspace

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRecentsAreMostRecentFirstDeduplicatedAndBounded(t *testing.T) {
	w, err := Open(t.TempDir())
	require.NoError(t, err)
	r, err := w.LoadRecents()
	require.NoError(t, err)
	require.Empty(t, r.Models)
	require.NotNil(t, r.Models, "an empty list is [] in JSON, not null")

	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	require.NoError(t, w.AddRecent(RecentModel, "/m/a", t0))
	require.NoError(t, w.AddRecent(RecentModel, "org/b", t0.Add(time.Minute)))
	require.NoError(t, w.AddRecent(RecentModel, "/m/a", t0.Add(2*time.Minute)))
	require.NoError(t, w.AddRecent(RecentDataset, "/d/x.jsonl", t0))
	r, err = w.LoadRecents()
	require.NoError(t, err)
	require.Equal(t, []Recent{{Ref: "/m/a", Used: t0.Add(2 * time.Minute)}, {Ref: "org/b", Used: t0.Add(time.Minute)}}, r.Models)
	require.Equal(t, []Recent{{Ref: "/d/x.jsonl", Used: t0}}, r.Datasets)

	for i := range MaxRecents + 5 {
		require.NoError(t, w.AddRecent(RecentDataset, "/d/"+string(rune('a'+i)), t0))
	}
	r, err = w.LoadRecents()
	require.NoError(t, err)
	require.Len(t, r.Datasets, MaxRecents)
	require.Equal(t, "/d/"+string(rune('a'+MaxRecents+4)), r.Datasets[0].Ref)
}

func TestRecentsRefuseBadInput(t *testing.T) {
	w, err := Open(t.TempDir())
	require.NoError(t, err)
	require.ErrorContains(t, w.AddRecent("run", "/x", time.Now()), `kind "run"`)
	require.Error(t, w.AddRecent(RecentModel, "", time.Now()))
	long := make([]byte, MaxRecentRef+1)
	for i := range long {
		long[i] = 'a'
	}
	require.ErrorContains(t, w.AddRecent(RecentModel, string(long), time.Now()), "more than")
	_, err = os.Stat(w.RecentsPath())
	require.ErrorIs(t, err, os.ErrNotExist, "refused input writes nothing")
}

func TestRecentsStartOverWhenDamagedButKeepANewerFormat(t *testing.T) {
	w, err := Open(t.TempDir())
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(w.RecentsPath(), []byte("{not json"), 0o644))
	_, err = w.LoadRecents()
	require.ErrorContains(t, err, "recents.json")
	require.NoError(t, w.AddRecent(RecentModel, "/m", time.Now()))
	r, err := w.LoadRecents()
	require.NoError(t, err)
	require.Len(t, r.Models, 1)

	newer := []byte(`{"format": 99, "models": []}`)
	require.NoError(t, os.WriteFile(w.RecentsPath(), newer, 0o644))
	_, err = w.LoadRecents()
	var nf *NewerFormatError
	require.ErrorAs(t, err, &nf)
	require.ErrorAs(t, w.AddRecent(RecentModel, "/m", time.Now()), &nf)
	data, err := os.ReadFile(w.RecentsPath())
	require.NoError(t, err)
	require.Equal(t, newer, data, "a newer Whetstone's file is left unchanged")
}
