package dataset

import (
	"fmt"
	"sort"
	"strings"
)

// Format is the shape of a dataset's rows.
type Format string

const (
	// FormatShareGPT: a column (usually "conversations") holding a list of
	// {"from": "human"|"gpt"|"system", "value": "..."} turns; FineTome's shape.
	FormatShareGPT Format = "sharegpt"
	// FormatOpenAI: a column (usually "messages") holding a list of
	// {"role": "user"|"assistant"|"system", "content": "..."} messages.
	FormatOpenAI Format = "openai"
	// FormatAlpaca: instruction / input / output columns, one exchange per row.
	FormatAlpaca Format = "alpaca"
	// FormatText: one "text" column of raw text, trained on every token.
	FormatText Format = "text"
)

// Formats lists the formats in the order detection prefers them.
var Formats = []Format{FormatShareGPT, FormatOpenAI, FormatAlpaca, FormatText}

// ParseFormat accepts a format name as a user types it: a name out of
// Formats, in any case, or another name the same shape goes by ("chatml",
// "messages" for openai; "conversations" for sharegpt; "raw", "completion"
// for text).
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "sharegpt", "conversations":
		return FormatShareGPT, nil
	case "openai", "messages", "chatml":
		return FormatOpenAI, nil
	case "alpaca":
		return FormatAlpaca, nil
	case "text", "raw", "completion":
		return FormatText, nil
	}
	return "", fmt.Errorf("unknown format %s: use %s", quoteCapped(s), joinNames(Formats))
}

// Standard role names every Conversation uses.
const (
	RoleSystem    = "system"
	RoleUser      = "user"
	RoleAssistant = "assistant"
)

// DefaultRoles maps the role names found in public datasets to the
// standard ones. Matching is case-insensitive.
func DefaultRoles() map[string]string {
	return map[string]string{
		"system":    RoleSystem,
		"human":     RoleUser,
		"user":      RoleUser,
		"gpt":       RoleAssistant,
		"assistant": RoleAssistant,
		"model":     RoleAssistant,
		"chatgpt":   RoleAssistant,
		"bot":       RoleAssistant,
	}
}

// Mapping says where a dataset's conversations are. Detection fills it in;
// a user can override any field.
type Mapping struct {
	Format Format `json:"format"`
	// ConversationColumn holds the turns (sharegpt, openai).
	ConversationColumn string `json:"conversation_column,omitempty"`
	RoleKey            string `json:"role_key,omitempty"`
	ContentKey         string `json:"content_key,omitempty"`
	// Roles maps the dataset's role names (lower-cased) to user, assistant
	// or system. Entries here are added to DefaultRoles.
	Roles map[string]string `json:"roles,omitempty"`
	// Alpaca columns. InputColumn and SystemColumn are optional.
	InstructionColumn string `json:"instruction_column,omitempty"`
	InputColumn       string `json:"input_column,omitempty"`
	OutputColumn      string `json:"output_column,omitempty"`
	SystemColumn      string `json:"system_column,omitempty"`
	// TextColumn holds raw text (text format).
	TextColumn string `json:"text_column,omitempty"`
}

// Override returns m with every non-empty field of o replacing m's.
// Role entries are merged, o's winning.
func (m Mapping) Override(o Mapping) Mapping {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	if o.Format != "" && o.Format != m.Format {
		// A different format: the detected columns mean nothing for it.
		m = defaultMapping(o.Format)
	}
	set(&m.ConversationColumn, o.ConversationColumn)
	set(&m.RoleKey, o.RoleKey)
	set(&m.ContentKey, o.ContentKey)
	set(&m.InstructionColumn, o.InstructionColumn)
	set(&m.InputColumn, o.InputColumn)
	set(&m.OutputColumn, o.OutputColumn)
	set(&m.SystemColumn, o.SystemColumn)
	set(&m.TextColumn, o.TextColumn)
	if len(o.Roles) > 0 {
		roles := make(map[string]string, len(m.Roles)+len(o.Roles))
		for k, v := range m.Roles {
			roles[k] = v
		}
		for k, v := range o.Roles {
			roles[strings.ToLower(k)] = v
		}
		m.Roles = roles
	}
	return m
}

// defaultMapping is the conventional mapping for a format.
func defaultMapping(f Format) Mapping {
	switch f {
	case FormatShareGPT:
		return Mapping{Format: f, ConversationColumn: "conversations", RoleKey: "from", ContentKey: "value"}
	case FormatOpenAI:
		return Mapping{Format: f, ConversationColumn: "messages", RoleKey: "role", ContentKey: "content"}
	case FormatAlpaca:
		return Mapping{Format: f, InstructionColumn: "instruction", InputColumn: "input", OutputColumn: "output"}
	case FormatText:
		return Mapping{Format: f, TextColumn: "text"}
	}
	return Mapping{Format: f}
}

// ParseRoles parses "robot=assistant,person=user" into a role map. The
// target must be user, assistant or system.
func ParseRoles(s string) (map[string]string, error) {
	out := map[string]string{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		from, to, ok := strings.Cut(part, "=")
		from, to = strings.ToLower(strings.TrimSpace(from)), strings.ToLower(strings.TrimSpace(to))
		if !ok || from == "" {
			return nil, fmt.Errorf("role mapping %s: want name=role, e.g. robot=assistant", quoteCapped(part))
		}
		switch to {
		case RoleUser, RoleAssistant, RoleSystem:
		default:
			return nil, fmt.Errorf("role mapping %s: %s is not user, assistant or system", quoteCapped(part), quoteCapped(to))
		}
		out[from] = to
	}
	return out, nil
}

// roleTable is DefaultRoles plus the mapping's own entries.
func (m Mapping) roleTable() map[string]string {
	t := DefaultRoles()
	for k, v := range m.Roles {
		t[strings.ToLower(k)] = v
	}
	return t
}

// knownRoleNames lists the role table's names for an error; the user's
// own mapping can make it long, so it is capped like any quoted value.
func knownRoleNames(t map[string]string) string {
	names := make([]string, 0, len(t))
	for k := range t {
		names = append(names, k)
	}
	sort.Strings(names)
	n := min(len(names), maxQuotedItems)
	for i := range names[:n] {
		names[i] = capText(names[i])
	}
	s := strings.Join(names[:n], ", ")
	if len(names) > n {
		s += fmt.Sprintf(" and %d more", len(names)-n)
	}
	return s
}

// requiredColumns lists the columns a mapping reads and must exist.
func (m Mapping) requiredColumns() []string {
	switch m.Format {
	case FormatShareGPT, FormatOpenAI:
		return []string{m.ConversationColumn}
	case FormatAlpaca:
		return []string{m.InstructionColumn, m.OutputColumn}
	case FormatText:
		return []string{m.TextColumn}
	}
	return nil
}
