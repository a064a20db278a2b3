package chattemplate

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/sharedtest"
)

type chatCase struct {
	ID                  string
	Messages            any
	AddGenerationPrompt bool
	Extra               *Dict
	Rendered            map[string]any // string or {"error": msg}
}

// readChatCases parses chat_cases.json keeping object key order (tools are
// printed back with tojson).
func readChatCases(t *testing.T, set string) []chatCase {
	t.Helper()
	path := sharedtest.Path(t, "refsets", set, "chat_cases.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := DecodeJSON(b)
	if err != nil {
		t.Fatalf("parse %s: %v", path, err)
	}
	var out []chatCase
	for _, c := range v.([]any) {
		d := c.(*Dict)
		cc := chatCase{Rendered: map[string]any{}}
		id, _ := d.Get("id")
		cc.ID = id.(string)
		cc.Messages, _ = d.Get("messages")
		agp, _ := d.Get("add_generation_prompt")
		cc.AddGenerationPrompt = agp.(bool)
		if e, ok := d.Get("extra"); ok {
			cc.Extra = e.(*Dict)
		}
		r, _ := d.Get("rendered")
		rd := r.(*Dict)
		for _, k := range rd.Keys() {
			val, _ := rd.Get(k)
			if ed, ok := val.(*Dict); ok {
				msg, _ := ed.Get("error")
				cc.Rendered[k] = map[string]string{"error": msg.(string)}
			} else {
				cc.Rendered[k] = val
			}
		}
		out = append(out, cc)
	}
	return out
}

type modelRef struct {
	template string
	special  *Dict
}

func readModels(t *testing.T) map[string]modelRef {
	t.Helper()
	ctxPath := sharedtest.Path(t, "refsets", "visible", "chat_context.json")
	b, err := os.ReadFile(ctxPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx, err := DecodeJSON(b)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := ctx.(*Dict).Get("special_tokens")
	out := map[string]modelRef{}
	for _, m := range []string{"gemma3", "qwen3", "llama3"} {
		cfgPath := sharedtest.Path(t, "refsets", "visible", "tokenizers", m, "tokenizer_config.json")
		cb, err := os.ReadFile(cfgPath)
		if err != nil {
			t.Fatal(err)
		}
		var cfg struct {
			ChatTemplate string `json:"chat_template"`
		}
		if err := json.Unmarshal(cb, &cfg); err != nil {
			t.Fatal(err)
		}
		sp, _ := st.(*Dict).Get(m)
		out[m] = modelRef{template: cfg.ChatTemplate, special: sp.(*Dict)}
	}
	return out
}

func TestChatParityVisible(t *testing.T) { runChatParity(t, "visible") }
func TestChatParityHidden(t *testing.T)  { runChatParity(t, "hidden") }

func runChatParity(t *testing.T, set string) {
	cases := readChatCases(t, set)
	if len(cases) == 0 {
		t.Fatalf("no chat cases in %s", set)
	}
	models := readModels(t)
	for name, ref := range models {
		t.Run(name, func(t *testing.T) {
			tpl, err := Parse(ref.template)
			if err != nil {
				t.Fatalf("parse %s template: %v", name, err)
			}
			checked := 0
			defer func() {
				if checked != len(cases) {
					t.Errorf("checked %d of %d cases", checked, len(cases))
				}
			}()
			for _, c := range cases {
				checked++
				vars := map[string]any{
					"messages":              c.Messages,
					"tools":                 nil,
					"documents":             nil,
					"add_generation_prompt": c.AddGenerationPrompt,
				}
				for _, k := range ref.special.Keys() {
					vars[k], _ = ref.special.Get(k)
				}
				if c.Extra != nil {
					for _, k := range c.Extra.Keys() {
						vars[k], _ = c.Extra.Get(k)
					}
				}
				got, err := tpl.Render(vars)
				switch want := c.Rendered[name].(type) {
				case string:
					if err != nil {
						t.Errorf("%s: unexpected error %v", c.ID, err)
					} else if got != want {
						t.Errorf("%s: render differs\n got %q\nwant %q\n%s", c.ID, got, want, firstDiff(got, want))
					}
				case map[string]string:
					if err == nil {
						t.Errorf("%s: want error %q, rendered %q", c.ID, want["error"], got)
					} else if err.Error() != want["error"] {
						t.Errorf("%s: error %q, want %q", c.ID, err, want["error"])
					}
				}
			}
		})
	}
}

func firstDiff(a, b string) string {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	lo := max(0, n-40)
	return fmt.Sprintf("first difference at byte %d: got …%q want …%q", n, a[lo:min(len(a), n+40)], b[lo:min(len(b), n+40)])
}
