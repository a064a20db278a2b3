package catalog

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/hub"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
)

func TestCatalogHoldsTheIssuesModels(t *testing.T) {
	want := []string{
		"google/gemma-3-270m-it", "google/gemma-3-1b-it", "google/gemma-3-4b-it",
		"meta-llama/Llama-3.2-1B-Instruct", "meta-llama/Llama-3.2-3B-Instruct",
		"Qwen/Qwen2.5-0.5B-Instruct", "Qwen/Qwen2.5-1.5B-Instruct", "Qwen/Qwen2.5-3B-Instruct",
		"Qwen/Qwen3-0.6B", "Qwen/Qwen3-1.7B", "Qwen/Qwen3-4B",
	}
	var got []string
	for _, m := range Models() {
		got = append(got, m.ID)
	}
	require.Equal(t, want, got)
}

func TestEveryEntryIsComplete(t *testing.T) {
	families := runconfig.Families()
	seen := map[string]bool{}
	for _, m := range Models() {
		require.False(t, seen[m.ID], "%s listed twice", m.ID)
		seen[m.ID] = true
		ref, err := hub.ParseRef(m.ID)
		require.NoError(t, err, m.ID)
		require.False(t, ref.IsLocal(), "%s must be a hub id", m.ID)
		require.Equal(t, m.ID, ref.ID, "%s: no revision or prefix in a catalogue id", m.ID)
		require.Contains(t, families, m.Family, m.ID)
		require.NotEmpty(t, m.Title, m.ID)
		require.NotEmpty(t, m.License, m.ID)
		require.True(t, strings.HasPrefix(m.LicenseURL, "https://"), m.ID)
		require.Positive(t, m.ContextLength, m.ID)
		// bf16 weights are two bytes a parameter: a size far from that is
		// a typo in one of the two numbers.
		ratio := float64(m.DownloadBytes) / float64(2*m.Params)
		require.InDelta(t, 1.0, ratio, 0.15, "%s: %d bytes for %d parameters", m.ID, m.DownloadBytes, m.Params)
		require.Equal(t, m.Gated, m.GatedNote != "", "%s: a gated model says what to do, an open one says nothing", m.ID)
	}
}

func TestGemmaAndLlamaAreGatedQwenIsNot(t *testing.T) {
	for _, m := range Models() {
		gated := strings.HasPrefix(m.ID, "google/") || strings.HasPrefix(m.ID, "meta-llama/")
		require.Equal(t, gated, m.Gated, m.ID)
	}
}

func TestModelsIsACopyAndLookupFinds(t *testing.T) {
	a := Models()
	a[0].ID = "changed"
	require.NotEqual(t, "changed", Models()[0].ID)
	m, ok := Lookup("Qwen/Qwen3-0.6B")
	require.True(t, ok)
	require.Equal(t, 40_960, m.ContextLength)
	require.Equal(t, "https://huggingface.co/Qwen/Qwen3-0.6B", m.PageURL())
	_, ok = Lookup("qwen/qwen3-0.6b")
	require.False(t, ok, "lookup is exact")
	require.True(t, slices.IsSortedFunc(Models()[:3], func(a, b Model) int { return int(a.Params - b.Params) }))
}
