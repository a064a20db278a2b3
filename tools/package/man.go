package main

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

// The man page is rendered from the binary's own help: `whetstone help`
// lists the commands and `whetstone <command> -h` prints each command's
// usage line and its flag set (Go's flag.PrintDefaults), so the flags
// are defined once, in backend/cli, and the page cannot drift from them.

// helpText is one command's help, parsed.
type helpText struct {
	Name    string   // "bench", "data inspect"
	Summary string   // from the command list
	Usage   []string // "whetstone bench [--config ...]"
	Notes   []string // other lines
	Flags   []flagHelp
}

// flagHelp is one flag as PrintDefaults prints it.
type flagHelp struct {
	Name string // without dashes
	Arg  string // "string", "int", "N"...; "" for a boolean
	Text string
}

// runHelp runs the binary with args and returns what it printed. Help
// goes to stderr; a command's help must exit 0.
func runHelp(bin string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	// Nothing of the user's is read or written: a throwaway home and
	// workspace, no display.
	tmp, err := os.MkdirTemp("", "whetstone-man-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	cmd.Env = []string{"HOME=" + tmp, "WHETSTONE_HOME=" + filepath.Join(tmp, "ws"), "PATH=/usr/bin:/bin", "LANG=C.UTF-8"}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %w\n%s", bin, strings.Join(args, " "), err, out.String())
	}
	return out.String(), nil
}

var (
	commandLine = regexp.MustCompile(`^  ([a-z][a-z0-9-]*)\s{2,}(.*)$`)
	flagLine    = regexp.MustCompile(`^  -([A-Za-z0-9][A-Za-z0-9_.-]*)(?: (.+))?$`)
	subHelp     = regexp.MustCompile(`'whetstone ([a-z][a-z0-9 -]*?) -h'`)
)

// parseCommandList reads `whetstone help`: the tagline, the usage lines
// and the commands with their summaries.
func parseCommandList(text string) (tagline string, usage [][2]string, cmds []helpText) {
	section := ""
	for i, line := range strings.Split(text, "\n") {
		switch {
		case i == 0:
			tagline = strings.TrimSuffix(strings.TrimSpace(strings.TrimPrefix(line, "whetstone:")), ".")
		case line == "Usage:" || line == "Commands:":
			section = line
		case strings.TrimSpace(line) == "":
		case section == "Usage:" && strings.HasPrefix(line, "  "):
			syn, desc, _ := strings.Cut(strings.TrimSpace(line), "  ")
			usage = append(usage, [2]string{strings.TrimSpace(syn), strings.TrimSpace(desc)})
		case section == "Commands:":
			if m := commandLine.FindStringSubmatch(line); m != nil {
				cmds = append(cmds, helpText{Name: m[1], Summary: m[2]})
			}
		}
	}
	return tagline, usage, cmds
}

// parseCommandHelp reads `whetstone <name> -h` into h, and returns the
// sub-commands it points to ("Run 'whetstone data inspect -h' ...").
func parseCommandHelp(h *helpText, text string) (subs []string) {
	var cur *flagHelp
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "Usage: "):
			h.Usage = append(h.Usage, strings.TrimSpace(strings.TrimPrefix(line, "Usage: ")))
			cur = nil
		case strings.HasPrefix(line, "       whetstone "):
			h.Usage = append(h.Usage, strings.TrimSpace(line))
		case strings.HasPrefix(line, "    \t") && cur != nil:
			if cur.Text != "" {
				cur.Text += " "
			}
			cur.Text += strings.TrimSpace(line)
		case flagLine.MatchString(line):
			m := flagLine.FindStringSubmatch(line)
			h.Flags = append(h.Flags, flagHelp{Name: m[1], Arg: m[2]})
			cur = &h.Flags[len(h.Flags)-1]
		case strings.TrimSpace(line) == "":
		default:
			ms := subHelp.FindAllStringSubmatch(line, -1)
			for _, m := range ms {
				subs = append(subs, m[1])
			}
			if len(ms) == 0 {
				h.Notes = append(h.Notes, strings.TrimSpace(line))
			}
		}
	}
	return subs
}

// collectHelp walks every command of the binary, and the sub-commands
// their help points to.
func collectHelp(bin string) (tagline string, usage [][2]string, cmds []helpText, err error) {
	top, err := runHelp(bin, "help")
	if err != nil {
		return "", nil, nil, err
	}
	tagline, usage, list := parseCommandList(top)
	if tagline == "" || len(list) == 0 {
		return "", nil, nil, fmt.Errorf("`%s help` listed no commands:\n%s", bin, top)
	}
	for _, c := range list {
		text, err := runHelp(bin, c.Name, "-h")
		if err != nil {
			return "", nil, nil, err
		}
		subs := parseCommandHelp(&c, text)
		cmds = append(cmds, c)
		for _, s := range subs {
			sub := helpText{Name: s}
			text, err := runHelp(bin, append(strings.Fields(s), "-h")...)
			if err != nil {
				return "", nil, nil, err
			}
			if more := parseCommandHelp(&sub, text); len(more) > 0 {
				return "", nil, nil, fmt.Errorf("whetstone %s -h points further, to %v", s, more)
			}
			cmds = append(cmds, sub)
		}
	}
	return tagline, usage, cmds, nil
}

// manPage renders whetstone(1) from the binary's help.
func manPage(bin, version string, date time.Time) (string, error) {
	tagline, usage, cmds, err := collectHelp(bin)
	if err != nil {
		return "", err
	}
	return renderMan(version, date, tagline, usage, cmds), nil
}

// roff escapes text for a man page line: backslashes, dashes (so options
// copy as ASCII minus signs), and a leading control character.
func roff(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

func renderMan(version string, date time.Time, tagline string, usage [][2]string, cmds []helpText) string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	w(`.\" Generated by tools/package from the output of "whetstone help" and "whetstone COMMAND -h"; do not edit.`)
	w(`.TH WHETSTONE 1 "%s" "whetstone %s" "User Commands"`, date.Format("2006-01-02"), roff(version))
	w(".SH NAME")
	w(`whetstone \- %s`, roff(tagline))
	w(".SH SYNOPSIS")
	for i, u := range usage {
		if i > 0 {
			w(".br")
		}
		w(`.B %s`, placeholders(roff(u[0])))
	}
	w(".SH DESCRIPTION")
	w("%s.", roff(capitalize(tagline)))
	for _, u := range usage {
		if u[1] != "" {
			w(".TP")
			w(`.B %s`, placeholders(roff(u[0])))
			w("%s.", roff(capitalize(u[1])))
		}
	}
	w(".PP")
	w("Flags may be written with one dash or two.")
	w(".SH COMMANDS")
	for _, c := range cmds {
		w(`.SS "%s"`, roff(c.Name))
		if c.Summary != "" {
			w("%s.", roff(capitalize(c.Summary)))
		}
		w(".PP")
		w(".nf")
		for _, u := range c.Usage {
			w("%s", roff(u))
		}
		w(".fi")
		for _, n := range c.Notes {
			w(".PP")
			w("%s", roff(n))
		}
		for _, f := range c.Flags {
			w(".TP")
			if f.Arg != "" {
				w(`.BI \-\-%s " %s"`, roff(f.Name), roff(f.Arg))
			} else {
				w(`.B \-\-%s`, roff(f.Name))
			}
			w("%s", roff(f.Text))
		}
	}
	w(".SH FILES")
	w(".TP")
	w(`.I ~/.local/share/whetstone`)
	w(`The workspace: settings, runs, logs, exports (\fB\-\-workspace\fR, \fB$WHETSTONE_HOME\fR or \fB$XDG_DATA_HOME\fR/whetstone choose another).`)
	w("It is the user's: installing, upgrading and removing Whetstone never touch it.")
	w(".TP")
	w(`.I ~/.cache/huggingface/hub`)
	w("Downloaded models and datasets, shared with the Python tools.")
	w(".SH SEE ALSO")
	w(`Run \fBwhetstone\fR \fIcommand\fR \fB\-h\fR for a command's flags.`)
	return b.String()
}

var placeholder = regexp.MustCompile(`<([a-z]+)>`)

// placeholders sets "<command>" in italics, as man pages show what the
// reader replaces.
func placeholders(s string) string {
	return placeholder.ReplaceAllString(s, `\fI$1\fB`)
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// writeGzip writes data gzipped at the best compression with no name or
// time in the header, as Debian wants man pages.
func writeGzip(path string, data []byte) error {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(data); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return writeFile(path, buf.Bytes(), 0o644)
}
