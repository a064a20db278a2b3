package tokenizer_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/tokenizer"
	"github.com/whetstone-ai/whetstone/backend/tokenizer/tokenizertest"
)

func loadByteLevel(t *testing.T) *tokenizer.Tokenizer {
	t.Helper()
	dir := t.TempDir()
	tokenizertest.ByteLevel(t, dir)
	tk, err := tokenizer.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func loadSPM(t *testing.T) *tokenizer.Tokenizer {
	t.Helper()
	dir := t.TempDir()
	tokenizertest.SentencePiece(t, dir)
	tk, err := tokenizer.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func id(t *testing.T, tk *tokenizer.Tokenizer, tok string) int {
	t.Helper()
	i, ok := tk.TokenID(tok)
	if !ok {
		t.Fatalf("token %q missing", tok)
	}
	return i
}

func TestByteLevelMergesAndSpecialTokens(t *testing.T) {
	tk := loadByteLevel(t)
	got := tk.Encode("hello world<|im_end|>!", false)
	want := []int{id(t, tk, "hello"), id(t, tk, "Ġworld"), id(t, tk, "<|im_end|>"), id(t, tk, "!")}
	if !slices.Equal(got, want) {
		t.Fatalf("Encode = %v, want %v", got, want)
	}
	// Byte-level post-processor adds nothing.
	if s := tk.Encode("hello", true); !slices.Equal(s, []int{id(t, tk, "hello")}) {
		t.Fatalf("Encode special = %v", s)
	}
	// Non-ASCII falls to byte tokens and decodes back exactly.
	text := "héllo wörld 東京 🚀\n\n  x"
	if d := tk.Decode(tk.Encode(text, false), false); d != text {
		t.Fatalf("round trip = %q, want %q", d, text)
	}
	ids := tk.Encode("a<|im_start|>b<think>c", false)
	if d := tk.Decode(ids, true); d != "ab<think>c" {
		t.Fatalf("skip special = %q (only special added tokens are dropped)", d)
	}
	if tk.VocabSize() != 256+10+3 {
		t.Fatalf("VocabSize = %d", tk.VocabSize())
	}
	if tk.TokenString(id(t, tk, "Ġworld")) != "Ġworld" {
		t.Fatal("TokenString mismatch")
	}
}

func TestByteLevelDecodeInvalidUTF8(t *testing.T) {
	tk := loadByteLevel(t)
	// 0xE2 0x82 is a truncated 3-byte sequence: one U+FFFD, as HF does.
	e2, e82 := id(t, tk, "â"), id(t, tk, "Ĥ")
	_ = e82
	got := tk.Decode([]int{id(t, tk, "h"), e2, id(t, tk, "h")}, false)
	if got != "h\uFFFDh" {
		t.Fatalf("Decode = %q", got)
	}
}

func TestPreTokenizerSplitsLikeLlama3(t *testing.T) {
	tk := loadByteLevel(t)
	// Each pre-tokenized piece is encoded alone, so piece boundaries show in
	// the token strings.
	cases := map[string][]string{
		"I'm ok":         {"I", "'", "m", "Ġ", "o", "k"},
		"  x":            {"Ġ", "Ġ", "x"},
		"a\n\n  b":       {"a", "Ċ", "Ċ", "Ġ", "Ġ", "b"},
		"12345":          {"1", "2", "3", "4", "5"},
		"x  ":            {"x", "ĠĠ"},
		"(hello":         {"(", "hello"},
		"wait...\n":      {"w", "a", "i", "t", ".", ".", ".", "Ċ"},
		"ÉTÉ été":        nil, // just must round-trip
		"tab\tsep\r\nok": nil,
	}
	for text, want := range cases {
		ids := tk.Encode(text, false)
		if d := tk.Decode(ids, false); d != text {
			t.Errorf("%q: round trip %q", text, d)
		}
		if want == nil {
			continue
		}
		var got []string
		for _, i := range ids {
			got = append(got, tk.TokenString(i))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%q: tokens %q, want %q", text, got, want)
		}
	}
}

func TestSentencePieceByteFallbackAndBOS(t *testing.T) {
	tk := loadSPM(t)
	got := tk.Encode("hello world", true)
	want := []int{2, id(t, tk, "hello"), id(t, tk, "▁world")}
	if !slices.Equal(got, want) {
		t.Fatalf("Encode = %v, want %v", got, want)
	}
	// "é" is not in the vocabulary: two byte tokens.
	got = tk.Encode("é", false)
	if !slices.Equal(got, []int{4 + 0xC3, 4 + 0xA9}) {
		t.Fatalf("byte fallback = %v", got)
	}
	text := "hello  wörld\n<start_of_turn>user 🚀"
	if d := tk.Decode(tk.Encode(text, false), false); d != text {
		t.Fatalf("round trip %q", d)
	}
	if d := tk.Decode(tk.Encode(text, true), true); d != "hello  wörld\nuser 🚀" {
		t.Fatalf("skip special %q", d)
	}
	// A lone continuation byte decodes to U+FFFD per byte.
	if d := tk.Decode([]int{4 + 0xA9, id(t, tk, "h")}, false); d != "\uFFFDh" {
		t.Fatalf("bad bytes %q", d)
	}
	cfg := tk.Config()
	if cfg.BOSID != 2 || cfg.EOSToken != "<end_of_turn>" || !slices.Equal(cfg.StopIDs, []int{id(t, tk, "<end_of_turn>")}) {
		t.Fatalf("config %+v", cfg)
	}
	if cfg.SpecialTokens["bos_token"] != "<bos>" || cfg.SpecialTokens["unk_token"] != "<unk>" {
		t.Fatalf("special tokens %v", cfg.SpecialTokens)
	}
}

func TestEncodeOffsets(t *testing.T) {
	for name, tk := range map[string]*tokenizer.Tokenizer{"bytelevel": loadByteLevel(t), "spm": loadSPM(t)} {
		text := "hello wörld<|im_end|><end_of_turn> 東京"
		ids, offs := tk.EncodeOffsets(text, true)
		if !slices.Equal(ids, tk.Encode(text, true)) {
			t.Fatalf("%s: EncodeOffsets ids differ from Encode", name)
		}
		if len(offs) != len(ids) {
			t.Fatalf("%s: %d offsets for %d ids", name, len(offs), len(ids))
		}
		prev := 0
		var rebuilt strings.Builder
		for i, o := range offs {
			if o[0] < prev || o[1] < o[0] || o[1] > len(text) {
				t.Fatalf("%s: offset %d %v not monotonic", name, i, o)
			}
			if o[0] > prev {
				t.Fatalf("%s: gap before token %d (%v)", name, i, o)
			}
			rebuilt.WriteString(text[max(o[0], prev):max(o[1], prev)])
			prev = max(prev, o[1])
		}
		if rebuilt.String() != text {
			t.Fatalf("%s: offsets cover %q, want the whole text", name, rebuilt.String())
		}
		if name == "spm" && offs[0] != [2]int{0, 0} {
			t.Fatalf("BOS offset %v, want empty", offs[0])
		}
	}
}

func TestEncodeBatchMatchesEncode(t *testing.T) {
	tk := loadByteLevel(t)
	texts := []string{"hello world", "", "x  y", "<|im_start|>hi", strings.Repeat("hello ", 100)}
	batch := tk.EncodeBatch(texts, true)
	for i, s := range texts {
		if !slices.Equal(batch[i], tk.Encode(s, true)) {
			t.Fatalf("text %d differs", i)
		}
	}
}

func TestVocabExport(t *testing.T) {
	v := loadSPM(t).Vocab()
	if v.Model != tokenizer.ModelSPMBPE || v.Kinds[2] != tokenizer.KindControl || v.Kinds[3] != tokenizer.KindUnknown || v.Kinds[4] != tokenizer.KindByte {
		t.Fatalf("spm vocab: model %s kinds %v", v.Model, v.Kinds[:6])
	}
	if v.Merges[0] != "h e" || len(v.Tokens) != len(v.Kinds) {
		t.Fatalf("merges %v", v.Merges[:2])
	}
	b := loadByteLevel(t).Vocab()
	if b.Model != tokenizer.ModelBPEByteLevel || b.PreTokenizer != "llama3" || b.Kinds[len(b.Kinds)-1] != tokenizer.KindUserDefined {
		t.Fatalf("byte-level vocab: %s %s", b.Model, b.PreTokenizer)
	}
	// The SentencePiece fixture's post-processor puts <bos> first and its
	// normalizer only replaces spaces; the byte-level one adds nothing.
	if !v.PrefixSpecial || v.AddSpacePrefix || b.PrefixSpecial || b.AddSpacePrefix {
		t.Fatalf("spm prefix %v/%v, byte-level prefix %v/%v", v.PrefixSpecial, v.AddSpacePrefix, b.PrefixSpecial, b.AddSpacePrefix)
	}
	llama2, err := tokenizer.FromJSON([]byte(`{"normalizer": {"type": "Sequence", "normalizers": [
		{"type": "Prepend", "prepend": "▁"},
		{"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
		"model": {"type": "BPE", "byte_fallback": true, "vocab": {"▁": 0, "a": 1}, "merges": []}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !llama2.Vocab().AddSpacePrefix {
		t.Fatal("a Prepend normalizer must give AddSpacePrefix")
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := tokenizer.Load(dir); err == nil || !strings.Contains(err.Error(), "tokenizer.json") {
		t.Fatalf("missing file: %v", err)
	}
	good := t.TempDir()
	tokenizertest.ByteLevel(t, good)
	b, err := os.ReadFile(filepath.Join(good, "tokenizer.json"))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		content, want string
	}{
		"truncated":    {string(b[:len(b)/2]), "truncated JSON"},
		"garbage":      {"{not json", "invalid JSON"},
		"unknown type": {`{"model": {"type": "Unigram", "vocab": []}}`, `unsupported model type "Unigram"`},
		"no model":     {`{"added_tokens": []}`, "model has no type"},
		"bad merge":    {`{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}}`, "not in the vocabulary"},
		"bad regex":    {strings.Replace(string(b), `\\p{N}{1,3}`, `\\p{N}{1,4}`, 1), "unsupported regex"},
	}
	for name, c := range cases {
		d := t.TempDir()
		path := filepath.Join(d, "tokenizer.json")
		if err := os.WriteFile(path, []byte(c.content), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := tokenizer.Load(d)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %v, want it to mention %q and the file", name, err, c.want)
		}
	}
	// A broken config file is named too.
	d := t.TempDir()
	tokenizertest.ByteLevel(t, d)
	cfgPath := filepath.Join(d, "tokenizer_config.json")
	if err := os.WriteFile(cfgPath, []byte(`{"eos_token": `), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := tokenizer.Load(d); err == nil || !strings.Contains(err.Error(), cfgPath) {
		t.Fatalf("bad config: %v", err)
	}
}

func TestGenerationConfigStopIDs(t *testing.T) {
	d := t.TempDir()
	tokenizertest.SentencePiece(t, d)
	if err := os.WriteFile(filepath.Join(d, "generation_config.json"), []byte(`{"eos_token_id": [1, 7]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(d, "chat_template.jinja"), []byte("{{ messages }}"), 0o644); err != nil {
		t.Fatal(err)
	}
	tk, err := tokenizer.Load(d)
	if err != nil {
		t.Fatal(err)
	}
	if c := tk.Config(); !slices.Equal(c.StopIDs, []int{1, 7}) || c.ChatTemplate != "{{ messages }}" {
		t.Fatalf("config %v %q", c.StopIDs, c.ChatTemplate)
	}
}
