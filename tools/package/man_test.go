package main

import (
	"strings"
	"testing"
	"time"
)

const helpTop = `whetstone: LoRA fine-tuning of open LLMs, from a desktop window, a browser or the terminal.

Usage:
  whetstone                 open the desktop window
  whetstone <command> [flags]

Commands:
  data         inspect a dataset (file, folder or hub id): format, rows, token lengths, problems
  demo         train a tiny Gemma 3 model on a built-in chat dataset, offline, in about a minute

Run 'whetstone <command> -h' for a command's flags.
`

const helpDemo = `Usage: whetstone demo [--steps N] [--workspace DIR]
  -steps int
    	optimizer steps (default: the demo config's 60)
  -verbose
    	print more
    	over two lines
  -workspace string
    	workspace folder (default $WHETSTONE_HOME or ~/.local/share/whetstone)
`

const helpData = `Usage: whetstone data inspect FILE [--model DIR] [--max-len N] [flags]
       whetstone data preview FILE --model DIR [--page N] [--rows N] [--color]
Run 'whetstone data inspect -h' or 'whetstone data preview -h' for every flag.
`

func TestParseHelp(t *testing.T) {
	tagline, usage, cmds := parseCommandList(helpTop)
	if tagline != "LoRA fine-tuning of open LLMs, from a desktop window, a browser or the terminal" {
		t.Errorf("tagline %q", tagline)
	}
	if len(usage) != 2 || usage[0] != [2]string{"whetstone", "open the desktop window"} || usage[1] != [2]string{"whetstone <command> [flags]", ""} {
		t.Errorf("usage %q", usage)
	}
	if len(cmds) != 2 || cmds[1].Name != "demo" || !strings.HasPrefix(cmds[1].Summary, "train a tiny") {
		t.Fatalf("commands %+v", cmds)
	}

	demo := cmds[1]
	if subs := parseCommandHelp(&demo, helpDemo); len(subs) != 0 {
		t.Errorf("demo sub-commands %v", subs)
	}
	want := []flagHelp{
		{"steps", "int", "optimizer steps (default: the demo config's 60)"},
		{"verbose", "", "print more over two lines"},
		{"workspace", "string", "workspace folder (default $WHETSTONE_HOME or ~/.local/share/whetstone)"},
	}
	if len(demo.Flags) != len(want) {
		t.Fatalf("flags %+v", demo.Flags)
	}
	for i := range want {
		if demo.Flags[i] != want[i] {
			t.Errorf("flag %d = %+v, want %+v", i, demo.Flags[i], want[i])
		}
	}
	if len(demo.Usage) != 1 || demo.Usage[0] != "whetstone demo [--steps N] [--workspace DIR]" {
		t.Errorf("usage %q", demo.Usage)
	}

	data := cmds[0]
	subs := parseCommandHelp(&data, helpData)
	if len(subs) != 2 || subs[0] != "data inspect" || subs[1] != "data preview" || len(data.Usage) != 2 || len(data.Notes) != 0 {
		t.Errorf("data: subs %q, %+v", subs, data)
	}
}

func TestRenderMan(t *testing.T) {
	tagline, usage, cmds := parseCommandList(helpTop)
	parseCommandHelp(&cmds[1], helpDemo)
	page := renderMan("0.1.0", time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC), tagline, usage, cmds)
	for _, want := range []string{
		`.TH WHETSTONE 1 "2026-12-06" "whetstone 0.1.0" "User Commands"`,
		`whetstone \- LoRA fine\-tuning of open LLMs`,
		`.B whetstone \fIcommand\fB [flags]`,
		`.SS "demo"`,
		".BI \\-\\-steps \" int\"\noptimizer steps (default: the demo config's 60)\n",
		".B \\-\\-verbose\nprint more over two lines\n",
		`whetstone demo [\-\-steps N] [\-\-workspace DIR]`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "\n.\n") || strings.Contains(page, "\n'") {
		t.Errorf("an unescaped control line:\n%s", page)
	}
}

func TestRoffEscapes(t *testing.T) {
	for in, want := range map[string]string{
		`a-b`:      `a\-b`,
		`C:\path`:  `C:\epath`,
		`.hidden`:  `\&.hidden`,
		`'quoted'`: `\&'quoted'`,
	} {
		if got := roff(in); got != want {
			t.Errorf("roff(%q) = %q, want %q", in, got, want)
		}
	}
}
