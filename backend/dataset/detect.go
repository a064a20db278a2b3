package dataset

import (
	"fmt"
	"sort"
	"strings"
)

// Detection is the outcome of looking at a file's columns and first rows.
type Detection struct {
	Mapping    Mapping `json:"mapping"`
	Confidence float64 `json:"confidence"` // 0..1
	Reason     string  `json:"reason"`     // for a person: why this format
	// Alternatives are the other plausible readings, best first.
	Alternatives []Candidate `json:"alternatives,omitempty"`
	// Roles are the role names the sampled rows use (lower-cased, at most
	// MaxListedRoles), each with the standard role the mapping in force
	// gives it, or "" for an unknown role (a row with one is bad until it
	// is mapped): what the role mapping editor offers.
	Roles map[string]string `json:"roles,omitempty"`
}

// Candidate is one possible reading of a dataset.
type Candidate struct {
	Mapping    Mapping `json:"mapping"`
	Confidence float64 `json:"confidence"`
	Reason     string  `json:"reason"`
}

var (
	roleKeys        = []string{"from", "role", "speaker", "author"}
	contentKeys     = []string{"value", "content", "text", "message"}
	instructionCols = []string{"instruction", "prompt", "question"}
	outputCols      = []string{"output", "response", "answer", "completion"}
)

// Detect guesses the format of a dataset from its column names and a
// sample of its rows. It never fails on odd data: an unreadable sample
// lowers the confidence, and the explanation says what was seen. It fails
// only when nothing looks like a chat or text dataset at all.
func Detect(file string, columns []string, sample []Record) (Detection, error) {
	cols := columnSet(columns, sample)
	var cands []Candidate
	for _, col := range sortedKeys(cols) {
		if c, ok := detectTurnsColumn(col, sample); ok {
			cands = append(cands, c)
		}
	}
	if c, ok := detectAlpaca(cols); ok {
		cands = append(cands, c)
	}
	if c, ok := detectText(cols, sample); ok {
		cands = append(cands, c)
	}
	if pref, ok := detectPreference(cols, sample); ok {
		cands = preferPairs(cands, pref)
	}
	if len(cands) == 0 {
		return Detection{}, &Error{File: file, Kind: ErrUnknownFormat, Msg: fmt.Sprintf(
			"columns are %s; expected a list of turns (conversations/messages), instruction+output columns, a text column, or chosen+rejected columns; set the format and columns by hand",
			quoteList(sortedKeys(cols)))}
	}
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].Confidence != cands[j].Confidence {
			return cands[i].Confidence > cands[j].Confidence
		}
		return formatRank(cands[i].Mapping.Format) < formatRank(cands[j].Mapping.Format)
	})
	best := cands[0]
	det := Detection{Mapping: best.Mapping, Confidence: best.Confidence, Reason: best.Reason}
	if len(cands) > 1 {
		det.Alternatives = cands[1:]
	}
	return det, nil
}

// preferPairs adds the preference reading to the others. A preference row
// also holds a column of turns (ShareGPT ranking's conversations, the
// prompt) or Alpaca-like columns (question, instruction), each of which
// would train on the prompt alone or on one side: when the answers look
// like answers, those readings stay as alternatives, below it.
func preferPairs(cands []Candidate, pref Candidate) []Candidate {
	const below = 0.5
	if pref.Confidence > below {
		for i, c := range cands {
			if c.Confidence > below {
				cands[i].Confidence = below
				cands[i].Reason += fmt.Sprintf("; but the rows also have %s and %s columns: a preference dataset",
					quoteCapped(pref.Mapping.ChosenColumn), quoteCapped(pref.Mapping.RejectedColumn))
			}
		}
	}
	return append(cands, pref)
}

func formatRank(f Format) int {
	for i, g := range Formats {
		if g == f {
			return i
		}
	}
	return len(Formats)
}

func columnSet(columns []string, sample []Record) map[string]struct{} {
	cols := map[string]struct{}{}
	for _, c := range columns {
		cols[c] = struct{}{}
	}
	for _, r := range sample {
		for k := range r.Fields {
			cols[k] = struct{}{}
		}
	}
	return cols
}

// detectTurnsColumn checks whether col holds lists of role/content objects.
func detectTurnsColumn(col string, sample []Record) (Candidate, bool) {
	var lists, strs, others, turns int
	keyCount := map[string]int{}
	for _, r := range sample {
		v, present := r.Fields[col]
		switch v := v.(type) {
		case []any:
			lists++
			for _, t := range v {
				if obj, ok := t.(map[string]any); ok {
					turns++
					for k, kv := range obj {
						if kv != nil {
							keyCount[k]++
						}
					}
				}
			}
		case string:
			strs++
		default:
			if present && v != nil {
				others++
			}
		}
	}
	canonical := col == "conversations" || col == "messages"
	if lists == 0 || turns == 0 {
		if canonical {
			f := FormatShareGPT
			if col == "messages" {
				f = FormatOpenAI
			}
			kind := "strings"
			switch {
			case lists > 0:
				kind = "lists without {role, content} objects"
			case strs == 0:
				kind = "no list values"
			}
			return Candidate{Mapping: defaultMapping(f), Confidence: 0.4, Reason: fmt.Sprintf(
				"column %s is named like a %s conversation column but holds %s, not lists of turns", quoteCapped(col), formatTitle(f), kind)}, true
		}
		return Candidate{}, false
	}
	roleKey := firstPresent(roleKeys, keyCount)
	contentKey := firstPresent(contentKeys, keyCount)
	if roleKey == "" || contentKey == "" {
		return Candidate{}, false
	}
	m := Mapping{ConversationColumn: col, RoleKey: roleKey, ContentKey: contentKey}
	if roleKey == "from" || col == "conversations" && roleKey != "role" {
		m.Format = FormatShareGPT
	} else {
		m.Format = FormatOpenAI
	}
	roles := map[string]int{}
	for _, r := range sample {
		list, _ := r.Fields[col].([]any)
		for _, t := range list {
			if obj, ok := t.(map[string]any); ok {
				if s, ok := obj[roleKey].(string); ok {
					roles[strings.ToLower(s)]++
				}
			}
		}
	}
	table := DefaultRoles()
	var unknown []string
	for r := range roles {
		if _, ok := table[r]; !ok {
			unknown = append(unknown, r)
		}
	}
	sort.Strings(unknown)
	conf := 0.7
	if canonical {
		conf += 0.15
	}
	if len(unknown) == 0 {
		conf += 0.15
	}
	if strs+others > 0 {
		conf -= 0.2
	}
	reason := fmt.Sprintf("%s: column %s holds lists of {%s, %s} turns in %d of %d sampled rows; roles seen: %s",
		formatTitle(m.Format), quoteCapped(col), roleKey, contentKey, lists, len(sample), roleSummary(roles))
	if len(unknown) > 0 {
		reason += fmt.Sprintf("; unknown roles %s need a role mapping (e.g. %s -> assistant)", quoteList(unknown), capText(unknown[0]))
	}
	return Candidate{Mapping: m, Confidence: round2(conf), Reason: reason}, true
}

func detectAlpaca(cols map[string]struct{}) (Candidate, bool) {
	instr := firstColumn(instructionCols, cols)
	out := firstColumn(outputCols, cols)
	if instr == "" {
		return Candidate{}, false
	}
	m := Mapping{Format: FormatAlpaca, InstructionColumn: instr, OutputColumn: out}
	if _, ok := cols["input"]; ok {
		m.InputColumn = "input"
	}
	if _, ok := cols["system"]; ok {
		m.SystemColumn = "system"
	}
	if out == "" {
		m.OutputColumn = "output"
		return Candidate{Mapping: m, Confidence: 0.4, Reason: fmt.Sprintf(
			"Alpaca: has an %s column but no output column (%s)", quoteCapped(instr), quoteList(outputCols))}, true
	}
	conf := 0.85
	if instr == "instruction" && out == "output" {
		conf = 0.95
	}
	reason := fmt.Sprintf("Alpaca: columns %s (user turn", quoteCapped(instr))
	if m.InputColumn != "" {
		reason += fmt.Sprintf(", plus %s after a blank line when not empty", quoteCapped(m.InputColumn))
	}
	reason += fmt.Sprintf(") and %s (assistant turn)", quoteCapped(out))
	if m.SystemColumn != "" {
		reason += fmt.Sprintf("; %s becomes the system turn", quoteCapped(m.SystemColumn))
	}
	return Candidate{Mapping: m, Confidence: conf, Reason: reason}, true
}

func detectText(cols map[string]struct{}, sample []Record) (Candidate, bool) {
	col := ""
	conf := 0.0
	if _, ok := cols["text"]; ok {
		col, conf = "text", 0.9
	} else if len(cols) == 1 {
		for c := range cols {
			col, conf = c, 0.5
		}
	}
	if col == "" {
		return Candidate{}, false
	}
	strs := 0
	for _, r := range sample {
		if _, ok := r.Fields[col].(string); ok {
			strs++
		}
	}
	if len(sample) > 0 && strs == 0 {
		return Candidate{}, false
	}
	return Candidate{Mapping: Mapping{Format: FormatText, TextColumn: col}, Confidence: conf,
		Reason: fmt.Sprintf("raw text: column %s holds plain text in %d of %d sampled rows (trained on every token)", quoteCapped(col), strs, len(sample))}, true
}

func firstPresent(keys []string, count map[string]int) string {
	for _, k := range keys {
		if count[k] > 0 {
			return k
		}
	}
	return ""
}

func firstColumn(names []string, cols map[string]struct{}) string {
	for _, n := range names {
		if _, ok := cols[n]; ok {
			return n
		}
	}
	return ""
}

func roleSummary(roles map[string]int) string {
	names := make([]string, 0, len(roles))
	for r := range roles {
		names = append(names, r)
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "none"
	}
	// Role names come from the data: capped, like any quoted value.
	n := min(len(names), maxQuotedItems)
	parts := make([]string, n, n+1)
	for i, name := range names[:n] {
		parts[i] = fmt.Sprintf("%s (%d)", capText(name), roles[name])
	}
	if len(names) > n {
		parts = append(parts, fmt.Sprintf("and %d more", len(names)-n))
	}
	return strings.Join(parts, ", ")
}

func formatTitle(f Format) string {
	switch f {
	case FormatShareGPT:
		return "ShareGPT"
	case FormatOpenAI:
		return "OpenAI messages"
	case FormatAlpaca:
		return "Alpaca"
	case FormatText:
		return "raw text"
	case FormatPreference:
		return "preference pairs"
	}
	return string(f)
}

func round2(x float64) float64 { return float64(int(x*100+0.5)) / 100 }
