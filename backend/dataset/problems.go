package dataset

import (
	"fmt"
	"strings"
)

// Bounds of what a scan lists for a person to read. The counts behind
// them stay exact (Scanner.Skipped); only the lists are cut.
const (
	// MaxListedBadRows is how many bad rows a scan keeps with their place
	// and reason.
	MaxListedBadRows = maxKeptProblems
	// MaxListedRoles is how many distinct role names a scan collects (the
	// sampled ones in Detection.Roles, the unknown ones in
	// Stats.UnknownRoles): a dataset with more is most likely read with a
	// wrong role key.
	MaxListedRoles = 50
)

// RoleMappingAdvice says how to map the dataset's role name to a standard
// role, in the words of every place that can: the Datasets screen's role
// mapping, data inspect's --role flag and a run config's dataset.mapping
// (which train's --set reaches).
func RoleMappingAdvice(name string) string {
	n := capText(name)
	return fmt.Sprintf("map it to user, assistant or system: %s -> assistant in the Datasets screen's role mapping, "+
		"--role %s=assistant for data inspect, roles.%s: assistant in a run config's dataset.mapping "+
		"(train --set dataset.mapping.roles.%s=assistant)", n, n, n, n)
}

// RowProblem is one bad row, located for a person to fix: the file, the
// row of that file (and its text line and field when known) and why.
type RowProblem struct {
	File  string `json:"file"`
	Row   int    `json:"row"`
	Line  int    `json:"line,omitempty"`
	Field string `json:"field,omitempty"`
	// Kind is the kind of problem ("invalid JSON", "unknown role"...).
	Kind string `json:"kind"`
	// Message is the whole error, as the CLI prints it.
	Message string `json:"message"`
}

// Problem is e as a RowProblem.
func (e *Error) Problem() RowProblem {
	kind := ""
	if e.Kind != nil {
		kind = e.Kind.Error()
	}
	return RowProblem{File: e.File, Row: e.Row, Line: e.Line, Field: e.Field, Kind: kind, Message: e.Error()}
}

// UnknownRole is the dataset's role name an ErrUnknownRole is about ("" for
// any other problem).
func (e *Error) UnknownRole() string { return e.role }

// countRole adds one to name's count, up to MaxListedRoles names.
func countRole(m map[string]int, name string) {
	if _, ok := m[name]; ok || len(m) < MaxListedRoles {
		m[name]++
	}
}

// sampleRoles lists the role names the sampled rows of a turns format use
// (a preference row's in its prompt and answers, where they are turns),
// each with the standard role m maps it to ("" for none).
func sampleRoles(sample []Record, m Mapping) map[string]string {
	var cols []string
	switch m.Format {
	case FormatShareGPT, FormatOpenAI:
		cols = []string{m.ConversationColumn}
	case FormatPreference:
		cols = []string{m.PromptColumn, m.ChosenColumn, m.RejectedColumn}
	default:
		return nil
	}
	table := m.roleTable()
	out := map[string]string{}
	add := func(t any) {
		obj, _ := t.(map[string]any)
		name, ok := obj[m.RoleKey].(string)
		name = strings.ToLower(strings.TrimSpace(name))
		if !ok || name == "" {
			return
		}
		if _, seen := out[name]; !seen && len(out) >= MaxListedRoles {
			return
		}
		out[name] = table[name]
	}
	for _, r := range sample {
		for _, col := range cols {
			switch v := r.Fields[col].(type) {
			case []any:
				for _, t := range v {
					add(t)
				}
			case map[string]any:
				if m.Format == FormatPreference {
					add(v) // ShareGPT ranking's answer: one turn object
				}
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
