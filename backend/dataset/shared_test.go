package dataset

import (
	"errors"
	"strings"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/sharedtest"
)

// The finetome-sample files: each must load completely with the right
// format, and agree with each other on content.
func TestSharedSampleFiles(t *testing.T) {
	cases := []struct {
		file   string
		format Format
		rows   int
	}{
		{"train-00000-of-00001.parquet", FormatShareGPT, 150},
		{"train-item.parquet", FormatShareGPT, 150},
		{"rows.jsonl", FormatShareGPT, 150},
		{"messages.jsonl", FormatOpenAI, 150},
		{"alpaca.json", FormatAlpaca, 60},
	}
	loaded := map[string]*Loaded{}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			path := sharedtest.Path(t, "data", "finetome-sample", c.file)
			l, err := Load(t.Context(), path, Options{})
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			if l.Detection.Mapping.Format != c.format {
				t.Fatalf("format %s, want %s (%s)", l.Detection.Mapping.Format, c.format, l.Detection.Reason)
			}
			if l.Detection.Confidence < 0.9 {
				t.Errorf("confidence %.2f for a canonical file: %s", l.Detection.Confidence, l.Detection.Reason)
			}
			if len(l.Conversations) != c.rows || l.Rows != c.rows || l.Skipped != 0 {
				t.Fatalf("got %d conversations of %d rows (%d skipped), want %d", len(l.Conversations), l.Rows, l.Skipped, c.rows)
			}
			for _, conv := range l.Conversations {
				if conv.Messages[len(conv.Messages)-1].Role != RoleAssistant {
					t.Fatalf("row %d does not end with an assistant turn", conv.Row)
				}
				for _, m := range conv.Messages {
					if m.Content == "" {
						t.Fatalf("row %d has an empty %s turn", conv.Row, m.Role)
					}
				}
			}
			loaded[c.file] = l
		})
	}
	ref := loaded["rows.jsonl"]
	if ref == nil {
		return
	}
	for _, f := range []string{"train-00000-of-00001.parquet", "train-item.parquet", "messages.jsonl"} {
		l := loaded[f]
		if l == nil {
			continue
		}
		for i := range ref.Conversations {
			if !sameMessages(ref.Conversations[i].Messages, l.Conversations[i].Messages) {
				t.Fatalf("%s row %d differs from rows.jsonl", f, i+1)
			}
		}
	}
	// Turn histogram from the README: 2:132, 3:9, 4:4, 5:1, 6:4; 10 system turns first.
	hist := map[int]int{}
	system := 0
	for _, c := range ref.Conversations {
		hist[len(c.Messages)]++
		if c.Messages[0].Role == RoleSystem {
			system++
		}
	}
	if hist[2] != 132 || hist[3] != 9 || hist[4] != 4 || hist[5] != 1 || hist[6] != 4 || system != 10 {
		t.Errorf("turn histogram %v, system-first rows %d; README says 2:132 3:9 4:4 5:1 6:4, 10", hist, system)
	}
	// Alpaca: the user turn is instruction [+ blank line + input], same text as the ShareGPT rows.
	if al := loaded["alpaca.json"]; al != nil {
		withInput := 0
		for _, c := range al.Conversations {
			if strings.Contains(c.Messages[0].Content, "\n\n") {
				withInput++
			}
			if len(c.Messages) != 2 || c.Messages[0].Role != RoleUser || c.Messages[1].Role != RoleAssistant {
				t.Fatalf("alpaca row %d: %+v", c.Row, c.Messages)
			}
		}
		if withInput < 8 {
			t.Errorf("%d alpaca user turns contain a blank line, want at least the 8 with an input", withInput)
		}
		found := 0
		for _, c := range al.Conversations {
			for _, r := range ref.Conversations {
				if sameMessages(c.Messages, r.Messages) {
					found++
					break
				}
			}
		}
		if found != len(al.Conversations) {
			t.Errorf("only %d of %d alpaca rows match a rows.jsonl conversation", found, len(al.Conversations))
		}
	}
}

func sameMessages(a, b []Message) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Every bad/ file fails with its own kind of error, naming file, row and field.
func TestSharedBadFiles(t *testing.T) {
	cases := []struct {
		file     string
		kind     error
		row      int
		field    string
		contains []string
	}{
		{"truncated_60pct.parquet", ErrTruncated, 0, "", []string{"truncated_60pct.parquet", "footer"}},
		{"invalid_json_line37.jsonl", ErrInvalidJSON, 37, "", []string{"invalid_json_line37.jsonl: line 37", "cut off"}},
		{"unknown_role_robot.jsonl", ErrUnknownRole, 3, "conversations[1].from", []string{"line 3", `"robot"`, "robot=assistant"}},
		{"empty_conversations.jsonl", ErrEmptyConversation, 2, "conversations", []string{"line 2", "empty"}},
		{"object_not_array.json", ErrNotArray, 0, "", []string{"object_not_array.json", `"data"`}},
		{"missing_output_column.csv", ErrMissingColumn, 0, "output", []string{"missing_output_column.csv", `"output"`, `"instruction"`}},
		{"conversations_is_string.parquet", ErrWrongType, 1, "conversations", []string{"row 1", "string", "list"}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			path := sharedtest.Path(t, "data", "finetome-sample", "bad", c.file)
			_, err := Load(t.Context(), path, Options{})
			if err == nil {
				t.Fatal("loaded without error")
			}
			if !errors.Is(err, c.kind) {
				t.Fatalf("error %q is not %v", err, c.kind)
			}
			e, ok := AsError(err)
			if !ok {
				t.Fatalf("error %q is not a *dataset.Error", err)
			}
			if e.Row != c.row || e.Field != c.field {
				t.Errorf("row %d field %q, want row %d field %q (%v)", e.Row, e.Field, c.row, c.field, err)
			}
			for _, s := range c.contains {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
			t.Log(err)
		})
	}
}

// With skipping allowed, the row-level bad files load minus their bad row.
func TestSharedBadRowsSkipped(t *testing.T) {
	cases := []struct {
		file      string
		rows, bad int
	}{
		{"invalid_json_line37.jsonl", 50, 1},
		{"unknown_role_robot.jsonl", 5, 1},
		{"empty_conversations.jsonl", 5, 1},
		{"conversations_is_string.parquet", 20, 20},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			path := sharedtest.Path(t, "data", "finetome-sample", "bad", c.file)
			l, err := Load(t.Context(), path, Options{SkipBadRows: true})
			if c.bad == c.rows {
				if err == nil {
					t.Fatal("a file with no good row loaded")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if l.Rows != c.rows || l.Skipped != c.bad || len(l.Conversations) != c.rows-c.bad || len(l.Problems) != c.bad {
				t.Fatalf("rows %d skipped %d kept %d problems %d; want %d/%d", l.Rows, l.Skipped, len(l.Conversations), len(l.Problems), c.rows, c.bad)
			}
		})
	}
}
