package dataset

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestScannerColumnsIncludeUnusedOnes(t *testing.T) {
	p := filepath.Join(t.TempDir(), "rows.jsonl")
	row := `{"conversations":[{"from":"human","value":"hi"},{"from":"gpt","value":"yo"}],"source":"s","score":4.5}` + "\n"
	require.NoError(t, os.WriteFile(p, []byte(row+row), 0o644))
	s, err := NewScanner(t.Context(), p, Options{})
	require.NoError(t, err)
	defer s.Close()
	require.Equal(t, []string{"conversations", "score", "source"}, s.Columns())
}
