package chattemplate

import (
	"errors"
	"strings"
	"testing"
)

// TestJinjaTable covers the Jinja features chat templates use, with the
// outputs Python Jinja2 (trim_blocks, lstrip_blocks) gives.
func TestJinjaTable(t *testing.T) {
	msgs := []any{
		map[string]any{"role": "user", "content": "  hi  "},
		map[string]any{"role": "assistant", "content": "<think>r</think>\n\nok"},
	}
	vars := map[string]any{"messages": msgs, "name": "Ann", "n": 7, "f": 2.5, "none": nil, "flag": true}
	cases := []struct{ src, want string }{
		{"Hello {{ name }}!", "Hello Ann!"},
		{"{{ 'a' ~ n ~ none }}", "a7None"},
		{"{{ n + 1 }} {{ n / 2 }} {{ n // 2 }} {{ -7 % 3 }} {{ 2 ** 3 }} {{ f * 2 }}", "8 3.5 3 2 8 5.0"},
		{"{{ messages | length }}", "2"},
		{"{{ messages[0]['content'] | trim }}|", "hi|"},
		{"{{ messages[0].content.strip() }}", "hi"},
		{"{{ messages[-1].content.split('</think>')[-1].lstrip('\\n') }}", "ok"},
		{"{{ messages[1].content.split('</think>')[0].split('<think>')[-1] }}", "r"},
		{"{% for m in messages %}{{ loop.index }}{{ loop.first }}{{ loop.last }}{{ loop.revindex0 }};{% endfor %}", "1TrueFalse1;2FalseTrue0;"},
		{"{% for m in messages[::-1] %}{{ m.role }} {% endfor %}", "assistant user "},
		{"{% for m in messages if m.role == 'user' %}{{ loop.length }}{% endfor %}", "1"},
		{"{% for i in range(5) %}{% if i == 1 %}{% continue %}{% endif %}{% if i == 3 %}{% break %}{% endif %}{{ i }}{% endfor %}", "02"},
		{"{% for x in [] %}x{% else %}empty{% endfor %}", "empty"},
		{"{% set ns = namespace(c=0) %}{% for m in messages %}{% set ns.c = ns.c + 1 %}{% endfor %}{{ ns.c }}", "2"},
		{"{% set x = 1 %}{% for m in messages %}{% set x = 5 %}{% endfor %}{{ x }}", "1"},
		{"{% if flag %}{% set y = 'in' %}{% endif %}{{ y }}", "in"},
		{"{{ 'yes' if n > 3 else 'no' }} {{ ('a' if none else 'b') }}", "yes b"},
		{"{{ missing is defined }} {{ none is none }} {{ name is string }} {{ n is number }} {{ messages is iterable }} {{ messages[0] is mapping }}", "False True True True True True"},
		{"{{ missing | default('d') }} {{ '' | default('e', true) }}", "d e"},
		{"{{ 'lo' in 'hello' }} {{ 3 in [1, 2] }} {{ 'role' in messages[0] }} {{ 'x' not in 'abc' }}", "True False True True"},
		{"{{ {'b': 1, 'a': [1, 2.5, none, true, 'é\"<']} | tojson }}", `{"b": 1, "a": [1, 2.5, null, true, "é\"<"]}`},
		{"{{ {'a': {'b': [1]}} | tojson(indent=2) }}", "{\n  \"a\": {\n    \"b\": [\n      1\n    ]\n  }\n}"},
		{"{% for k, v in {'x': 1, 'y': 2} | items %}{{ k }}={{ v }} {% endfor %}", "x=1 y=2 "},
		{"{{ messages | selectattr('role', 'equalto', 'user') | map(attribute='content') | join(',') }}", "  hi  "},
		{"{{ [3, 1, 2] | sort | list }} {{ ['a', 'b'] | first }} {{ 'abc' | upper }} {{ 'abc'[1:] }}", "[1, 2, 3] a ABC bc"},
		// Go maps arrive with sorted keys (pass *Dict to keep an order).
		{"{{ messages[0] }}", "{'content': '  hi  ', 'role': 'user'}"},
		{"{% macro greet(who, p='!') %}Hi {{ who }}{{ p }}{% endmacro %}{{ greet('Bo') }} {{ greet('Al', p='?') }}", "Hi Bo! Hi Al?"},
		{"{% set block %}inner {{ n }}{% endset %}[{{ block }}]", "[inner 7]"},
		{"{# comment #}a{{ 'b' }}c", "abc"},
		{"{%- if true -%}\n  x  \n{%- endif -%}", "x"},
		// trim_blocks removes the newline after a block tag; lstrip_blocks
		// removes the indentation before it.
		{"{% if true %}\n    a\n    {% endif %}\nb", "    a\nb"},
		{"  {%+ if true %}x{% endif %}", "  x"},
		{"line\n{{ 'v' }}\n", "line\nv"},
		{"{% raw %}{{ x }}{% endraw %}", "{{ x }}"},
		{"{{ 'a' 'b' }} {{ \"q\\n\" | length }}", "ab 2"},
		{"{{ (messages[0]['role'] == 'user') != (0 % 2 == 0) }}", "False"},
		{"{{ 1 < 2 < 3 }} {{ not flag or n }}", "True 7"},
		{"{{ 'A-b c'.title() }} {{ 'x,y'.split(',') }} {{ 'ab'.startswith(('x', 'a')) }}", "A-B C ['x', 'y'] True"},
		{"{{ '%d'|length }}{{ none | string }}", "2None"},
		// Constructs of the Llama 3.1/3.2, Qwen 2.5 and Mistral templates.
		{"{{- 'x\\n' -}}\n  {{ 'y' }}", "x\ny"},
		{"{{ ['a', 'code_interpreter', 'b'] | reject('equalto', 'code_interpreter') | join(', ') }}", "a, b"},
		{"{{ 'role' in messages[0] }} {{ 'tool_calls' in messages[0] }}", "True False"},
		{"{{ not messages|length == 1 }}", "True"},
		{"{{ messages[0] is mapping or messages[0] is iterable }} {{ name is mapping }}", "True False"},
		{"{% if strftime_now is defined %}ok{% endif %}", "ok"},
		{"{% set messages = messages[1:] %}{{ messages | length }}", "1"},
		{"{% for m in messages %}{% set m = m.role %}{{ m }};{% endfor %}", "user;assistant;"},
		{"{% set us = messages | selectattr('role', 'equalto', 'user') | list %}{{ messages[0] == us[-1] }}", "True"},
		{"{{ '{\"name\": \"' + name + '\"}' }}", `{"name": "Ann"}`},
		{"{%- if n is defined -%}{%- else  %}no{%- endif %}x", "x"},
		{"{{ '%s has %d (%.2f) %r 100%%' % (name, n, f, name) }}", "Ann has 7 (2.50) 'Ann' 100%"},
	}
	for _, c := range cases {
		tpl, err := Parse(c.src)
		if err != nil {
			t.Errorf("Parse(%q): %v", c.src, err)
			continue
		}
		got, err := tpl.Render(vars)
		if err != nil {
			t.Errorf("Render(%q): %v", c.src, err)
			continue
		}
		if got != c.want {
			t.Errorf("Render(%q)\n got %q\nwant %q", c.src, got, c.want)
		}
	}
}

func TestJinjaErrors(t *testing.T) {
	parseErrs := map[string]string{
		"{% if x %}":                  "missing {% endif %}",
		"{{ x ":                       `missing "}}"`,
		"{% frobnicate %}":            `unknown statement "frobnicate"`,
		"{{ 'unterminated }}":         "unterminated string",
		"{% for x in y %}{% endif %}": "endif",
	}
	for src, want := range parseErrs {
		if _, err := Parse(src); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) error %v, want %q", src, err, want)
		}
	}
	renderErrs := map[string]string{
		"{{ raise_exception('Roles must alternate') }}": "Roles must alternate",
		"{{ 'a' + 1 }}":                   "can only concatenate str",
		"{{ x.y }}":                       "'x' is undefined",
		"{{ 1 | nosuchfilter }}":          `unknown filter "nosuchfilter"`,
		"{% for x in none %}{% endfor %}": "not iterable",
	}
	for src, want := range renderErrs {
		tpl, err := Parse(src)
		if err != nil {
			t.Errorf("Parse(%q): %v", src, err)
			continue
		}
		_, err = tpl.Render(map[string]any{"none": nil})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Render(%q) error %v, want %q", src, err, want)
		}
	}
	tpl, _ := Parse("{{ raise_exception('boom') }}")
	_, err := tpl.Render(nil)
	var te *TemplateError
	if !errors.As(err, &te) || te.Message != "boom" {
		t.Fatalf("raise_exception gives %T %v, want *TemplateError", err, err)
	}
}

func TestStrftimeNow(t *testing.T) {
	tpl, err := Parse("{{ strftime_now('%Y-%m-%d') }}")
	if err != nil {
		t.Fatal(err)
	}
	got, err := tpl.Render(nil)
	if err != nil || len(got) != 10 || got[4] != '-' {
		t.Fatalf("strftime_now = %q, %v", got, err)
	}
}

func TestTokenMask(t *testing.T) {
	offsets := [][2]int{{0, 0}, {0, 5}, {5, 10}, {10, 12}, {12, 20}, {20, 25}}
	spans := []Span{{Start: 10, End: 20}, {Start: 22, End: 30}}
	got := TokenMask(offsets, spans)
	want := []bool{false, false, false, true, true, false}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("mask %v, want %v", got, want)
		}
	}
}

func TestParseMessages(t *testing.T) {
	msgs, err := ParseMessages([]byte(`[{"role":"user","content":"hi"},{"role":"assistant","content":null,"tool_calls":[{"function":{"name":"f","arguments":{"b":1,"a":2}}}]}]`))
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || msgs[1].ToolCalls[0].Name != "f" {
		t.Fatalf("%+v", msgs)
	}
	if toJSON(FromGo(msgs[1].ToolCalls[0].Arguments), nil) != `{"b": 1, "a": 2}` {
		t.Fatal("argument key order lost")
	}
	for in, want := range map[string]string{
		`{"role":"user"}`:               "JSON array",
		`[{"content":"x"}]`:             `messages[0]: missing "role"`,
		`[{"role":"user","content":5}]`: "messages[0].content: want a string",
		`[{"role":`:                     "invalid JSON",
	} {
		if _, err := ParseMessages([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseMessages(%s) error %v, want %q", in, err, want)
		}
	}
}
