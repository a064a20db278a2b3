package tokenizer

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseVocab(t *testing.T) {
	got, err := parseVocab([]byte(` {"a": 0, "\u00e9": 1, "a b": 2, "a": 3} `))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int32{"a": 3, "é": 1, "a b": 2} // the last duplicate wins
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for raw, msg := range map[string]string{
		`["a"]`:             "want {",
		`{"a": "0"}`:        `token "a": id is string`,
		`{"a": 1.5}`:        "not a 32-bit integer",
		`{"a": 4294967296}`: "not a 32-bit integer",
		`{"a": 1`:           "EOF",
	} {
		if _, err := parseVocab([]byte(raw)); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: error %v, want one containing %q", raw, err, msg)
		}
	}
}

func TestParseMerges(t *testing.T) {
	want := [][2]string{{"a", "b"}, {"ab", "▁c"}}
	for _, raw := range []string{`["a b", "ab ▁c"]`, `[["a", "b"], ["ab", "▁c"]]`, `[["a", "b"], "ab ▁c"]`} {
		got, err := parseMerges([]byte(raw))
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: got %q, want %q", raw, got, want)
		}
	}
	if got, err := parseMerges([]byte(" null ")); err != nil || got != nil {
		t.Fatalf("null: %v %v", got, err)
	}
	for raw, msg := range map[string]string{
		`{"a": "b"}`:        "model.merges: want [",
		`["ab"]`:            `model.merges[0] "ab": no space`,
		`[["a", "b", "c"]]`: "model.merges[0]: want exactly two strings",
		`["a b", ["a", 1]]`: "model.merges[1]: want two strings",
		`["a b", 3]`:        "model.merges[1]: neither",
		`["a b"`:            "model.merges",
	} {
		if _, err := parseMerges([]byte(raw)); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: error %v, want one containing %q", raw, err, msg)
		}
	}
}
