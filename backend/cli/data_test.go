package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/dataset"
	"github.com/whetstone-ai/whetstone/backend/hub/hubtest"
	"github.com/whetstone-ai/whetstone/backend/sharedtest"
	"github.com/whetstone-ai/whetstone/backend/tokenizer/tokenizertest"
)

func runData(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }}
	err := Run(context.Background(), env, append([]string{"data"}, args...))
	return out.String() + errOut.String(), err
}

func TestDataInspectLocalFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "chats.jsonl")
	rows := `{"conversations":[{"from":"human","value":"hi"},{"from":"gpt","value":"hello"}]}
{"conversations":[{"from":"human","value":"q"},{"from":"robot","value":"a"}]}
{"conversations":[{"from":"system","value":"s"},{"from":"human","value":"q"},{"from":"gpt","value":"a"}]}
`
	os.WriteFile(path, []byte(rows), 0o644)
	// The report is printed, and the bad row makes the command fail.
	out, err := runData(t, "inspect", path)
	if !errors.Is(err, ErrBadRows) || !strings.Contains(err.Error(), "1 of 3 rows are bad") || !strings.Contains(err.Error(), "line 2, field conversations[1].from") {
		t.Fatalf("want a bad-rows error naming the line and field, got %v\n%s", err, out)
	}
	for _, want := range []string{"Format:   sharegpt", "3 read, 2 usable, 1 skipped", "2: 1, 3: 1", `line 2, field conversations[1].from: unknown role`} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Flags after the file, a role mapping, strict mode.
	out, err = runData(t, "inspect", path, "--role", "robot=assistant", "--strict")
	if err != nil || !strings.Contains(out, "3 read, 3 usable") {
		t.Fatalf("role mapping: %v\n%s", err, out)
	}
	if _, err := runData(t, "inspect", path, "--strict"); !errors.Is(err, dataset.ErrUnknownRole) {
		t.Fatalf("strict mode did not fail on the bad row: %v", err)
	}
	// A file that cannot be read is an error.
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"data": [{"instruction": "x", "output": "y"}]}`), 0o644)
	if _, err := runData(t, "inspect", bad); !errors.Is(err, dataset.ErrNotArray) {
		t.Fatalf("object file: %v", err)
	}
	if _, err := runData(t, "inspect"); !errors.Is(err, ErrUsage) {
		t.Fatalf("missing FILE: %v", err)
	}
}

func TestDataInspectGemma3(t *testing.T) {
	model := sharedtest.Path(t, "refsets", "visible", "tokenizers", "gemma3")
	file := sharedtest.Path(t, "data", "finetome-sample", "messages.jsonl")
	out, err := runData(t, "inspect", file, "--model", model, "--max-len", "256")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"Format:   openai", "150 read, 150 usable", "max length 256", "truncated", "<- max length"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// A hub id is resolved through the hub cache (here an in-process hub):
// its train shard is inspected.
func TestDataInspectHubDataset(t *testing.T) {
	tmp := filepath.Join(t.TempDir(), "train.parquet")
	rows := []dataset.ShareGPTRow{
		{Turns: []dataset.Turn{{From: "human", Value: "hi"}, {From: "gpt", Value: "hello"}}, Source: "x", Score: 5},
		{Turns: []dataset.Turn{{From: "human", Value: "2+2?"}, {From: "gpt", Value: "4"}}, Source: "x", Score: 5},
	}
	if err := dataset.WriteShareGPTParquet(tmp, rows, dataset.ParquetWriteOptions{}); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(tmp)
	h := hubtest.New(t)
	h.AddRepo("dataset", "acme/chats", testCommit, map[string]hubtest.File{
		"data/train-00000-of-00001.parquet": {Content: data, LFS: true},
		"data/test-00000-of-00001.parquet":  {Content: data, LFS: true},
		"README.md":                         {Content: []byte("# chats")},
	})
	vars := map[string]string{"HF_ENDPOINT": h.URL(), "HF_HUB_CACHE": t.TempDir()}
	var out, errOut bytes.Buffer
	env := &Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return vars[k] }}
	if err := Run(context.Background(), env, []string{"data", "inspect", "acme/chats"}); err != nil {
		t.Fatalf("%v\n%s%s", err, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "2 read, 2 usable") || !strings.Contains(out.String(), "Format:   sharegpt") {
		t.Fatalf("output:\n%s", out.String())
	}
}

func TestDataPreviewGemma3(t *testing.T) {
	model := sharedtest.Path(t, "refsets", "visible", "tokenizers", "gemma3")
	file := sharedtest.Path(t, "data", "finetome-sample", "rows.jsonl")
	out, err := runData(t, "preview", file, "--model", model, "--rows", "1", "--page", "5")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// Row 6 has a system prompt, folded by Gemma into the user turn; only
	// the answer, its <end_of_turn> and the newline after it are marked
	// (Unsloth's train_on_responses_only).
	if !strings.Contains(out, "── row 6:") || !strings.Contains(out, "<start_of_turn>model\n⟦```js") || !strings.Contains(out, "```<end_of_turn>\n⟧\n") ||
		strings.Contains(out, "⟦You are") || !strings.Contains(out, "rows 6-6 of 150 usable (0 bad rows skipped); more: --page 6") {
		t.Fatalf("preview:\n%s", out)
	}
	if _, err := runData(t, "preview", file); !errors.Is(err, ErrUsage) {
		t.Fatalf("preview without --model: %v", err)
	}
}

// Every file of the shared bad/ folder fails, with or without --strict,
// with a message naming the file and the row or line (and the field where
// there is one): never a success that hides skipped rows.
func TestDataInspectSharedBadFiles(t *testing.T) {
	dir := sharedtest.Path(t, "data", "finetome-sample", "bad")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	where := map[string]string{
		"conversations_is_string.parquet": "row 1, field conversations",
		"empty_conversations.jsonl":       "line 2, field conversations",
		"invalid_json_line37.jsonl":       "line 37",
		"missing_output_column.csv":       "field output",
		"object_not_array.json":           "top level is not an array",
		"truncated_60pct.parquet":         "truncated",
		"unknown_role_robot.jsonl":        "line 3, field conversations[1].from",
	}
	for _, e := range entries {
		want, ok := where[e.Name()]
		if !ok {
			t.Errorf("%s: no expectation for this file; add one", e.Name())
			continue
		}
		for _, strict := range []bool{false, true} {
			args := []string{"inspect", filepath.Join(dir, e.Name())}
			if strict {
				args = append(args, "--strict")
			}
			out, err := runData(t, args...)
			if err == nil {
				t.Errorf("%s (strict %v): succeeded\n%s", e.Name(), strict, out)
				continue
			}
			if msg := err.Error(); !strings.Contains(msg, e.Name()) || !strings.Contains(msg, want) {
				t.Errorf("%s (strict %v): error %q lacks the file name or %q", e.Name(), strict, msg, want)
			}
		}
	}
}

// A missing file named like a data file is reported as missing, not looked
// up on the hub (which would need the network and say something else).
func TestDataInspectMissingFileNoHub(t *testing.T) {
	var asked bool
	env := &Env{Stdout: &bytes.Buffer{}, Stderr: &bytes.Buffer{}, Getenv: func(k string) string {
		if k == "HF_ENDPOINT" {
			asked = true
			return "http://127.0.0.1:1"
		}
		return ""
	}}
	err := Run(context.Background(), env, []string{"data", "inspect", "nosuch-chats.jsonl"})
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "nosuch-chats.jsonl") {
		t.Fatalf("want a not-exist error naming the file, got %v", err)
	}
	if asked {
		t.Fatal("a missing .jsonl file was looked up on the hub")
	}
	if _, err := runData(t, "inspect", "x.jsonl", "--max-len", "0"); !errors.Is(err, ErrUsage) {
		t.Fatalf("--max-len 0: %v", err)
	}
}

// --max-row-mb bounds a row: a bigger one is a bad row naming its size
// and the flag, and --strict stops at it; with a model and --max-len, a
// row far over the maximum is cut before tokenizing and says so.
func TestDataMaxRowMB(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "big.jsonl")
	big := strings.Repeat("hello world ", (3<<20)/12)
	rows := `{"conversations":[{"from":"human","value":"hi"},{"from":"gpt","value":"hello"}]}` + "\n" +
		`{"conversations":[{"from":"human","value":"tell me"},{"from":"gpt","value":"` + big + `"}]}` + "\n"
	os.WriteFile(path, []byte(rows), 0o644)
	out, err := runData(t, "inspect", path, "--max-row-mb", "1")
	if !errors.Is(err, ErrBadRows) || !strings.Contains(err.Error(), "line 2: row too large: row 2 is 3.0 MB, over the 1 MB limit (raise it with --max-row-mb") {
		t.Fatalf("want the big row reported, got %v\n%s", err, out)
	}
	if _, err := runData(t, "inspect", path, "--max-row-mb", "1", "--strict"); !errors.Is(err, dataset.ErrRowTooLarge) {
		t.Fatalf("strict: %v", err)
	}
	for _, bad := range []string{"0", "1025"} {
		if _, err := runData(t, "inspect", path, "--max-row-mb", bad); !errors.Is(err, ErrUsage) {
			t.Fatalf("--max-row-mb %s: %v", bad, err)
		}
	}
	model := t.TempDir()
	tokenizertest.ByteLevel(t, model)
	out, err = runData(t, "inspect", path, "--model", model, "--max-len", "64")
	if err != nil || !strings.Contains(out, "2 read, 2 usable") || !strings.Contains(out, "1 rows so far over the max length that their text was cut before tokenizing") {
		t.Fatalf("inspect with a model: %v\n%s", err, out)
	}
	out, err = runData(t, "preview", path, "--model", model, "--max-len", "64", "--max-row-mb", "4")
	if err != nil || !strings.Contains(out, "── row 2: ") || !strings.Contains(out, "truncated, text cut before tokenizing") {
		t.Fatalf("preview: %v\n%.2000s", err, out)
	}
	if _, err := runData(t, "preview", path, "--model", model, "--max-row-mb", "1"); err != nil {
		t.Fatalf("preview skips the big row: %v", err)
	}
}
