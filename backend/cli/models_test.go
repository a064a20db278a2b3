package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/catalog"
	"github.com/whetstone-ai/whetstone/backend/service"
)

func runModelsCmd(t *testing.T, ws, cache string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string {
		switch k {
		case "HF_HUB_CACHE":
			return cache
		case "HF_HUB_OFFLINE":
			return "1"
		}
		return ""
	}}
	err := Run(context.Background(), env, append([]string{"models", "--workspace", ws}, args...))
	return out.String(), errOut.String(), err
}

func TestModelsCatalogPrintsEveryEntry(t *testing.T) {
	ws, cache := t.TempDir(), t.TempDir()
	out, _, err := runModelsCmd(t, ws, cache, "catalog")
	require.NoError(t, err)
	for _, m := range catalog.Models() {
		require.Contains(t, out, m.ID)
	}
	line := func(id string) string {
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, id+" ") {
				return l
			}
		}
		return ""
	}
	require.Contains(t, line("google/gemma-3-270m-it"), "gated")
	require.Contains(t, line("google/gemma-3-270m-it"), "268M")
	require.NotContains(t, line("Qwen/Qwen3-0.6B"), "gated")
	require.Contains(t, out, "hub_token")

	out, _, err = runModelsCmd(t, ws, cache, "catalog", "--json")
	require.NoError(t, err)
	var got []service.CatalogModel
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	require.Len(t, got, len(catalog.Models()))
	require.Equal(t, "Qwen/Qwen3-0.6B", got[8].ID)
}

func TestModelsListShowsTheDemoModel(t *testing.T) {
	ws, cache := t.TempDir(), t.TempDir()
	_, errOut, err := runModelsCmd(t, ws, cache, "list")
	require.NoError(t, err)
	require.Contains(t, errOut, "whetstone demo")

	demoDir := filepath.Join(ws, "models", "demo", "gemma3-demo")
	require.NoError(t, os.MkdirAll(demoDir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(demoDir, "config.json"), []byte(`{"model_type": "gemma3_text"}`), 0o644))
	out, _, err := runModelsCmd(t, ws, cache, "list")
	require.NoError(t, err)
	require.Contains(t, out, "workspace")
	require.Contains(t, out, demoDir)
	require.Contains(t, out, "config only")
}

func TestModelsRefusesUnknownVerbs(t *testing.T) {
	_, _, err := runModelsCmd(t, t.TempDir(), t.TempDir(), "delete")
	require.ErrorIs(t, err, ErrUsage)
	_, _, err = runModelsCmd(t, t.TempDir(), t.TempDir(), "catalog", "extra")
	require.ErrorIs(t, err, ErrUsage)
}
