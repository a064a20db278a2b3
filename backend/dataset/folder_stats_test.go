package dataset

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/dataset/datasettest"
)

// A folder read with bad rows skipped: every file of the split counts, the
// broken files beside it are not read, and each bad row is listed with its
// file, row and reason.
func TestStatsOverEveryFileOfAFolder(t *testing.T) {
	f := datasettest.FolderWithBadFiles(t)
	files, err := ResolveFiles(t.Context(), f.Dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(files, "\n") != strings.Join(f.Files, "\n") {
		t.Fatalf("files %v, want %v", files, f.Files)
	}
	st, err := ComputeStats(t.Context(), f.Dir, Options{SkipBadRows: true, MaxBadRows: 1}, nil, StatsOptions{})
	if err != nil {
		t.Fatalf("a bad row failed the statistics: %v", err)
	}
	if st.Rows != f.Rows || st.Conversations != f.Good || st.Skipped != f.Skipped {
		t.Fatalf("rows %d, conversations %d, skipped %d; want %d, %d, %d", st.Rows, st.Conversations, st.Skipped, f.Rows, f.Good, f.Skipped)
	}
	if len(st.BadRows) != 2 {
		t.Fatalf("bad rows %+v, want 2", st.BadRows)
	}
	json, role := st.BadRows[0], st.BadRows[1]
	if filepath.Base(json.File) != "train-line37.jsonl" || json.Line != 37 || json.Kind != ErrInvalidJSON.Error() {
		t.Errorf("first bad row %+v, want train-line37.jsonl line 37, invalid JSON", json)
	}
	if filepath.Base(role.File) != "train-robot.jsonl" || role.Line != 3 || role.Field != "conversations[1].from" || !strings.Contains(role.Message, "robot") {
		t.Errorf("second bad row %+v, want train-robot.jsonl line 3, its role", role)
	}
	if st.UnknownRoles["robot"] != 1 || len(st.UnknownRoles) != 1 {
		t.Errorf("unknown roles %v, want robot: 1", st.UnknownRoles)
	}
	if !st.TooManyBadRows || st.MaxBadRows != 1 {
		t.Errorf("2 bad rows over a limit of 1: too many %v (limit %d)", st.TooManyBadRows, st.MaxBadRows)
	}

	// Mapping the role makes its row good, as the advice says.
	st, err = ComputeStats(t.Context(), f.Dir, Options{SkipBadRows: true, Mapping: Mapping{Roles: map[string]string{"robot": RoleAssistant}}}, nil, StatsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Skipped != 1 || st.Conversations != f.Good+1 || len(st.UnknownRoles) != 0 || st.TooManyBadRows {
		t.Errorf("with robot mapped: skipped %d, conversations %d, unknown %v", st.Skipped, st.Conversations, st.UnknownRoles)
	}

	// Without skipping, the first bad row stops it, naming its file.
	_, err = ComputeStats(t.Context(), f.Dir, Options{}, nil, StatsOptions{})
	if !errors.Is(err, ErrInvalidJSON) || !strings.Contains(err.Error(), "train-line37.jsonl") {
		t.Errorf("strict: %v", err)
	}
}

// Pages run over every file, and each says how many rows there are.
func TestPreviewPagesOverEveryFile(t *testing.T) {
	f := datasettest.FolderWithBadFiles(t)
	last := (f.Good - 1) / 20
	page, err := Preview(t.Context(), f.Dir, Options{}, nil, PreviewOptions{Page: last, PageSize: 20})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != f.Good || page.Skipped != f.Skipped || page.HasMore {
		t.Fatalf("total %d, skipped %d, more %v; want %d, %d, false", page.Total, page.Skipped, page.HasMore, f.Good, f.Skipped)
	}
	if len(page.Rows) != f.Good-last*20 || page.Rows[len(page.Rows)-1].Row != f.Rows {
		t.Fatalf("last page: %d rows ending at row %d, want %d ending at %d", len(page.Rows), page.Rows[len(page.Rows)-1].Row, f.Good-last*20, f.Rows)
	}
	page, err = Preview(t.Context(), f.Dir, Options{}, nil, PreviewOptions{Page: 1, PageSize: 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Rows) != 20 || page.Rows[0].Row != 21 || !page.HasMore || page.Total != f.Good {
		t.Fatalf("page 2: %d rows from row %d, more %v, total %d", len(page.Rows), page.Rows[0].Row, page.HasMore, page.Total)
	}
	page, err = Preview(t.Context(), f.Dir, Options{}, nil, PreviewOptions{Page: last + 5, PageSize: 20})
	if err != nil || len(page.Rows) != 0 || page.Total != f.Good || page.HasMore {
		t.Fatalf("past the end: %v, %+v", err, page)
	}
}

// Detection lists the role names of the sample with what they map to, so
// the role editor can offer them; the unknown one maps to nothing.
func TestDetectionListsTheRoles(t *testing.T) {
	f := datasettest.FolderWithBadFiles(t)
	s, err := NewScanner(t.Context(), f.Files[2], Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := s.Detection().Roles
	if got["human"] != RoleUser || got["gpt"] != RoleAssistant || got["robot"] != "" || len(got) != 3 {
		t.Fatalf("roles %v", got)
	}
	if r, ok := got["robot"]; !ok || r != "" {
		t.Fatalf("robot missing from %v", got)
	}
	if !strings.Contains(s.Detection().Reason, "robot -> assistant") {
		t.Errorf("reason gives no mapping: %s", s.Detection().Reason)
	}
	s2, err := NewScanner(t.Context(), f.Files[2], Options{Mapping: Mapping{Roles: map[string]string{"robot": RoleAssistant}}})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	if s2.Detection().Roles["robot"] != RoleAssistant {
		t.Errorf("mapped robot: %v", s2.Detection().Roles)
	}
}

// The unknown-role error says how to map the role in each place that can.
func TestUnknownRoleAdvice(t *testing.T) {
	f := datasettest.FolderWithBadFiles(t)
	_, err := Load(t.Context(), f.Files[2], Options{})
	if !errors.Is(err, ErrUnknownRole) {
		t.Fatalf("got %v", err)
	}
	for _, want := range []string{"robot -> assistant in the Datasets screen's role mapping", "--role robot=assistant", "roles.robot: assistant in a run config's dataset.mapping", "--set dataset.mapping.roles.robot=assistant"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
}

// Counts known from an earlier page are taken as they are: the preview
// stops reading after its page.
func TestPreviewTakesKnownCounts(t *testing.T) {
	f := datasettest.FolderWithBadFiles(t)
	first, err := Preview(t.Context(), f.Dir, Options{}, nil, PreviewOptions{PageSize: 20})
	if err != nil {
		t.Fatal(err)
	}
	c := first.Counts()
	if c.Total != f.Good || c.Skipped != f.Skipped || len(c.Problems) != f.Skipped {
		t.Fatalf("counts %+v", c)
	}
	// Counts that no file could give show they were used, not recounted.
	page, err := Preview(t.Context(), f.Dir, Options{}, nil, PreviewOptions{Page: 1, PageSize: 20, Counts: &PreviewCounts{Total: 45, Skipped: 9}})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 45 || page.Skipped != 9 || len(page.Rows) != 20 || page.Rows[0].Row != 21 || !page.HasMore {
		t.Fatalf("page with known counts: total %d, skipped %d, %d rows from %d, more %v", page.Total, page.Skipped, len(page.Rows), page.Rows[0].Row, page.HasMore)
	}
}

// A folder whose later file cannot be opened at all stops with that
// file's error, as training would, never a panic.
func TestFolderWithAnUnreadableFile(t *testing.T) {
	f := datasettest.FolderWithBadFiles(t)
	_, err := ComputeStats(t.Context(), filepath.Join(f.Dir, "bad"), Options{SkipBadRows: true}, nil, StatsOptions{})
	if err == nil || !strings.Contains(err.Error(), "object_not_array.json") {
		t.Fatalf("got %v, want the error of object_not_array.json", err)
	}
	_, err = Preview(t.Context(), filepath.Join(f.Dir, "bad"), Options{}, nil, PreviewOptions{})
	if err == nil || !strings.Contains(err.Error(), "object_not_array.json") {
		t.Fatalf("preview: got %v", err)
	}
}
