package dataset

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fineTomeRows builds n rows in FineTome's shape, some with a system turn
// and several exchanges, with non-ASCII text.
func fineTomeRows(n int) []ShareGPTRow {
	rows := make([]ShareGPTRow, n)
	for i := range rows {
		var turns []Turn
		if i%10 == 3 {
			turns = append(turns, Turn{"system", "You are a careful tutor."})
		}
		for ex := 0; ex <= i%3; ex++ {
			turns = append(turns,
				Turn{"human", fmt.Sprintf("Question %d.%d: why is the sky blue? ¿Por qué? 空", i, ex)},
				Turn{"gpt", fmt.Sprintf("Answer %d.%d: Rayleigh scattering makes short wavelengths scatter more. 👩‍💻", i, ex)})
		}
		rows[i] = ShareGPTRow{Turns: turns, Source: "synthetic", Score: 4.5 + float64(i%7)/10}
	}
	return rows
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// A FineTome-schema parquet written with arrow-go reads back row for row,
// whatever the list child is called.
func TestParquetRoundTripBothListNamings(t *testing.T) {
	rows := fineTomeRows(130)
	for _, child := range []string{"element", "item", "list"} {
		t.Run(child, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "train.parquet")
			// Small row groups so reading crosses row-group and batch boundaries.
			if err := WriteShareGPTParquet(path, rows, ParquetWriteOptions{ListChild: child, RowGroupRows: 50}); err != nil {
				t.Fatal(err)
			}
			src, err := Open(path, 0)
			if err != nil {
				t.Fatal(err)
			}
			typ, _ := src.(*parquetSource).ColumnType("conversations")
			if !strings.Contains(typ.String(), child+":") {
				t.Fatalf("arrow type %s does not use list child %q", typ, child)
			}
			src.Close()
			l, err := Load(t.Context(), path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if l.Detection.Mapping.Format != FormatShareGPT || l.Detection.Confidence < 0.99 {
				t.Fatalf("detected %+v", l.Detection)
			}
			if len(l.Conversations) != len(rows) {
				t.Fatalf("%d rows, want %d", len(l.Conversations), len(rows))
			}
			for i, c := range l.Conversations {
				if c.Row != i+1 || len(c.Messages) != len(rows[i].Turns) {
					t.Fatalf("row %d: %+v", i+1, c)
				}
				for j, m := range c.Messages {
					want := map[string]string{"system": RoleSystem, "human": RoleUser, "gpt": RoleAssistant}[rows[i].Turns[j].From]
					if m.Role != want || m.Content != rows[i].Turns[j].Value {
						t.Fatalf("row %d turn %d: %+v", i+1, j, m)
					}
				}
			}
		})
	}
}

func TestFormatsDetectedAndStandardized(t *testing.T) {
	cases := []struct {
		name, file, content string
		format              Format
		want                []Message
	}{
		{"sharegpt jsonl", "a.jsonl", `{"conversations":[{"from":"human","value":"hi"},{"from":"gpt","value":"hello"}]}` + "\n",
			FormatShareGPT, []Message{{RoleUser, "hi"}, {RoleAssistant, "hello"}}},
		{"openai json", "a.json", `[{"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"hi"},{"role":"assistant","content":[{"type":"text","text":"hel"},{"type":"text","text":"lo"}]}]}]`,
			FormatOpenAI, []Message{{RoleSystem, "be brief"}, {RoleUser, "hi"}, {RoleAssistant, "hello"}}},
		{"alpaca csv with input", "a.csv", "instruction,input,output\nTranslate,bonjour,hello\n",
			FormatAlpaca, []Message{{RoleUser, "Translate\n\nbonjour"}, {RoleAssistant, "hello"}}},
		{"alpaca json empty input", "a.json", `[{"instruction":"Say hi","input":"","output":"hi"}]`,
			FormatAlpaca, []Message{{RoleUser, "Say hi"}, {RoleAssistant, "hi"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, err := Load(t.Context(), writeFile(t, c.file, c.content), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if l.Detection.Mapping.Format != c.format || l.Detection.Reason == "" {
				t.Fatalf("detected %+v", l.Detection)
			}
			if !sameMessages(l.Conversations[0].Messages, c.want) {
				t.Fatalf("got %+v, want %+v", l.Conversations[0].Messages, c.want)
			}
		})
	}
	for _, f := range []struct{ name, content string }{
		{"bom.jsonl", "\ufeff" + `{"text":"x"}` + "\n"},
		{"bom.json", "\ufeff" + `[{"text":"x"}]`},
	} {
		if l, err := Load(t.Context(), writeFile(t, f.name, f.content), Options{}); err != nil || l.Conversations[0].Text != "x" {
			t.Fatalf("%s with a byte-order mark: %v", f.name, err)
		}
	}
	l, err := Load(t.Context(), writeFile(t, "t.jsonl", `{"text":"once upon a time"}`+"\n"+`{"text":"the end"}`+"\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if l.Detection.Mapping.Format != FormatText || !l.Conversations[1].IsText() || l.Conversations[1].Text != "the end" {
		t.Fatalf("text dataset: %+v", l)
	}
}

func TestMappingOverrides(t *testing.T) {
	// Custom column and key names, and a custom role, all set by the user.
	content := `{"dialog":[{"speaker":"person","says":"hi"},{"speaker":"robot","says":"beep"}]}` + "\n"
	path := writeFile(t, "custom.jsonl", content)
	if _, err := Load(t.Context(), path, Options{}); !errors.Is(err, ErrUnknownFormat) {
		t.Fatalf("undetectable file: %v", err)
	}
	roles, err := ParseRoles("person=user, robot=assistant")
	if err != nil {
		t.Fatal(err)
	}
	l, err := Load(t.Context(), path, Options{Mapping: Mapping{Format: FormatShareGPT, ConversationColumn: "dialog", RoleKey: "speaker", ContentKey: "says", Roles: roles}})
	if err != nil {
		t.Fatal(err)
	}
	if !sameMessages(l.Conversations[0].Messages, []Message{{RoleUser, "hi"}, {RoleAssistant, "beep"}}) {
		t.Fatalf("%+v", l.Conversations[0].Messages)
	}
	if _, err := ParseRoles("robot=overlord"); err == nil {
		t.Fatal("a role outside user/assistant/system was accepted")
	}
	// An unknown role found by detection is explained in the reason.
	l2, err := Load(t.Context(), writeFile(t, "r.jsonl", `{"conversations":[{"from":"human","value":"a"},{"from":"robot","value":"b"}]}`+"\n"),
		Options{Mapping: Mapping{Roles: map[string]string{"robot": RoleAssistant}}})
	if err != nil {
		t.Fatal(err)
	}
	if l2.Conversations[0].Messages[1].Role != RoleAssistant || !strings.Contains(l2.Detection.Reason, "robot") {
		t.Fatalf("%+v / %s", l2.Conversations[0], l2.Detection.Reason)
	}
}

func TestRowErrorsNameFileRowField(t *testing.T) {
	cases := []struct {
		name, file, content string
		kind                error
		want                string
	}{
		{"null content", "a.jsonl", `{"conversations":[{"from":"human","value":"a"},{"from":"gpt","value":null}]}` + "\n",
			ErrMissingValue, "a.jsonl: line 1, field conversations[1].value"},
		{"turn not object", "a.jsonl", "\n" + `{"conversations":["hi"]}` + "\n",
			ErrWrongType, "a.jsonl: line 2 (row 1), field conversations[0]"},
		{"jsonl not object", "a.jsonl", `{"text":"a"}` + "\n" + `[1,2]` + "\n",
			ErrInvalidJSON, "a.jsonl: line 2"},
		{"json array broken", "a.json", `[{"text":"a"}, {"text": }]`, ErrInvalidJSON, "in element 2"},
		{"csv ragged", "a.csv", "instruction,output\na,b\nc\n", ErrWrongType, "a.csv: line 3 (row 2)"},
		{"alpaca null output", "a.json", `[{"instruction":"x","output":null}]`, ErrMissingValue, "row 1, field output"},
		{"unsupported", "a.docx", "hello", ErrUnsupportedFile, ".docx"},
		{"empty jsonl", "a.jsonl", "\n\n", ErrEmptyDataset, "no rows"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(t.Context(), writeFile(t, c.file, c.content), Options{})
			if !errors.Is(err, c.kind) || !strings.Contains(fmt.Sprint(err), c.want) {
				t.Fatalf("error %v; want kind %v mentioning %q", err, c.kind, c.want)
			}
		})
	}
}

func TestSkipBadRowsLimit(t *testing.T) {
	var b strings.Builder
	for i := 0; i < 20; i++ {
		if i%2 == 0 {
			b.WriteString(`{"conversations":[]}` + "\n")
		} else {
			b.WriteString(`{"conversations":[{"from":"human","value":"q"},{"from":"gpt","value":"a"}]}` + "\n")
		}
	}
	path := writeFile(t, "half.jsonl", b.String())
	l, err := Load(t.Context(), path, Options{SkipBadRows: true})
	if err != nil || len(l.Conversations) != 10 || l.Skipped != 10 || l.Problems[0].Row != 1 {
		t.Fatalf("%v %+v", err, l)
	}
	if _, err := Load(t.Context(), path, Options{SkipBadRows: true, MaxBadRows: 3}); !errors.Is(err, ErrTooManyBadRows) {
		t.Fatalf("limit not enforced: %v", err)
	}
}

func TestTruncatedParquetWrittenHere(t *testing.T) {
	path := filepath.Join(t.TempDir(), "full.parquet")
	if err := WriteShareGPTParquet(path, fineTomeRows(100), ParquetWriteOptions{}); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	cut := filepath.Join(t.TempDir(), "cut.parquet")
	os.WriteFile(cut, data[:len(data)*6/10], 0o644)
	if _, err := Load(t.Context(), cut, Options{}); !errors.Is(err, ErrTruncated) || !strings.Contains(err.Error(), "cut off") {
		t.Fatalf("truncated parquet: %v", err)
	}
	notParquet := writeFile(t, "x.parquet", "hello world, not parquet at all")
	if _, err := Load(t.Context(), notParquet, Options{}); !errors.Is(err, ErrTruncated) || !strings.Contains(err.Error(), "not a parquet file") {
		t.Fatalf("non-parquet: %v", err)
	}
}

// A model folder given as a dataset says so, instead of reporting that
// config.json is not an array of rows.
func TestModelFolderIsNotADataset(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"model_type":"llama"}`), 0o644)
	os.WriteFile(filepath.Join(dir, "tokenizer.json"), []byte(`{}`), 0o644)
	os.WriteFile(filepath.Join(dir, "model.safetensors.index.json"), []byte(`{}`), 0o644)
	_, err := DataFiles(t.Context(), dir, "")
	if !errors.Is(err, ErrEmptyDataset) || !strings.Contains(err.Error(), filepath.Base(dir)) ||
		!strings.Contains(err.Error(), "config.json") || !strings.Contains(err.Error(), "model folder") {
		t.Fatalf("model folder: %v", err)
	}
}

// A folder laid out like a hub dataset snapshot reads its train shards in
// order as one dataset; errors name the shard and its own row.
func TestFolderOfShards(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "data"), 0o755)
	os.MkdirAll(filepath.Join(dir, ".cache"), 0o755)
	rows := fineTomeRows(30)
	for i, name := range []string{"train-00000-of-00002.parquet", "train-00001-of-00002.parquet", "test-00000-of-00001.parquet"} {
		if err := WriteShareGPTParquet(filepath.Join(dir, "data", name), rows[i*10:(i+1)*10], ParquetWriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(dir, "README.md"), []byte("# card"), 0o644)
	os.WriteFile(filepath.Join(dir, ".cache", "x.jsonl"), []byte("junk"), 0o644)
	os.WriteFile(filepath.Join(dir, "dataset_info.json"), []byte(`{"features":{}}`), 0o644)
	files, err := DataFiles(t.Context(), dir, "")
	if err != nil || len(files) != 2 || !strings.HasSuffix(files[1], "train-00001-of-00002.parquet") {
		t.Fatalf("train files %v %v", files, err)
	}
	l, err := Load(t.Context(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Conversations) != 20 || l.Conversations[19].Row != 20 || l.Conversations[15].Messages[1].Content != rows[15].Turns[1].Value {
		t.Fatalf("%d conversations", len(l.Conversations))
	}
	test, err := Load(t.Context(), dir, Options{Split: "test"})
	if err != nil || len(test.Conversations) != 10 || test.Conversations[0].Messages[1].Content != rows[20].Turns[1].Value {
		t.Fatalf("test split: %v", err)
	}
	if _, err := Load(t.Context(), dir, Options{Split: "validation"}); !errors.Is(err, ErrEmptyDataset) {
		t.Fatalf("missing split: %v", err)
	}
	// A bad row in the second shard is reported against that shard.
	jdir := t.TempDir()
	os.WriteFile(filepath.Join(jdir, "a.jsonl"), []byte(`{"text":"x"}`+"\n"+`{"text":"y"}`+"\n"), 0o644)
	os.WriteFile(filepath.Join(jdir, "b.jsonl"), []byte(`{"text":"z"}`+"\n"+`{"text":null}`+"\n"), 0o644)
	_, err = Load(t.Context(), jdir, Options{})
	if e, ok := AsError(err); !ok || filepath.Base(e.File) != "b.jsonl" || e.Row != 2 || !errors.Is(err, ErrMissingValue) {
		t.Fatalf("shard error: %v", err)
	}
}

// A file list as a hub download returns it: the split is picked from the
// names, and the rows read as one dataset.
func TestExplicitFileList(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for _, name := range []string{"data/validation-00000-of-00001.parquet", "data/train-00000-of-00001.parquet"} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := WriteShareGPTParquet(p, fineTomeRows(5), ParquetWriteOptions{}); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	got, err := ResolveFiles(t.Context(), "acme/chats", Options{Files: files})
	if err != nil || len(got) != 1 || !strings.Contains(got[0], "train-") {
		t.Fatalf("train pick %v %v", got, err)
	}
	val, err := Load(t.Context(), "acme/chats", Options{Files: files, Split: "validation"})
	if err != nil || len(val.Conversations) != 5 {
		t.Fatalf("validation split: %v", err)
	}
}
