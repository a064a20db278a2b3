// Package datasettest builds dataset folders for tests from the team's
// reference sample (../shared/data/finetome-sample), in a temporary
// folder: the sample itself is never copied into the repository.
package datasettest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/sharedtest"
)

// BadFolder is a folder laid out like a hub download with bad rows in the
// split that is read, and broken files beside it that are not read.
type BadFolder struct {
	Dir string
	// Files are the data files a reader of the train split reads, in
	// order: the sample's parquet shard, then two jsonl files with one
	// bad row each.
	Files []string
	// Rows read, Good of them usable, Skipped bad.
	Rows, Good, Skipped int
}

// FolderWithBadFiles copies the FineTome sample's train parquet and two of
// its malformed files (an unknown role "robot" on line 3, invalid JSON on
// line 37) into a train split, and puts files that cannot be read at all
// under bad/ (no split in their names, so a train split leaves them out).
// It skips the test when ../shared is absent.
func FolderWithBadFiles(t testing.TB) BadFolder {
	t.Helper()
	dir := t.TempDir()
	src := func(elem ...string) string {
		return sharedtest.Path(t, append([]string{"data", "finetome-sample"}, elem...)...)
	}
	put := func(from, to string) string {
		t.Helper()
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, to)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return dst
	}
	f := BadFolder{Dir: dir, Files: []string{
		put(src("train-00000-of-00001.parquet"), "train-00000-of-00001.parquet"),
		put(src("bad", "invalid_json_line37.jsonl"), "train-line37.jsonl"),
		put(src("bad", "unknown_role_robot.jsonl"), "train-robot.jsonl"),
	}, Rows: 150 + 50 + 5, Good: 150 + 49 + 4, Skipped: 2}
	put(src("bad", "truncated_60pct.parquet"), filepath.Join("bad", "truncated_60pct.parquet"))
	put(src("bad", "conversations_is_string.parquet"), filepath.Join("bad", "conversations_is_string.parquet"))
	put(src("bad", "object_not_array.json"), filepath.Join("bad", "object_not_array.json"))
	return f
}
