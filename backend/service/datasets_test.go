package service

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/tokenizer/tokenizertest"
)

func shareGPTFile(t *testing.T, rows int) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i < rows; i++ {
		fmt.Fprintf(&b, `{"conversations":[{"from":"human","value":"hello %d"},{"from":"gpt","value":"hello world %d"}],"source":"test","score":4.5}`+"\n", i, i)
	}
	p := filepath.Join(t.TempDir(), "chats.jsonl")
	require.NoError(t, os.WriteFile(p, []byte(b.String()), 0o644))
	return p
}

func TestDatasetsInspectPreviewStats(t *testing.T) {
	s, _ := newServices(t)
	data := shareGPTFile(t, 30)
	info, err := s.Datasets.Inspect(DatasetRequest{Path: data})
	require.NoError(t, err)
	require.Equal(t, "sharegpt", string(info.Detection.Mapping.Format))
	require.NotEmpty(t, info.Detection.Reason)
	require.Equal(t, []string{"conversations", "score", "source"}, info.Columns)

	dir := tinyModelDir(t)
	tokenizertest.ByteLevel(t, dir)
	page, err := s.Datasets.Preview(DatasetRequest{Path: data, Model: dir, PageSize: 5, Page: 1})
	require.NoError(t, err)
	require.Len(t, page.Rows, 5)
	require.True(t, page.HasMore)
	row := page.Rows[0]
	require.Contains(t, row.Text, "<|im_start|>assistant")
	require.Positive(t, row.Trainable)
	// Every trainable token lies in the assistant's answer, never in the prompt.
	for _, tok := range row.Tokens {
		if tok.Trainable {
			require.GreaterOrEqual(t, tok.Start, strings.Index(row.Text, "<|im_start|>assistant"))
		}
	}

	st, err := s.Datasets.Stats(DatasetRequest{Path: data, Model: dir, MaxLen: 64})
	require.NoError(t, err)
	require.Equal(t, 30, st.Conversations)
	require.True(t, st.Tokenized)
	require.Positive(t, st.TrainableTokens)
}

func TestDatasetsErrorsNameTheProblem(t *testing.T) {
	s, _ := newServices(t)
	_, err := s.Datasets.Inspect(DatasetRequest{})
	require.ErrorContains(t, err, "no dataset given")
	missing := filepath.Join(t.TempDir(), "nope.jsonl")
	_, err = s.Datasets.Inspect(DatasetRequest{Path: missing})
	require.ErrorContains(t, err, "nope.jsonl")

	bad := filepath.Join(t.TempDir(), "bad.jsonl")
	require.NoError(t, os.WriteFile(bad, []byte(`{"conversations":[{"from":"human","value":"hi"},{"from":"gpt","value":"yo"}]}`+"\n"+`{"conversations": [`+"\n"), 0o644))
	_, err = s.Datasets.Stats(DatasetRequest{Path: bad})
	require.ErrorContains(t, err, "bad.jsonl")
	require.ErrorContains(t, err, "2")
	_, err = s.Datasets.Preview(DatasetRequest{Path: shareGPTFile(t, 2), Model: t.TempDir()})
	require.Error(t, err)
}

func TestDatasetRequestSizesAreBounded(t *testing.T) {
	s, _ := newServices(t)
	data := shareGPTFile(t, 3)
	_, err := s.Datasets.Preview(DatasetRequest{Path: data, PageSize: 1_000_000_000})
	require.ErrorContains(t, err, "page_size")
	_, err = s.Datasets.Preview(DatasetRequest{Path: data, Page: -1})
	require.ErrorContains(t, err, "page")
	_, err = s.Datasets.Stats(DatasetRequest{Path: data, MaxLen: 1 << 30})
	require.ErrorContains(t, err, "max_len")
}

func TestDatasetMaxRowMBReachesTheReader(t *testing.T) {
	s, _ := newServices(t)
	big := strings.Repeat("x", 2<<20)
	p := filepath.Join(t.TempDir(), "big.jsonl")
	require.NoError(t, os.WriteFile(p, []byte(`{"text":"short"}`+"\n"+`{"text":"`+big+`"}`+"\n"), 0o644))
	_, err := s.Datasets.Stats(DatasetRequest{Path: p, MaxRowMB: 1})
	require.ErrorContains(t, err, "row 2")
	require.ErrorContains(t, err, "over the 1 MB limit")
	st, err := s.Datasets.Stats(DatasetRequest{Path: p, MaxRowMB: 4})
	require.NoError(t, err)
	require.Equal(t, 2, st.Rows)
	_, err = s.Datasets.Stats(DatasetRequest{Path: p, MaxRowMB: -1})
	require.ErrorContains(t, err, "max_row_mb")
}
