package dataset

import (
	"fmt"
	"strings"
)

// The column names preference datasets publish: TRL's chosen/rejected,
// argilla's chosen_response/rejected_response; the prompt as TRL names
// it, LLaMA-Factory's ShareGPT ranking (conversations), Intel's
// orca_dpo_pairs (question) and argilla's (instruction).
var (
	chosenCols   = []string{"chosen", "chosen_response"}
	rejectedCols = []string{"rejected", "rejected_response"}
	promptCols   = []string{"prompt", "conversations", "question", "instruction", "input"}
)

// detectPreference reads a dataset with chosen and rejected columns as
// preference pairs, whatever shape the values take (see
// standardizer.preference).
func detectPreference(cols map[string]struct{}, sample []Record) (Candidate, bool) {
	chosen, rejected := firstColumn(chosenCols, cols), firstColumn(rejectedCols, cols)
	if chosen == "" || rejected == "" {
		return Candidate{}, false
	}
	m := Mapping{Format: FormatPreference, PromptColumn: firstColumn(promptCols, cols), ChosenColumn: chosen, RejectedColumn: rejected}
	if _, ok := cols["system"]; ok {
		m.SystemColumn = "system"
	}
	keys := map[string]int{}
	var answers, prompt valueShapes
	implicit := false // the answers hold turns that are not the assistant's
	for _, r := range sample {
		for _, col := range []string{chosen, rejected} {
			v := r.Fields[col]
			answers.add(v)
			countTurnKeys(v, keys)
			if hasNonAssistant(v) {
				implicit = true
			}
		}
		if m.PromptColumn != "" {
			v := r.Fields[m.PromptColumn]
			prompt.add(v)
			countTurnKeys(v, keys)
		}
	}
	m.RoleKey, m.ContentKey = firstPresent(roleKeys, keys), firstPresent(contentKeys, keys)
	if m.RoleKey == "" {
		m.RoleKey = "role"
	}
	if m.ContentKey == "" {
		m.ContentKey = "content"
	}
	conf := 1.0
	if answers.other > 0 {
		conf = 0.5 // numbers or booleans: chosen/rejected may be flags, not answers
	}
	if answers.other > 0 && answers.text+answers.turns+answers.lists == 0 {
		conf = 0.2
	}
	reason := fmt.Sprintf("preference pairs: answers in %s and %s (%s)", quoteCapped(chosen), quoteCapped(rejected), answers.describe(m))
	switch {
	case m.PromptColumn != "" && implicit:
		reason += fmt.Sprintf("; the prompt is the turns both answers share, after %s unless they repeat it", quoteCapped(m.PromptColumn))
	case m.PromptColumn != "":
		reason += fmt.Sprintf("; the prompt in %s (%s)", quoteCapped(m.PromptColumn), prompt.describe(m))
	default:
		reason += "; the prompt is the turns both answers share (TRL's implicit prompt)"
	}
	if m.SystemColumn != "" {
		reason += fmt.Sprintf("; %s, when not empty, is the system turn", quoteCapped(m.SystemColumn))
	}
	return Candidate{Mapping: m, Confidence: conf, Reason: reason}, true
}

// valueShapes counts the shapes a column's sampled values take.
type valueShapes struct{ text, transcripts, turns, lists, other int }

func (c *valueShapes) add(v any) {
	switch v := v.(type) {
	case string:
		c.text++
		if _, ok := splitTranscript(v); ok {
			c.transcripts++
		}
	case map[string]any:
		c.turns++
	case []any:
		c.lists++
	case nil:
	default:
		c.other++
	}
}

// describe words the most common shape for a detection reason.
func (c valueShapes) describe(m Mapping) string {
	switch {
	case c.lists >= c.text && c.lists >= c.turns && c.lists > 0:
		return fmt.Sprintf("lists of {%s, %s} turns", m.RoleKey, m.ContentKey)
	case c.turns > c.text:
		return fmt.Sprintf("{%s, %s} turns", m.RoleKey, m.ContentKey)
	case c.text > 0 && c.transcripts == c.text:
		return "Human:/Assistant: transcripts, read as turns"
	case c.text > 0:
		return "text"
	case c.other > 0:
		return "values that are not text"
	}
	return "no values in the sampled rows"
}

// countTurnKeys counts the keys of the turn objects v holds (a turn, or a
// list of them), for guessing the role and content keys.
func countTurnKeys(v any, count map[string]int) {
	add := func(t any) {
		if obj, ok := t.(map[string]any); ok {
			for k, kv := range obj {
				if kv != nil {
					count[k]++
				}
			}
		}
	}
	if list, ok := v.([]any); ok {
		for _, t := range list {
			add(t)
		}
		return
	}
	add(v)
}

// hasNonAssistant reports whether a list of turns holds one whose role
// (under any of the usual keys) is not an assistant's, or text is an
// hh-rlhf transcript: a whole conversation rather than an answer.
func hasNonAssistant(v any) bool {
	if text, ok := v.(string); ok {
		_, transcript := splitTranscript(text)
		return transcript
	}
	list, _ := v.([]any)
	table := DefaultRoles()
	for _, t := range list {
		obj, _ := t.(map[string]any)
		for _, k := range roleKeys {
			if name, ok := obj[k].(string); ok {
				if table[strings.ToLower(strings.TrimSpace(name))] != RoleAssistant {
					return true
				}
				break
			}
		}
	}
	return false
}
