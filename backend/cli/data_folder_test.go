package cli

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/dataset/datasettest"
	"github.com/whetstone-ai/whetstone/backend/service"
)

// data inspect reads a folder as the Datasets screen and training do (the
// service's Stats; see service's TestDatasetsReadAFolderAsTrainingDoes on
// the same folder): the same files, the same counts, the same bad rows.
func TestDataInspectFolderCountsAsTheScreen(t *testing.T) {
	f := datasettest.FolderWithBadFiles(t)
	out, err := runData(t, "inspect", f.Dir, "--json")
	if !errors.Is(err, ErrBadRows) {
		t.Fatalf("bad rows did not fail inspect: %v", err)
	}
	var st service.DatasetStats
	if err := json.Unmarshal([]byte(out[:strings.LastIndex(out, "}")+1]), &st); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if st.Rows != f.Rows || st.Conversations != f.Good || st.Skipped != f.Skipped || len(st.BadRows) != f.Skipped {
		t.Fatalf("rows %d, usable %d, skipped %d (%d listed); want %d, %d, %d", st.Rows, st.Conversations, st.Skipped, len(st.BadRows), f.Rows, f.Good, f.Skipped)
	}
	if strings.Join(st.Files, ",") != strings.Join(f.Files, ",") {
		t.Fatalf("files %v, want %v", st.Files, f.Files)
	}

	out, _ = runData(t, "inspect", f.Dir)
	for _, want := range []string{
		"Files:    3 read: train-00000-of-00001.parquet, train-line37.jsonl, train-robot.jsonl",
		"205 read, 203 usable, 2 skipped",
		`Unknown roles: "robot" (1 rows)`, "--role robot=assistant",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// The mapping the output advises makes the row good.
	out, _ = runData(t, "inspect", f.Dir, "--role", "robot=assistant")
	if !strings.Contains(out, "205 read, 204 usable, 1 skipped") || strings.Contains(out, "Unknown roles") {
		t.Errorf("with --role:\n%s", out)
	}
}
