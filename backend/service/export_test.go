package service

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestExportMergedFromAModelFolder(t *testing.T) {
	s, rec := newServices(t)
	dir := tinyModelDir(t)
	out := filepath.Join(t.TempDir(), "merged")
	res, err := s.Export.Start(ExportRequest{Model: dir, Format: "merged", Quant: "f32", Out: out})
	require.NoError(t, err)
	require.Equal(t, out, res.OutDir)
	var names []string
	for _, f := range res.Files {
		names = append(names, filepath.Base(f.Path))
		require.Positive(t, f.Size)
	}
	require.Contains(t, names, "config.json")
	require.Contains(t, res.Commands["transformers"], out)
	topics := map[string]bool{}
	for _, e := range rec.Events() {
		topics[e.Topic] = true
	}
	require.True(t, topics["export.progress"])
}

func TestExportBadRequests(t *testing.T) {
	s, _ := newServices(t)
	_, err := s.Export.Start(ExportRequest{Model: "x", Format: "onnx"})
	require.ErrorContains(t, err, `"onnx"`)
	_, err = s.Export.Start(ExportRequest{Format: "gguf"})
	require.ErrorContains(t, err, "nothing to export")
	_, err = s.Export.Start(ExportRequest{RunID: "20260101-000000-abcdef", Format: "gguf"})
	require.Error(t, err)
	_, err = s.Export.Start(ExportRequest{Model: tinyModelDir(t), Format: "peft", Out: filepath.Join(t.TempDir(), "p")})
	require.ErrorContains(t, err, "adapter")
}

func TestRunLabelNamesExportsAfterTheRun(t *testing.T) {
	require.Equal(t, "gemma-chat-8d9afe", runLabel("gemma chat", "20261206-214252-8d9afe"))
	require.Equal(t, "20261206-214252-8d9afe", runLabel("", "20261206-214252-8d9afe"))
	require.Equal(t, "20261206-214252-8d9afe", runLabel("¿¿", "20261206-214252-8d9afe"))
	require.LessOrEqual(t, len(runLabel(strings.Repeat("x", 500), "20261206-214252-8d9afe")), 48)
}
