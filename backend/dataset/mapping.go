package dataset

import (
	"fmt"
	"slices"
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
	// FormatText: one "text" column of raw text, trained on every token
	// (also how a .txt file reads: one row per file).
	FormatText Format = "text"
	// FormatPreference: preference pairs for DPO/ORPO, a prompt and two
	// answers, chosen and rejected. The columns take the shapes the hub
	// publishes: TRL's {prompt, chosen, rejected} with text or lists of
	// turns, whole conversations sharing their prompt turns
	// (ultrafeedback_binarized, hh-rlhf), Intel/orca_dpo_pairs' {system,
	// question, chosen, rejected} and LLaMA-Factory's ShareGPT ranking
	// {conversations, chosen, rejected}.
	FormatPreference Format = "preference"
)

// Formats lists the formats in the order detection prefers them when two
// readings are as likely. Preference comes last in that order, yet wins
// whenever its columns are there: detection then lowers the other
// readings (see Detect), since a preference row also holds a column of
// turns or text.
var Formats = []Format{FormatShareGPT, FormatOpenAI, FormatAlpaca, FormatText, FormatPreference}

// ParseFormat accepts a format name as a user types it: a name out of
// Formats, in any case, or another name the same shape goes by ("chatml",
// "messages" for openai; "conversations" for sharegpt; "raw", "completion"
// for text; "dpo", "orpo", "pairs", "preferences" for preference).
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
	case "preference", "preferences", "pairs", "dpo", "orpo":
		return FormatPreference, nil
	}
	return "", fmt.Errorf("unknown format %s: use %s", quoteCapped(s), joinNames(Formats))
}

// Standard role names every Conversation uses.
const (
	RoleSystem    = "system"
	RoleUser      = "user"
	RoleAssistant = "assistant"
)

// Roles lists the standard roles a role mapping may give a dataset's
// role name (see ParseRoles), as the role mapping editor offers them.
var Roles = []string{RoleUser, RoleAssistant, RoleSystem}

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
	// RoleKey and ContentKey name a turn's role and text, in the turns of
	// a conversation and in a preference row's lists of turns.
	RoleKey    string `json:"role_key,omitempty"`
	ContentKey string `json:"content_key,omitempty"`
	// Roles maps the dataset's role names (lower-cased) to user, assistant
	// or system. Entries here are added to DefaultRoles.
	Roles map[string]string `json:"roles,omitempty"`
	// Alpaca columns. InputColumn and SystemColumn are optional.
	InstructionColumn string `json:"instruction_column,omitempty"`
	InputColumn       string `json:"input_column,omitempty"`
	OutputColumn      string `json:"output_column,omitempty"`
	// SystemColumn, when set and not empty in a row, is the system turn
	// (alpaca, preference).
	SystemColumn string `json:"system_column,omitempty"`
	// TextColumn holds raw text (text format).
	TextColumn string `json:"text_column,omitempty"`
	// Preference columns. PromptColumn holds the prompt, text (one user
	// turn) or a list of turns; it is optional when ChosenColumn and
	// RejectedColumn hold whole conversations, whose shared leading turns
	// are the prompt. The answers are text (one assistant turn), a turn
	// object or a list of turns.
	PromptColumn   string `json:"prompt_column,omitempty"`
	ChosenColumn   string `json:"chosen_column,omitempty"`
	RejectedColumn string `json:"rejected_column,omitempty"`
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
	set(&m.PromptColumn, o.PromptColumn)
	set(&m.ChosenColumn, o.ChosenColumn)
	set(&m.RejectedColumn, o.RejectedColumn)
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
	case FormatPreference:
		// No prompt column: whole conversations need none, and one that a
		// dataset lacks would be a missing column (map it by hand).
		return Mapping{Format: f, ChosenColumn: "chosen", RejectedColumn: "rejected", RoleKey: "role", ContentKey: "content"}
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
	case FormatPreference:
		if m.PromptColumn == "" {
			return []string{m.ChosenColumn, m.RejectedColumn}
		}
		return []string{m.PromptColumn, m.ChosenColumn, m.RejectedColumn}
	}
	return nil
}

// mappingName is one Mapping field and the keys that name it.
type mappingName struct {
	keys  []string
	field func(*Mapping) *string
}

// mappingNames are the Mapping fields a run config's column mapping can
// set (see ParseMappingKeys), each with the keys that name it: Mapping's
// JSON name, then the standard names the formats give the same thing
// (ShareGPT's, then OpenAI's).
var mappingNames = []mappingName{
	{[]string{"conversation_column", "conversations", "messages"}, func(m *Mapping) *string { return &m.ConversationColumn }},
	{[]string{"role_key", "from", "role"}, func(m *Mapping) *string { return &m.RoleKey }},
	{[]string{"content_key", "value", "content"}, func(m *Mapping) *string { return &m.ContentKey }},
	{[]string{"instruction_column", "instruction"}, func(m *Mapping) *string { return &m.InstructionColumn }},
	{[]string{"input_column", "input"}, func(m *Mapping) *string { return &m.InputColumn }},
	{[]string{"output_column", "output"}, func(m *Mapping) *string { return &m.OutputColumn }},
	{[]string{"system_column", "system"}, func(m *Mapping) *string { return &m.SystemColumn }},
	{[]string{"text_column", "text"}, func(m *Mapping) *string { return &m.TextColumn }},
	{[]string{"prompt_column", "prompt"}, func(m *Mapping) *string { return &m.PromptColumn }},
	{[]string{"chosen_column", "chosen"}, func(m *Mapping) *string { return &m.ChosenColumn }},
	{[]string{"rejected_column", "rejected"}, func(m *Mapping) *string { return &m.RejectedColumn }},
}

// MappingKeys lists the keys ParseMappingKeys accepts: the standard names
// first, then Mapping's own names, "format" and "roles.<name>".
func MappingKeys() []string {
	var std, own []string
	for _, n := range mappingNames {
		own = append(own, n.keys[0])
		std = append(std, n.keys[1:]...)
	}
	return append(append(std, own...), "format", "roles.<name>")
}

// KeyError is a problem with one key of a column mapping given as names.
type KeyError struct {
	Key string
	Msg string
}

func (e KeyError) Error() string { return "mapping key " + quoteCapped(e.Key) + ": " + e.Msg }

// ParseMappingKeys reads a column mapping given as names, as a run config
// holds it (dataset.mapping). Each key is a standard name of a format and
// its value what the dataset calls that thing: {"conversations": "dialog",
// "from": "role"} reads the turns from the column "dialog" and each turn's
// role from its key "role". The standard names are ShareGPT's
// (conversations, from, value), OpenAI's (messages, role, content),
// Alpaca's (instruction, input, output, system), text and preference's
// (prompt, chosen, rejected: {"prompt": "question"} reads
// Intel/orca_dpo_pairs' prompts); Mapping's JSON
// names (conversation_column, role_key, ...) work too. "format" takes a
// format name (ParseFormat), and "roles.<name>" maps the dataset's role
// <name> to user, assistant or system. Every problem is returned, one per
// key, in key order; the Mapping holds what could be read.
func ParseMappingKeys(pairs map[string]string) (Mapping, []KeyError) {
	var m Mapping
	var errs []KeyError
	keys := make([]string, 0, len(pairs))
	for k := range pairs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	setBy := map[int]string{} // mappingNames index -> the key that set it
	for _, k := range keys {
		v := pairs[k]
		fail := func(format string, args ...any) {
			errs = append(errs, KeyError{Key: k, Msg: fmt.Sprintf(format, args...)})
		}
		if name, ok := strings.CutPrefix(k, "roles."); ok {
			name = strings.ToLower(strings.TrimSpace(name))
			role := strings.ToLower(strings.TrimSpace(v))
			switch {
			case name == "":
				fail("names no role: write roles.<the dataset's role name>, e.g. roles.bot")
			case role != RoleUser && role != RoleAssistant && role != RoleSystem:
				fail("%s is not user, assistant or system", quoteCapped(v))
			default:
				if m.Roles == nil {
					m.Roles = map[string]string{}
				}
				m.Roles[name] = role
			}
			continue
		}
		if k == "format" {
			f, err := ParseFormat(v)
			if err != nil {
				fail("%s is not a format: use %s", quoteCapped(v), joinNames(Formats))
				continue
			}
			m.Format = f
			continue
		}
		i := slices.IndexFunc(mappingNames, func(n mappingName) bool { return slices.Contains(n.keys, k) })
		if i < 0 {
			fail("unknown key; use %s", strings.Join(MappingKeys(), ", "))
			continue
		}
		if strings.TrimSpace(v) == "" {
			fail("is empty: give the dataset's own name for %s", k)
			continue
		}
		dst := mappingNames[i].field(&m)
		if prev, ok := setBy[i]; ok && *dst != v {
			fail("names what %s names (%s), with another value (%s, not %s)", quoteCapped(prev), mappingNames[i].keys[0], quoteCapped(v), quoteCapped(*dst))
			continue
		}
		*dst, setBy[i] = v, k
	}
	return m, errs
}
