package dataset

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// writeParquetJSON writes rows given as a JSON array of objects as a
// parquet file of the given schema (the shapes hub datasets store).
func writeParquetJSON(t *testing.T, schema *arrow.Schema, rows string) string {
	t.Helper()
	rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, schema, strings.NewReader(rows))
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	path := filepath.Join(t.TempDir(), "train-00000-of-00001.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pqarrow.NewFileWriter(schema, f, nil, pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func strField(name string) arrow.Field {
	return arrow.Field{Name: name, Type: arrow.BinaryTypes.String, Nullable: true}
}

func turnType(role, content string) *arrow.StructType {
	return arrow.StructOf(strField(role), strField(content))
}

func u(s string) Message   { return Message{RoleUser, s} }
func a(s string) Message   { return Message{RoleAssistant, s} }
func sys(s string) Message { return Message{RoleSystem, s} }

// Each shape hub preference datasets publish reads as the same pair: the
// prompt's turns, ending with the user's, and the two answers.
func TestPreferenceShapes(t *testing.T) {
	type want struct {
		prompt, chosen, rejected []Message
	}
	cases := []struct {
		name string
		path func(t *testing.T) string
		// mapping expected from detection (the fields that matter)
		prompt, roleKey string
		rows            []want
	}{
		{"TRL explicit prompt, text (jsonl)", func(t *testing.T) string {
			return writeFile(t, "a.jsonl", `{"prompt":"What is 2+2?","chosen":"4","rejected":"5"}`+"\n"+
				`{"prompt":"Capital of France?","chosen":"Paris.","rejected":"Lyon."}`+"\n")
		}, "prompt", "role", []want{
			{[]Message{u("What is 2+2?")}, []Message{a("4")}, []Message{a("5")}},
			{[]Message{u("Capital of France?")}, []Message{a("Paris.")}, []Message{a("Lyon.")}},
		}},
		{"TRL explicit prompt, conversational (json)", func(t *testing.T) string {
			return writeFile(t, "a.json", `[{"prompt":[{"role":"system","content":"Be terse."},{"role":"user","content":"Hi"}],`+
				`"chosen":[{"role":"assistant","content":"Hello."}],"rejected":[{"role":"assistant","content":"Go away."}]}]`)
		}, "prompt", "role", []want{
			{[]Message{sys("Be terse."), u("Hi")}, []Message{a("Hello.")}, []Message{a("Go away.")}},
		}},
		{"TRL implicit prompt, hh-rlhf multi-turn (jsonl)", func(t *testing.T) string {
			return writeFile(t, "a.jsonl", `{"chosen":[{"role":"user","content":"q1"},{"role":"assistant","content":"a1"},{"role":"user","content":"q2"},{"role":"assistant","content":"good"}],`+
				`"rejected":[{"role":"user","content":"q1"},{"role":"assistant","content":"a1"},{"role":"user","content":"q2"},{"role":"assistant","content":"bad"}]}`+"\n")
		}, "", "role", []want{
			{[]Message{u("q1"), a("a1"), u("q2")}, []Message{a("good")}, []Message{a("bad")}},
		}},
		{"TRL implicit prompt, answers sharing their first assistant turn (jsonl)", func(t *testing.T) string {
			return writeFile(t, "a.jsonl", `{"chosen":[{"role":"user","content":"q"},{"role":"assistant","content":"Sure."},{"role":"assistant","content":"4"}],`+
				`"rejected":[{"role":"user","content":"q"},{"role":"assistant","content":"Sure."},{"role":"assistant","content":"5"}]}`+"\n")
		}, "", "role", []want{
			{[]Message{u("q")}, []Message{a("Sure."), a("4")}, []Message{a("Sure."), a("5")}},
		}},
		{"Anthropic/hh-rlhf transcripts (jsonl)", func(t *testing.T) string {
			return writeFile(t, "a.jsonl", `{"chosen":"\n\nHuman: Hi there\n\nAssistant: Hello!\n\nHuman: Name a color.\n\nAssistant: Blue.",`+
				`"rejected":"\n\nHuman: Hi there\n\nAssistant: Hello!\n\nHuman: Name a color.\n\nAssistant: No."}`+"\n")
		}, "", "role", []want{
			{[]Message{u("Hi there"), a("Hello!"), u("Name a color.")}, []Message{a("Blue.")}, []Message{a("No.")}},
		}},
		{"ultrafeedback_binarized: prompt column repeated in the conversations (parquet)", func(t *testing.T) string {
			turns := arrow.ListOf(turnType("content", "role"))
			schema := arrow.NewSchema([]arrow.Field{strField("prompt"), strField("prompt_id"),
				{Name: "chosen", Type: turns, Nullable: true}, {Name: "rejected", Type: turns, Nullable: true},
				{Name: "messages", Type: turns, Nullable: true},
				{Name: "score_chosen", Type: arrow.PrimitiveTypes.Float64}, {Name: "score_rejected", Type: arrow.PrimitiveTypes.Float64}}, nil)
			return writeParquetJSON(t, schema, `[{"prompt":"Why is the sky blue?","prompt_id":"x1",
				"chosen":[{"content":"Why is the sky blue?","role":"user"},{"content":"Rayleigh scattering.","role":"assistant"}],
				"rejected":[{"content":"Why is the sky blue?","role":"user"},{"content":"It reflects the sea.","role":"assistant"}],
				"messages":[{"content":"Why is the sky blue?","role":"user"},{"content":"Rayleigh scattering.","role":"assistant"}],
				"score_chosen":9,"score_rejected":3}]`)
		}, "prompt", "role", []want{
			{[]Message{u("Why is the sky blue?")}, []Message{a("Rayleigh scattering.")}, []Message{a("It reflects the sea.")}},
		}},
		{"Intel/orca_dpo_pairs: system, question (parquet)", func(t *testing.T) string {
			schema := arrow.NewSchema([]arrow.Field{strField("system"), strField("question"), strField("chosen"), strField("rejected")}, nil)
			return writeParquetJSON(t, schema, `[{"system":"You are an AI assistant.","question":"Translate: chat","chosen":"cat","rejected":"dog"},
				{"system":"","question":"2+3?","chosen":"5","rejected":"6"}]`)
		}, "question", "role", []want{
			{[]Message{sys("You are an AI assistant."), u("Translate: chat")}, []Message{a("cat")}, []Message{a("dog")}},
			{[]Message{u("2+3?")}, []Message{a("5")}, []Message{a("6")}},
		}},
		{"argilla: instruction, chosen_response, rejected_response (jsonl)", func(t *testing.T) string {
			return writeFile(t, "a.jsonl", `{"source":"evol","instruction":"Name a prime.","chosen_response":"7","chosen_avg_rating":5,`+
				`"chosen_model":"m1","rejected_response":"8","rejected_avg_rating":1,"rejected_model":"m2"}`+"\n")
		}, "instruction", "role", []want{
			{[]Message{u("Name a prime.")}, []Message{a("7")}, []Message{a("8")}},
		}},
		{"LLaMA-Factory ShareGPT ranking (jsonl)", func(t *testing.T) string {
			return writeFile(t, "a.jsonl", `{"conversations":[{"from":"system","value":"sys"},{"from":"human","value":"hi"}],`+
				`"chosen":{"from":"gpt","value":"hello"},"rejected":{"from":"gpt","value":"bye"}}`+"\n")
		}, "conversations", "from", []want{
			{[]Message{sys("sys"), u("hi")}, []Message{a("hello")}, []Message{a("bye")}},
		}},
		{"LLaMA-Factory ShareGPT ranking, answers as text (parquet)", func(t *testing.T) string {
			schema := arrow.NewSchema([]arrow.Field{{Name: "conversations", Type: arrow.ListOf(turnType("from", "value")), Nullable: true},
				strField("chosen"), strField("rejected")}, nil)
			return writeParquetJSON(t, schema, `[{"conversations":[{"from":"human","value":"hi"}],"chosen":"hello","rejected":"bye"}]`)
		}, "conversations", "from", []want{
			{[]Message{u("hi")}, []Message{a("hello")}, []Message{a("bye")}},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, err := Load(t.Context(), c.path(t), Options{})
			if err != nil {
				t.Fatal(err)
			}
			m := l.Detection.Mapping
			if m.Format != FormatPreference || m.PromptColumn != c.prompt || m.RoleKey != c.roleKey || l.Detection.Confidence < 0.99 {
				t.Fatalf("detected %+v", l.Detection)
			}
			if len(l.Conversations) != len(c.rows) {
				t.Fatalf("%d rows, want %d", len(l.Conversations), len(c.rows))
			}
			for i, w := range c.rows {
				got := l.Conversations[i]
				if !got.IsPreference() || got.IsText() || got.Row != i+1 ||
					!reflect.DeepEqual(got.Messages, w.prompt) || !reflect.DeepEqual(got.Chosen, w.chosen) || !reflect.DeepEqual(got.Rejected, w.rejected) {
					t.Fatalf("row %d: %+v\nwant %+v", i+1, got, w)
				}
				if got.Turns() != len(w.prompt)+len(w.chosen) {
					t.Fatalf("turns %d", got.Turns())
				}
			}
		})
	}
}

// Detection takes chosen and rejected columns for a preference dataset
// even where a column of turns would read as a chat, and keeps that
// reading as an alternative below it; chosen and rejected that are not
// answers leave the chat reading first.
func TestPreferenceDetection(t *testing.T) {
	rec := func(fields map[string]any) []Record { return []Record{{Row: 1, Fields: fields}} }
	turns := []any{map[string]any{"from": "human", "value": "hi"}}
	det, err := Detect("x.jsonl", nil, rec(map[string]any{"conversations": turns,
		"chosen": map[string]any{"from": "gpt", "value": "a"}, "rejected": map[string]any{"from": "gpt", "value": "b"}}))
	if err != nil {
		t.Fatal(err)
	}
	if det.Mapping.Format != FormatPreference || len(det.Alternatives) == 0 || det.Alternatives[0].Mapping.Format != FormatShareGPT ||
		det.Alternatives[0].Confidence > 0.5 || !strings.Contains(det.Alternatives[0].Reason, "preference dataset") ||
		!strings.Contains(det.Reason, `"conversations"`) {
		t.Fatalf("ShareGPT ranking: %+v", det)
	}
	det, err = Detect("x.jsonl", nil, rec(map[string]any{"conversations": []any{
		map[string]any{"from": "human", "value": "hi"}, map[string]any{"from": "gpt", "value": "yo"}},
		"chosen": true, "rejected": false}))
	if err != nil {
		t.Fatal(err)
	}
	if det.Mapping.Format != FormatShareGPT || det.Confidence < 0.99 {
		t.Fatalf("flags named chosen/rejected: %+v", det)
	}
	det, err = Detect("x.jsonl", nil, rec(map[string]any{"chosen": "a", "rejected": "b"}))
	if err != nil || det.Mapping.Format != FormatPreference || det.Mapping.PromptColumn != "" || !strings.Contains(det.Reason, "implicit prompt") {
		t.Fatalf("no prompt column: %+v %v", det, err)
	}
	det, err = Detect("x.jsonl", nil, rec(map[string]any{"chosen": "\n\nHuman: q\n\nAssistant: a", "rejected": "\n\nHuman: q\n\nAssistant: b"}))
	if err != nil || det.Mapping.Format != FormatPreference || !strings.Contains(det.Reason, "transcripts") || !strings.Contains(det.Reason, "turns both answers share") {
		t.Fatalf("hh-rlhf transcripts: %+v %v", det, err)
	}
	// The role mapping editor is offered the answers' role names too.
	l, err := Load(t.Context(), writeFile(t, "r.jsonl", `{"conversations":[{"from":"human","value":"hi"}],`+
		`"chosen":{"from":"robot","value":"a"},"rejected":{"from":"robot","value":"b"}}`+"\n"),
		Options{Mapping: Mapping{Roles: map[string]string{"robot": RoleAssistant}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := l.Detection.Roles; got["robot"] != RoleAssistant || got["human"] != RoleUser || l.Conversations[0].Chosen[0].Role != RoleAssistant {
		t.Fatalf("roles %v", got)
	}
}

func TestParseFormatPreferenceNames(t *testing.T) {
	for _, name := range []string{"preference", "Preferences", "dpo", "ORPO", " pairs "} {
		if f, err := ParseFormat(name); err != nil || f != FormatPreference {
			t.Errorf("%q: %v %v", name, f, err)
		}
	}
	if _, err := ParseFormat("kto"); err == nil || !strings.Contains(err.Error(), "preference") {
		t.Errorf("unknown name: %v", err)
	}
}

// A column mapping names the preference columns a dataset calls
// otherwise; without it, the prompt is missing.
func TestPreferenceMapping(t *testing.T) {
	path := writeFile(t, "q.jsonl", `{"query":"2+2?","chosen":"4","rejected":"5"}`+"\n")
	_, err := Load(t.Context(), path, Options{})
	if e, ok := AsError(err); !ok || !errors.Is(err, ErrMissingValue) || e.Field != "chosen" || !strings.Contains(err.Error(), "prompt: <column>") {
		t.Fatalf("unmapped prompt: %v", err)
	}
	m, errs := ParseMappingKeys(map[string]string{"prompt": "query"})
	if len(errs) > 0 || m.PromptColumn != "query" {
		t.Fatalf("%+v %v", m, errs)
	}
	l, err := Load(t.Context(), path, Options{Mapping: m})
	if err != nil || !reflect.DeepEqual(l.Conversations[0].Messages, []Message{u("2+2?")}) {
		t.Fatalf("mapped prompt: %v %+v", err, l)
	}
	// Every column named by hand, under a format name a user types.
	custom := writeFile(t, "c.jsonl", `{"q":"hi","good":"hello","bad":"go away","sys":"Be kind."}`+"\n")
	m, errs = ParseMappingKeys(map[string]string{"format": "dpo", "prompt": "q", "chosen_column": "good", "rejected": "bad", "system": "sys"})
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	l, err = Load(t.Context(), custom, Options{Mapping: m})
	if err != nil {
		t.Fatal(err)
	}
	if c := l.Conversations[0]; !reflect.DeepEqual(c.Messages, []Message{sys("Be kind."), u("hi")}) || c.Chosen[0].Content != "hello" || c.Rejected[0].Content != "go away" {
		t.Fatalf("custom columns: %+v", c)
	}
	// A mapped column the file lacks is a missing column, not a bad row.
	m.RejectedColumn = "worse"
	if _, err := Load(t.Context(), custom, Options{Mapping: m}); !errors.Is(err, ErrMissingColumn) || !strings.Contains(err.Error(), "rejected: <column>") {
		t.Fatalf("missing column: %v", err)
	}
	for _, k := range []string{"prompt", "chosen", "rejected", "prompt_column", "chosen_column", "rejected_column"} {
		if !containsString(MappingKeys(), k) {
			t.Errorf("MappingKeys lacks %q", k)
		}
	}
}

func containsString(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// Every way a preference row can be bad is a row error naming its field,
// skipped and counted with SkipBadRows like the chat formats' bad rows.
func TestPreferenceRowErrors(t *testing.T) {
	good := `{"prompt":"q","chosen":"yes","rejected":"no"}`
	cases := []struct {
		name, row string
		kind      error
		field     string
		msg       string
	}{
		{"no rejected", `{"prompt":"q","chosen":"yes"}`, ErrMissingValue, "rejected", "the row has no rejected answer"},
		{"no chosen", `{"prompt":"q","rejected":"no"}`, ErrMissingValue, "chosen", "the row has no chosen answer"},
		{"null chosen", `{"prompt":"q","chosen":null,"rejected":"no"}`, ErrMissingValue, "chosen", "the chosen answer is null"},
		{"empty rejected", `{"prompt":"q","chosen":"yes","rejected":"  "}`, ErrMissingValue, "rejected", "the rejected answer is empty"},
		{"empty list answer", `{"prompt":"q","chosen":[],"rejected":"no"}`, ErrMissingValue, "chosen", "empty list"},
		{"blank answer turn", `{"prompt":"q","chosen":[{"role":"assistant","content":" "}],"rejected":"no"}`, ErrMissingValue, "chosen[0]", "the chosen answer is empty"},
		{"answer a number", `{"prompt":"q","chosen":4,"rejected":"no"}`, ErrWrongType, "chosen", "is a number, expected the chosen answer"},
		{"answer turn not an object", `{"prompt":"q","chosen":["yes"],"rejected":"no"}`, ErrWrongType, "chosen[0]", "expected an object"},
		{"answer turn without content", `{"prompt":"q","chosen":[{"role":"assistant"}],"rejected":"no"}`, ErrMissingValue, "chosen[0].content", "no content"},
		{"answer turn of unknown role", `{"prompt":"q","chosen":"yes","rejected":[{"role":"robot","content":"no"}]}`, ErrUnknownRole, "rejected[0].role", "robot"},
		{"prompt a number", `{"prompt":7,"chosen":"yes","rejected":"no"}`, ErrWrongType, "prompt", "expected the prompt"},
		{"prompt empty", `{"prompt":"","chosen":"yes","rejected":"no"}`, ErrMissingValue, "prompt", "the prompt is empty"},
		{"prompt null", `{"prompt":null,"chosen":"yes","rejected":"no"}`, ErrMissingValue, "prompt", "the prompt is null"},
		{"prompt absent", `{"chosen":"yes","rejected":"no"}`, ErrMissingValue, "prompt", "the row has no prompt"},
		{"prompt empty list", `{"prompt":[],"chosen":"yes","rejected":"no"}`, ErrEmptyConversation, "prompt", "list of turns is empty"},
		{"prompt ends with the assistant", `{"prompt":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}],"chosen":"yes","rejected":"no"}`,
			ErrBadPair, "prompt[1]", "ends with a assistant turn"},
		{"prompt's user turn blank", `{"prompt":[{"role":"user","content":" "}],"chosen":"yes","rejected":"no"}`, ErrMissingValue, "prompt[0]", "last user turn is empty"},
		{"identical answers", `{"prompt":"q","chosen":"same","rejected":" same\n"}`, ErrBadPair, "rejected", "the pair teaches nothing"},
		{"identical conversations", `{"prompt":"q","chosen":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}],"rejected":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}`,
			ErrBadPair, "rejected", "the pair teaches nothing"},
		{"user turn inside an answer", `{"prompt":"q","chosen":[{"role":"assistant","content":"a"},{"role":"user","content":"more"},{"role":"assistant","content":"b"}],"rejected":"no"}`,
			ErrBadPair, "chosen[1]", "is a user turn inside the chosen answer"},
		{"conversation ending with the prompt", `{"prompt":"q","chosen":[{"role":"user","content":"q"}],"rejected":[{"role":"user","content":"q"},{"role":"assistant","content":"a"}]}`,
			ErrMissingValue, "chosen", "ends with the prompt"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// A good row first, so that detection sees every column.
			path := writeFile(t, "p.jsonl", good+"\n"+c.row+"\n")
			_, err := Load(t.Context(), path, Options{})
			e, ok := AsError(err)
			if !ok || !errors.Is(err, c.kind) || e.Field != c.field || e.Row != 2 || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("error %v (field %q); want kind %v, field %q, row 2, mentioning %q", err, fieldOf(e), c.kind, c.field, c.msg)
			}
			if !e.rowScoped() {
				t.Fatalf("%v is not a row error", err)
			}
			l, err := Load(t.Context(), path, Options{SkipBadRows: true})
			if err != nil || len(l.Conversations) != 1 || l.Skipped != 1 || l.Problems[0].Field != c.field {
				t.Fatalf("skipping: %v %+v", err, l)
			}
		})
	}
}

func fieldOf(e *Error) string {
	if e == nil {
		return ""
	}
	return e.Field
}

// A system column and a prompt the conversations repeat are written once;
// a prompt they do not repeat comes before their shared turns.
func TestPreferencePromptJoin(t *testing.T) {
	conv := func(turns ...string) string {
		var parts []string
		for i := 0; i < len(turns); i += 2 {
			parts = append(parts, fmt.Sprintf(`{"role":%q,"content":%q}`, turns[i], turns[i+1]))
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	cases := []struct {
		name, row string
		prompt    []Message
	}{
		{"system column and repeated prompt",
			`{"system":"S","prompt":"q","chosen":` + conv("user", "q", "assistant", "a") + `,"rejected":` + conv("user", "q", "assistant", "b") + `}`,
			[]Message{sys("S"), u("q")}},
		{"system repeated in the conversations",
			`{"system":"S","prompt":"q","chosen":` + conv("system", "S", "user", "q", "assistant", "a") + `,"rejected":` + conv("system", "S", "user", "q", "assistant", "b") + `}`,
			[]Message{sys("S"), u("q")}},
		{"prompt not repeated: history before the shared turns",
			`{"system":"","prompt":"context","chosen":` + conv("user", "q", "assistant", "a") + `,"rejected":` + conv("user", "q", "assistant", "b") + `}`,
			[]Message{u("context"), u("q")}},
		{"repeated with other white space",
			`{"system":"","prompt":"q\n","chosen":` + conv("user", "q", "assistant", "a") + `,"rejected":` + conv("user", "q", "assistant", "b") + `}`,
			[]Message{u("q")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, err := Load(t.Context(), writeFile(t, "p.jsonl", c.row+"\n"), Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := l.Conversations[0]
			if !reflect.DeepEqual(got.Messages, c.prompt) || got.Chosen[0].Content != "a" || got.Rejected[0].Content != "b" {
				t.Fatalf("%+v, want prompt %+v", got, c.prompt)
			}
		})
	}
}

func TestSplitTranscript(t *testing.T) {
	cases := []struct {
		in   string
		want []Message
		ok   bool
	}{
		{"\n\nHuman: q\n\nAssistant: line 1\nline 2\n\n", []Message{u("q"), a("line 1\nline 2")}, true},
		{"Human: q\n\nAssistant:", []Message{u("q"), a("")}, true},
		{"Human: a prompt alone", nil, false},
		{"The Human: race\n\nAssistant: x", nil, false},
		{"An answer that quotes \n\nHuman: and \n\nAssistant:", nil, false},
	}
	for _, c := range cases {
		got, ok := splitTranscript(c.in)
		if ok != c.ok || !reflect.DeepEqual(got, c.want) {
			t.Errorf("splitTranscript(%q) = %+v, %v", c.in, got, ok)
		}
	}
}
