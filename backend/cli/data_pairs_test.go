package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/demo"
)

// `data inspect` says a file holds preference pairs and how to train
// them; `data preview` shows a pair's chosen and rejected sides, each with
// its answer marked as trained and the shared prompt not.
func TestDataShowsPreferencePairs(t *testing.T) {
	files, err := demo.Create(filepath.Join(t.TempDir(), "demo"))
	require.NoError(t, err)
	out, err := runData(t, "inspect", files.PairsPath, "--model", files.ModelDir)
	require.NoError(t, err, out)
	require.Contains(t, out, "Format:   preference")
	require.Contains(t, out, `Mapping:  prompt = "prompt", chosen = "chosen", rejected = "rejected"`)
	require.Contains(t, out, "Pairs:    39 preference pairs")
	require.Contains(t, out, "--method dpo or orpo")

	// Other column names, mapped from the command line.
	renamed := filepath.Join(t.TempDir(), "renamed.jsonl")
	require.NoError(t, os.WriteFile(renamed, []byte(`{"question":"q1","best":"a good answer","worst":"go away"}`+"\n"+
		`{"question":"q2","best":"another good answer","worst":"no"}`+"\n"), 0o644))
	out, err = runData(t, "inspect", renamed, "--format", "preference", "--prompt", "question", "--chosen", "best", "--rejected", "worst")
	require.NoError(t, err, out)
	require.Contains(t, out, `Mapping:  prompt = "question", chosen = "best", rejected = "worst"`)
	require.Contains(t, out, "Pairs:    2 preference pairs")

	out, err = runData(t, "preview", files.PairsPath, "--model", files.ModelDir, "--rows", "1")
	require.NoError(t, err, out)
	chosen, rejected, ok := strings.Cut(out, "── row 1 (a pair), rejected: ")
	require.True(t, ok, out)
	require.Contains(t, chosen, "── row 1 (a pair), chosen: ")
	require.Contains(t, chosen, "What is Whetstone?")
	require.Contains(t, chosen, "⟦Whetstone is an app")
	require.Contains(t, rejected, "What is Whetstone?")
	require.Contains(t, rejected, "⟦A rock. Look it up yourself.")
	require.NotContains(t, out, "⟦What is Whetstone", "the prompt is not trained")
}
