package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/quote"
	"github.com/whetstone-ai/whetstone/backend/service"
)

// dataCommand groups the dataset tools; "inspect" is the first.
func dataCommand() Command {
	return Command{
		Name:    "data",
		Summary: "inspect a dataset (file, folder or hub id): format, rows, token lengths, problems",
		Run: func(ctx context.Context, env *Env, args []string) error {
			if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
				fmt.Fprintln(env.Stderr, "Usage: whetstone data inspect FILE [--model DIR] [--max-len N] [flags]")
				fmt.Fprintln(env.Stderr, "       whetstone data preview FILE --model DIR [--page N] [--rows N] [--color]")
				fmt.Fprintln(env.Stderr, "Run 'whetstone data inspect -h' or 'whetstone data preview -h' for every flag.")
				if len(args) == 0 {
					return fmt.Errorf("%w: data needs a sub-command (inspect, preview)", ErrUsage)
				}
				return nil
			}
			switch args[0] {
			case "inspect":
				return dataInspect(ctx, env, args[1:])
			case "preview":
				return dataPreview(ctx, env, args[1:])
			}
			return fmt.Errorf("%w: unknown data sub-command %q (want inspect or preview)", ErrUsage, args[0])
		},
	}
}

// dataParseArgs lets flags come after positional arguments
// ("inspect FILE --model DIR"), which the flag package alone stops at.
func dataParseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func dataInspect(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "data inspect", "FILE|FOLDER|HUB_ID [--model DIR] [--max-len N] [flags]")
	model := fs.String("model", "", "model folder or hub id (tokenizer.json, tokenizer_config.json): adds token statistics under its chat template")
	maxLen := fs.Int("max-len", 2048, "maximum sequence length for the truncation statistics")
	format := fs.String("format", "", "force the format: "+strings.Join(service.DatasetFormats(), ", "))
	column := fs.String("column", "", "column holding the turns (sharegpt/openai) or the text (text)")
	prompt := fs.String("prompt", "", "column holding a preference pair's prompt (preference)")
	chosen := fs.String("chosen", "", "column holding a preference pair's chosen answer (preference)")
	rejected := fs.String("rejected", "", "column holding a preference pair's rejected answer (preference)")
	roleKey := fs.String("role-key", "", "key of a turn's role (e.g. from, role)")
	contentKey := fs.String("content-key", "", "key of a turn's content (e.g. value, content)")
	roles := fs.String("role", "", "extra role names, e.g. robot=assistant,person=user")
	truncation := fs.String("truncation", "truncate", "rows over --max-len: truncate or drop")
	mode := fs.String("train-on", "responses", "trained tokens: responses (assistant turns) or all")
	strict := fs.Bool("strict", false, "stop at the first bad row (default: skip, count and list them)")
	problems := fs.Int("problems", 5, "how many problems to list")
	asJSON := fs.Bool("json", false, "print the statistics as JSON")
	split := fs.String("split", "", "split to read from a folder or hub dataset (default train, else all files)")
	maxRowMB := dataMaxRowFlag(fs)
	pos, err := dataParseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fs.Usage()
		return fmt.Errorf("%w: data inspect needs exactly one FILE", ErrUsage)
	}
	path := pos[0]
	if *maxLen < 1 {
		return fmt.Errorf("%w: --max-len must be at least 1, got %d", ErrUsage, *maxLen)
	}
	if err := dataCheckMaxRow(*maxRowMB); err != nil {
		return err
	}
	req := service.DatasetRequest{
		Path: path, Split: *split, Model: *model, MaxLen: *maxLen, MaxRowMB: *maxRowMB, SkipBadRows: !*strict,
		TrainOn: service.TrainOn(*mode), Truncation: service.TruncationMode(*truncation),
		Mapping: service.DatasetMapping{Format: service.DatasetFormat(*format), RoleKey: *roleKey, ContentKey: *contentKey,
			PromptColumn: *prompt, ChosenColumn: *chosen, RejectedColumn: *rejected},
	}
	if *column != "" {
		req.Mapping.ConversationColumn, req.Mapping.TextColumn = *column, *column
	}
	if *roles != "" {
		if req.Mapping.Roles, err = service.ParseRoles(*roles); err != nil {
			return fmt.Errorf("%w: %v", ErrUsage, err)
		}
	}
	t, err := openTerminal(ctx, env, termOptions{})
	if err != nil {
		return err
	}
	defer t.Close()
	st, err := t.svc.Datasets.Stats(req)
	t.out.end()
	if err != nil {
		return usage(err)
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(st); err != nil {
			return err
		}
	} else {
		printDataStats(env.Stdout, st, *model, *problems)
	}
	if st.Conversations == 0 {
		first := "no row could be read"
		if len(st.Problems) > 0 {
			first = st.Problems[0]
		}
		return fmt.Errorf("%s: no usable rows (%d read, all bad); first problem: %s", filepath.Base(path), st.Rows, first)
	}
	if st.Tokenized && st.Kept == 0 {
		return fmt.Errorf("%s: %w: every row would be dropped (see above)", filepath.Base(path), service.ErrAllMasked)
	}
	// Bad rows are skipped in training, but inspect is the check to run
	// before it (by hand or in a script): it fails so they are not missed.
	if st.Skipped > 0 {
		first := ""
		if len(st.Problems) > 0 {
			first = "; first: " + st.Problems[0]
		}
		return fmt.Errorf("%w: %d of %d rows are bad and would be skipped in training%s", ErrBadRows, st.Skipped, st.Rows, first)
	}
	return nil
}

// ErrBadRows marks a dataset that was read but has rows that cannot be
// used; data inspect reports them and exits non-zero.
var ErrBadRows = errors.New("dataset has bad rows")

// dataMaxRowFlag declares --max-row-mb, the row size limit.
func dataMaxRowFlag(fs *flag.FlagSet) *int {
	return fs.Int("max-row-mb", service.DefaultMaxRowMB,
		fmt.Sprintf("largest row read, in MB (1 to %d): a larger row is reported as bad instead of filling memory", service.MaxRowMBLimit))
}

// dataCheckMaxRow refuses a --max-row-mb out of its bounds.
func dataCheckMaxRow(mb int) error {
	if mb < 1 || mb > service.MaxRowMBLimit {
		return fmt.Errorf("%w: --max-row-mb must be between 1 and %d, got %d", ErrUsage, service.MaxRowMBLimit, mb)
	}
	return nil
}

func printDataStats(w io.Writer, st *service.DatasetStats, model string, maxProblems int) {
	size := ""
	if fi, err := os.Stat(st.Path); err == nil && fi.Mode().IsRegular() {
		size = fmt.Sprintf(" (%s)", dataSize(fi.Size()))
	}
	d := st.Detection
	fmt.Fprintf(w, "File:     %s%s\n", st.Path, size)
	if len(st.Files) > 1 || len(st.Files) == 1 && st.Files[0] != st.Path {
		// A folder: say which of its files were read (those of the split,
		// as training reads them), so files left out are not a surprise.
		names := make([]string, len(st.Files))
		for i, f := range st.Files {
			if rel, err := filepath.Rel(st.Path, f); err == nil && !strings.HasPrefix(rel, "..") {
				f = rel
			}
			names[i] = f
		}
		const shown = 10
		list := strings.Join(names[:min(shown, len(names))], ", ")
		if len(names) > shown {
			list += fmt.Sprintf(" and %d more", len(names)-shown)
		}
		fmt.Fprintf(w, "Files:    %d read: %s\n", len(names), list)
	}
	fmt.Fprintf(w, "Format:   %s (confidence %.2f)\n", d.Mapping.Format, d.Confidence)
	fmt.Fprintf(w, "Why:      %s\n", d.Reason)
	fmt.Fprintf(w, "Mapping:  %s\n", dataMappingText(d.Mapping))
	for _, a := range d.Alternatives {
		fmt.Fprintf(w, "Also:     %s (confidence %.2f): %s\n", a.Mapping.Format, a.Confidence, a.Reason)
	}
	fmt.Fprintf(w, "Rows:     %d read, %d usable, %d skipped as bad\n", st.Rows, st.Conversations, st.Skipped)
	if st.Pairs > 0 {
		// Token counts below add both sides; lengths are the longer one's.
		fmt.Fprintf(w, "Pairs:    %d preference pairs (a prompt, a chosen and a rejected answer: train them with --method dpo or orpo); tokens count both sides, lengths the longer\n", st.Pairs)
	}
	var turns []string
	for _, b := range st.Turns {
		turns = append(turns, fmt.Sprintf("%d: %d", b.Value, b.Count))
	}
	fmt.Fprintf(w, "Turns:    %s\n", strings.Join(turns, ", "))
	if len(st.Roles) > 0 {
		var roles []string
		for _, r := range []string{service.RoleSystem, service.RoleUser, service.RoleAssistant} {
			if st.Roles[r] > 0 {
				roles = append(roles, fmt.Sprintf("%s %d", r, st.Roles[r]))
			}
		}
		fmt.Fprintf(w, "Messages: %s\n", strings.Join(roles, ", "))
	}
	if st.Tokenized {
		fmt.Fprintf(w, "\nTokens under %s, max length %d (%s):\n", filepath.Base(model), st.MaxLen, st.Truncation)
		pct := 0.0
		if st.Tokens > 0 {
			pct = 100 * float64(st.TrainableTokens) / float64(st.Tokens)
		}
		fmt.Fprintf(w, "  total %d, trained on %d (%.1f%%) after truncation\n", st.Tokens, st.TrainableTokens, pct)
		fmt.Fprintf(w, "  per row: min %d, median %d, mean %.0f, p95 %d, max %d\n", st.MinLen, st.MedianLen, st.MeanLen, st.P95Len, st.MaxLenSeen)
		peak := 1
		for _, b := range st.Lengths {
			peak = max(peak, b.Count)
		}
		for _, b := range st.Lengths {
			marker := ""
			if st.MaxLen > b.Lo && st.MaxLen < b.Hi || st.MaxLen == b.Hi {
				marker = "  <- max length"
			}
			fmt.Fprintf(w, "  %6d-%-6d %-40s %d%s\n", b.Lo, b.Hi-1, strings.Repeat("#", (b.Count*40+peak-1)/peak), b.Count, marker)
		}
		fmt.Fprintf(w, "  over max length: %d rows; truncated %d; kept %d\n", st.OverMaxLen, st.Truncated, st.Kept)
		if st.TextCut > 0 {
			fmt.Fprintf(w, "  %d rows so far over the max length that their text was cut before tokenizing: their lengths above are lower bounds\n", st.TextCut)
		}
		reasons := make([]string, 0, len(st.Dropped))
		for r := range st.Dropped {
			reasons = append(reasons, r)
		}
		sort.Strings(reasons)
		for _, r := range reasons {
			fmt.Fprintf(w, "  dropped %d: %s (rows %s)\n", st.Dropped[r], r, dataJoinInts(st.DroppedExamples[r]))
		}
	}
	if len(st.Problems) > 0 && maxProblems > 0 {
		fmt.Fprintf(w, "\nProblems (first %d of %d):\n", min(maxProblems, len(st.Problems)), max(st.Skipped, len(st.Problems)))
		for _, p := range st.Problems[:min(maxProblems, len(st.Problems))] {
			fmt.Fprintf(w, "  %s\n", p)
		}
	}
	if len(st.UnknownRoles) > 0 {
		names := make([]string, 0, len(st.UnknownRoles))
		for n := range st.UnknownRoles {
			names = append(names, n)
		}
		sort.Strings(names)
		var parts, flags []string
		for _, n := range names {
			parts = append(parts, fmt.Sprintf("%s (%d rows)", quote.Value(n), st.UnknownRoles[n]))
			head, _ := quote.Head(n, quote.Limit)
			flags = append(flags, head+"=assistant")
		}
		fmt.Fprintf(w, "\nUnknown roles: %s; map them to user, assistant or system, e.g. --role %s\n", strings.Join(parts, ", "), strings.Join(flags, ","))
	}
}

func dataMappingText(m service.DatasetMapping) string {
	switch m.Format {
	case service.FormatShareGPT, service.FormatOpenAI:
		s := fmt.Sprintf("turns in %q, role key %q, content key %q", m.ConversationColumn, m.RoleKey, m.ContentKey)
		if len(m.Roles) > 0 {
			var extra []string
			for k, v := range m.Roles {
				extra = append(extra, k+"->"+v)
			}
			sort.Strings(extra)
			s += ", extra roles " + strings.Join(extra, ", ")
		}
		return s
	case service.FormatAlpaca:
		s := fmt.Sprintf("user = %q", m.InstructionColumn)
		if m.InputColumn != "" {
			s += fmt.Sprintf(" (+ %q)", m.InputColumn)
		}
		return s + fmt.Sprintf(", assistant = %q", m.OutputColumn)
	case service.FormatText:
		return fmt.Sprintf("text in %q", m.TextColumn)
	case service.FormatPreference:
		s := fmt.Sprintf("chosen = %q, rejected = %q", m.ChosenColumn, m.RejectedColumn)
		if m.PromptColumn != "" {
			s = fmt.Sprintf("prompt = %q, ", m.PromptColumn) + s
		} else {
			s += " (the prompt is the turns both share)"
		}
		if m.SystemColumn != "" {
			s += fmt.Sprintf(", system = %q", m.SystemColumn)
		}
		return s
	}
	return string(m.Format)
}

func dataJoinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

func dataSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// dataPreview prints rows as the model will see them, with the trained
// tokens marked: the quickest way to check a mask from a terminal.
func dataPreview(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "data preview", "FILE --model DIR [--page N] [--rows N] [--color]")
	model := fs.String("model", "", "model folder or hub id whose tokenizer and chat template render the rows")
	page := fs.Int("page", 0, "page to show (0-based)")
	rows := fs.Int("rows", 3, "rows per page")
	maxLen := fs.Int("max-len", 0, "mark the tokens a maximum length would cut (0: none)")
	mode := fs.String("train-on", "responses", "trained tokens: responses (assistant turns) or all")
	color := fs.Bool("color", false, "highlight trained text in green instead of ⟦ ⟧ markers")
	maxRowMB := dataMaxRowFlag(fs)
	pos, err := dataParseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *model == "" {
		fs.Usage()
		return fmt.Errorf("%w: data preview needs FILE and --model DIR", ErrUsage)
	}
	if err := dataCheckMaxRow(*maxRowMB); err != nil {
		return err
	}
	t, err := openTerminal(ctx, env, termOptions{})
	if err != nil {
		return err
	}
	defer t.Close()
	pg, err := t.svc.Datasets.Preview(service.DatasetRequest{
		Path: pos[0], Model: *model, TrainOn: service.TrainOn(*mode), MaxRowMB: *maxRowMB,
		Page: *page, PageSize: *rows, MaxLen: *maxLen,
	})
	t.out.end()
	if err != nil {
		return usage(err)
	}
	open, close, cutOpen, cutClose := "⟦", "⟧", "⟪cut:", "⟫"
	if *color {
		open, close, cutOpen, cutClose = "\x1b[32m", "\x1b[0m", "\x1b[9;2m", "\x1b[0m"
	}
	w := env.Stdout
	fmt.Fprintf(w, "%s: %s (confidence %.2f)\n", pos[0], pg.Detection.Mapping.Format, pg.Detection.Confidence)
	marks := [3][2]string{{"", ""}, {open, close}, {cutOpen, cutClose}}
	for _, r := range pg.Rows {
		// A preference pair is two texts, the prompt with each answer.
		side := ""
		if r.RejectedSide != nil {
			side = " (a pair), chosen"
		}
		fmt.Fprintf(w, "\n── row %d%s: %s ──\n", r.Row, side, sideSummary(len(r.Tokens), r.Trainable, r.Truncated, r.TextCut))
		if r.Error != "" {
			fmt.Fprintf(w, "error: %s\n", r.Error)
			continue
		}
		fmt.Fprintln(w, markedText(r.Text, r.Tokens, marks))
		if rs := r.RejectedSide; rs != nil {
			fmt.Fprintf(w, "── row %d (a pair), rejected: %s ──\n", r.Row, sideSummary(len(rs.Tokens), rs.Trainable, rs.Truncated, rs.TextCut))
			fmt.Fprintln(w, markedText(rs.Text, rs.Tokens, marks))
		}
	}
	for _, p := range pg.Problems {
		fmt.Fprintf(w, "skipped: %s\n", p)
	}
	if len(pg.Rows) > 0 {
		fmt.Fprintf(w, "\nrows %d-%d of %d usable (%d bad rows skipped)", *page**rows+1, *page**rows+len(pg.Rows), pg.Total, pg.Skipped)
	} else {
		fmt.Fprintf(w, "\nno rows on page %d: %d usable rows (%d bad rows skipped)", *page, pg.Total, pg.Skipped)
	}
	if pg.HasMore {
		fmt.Fprintf(w, "; more: --page %d", *page+1)
	}
	fmt.Fprintln(w)
	return nil
}

// sideSummary is a previewed text's counts: "40 tokens, 12 trained".
func sideSummary(tokens, trained int, truncated, textCut bool) string {
	out := fmt.Sprintf("%d tokens, %d trained", tokens, trained)
	if truncated {
		out += ", truncated"
	}
	if textCut {
		out += ", text cut before tokenizing"
	}
	return out
}

// markedText is text with its trained tokens between marks[1] and the
// tokens a maximum length cuts between marks[2].
func markedText(text string, tokens []service.DatasetPreviewToken, marks [3][2]string) string {
	var b strings.Builder
	state := 0 // 0 plain, 1 trained, 2 cut
	last := 0
	for _, t := range tokens {
		want := 0
		switch {
		case t.Cut:
			want = 2
		case t.Trainable:
			want = 1
		}
		if want != state {
			b.WriteString(marks[state][1])
			b.WriteString(marks[want][0])
			state = want
		}
		b.WriteString(text[last:t.End])
		last = max(last, t.End)
	}
	b.WriteString(marks[state][1])
	b.WriteString(text[last:])
	return b.String()
}
