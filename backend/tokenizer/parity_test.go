package tokenizer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/sharedtest"
)

// models are the reference tokenizers in ../shared/refsets/visible/tokenizers.
var models = []string{"gemma3", "qwen3", "llama3"}

var (
	loadOnce   sync.Once
	loaded     map[string]*Tokenizer
	loadErrors map[string]error
)

// refTokenizer loads a reference tokenizer once per test binary (Gemma's
// tokenizer.json is 33 MB).
func refTokenizer(t testing.TB, name string) *Tokenizer {
	t.Helper()
	dir := sharedtest.Path(t, "refsets", "visible", "tokenizers")
	loadOnce.Do(func() {
		loaded, loadErrors = map[string]*Tokenizer{}, map[string]error{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, m := range models {
			wg.Add(1)
			go func() {
				defer wg.Done()
				tk, err := Load(filepath.Join(dir, m))
				mu.Lock()
				loaded[m], loadErrors[m] = tk, err
				mu.Unlock()
			}()
		}
		wg.Wait()
	})
	if err := loadErrors[name]; err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return loaded[name]
}

type encodeCase struct {
	Text string `json:"text"`
	IDs  map[string]struct {
		Plain   []int `json:"plain"`
		Special []int `json:"special"`
	} `json:"ids"`
	Decoded    map[string]string `json:"decoded"`
	DecodedRaw map[string]string `json:"decoded_raw"`
}

func readEncodeCases(t *testing.T, set string) []encodeCase {
	path := sharedtest.Path(t, "refsets", set, "encode_cases.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cases []encodeCase
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	return cases
}

func TestEncodeParityVisible(t *testing.T) { runEncodeParity(t, "visible") }
func TestEncodeParityHidden(t *testing.T)  { runEncodeParity(t, "hidden") }

func runEncodeParity(t *testing.T, set string) {
	cases := readEncodeCases(t, set)
	for _, m := range models {
		t.Run(m, func(t *testing.T) {
			tk := refTokenizer(t, m)
			bad := 0
			for i, c := range cases {
				want := c.IDs[m]
				got := tk.Encode(c.Text, false)
				if !slices.Equal(got, want.Plain) {
					bad++
					t.Errorf("case %d %q: plain ids differ\n got %v\nwant %v", i, clip(c.Text), clip2(got), clip2(want.Plain))
				}
				if got := tk.Encode(c.Text, true); !slices.Equal(got, want.Special) {
					bad++
					t.Errorf("case %d %q: special ids differ\n got %v\nwant %v", i, clip(c.Text), clip2(got), clip2(want.Special))
				}
				if got := tk.Decode(want.Plain, false); got != c.Decoded[m] {
					bad++
					t.Errorf("case %d: decode differs\n got %q\nwant %q", i, clip(got), clip(c.Decoded[m]))
				}
				if raw, ok := c.DecodedRaw[m]; ok {
					if got := tk.DecodeRaw(want.Plain, false); got != raw {
						bad++
						t.Errorf("case %d: raw decode differs\n got %q\nwant %q", i, clip(got), clip(raw))
					}
				}
				if bad > 20 {
					t.Fatal("too many failures")
				}
			}
		})
	}
}

func clip(s string) string {
	if len(s) > 300 {
		return s[:300] + "…"
	}
	return s
}

func clip2(ids []int) []int {
	if len(ids) > 60 {
		return ids[:60]
	}
	return ids
}

func TestChatRenderedIDsVisible(t *testing.T) { runChatIDs(t, "visible") }
func TestChatRenderedIDsHidden(t *testing.T)  { runChatIDs(t, "hidden") }

// runChatIDs checks that encoding each reference rendering gives the
// reference ids (what apply_chat_template(tokenize=True) returns).
func runChatIDs(t *testing.T, set string) {
	path := sharedtest.Path(t, "refsets", set, "chat_cases.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		ID          string                     `json:"id"`
		Rendered    map[string]json.RawMessage `json:"rendered"`
		RenderedIDs map[string]json.RawMessage `json:"rendered_ids"`
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	for _, m := range models {
		t.Run(m, func(t *testing.T) {
			tk := refTokenizer(t, m)
			n := 0
			for _, c := range cases {
				var text string
				if json.Unmarshal(c.Rendered[m], &text) != nil {
					continue // the template raised an error
				}
				var want []int
				if err := json.Unmarshal(c.RenderedIDs[m], &want); err != nil {
					t.Fatalf("%s: rendered_ids: %v", c.ID, err)
				}
				n++
				if got := tk.Encode(text, false); !slices.Equal(got, want) {
					t.Errorf("%s: ids differ\n got %v\nwant %v", c.ID, clip2(got), clip2(want))
				}
			}
			if n == 0 {
				t.Fatal("no rendered cases")
			}
		})
	}
}

var jsonUnmarshal = json.Unmarshal

// TestOffsetsOnReferenceTexts checks EncodeOffsets on every reference text:
// same ids as Encode, and the spans tile the text in order (the dataset
// package relies on this to mark assistant tokens).
func TestOffsetsOnReferenceTexts(t *testing.T) {
	cases := readEncodeCases(t, "visible")
	for _, m := range models {
		t.Run(m, func(t *testing.T) {
			tk := refTokenizer(t, m)
			for i, c := range cases {
				ids, offs := tk.EncodeOffsets(c.Text, true)
				if !slices.Equal(ids, c.IDs[m].Special) {
					t.Fatalf("case %d: EncodeOffsets ids differ from the reference", i)
				}
				pos := 0
				for k, o := range offs {
					if o[0] != pos && !(o[0] == o[1] && o[0] <= pos) {
						t.Fatalf("case %d token %d (%q): span %v, want it to start at %d", i, k, tk.TokenString(ids[k]), o, pos)
					}
					if o[1] < o[0] || o[1] > len(c.Text) {
						t.Fatalf("case %d token %d: bad span %v", i, k, o)
					}
					pos = max(pos, o[1])
				}
				if pos != len(c.Text) {
					t.Fatalf("case %d: spans end at %d of %d bytes", i, pos, len(c.Text))
				}
			}
		})
	}
}

// TestSpecialTokensContext checks that Config().SpecialTokens is exactly the
// special-token context transformers passes to chat templates
// (chat_context.json).
func TestSpecialTokensContext(t *testing.T) {
	path := sharedtest.Path(t, "refsets", "visible", "chat_context.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ctx struct {
		SpecialTokens map[string]map[string]any `json:"special_tokens"`
	}
	if err := json.Unmarshal(b, &ctx); err != nil {
		t.Fatal(err)
	}
	for _, m := range models {
		got, err := json.Marshal(refTokenizer(t, m).Config().SpecialTokens)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(ctx.SpecialTokens[m])
		if string(got) != string(want) {
			t.Errorf("%s: special tokens\n got %s\nwant %s", m, got, want)
		}
	}
	if c := refTokenizer(t, "gemma3").Config(); c.EOSID != 106 || c.BOSID != 2 || len(c.StopIDs) != 1 || c.StopIDs[0] != 106 {
		t.Errorf("gemma3 config ids: eos %d bos %d stop %v", c.EOSID, c.BOSID, c.StopIDs)
	}
}
