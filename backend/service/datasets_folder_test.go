package service

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/dataset"
	"github.com/whetstone-ai/whetstone/backend/dataset/datasettest"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/train/executor"
)

// The Datasets methods read a folder as training does: the files of its
// train split (not the broken ones under bad/), every one of them, with
// the run config's defaults for bad rows; a bad row is counted and listed,
// never a failure of the whole request.
func TestDatasetsReadAFolderAsTrainingDoes(t *testing.T) {
	s, _ := newServices(t)
	f := datasettest.FolderWithBadFiles(t)
	d := runconfig.Default().Dataset
	req := DatasetRequest{Path: f.Dir, SkipBadRows: d.SkipBadRows, MaxBadRows: d.MaxBadRows, MaxRowMB: d.MaxRowMB}

	info, err := s.Datasets.Inspect(req)
	require.NoError(t, err)
	require.Equal(t, f.Dir, info.Path, "Preview and Stats take the folder, not its first file")
	require.Equal(t, f.Files, info.Files)
	require.Equal(t, "assistant", info.Detection.Roles["gpt"], "the roles of the sample, for the role editor")

	st, err := s.Datasets.Stats(req)
	require.NoError(t, err)
	require.Equal(t, [3]int{f.Rows, f.Good, f.Skipped}, [3]int{st.Rows, st.Conversations, st.Skipped})
	require.Len(t, st.BadRows, f.Skipped)
	require.Equal(t, "train-robot.jsonl", filepath.Base(st.BadRows[1].File))
	require.Equal(t, 3, st.BadRows[1].Line)
	require.Equal(t, map[string]int{"robot": 1}, st.UnknownRoles)
	require.False(t, st.TooManyBadRows)

	// What training reads: the scanner batch.Prepare opens, with the
	// options a run's plan derives from the same defaults.
	sc, err := dataset.NewScanner(t.Context(), f.Dir, executor.ReadOptions(dataset.Mapping{}, d))
	require.NoError(t, err)
	good := 0
	for {
		_, err := sc.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		good++
	}
	sc.Close()
	require.Equal(t, f.Files, sc.Files())
	require.Equal(t, [3]int{st.Rows, st.Conversations, st.Skipped}, [3]int{sc.Rows(), good, sc.Skipped()})

	req.Page, req.PageSize = 1, 20
	page, err := s.Datasets.Preview(req)
	require.NoError(t, err)
	require.Equal(t, f.Good, page.Total)
	require.Equal(t, f.Skipped, page.Skipped)
	require.Len(t, page.Rows, 20)
	require.Equal(t, 21, page.Rows[0].Row)

	// The role mapping the advice names makes the row good.
	req.Mapping.Roles = map[string]string{"robot": "assistant"}
	st, err = s.Datasets.Stats(req)
	require.NoError(t, err)
	require.Equal(t, f.Skipped-1, st.Skipped)
	require.Empty(t, st.UnknownRoles)
	info, err = s.Datasets.Inspect(DatasetRequest{Path: f.Files[2], Mapping: req.Mapping})
	require.NoError(t, err)
	require.Equal(t, "assistant", info.Detection.Roles["robot"])

	// A limit under the bad rows: the statistics still come, and say that
	// training would stop.
	st, err = s.Datasets.Stats(DatasetRequest{Path: f.Dir, SkipBadRows: true, MaxBadRows: 1})
	require.NoError(t, err)
	require.True(t, st.TooManyBadRows)
	_, err = s.Datasets.Stats(DatasetRequest{Path: f.Dir, MaxBadRows: -1})
	require.ErrorContains(t, err, "max_bad_rows")
}

// The pager's counts are remembered for the same files and options, and
// read again once a file changes.
func TestDatasetsPreviewCountsFollowTheFiles(t *testing.T) {
	s, _ := newServices(t)
	data := shareGPTFile(t, 30)
	req := DatasetRequest{Path: data, PageSize: 10, SkipBadRows: true}
	page, err := s.Datasets.Preview(req)
	require.NoError(t, err)
	require.Equal(t, 30, page.Total)
	req.Page = 2
	page, err = s.Datasets.Preview(req)
	require.NoError(t, err)
	require.Equal(t, 30, page.Total)
	require.Len(t, page.Rows, 10)
	require.False(t, page.HasMore)

	more, err := os.ReadFile(shareGPTFile(t, 5))
	require.NoError(t, err)
	fh, err := os.OpenFile(data, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = fh.Write(more)
	require.NoError(t, err)
	require.NoError(t, fh.Close())
	page, err = s.Datasets.Preview(req)
	require.NoError(t, err)
	require.Equal(t, 35, page.Total)
	require.True(t, page.HasMore)

	// Another mapping is other counts: every row's role is unknown under it.
	req.Mapping.RoleKey = "value"
	page, err = s.Datasets.Preview(req)
	require.NoError(t, err)
	require.Equal(t, 0, page.Total)
	require.Equal(t, 35, page.Skipped)
}
