package dataset

import (
	"fmt"
	"strings"
)

// ref is a standardized turn with the field it was read from, so that a
// problem found once the row is assembled (a prompt that does not end
// with the user's turn) still names its place in the row.
type ref struct {
	Message
	field string
}

// preference standardizes a preference row into the prompt's turns
// (Messages) and the two answers (Chosen, Rejected). The answers may be
// whole conversations that repeat the prompt (TRL's implicit prompt):
// their shared leading turns, up to the last one that is not the
// assistant's, are the prompt, as TRL's extract_prompt takes it. A
// prompt column the conversations repeat is not repeated again.
func (s *standardizer) preference(r Record) (Conversation, error) {
	chosen, err := s.answer(r, s.m.ChosenColumn, "chosen")
	if err != nil {
		return Conversation{}, err
	}
	rejected, err := s.answer(r, s.m.RejectedColumn, "rejected")
	if err != nil {
		return Conversation{}, err
	}
	sys, err := s.systemTurn(r)
	if err != nil {
		return Conversation{}, err
	}
	explicit, state, err := s.promptTurns(r)
	if err != nil {
		return Conversation{}, err
	}
	k := sharedPrompt(chosen, rejected)
	prompt := joinPrompt(append(sys, explicit...), chosen[:k])
	chosen, rejected = chosen[k:], rejected[k:]
	if err := s.checkAnswer(r, chosen, s.m.ChosenColumn, "chosen"); err != nil {
		return Conversation{}, err
	}
	if err := s.checkAnswer(r, rejected, s.m.RejectedColumn, "rejected"); err != nil {
		return Conversation{}, err
	}
	if err := s.checkPrompt(r, prompt, state); err != nil {
		return Conversation{}, err
	}
	if sameTurns(chosen, rejected) {
		return Conversation{}, s.errorf(r, s.m.RejectedColumn, ErrBadPair,
			"the rejected answer is the same as the chosen one: the pair teaches nothing")
	}
	return Conversation{Row: r.Row, Messages: messages(prompt), Chosen: messages(chosen), Rejected: messages(rejected)}, nil
}

// answer reads one side of the pair: text (one assistant turn, or the
// whole conversation when it is an hh-rlhf transcript, see
// splitTranscript), a turn object ({from, value} in LLaMA-Factory's
// ranking format) or a list of turns. It is never empty.
func (s *standardizer) answer(r Record, col, side string) ([]ref, error) {
	v, present := r.Fields[col]
	switch v := v.(type) {
	case nil:
		if !present {
			return nil, s.errorf(r, col, ErrMissingValue, "the row has no %s answer (no %s field)", side, quoteCapped(col))
		}
		return nil, s.errorf(r, col, ErrMissingValue, "the %s answer is null", side)
	case string:
		if err := s.utf8(r, col, v); err != nil {
			return nil, err
		}
		if strings.TrimSpace(v) == "" {
			return nil, s.errorf(r, col, ErrMissingValue, "the %s answer is empty", side)
		}
		if turns, ok := splitTranscript(v); ok {
			out := make([]ref, len(turns))
			for i, t := range turns {
				out[i] = ref{t, col}
			}
			return out, nil
		}
		return []ref{{Message{RoleAssistant, v}, col}}, nil
	case map[string]any:
		m, err := s.turnAt(r, col, v)
		if err != nil {
			return nil, err
		}
		return []ref{{m, col}}, nil
	case []any:
		if len(v) == 0 {
			return nil, s.errorf(r, col, ErrMissingValue, "the %s answer is an empty list of turns", side)
		}
		return s.turnList(r, col, v)
	}
	return nil, s.errorf(r, col, ErrWrongType, "is %s, expected the %s answer: text, a {%s, %s} turn or a list of them",
		typeName(v), side, s.m.RoleKey, s.m.ContentKey)
}

func (s *standardizer) turnList(r Record, col string, v []any) ([]ref, error) {
	out := make([]ref, 0, len(v))
	for i, t := range v {
		field := fmt.Sprintf("%s[%d]", col, i)
		m, err := s.turnAt(r, field, t)
		if err != nil {
			return nil, err
		}
		out = append(out, ref{m, field})
	}
	return out, nil
}

// systemTurn is the system column's turn, none when it is not mapped or
// empty in the row (orca_dpo_pairs leaves most of them empty).
func (s *standardizer) systemTurn(r Record) ([]ref, error) {
	if s.m.SystemColumn == "" {
		return nil, nil
	}
	sys, err := s.str(r, s.m.SystemColumn, false)
	if err != nil || strings.TrimSpace(sys) == "" {
		return nil, err
	}
	return []ref{{Message{RoleSystem, sys}, s.m.SystemColumn}}, nil
}

// promptTurns reads the prompt column: text is one user turn, a list its
// turns. A prompt that is absent, null or empty gives no turns, and state
// says which, for the error if the answers hold no prompt either.
func (s *standardizer) promptTurns(r Record) (turns []ref, state string, err error) {
	col := s.m.PromptColumn
	if col == "" {
		return nil, "unmapped", nil
	}
	v, present := r.Fields[col]
	switch v := v.(type) {
	case nil:
		if !present {
			return nil, "absent", nil
		}
		return nil, "null", nil
	case string:
		if err := s.utf8(r, col, v); err != nil {
			return nil, "", err
		}
		if strings.TrimSpace(v) == "" {
			return nil, "empty", nil
		}
		return []ref{{Message{RoleUser, v}, col}}, "", nil
	case map[string]any:
		m, err := s.turnAt(r, col, v)
		if err != nil {
			return nil, "", err
		}
		return []ref{{m, col}}, "", nil
	case []any:
		if len(v) == 0 {
			return nil, "empty list", nil
		}
		turns, err := s.turnList(r, col, v)
		return turns, "", err
	}
	return nil, "", s.errorf(r, col, ErrWrongType, "is %s, expected the prompt: text or a list of {%s, %s} turns",
		typeName(v), s.m.RoleKey, s.m.ContentKey)
}

// sharedPrompt is how many leading turns of two conversations make their
// shared prompt: the turns they have in common, less any assistant turns
// at its end (those are already the answers, the same on both sides).
func sharedPrompt(a, b []ref) int {
	n := 0
	for n < len(a) && n < len(b) && a[n].Message == b[n].Message {
		n++
	}
	for n > 0 && a[n-1].Role == RoleAssistant {
		n--
	}
	return n
}

// joinPrompt puts the prompt column's turns (with the system column's)
// before the prompt the answers share, unless the answers repeat them,
// as ultrafeedback_binarized's conversations repeat its prompt column:
// then they are the prompt, and the column's turns are not written twice.
func joinPrompt(explicit, implicit []ref) []ref {
	if len(implicit) == 0 {
		return explicit
	}
	if hasPrefix(implicit, explicit) {
		return implicit
	}
	lead := 0 // system turns the conversations may not repeat
	for lead < len(explicit) && explicit[lead].Role == RoleSystem {
		lead++
	}
	if hasPrefix(implicit, explicit[lead:]) {
		return append(append([]ref(nil), explicit[:lead]...), implicit...)
	}
	return append(append([]ref(nil), explicit...), implicit...)
}

// hasPrefix reports whether turns starts with prefix, ignoring white
// space around each text (a prompt column and the conversations that
// repeat it are not always trimmed alike).
func hasPrefix(turns, prefix []ref) bool {
	if len(prefix) > len(turns) {
		return false
	}
	for i, p := range prefix {
		if !sameTurn(turns[i].Message, p.Message) {
			return false
		}
	}
	return true
}

func sameTurn(a, b Message) bool {
	return a.Role == b.Role && strings.TrimSpace(a.Content) == strings.TrimSpace(b.Content)
}

// sameTurns reports whether two answers are the same, white space around
// the texts aside: a pair that differs in nothing else teaches nothing.
func sameTurns(a, b []ref) bool {
	if len(a) != len(b) {
		return false
	}
	return hasPrefix(a, b)
}

// checkAnswer checks one side once the prompt is taken off: assistant
// turns only, not all empty.
func (s *standardizer) checkAnswer(r Record, turns []ref, col, side string) error {
	if len(turns) == 0 {
		return s.errorf(r, col, ErrMissingValue,
			"the %s answer is empty: the conversation ends with the prompt, no assistant turn follows it", side)
	}
	blank := true
	for _, t := range turns {
		if t.Role != RoleAssistant {
			return s.errorf(r, t.field, ErrBadPair,
				"is a %s turn inside the %s answer: an answer holds assistant turns only, and the prompt's turns must be the same on both sides",
				t.Role, side)
		}
		if strings.TrimSpace(t.Content) != "" {
			blank = false
		}
	}
	if blank {
		return s.errorf(r, turns[0].field, ErrMissingValue, "the %s answer is empty", side)
	}
	return nil
}

// checkPrompt checks the assembled prompt: some turns, the last one the
// user's, with text.
func (s *standardizer) checkPrompt(r Record, prompt []ref, state string) error {
	col := s.m.PromptColumn
	if len(prompt) == 0 {
		switch state {
		case "unmapped":
			return s.errorf(r, s.m.ChosenColumn, ErrMissingValue,
				"the row has no prompt: no prompt column is mapped, and the chosen and rejected answers share no turn before them "+
					"(map the prompt's column: prompt: <column>)")
		case "absent":
			return s.errorf(r, col, ErrMissingValue, "the row has no prompt (no %s field)", quoteCapped(col))
		case "null":
			return s.errorf(r, col, ErrMissingValue, "the prompt is null")
		case "empty list":
			return s.errorf(r, col, ErrEmptyConversation, "the prompt's list of turns is empty")
		}
		return s.errorf(r, col, ErrMissingValue, "the prompt is empty")
	}
	last := prompt[len(prompt)-1]
	if last.Role != RoleUser {
		return s.errorf(r, last.field, ErrBadPair,
			"the prompt ends with a %s turn: it must end with the user's turn that the answers reply to", last.Role)
	}
	if strings.TrimSpace(last.Content) == "" {
		return s.errorf(r, last.field, ErrMissingValue, "the prompt's last user turn is empty")
	}
	return nil
}

func messages(turns []ref) []Message {
	out := make([]Message, len(turns))
	for i, t := range turns {
		out[i] = t.Message
	}
	return out
}
