package dataset

import (
	"fmt"
	"strings"
)

// Message is one standardized turn. Role is always RoleSystem, RoleUser or
// RoleAssistant, whatever the dataset called it.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Conversation is one standardized dataset row: a chat (Messages), a
// preference pair (the prompt's turns in Messages, ending with the user's,
// and the two answers' in Chosen and Rejected) or, for raw-text datasets,
// plain Text trained on every token.
type Conversation struct {
	Row      int       `json:"row"` // 1-based row in the source file
	Messages []Message `json:"messages,omitempty"`
	Text     string    `json:"text,omitempty"`
	// Chosen and Rejected are a preference pair's answers (assistant
	// turns, usually one each); both nil for every other row.
	Chosen   []Message `json:"chosen,omitempty"`
	Rejected []Message `json:"rejected,omitempty"`
}

// IsText reports whether the conversation is raw text rather than a chat.
func (c Conversation) IsText() bool { return c.Messages == nil && c.Chosen == nil }

// IsPreference reports whether the row is a chosen/rejected pair.
func (c Conversation) IsPreference() bool { return c.Chosen != nil || c.Rejected != nil }

// Turns counts the messages (raw text counts as one); a preference pair
// counts its prompt and chosen answer, the chat it is trained as.
func (c Conversation) Turns() int {
	if c.IsText() {
		return 1
	}
	return len(c.Messages) + len(c.Chosen)
}

// standardizer turns records into Conversations under one mapping.
type standardizer struct {
	file  string
	m     Mapping
	roles map[string]string
}

func newStandardizer(file string, m Mapping) *standardizer {
	return &standardizer{file: file, m: m, roles: m.roleTable()}
}

func (s *standardizer) errorf(r Record, field string, kind error, format string, args ...any) *Error {
	file, row := s.file, r.Row
	if r.File != "" {
		file, row = r.File, r.FileRow
	}
	return &Error{File: file, Row: row, Line: r.Line, Field: field, Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

// Standardize converts one record.
func (s *standardizer) Standardize(r Record) (Conversation, error) {
	switch s.m.Format {
	case FormatShareGPT, FormatOpenAI:
		return s.turns(r)
	case FormatAlpaca:
		return s.alpaca(r)
	case FormatPreference:
		return s.preference(r)
	case FormatText:
		text, err := s.str(r, s.m.TextColumn, true)
		if err != nil {
			return Conversation{}, err
		}
		return Conversation{Row: r.Row, Text: text}, nil
	}
	return Conversation{}, &Error{File: s.file, Kind: ErrUnknownFormat, Msg: fmt.Sprintf("format %s", quoteCapped(string(s.m.Format)))}
}

func (s *standardizer) turns(r Record) (Conversation, error) {
	col := s.m.ConversationColumn
	v, present := r.Fields[col]
	switch v := v.(type) {
	case []any:
		if len(v) == 0 {
			return Conversation{}, s.errorf(r, col, ErrEmptyConversation, "the list of turns is empty; a row needs at least a user and an assistant turn")
		}
		msgs := make([]Message, 0, len(v))
		for i, t := range v {
			m, err := s.turn(r, i, t)
			if err != nil {
				return Conversation{}, err
			}
			msgs = append(msgs, m)
		}
		return Conversation{Row: r.Row, Messages: msgs}, nil
	case nil:
		if !present {
			return Conversation{}, s.errorf(r, col, ErrMissingValue, "the row has no %s field", quoteCapped(col))
		}
		return Conversation{}, s.errorf(r, col, ErrMissingValue, "the value is null")
	case string:
		hint := ""
		if t := strings.TrimSpace(v); strings.HasPrefix(t, "[") || strings.HasPrefix(t, "{") {
			hint = " (it holds JSON text: the column was saved as a string; re-save it as a list of structs, or export the rows as .jsonl)"
		}
		return Conversation{}, s.errorf(r, col, ErrWrongType, "is a string, expected a list of {%s, %s} turns%s", s.m.RoleKey, s.m.ContentKey, hint)
	default:
		return Conversation{}, s.errorf(r, col, ErrWrongType, "is %s, expected a list of {%s, %s} turns", typeName(v), s.m.RoleKey, s.m.ContentKey)
	}
}

func (s *standardizer) turn(r Record, i int, t any) (Message, error) {
	return s.turnAt(r, fmt.Sprintf("%s[%d]", s.m.ConversationColumn, i), t)
}

// turnAt reads one {role, content} turn found at field (a path such as
// "chosen[1]" that errors name).
func (s *standardizer) turnAt(r Record, field string, t any) (Message, error) {
	obj, ok := t.(map[string]any)
	if !ok {
		return Message{}, s.errorf(r, field, ErrWrongType, "is %s, expected an object with %s and %s", typeName(t), quoteCapped(s.m.RoleKey), quoteCapped(s.m.ContentKey))
	}
	rv, ok := obj[s.m.RoleKey]
	if !ok || rv == nil {
		return Message{}, s.errorf(r, field+"."+s.m.RoleKey, ErrMissingValue, "the turn has no role (keys: %s)", quoteList(mapKeys(obj)))
	}
	name, ok := rv.(string)
	if !ok {
		return Message{}, s.errorf(r, field+"."+s.m.RoleKey, ErrWrongType, "is %s, expected a role name", typeName(rv))
	}
	if err := s.utf8(r, field+"."+s.m.RoleKey, name); err != nil {
		return Message{}, err
	}
	role, ok := s.roles[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		e := s.errorf(r, field+"."+s.m.RoleKey, ErrUnknownRole,
			"%s; known roles are %s; %s",
			quoteCapped(name), knownRoleNames(s.roles), RoleMappingAdvice(strings.ToLower(name)))
		e.role = strings.ToLower(strings.TrimSpace(name))
		return Message{}, e
	}
	content, err := s.content(r, field+"."+s.m.ContentKey, obj[s.m.ContentKey])
	if err != nil {
		return Message{}, err
	}
	return Message{Role: role, Content: content}, nil
}

// content accepts a string, or OpenAI's list of parts
// [{"type": "text", "text": "..."}] whose text parts are joined.
func (s *standardizer) content(r Record, field string, v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, s.utf8(r, field, v)
	case nil:
		return "", s.errorf(r, field, ErrMissingValue, "the turn has no content (null)")
	case []any:
		var b strings.Builder
		for j, p := range v {
			part, ok := p.(map[string]any)
			if !ok {
				return "", s.errorf(r, fmt.Sprintf("%s[%d]", field, j), ErrWrongType, "is %s, expected a content part object", typeName(p))
			}
			if typ, _ := part["type"].(string); typ != "" && typ != "text" {
				return "", s.errorf(r, fmt.Sprintf("%s[%d].type", field, j), ErrWrongType, "content part of type %s: only text is supported", quoteCapped(typ))
			}
			txt, ok := part["text"].(string)
			if !ok {
				return "", s.errorf(r, fmt.Sprintf("%s[%d].text", field, j), ErrWrongType, "expected a string")
			}
			if err := s.utf8(r, fmt.Sprintf("%s[%d].text", field, j), txt); err != nil {
				return "", err
			}
			b.WriteString(txt)
		}
		return b.String(), nil
	}
	return "", s.errorf(r, field, ErrWrongType, "is %s, expected text", typeName(v))
}

func (s *standardizer) alpaca(r Record) (Conversation, error) {
	instr, err := s.str(r, s.m.InstructionColumn, true)
	if err != nil {
		return Conversation{}, err
	}
	input := ""
	if s.m.InputColumn != "" {
		if input, err = s.str(r, s.m.InputColumn, false); err != nil {
			return Conversation{}, err
		}
	}
	output, err := s.str(r, s.m.OutputColumn, true)
	if err != nil {
		return Conversation{}, err
	}
	var msgs []Message
	if s.m.SystemColumn != "" {
		sys, err := s.str(r, s.m.SystemColumn, false)
		if err != nil {
			return Conversation{}, err
		}
		if strings.TrimSpace(sys) != "" {
			msgs = append(msgs, Message{Role: RoleSystem, Content: sys})
		}
	}
	user := instr
	if strings.TrimSpace(input) != "" {
		user = instr + "\n\n" + input
	}
	msgs = append(msgs, Message{Role: RoleUser, Content: user}, Message{Role: RoleAssistant, Content: output})
	return Conversation{Row: r.Row, Messages: msgs}, nil
}

// str reads a text column; a missing optional value is "".
func (s *standardizer) str(r Record, col string, required bool) (string, error) {
	v, present := r.Fields[col]
	switch v := v.(type) {
	case string:
		return v, s.utf8(r, col, v)
	case nil:
		if !required {
			return "", nil
		}
		if !present {
			return "", s.errorf(r, col, ErrMissingValue, "the row has no %s field", quoteCapped(col))
		}
		return "", s.errorf(r, col, ErrMissingValue, "the value is null")
	case float64, int64, bool:
		return fmt.Sprint(v), nil
	}
	return "", s.errorf(r, col, ErrWrongType, "is %s, expected text", typeName(v))
}

// utf8 refuses text that is not UTF-8. The readers check what their
// format declares as text; this catches the rest (a parquet binary column
// holding text) where it would otherwise reach the tokenizer.
func (s *standardizer) utf8(r Record, field, v string) error {
	if r.textChecked {
		return nil
	}
	if at := invalidUTF8At(v); at >= 0 {
		return s.errorf(r, field, ErrInvalidUTF8, "%s", utf8Problem(at, v[at], "the value"))
	}
	return nil
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case float64, int64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func mapKeys(m map[string]any) []string {
	set := make(map[string]struct{}, len(m))
	for k := range m {
		set[k] = struct{}{}
	}
	return sortedKeys(set)
}
