package batch

import (
	"fmt"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/dataset"
)

// byteEncoder is a real, if tiny, tokenizer: one token per byte (id =
// byte + 3), with exact offsets. addSpecial prepends id 1 (bos).
type byteEncoder struct{}

func (byteEncoder) EncodeOffsets(text string, addSpecial bool) ([]int, [][2]int) {
	var ids []int
	var offs [][2]int
	if addSpecial {
		ids, offs = append(ids, 1), append(offs, [2]int{0, 0})
	}
	for i := 0; i < len(text); i++ {
		ids = append(ids, int(text[i])+3)
		offs = append(offs, [2]int{i, i + 1})
	}
	return ids, offs
}

// gemmaLike renders Gemma's turn layout (system folded into the first
// user turn) and reports assistant spans the way chattemplate does.
type gemmaLike struct{}

func (gemmaLike) RenderWithSpans(msgs []dataset.Message) (string, []Span, error) {
	var b strings.Builder
	var spans []Span
	b.WriteString("<bos>")
	system := ""
	for i, m := range msgs {
		switch m.Role {
		case dataset.RoleSystem:
			if i != 0 {
				return "", nil, fmt.Errorf("system message must come first")
			}
			system = m.Content + "\n\n"
		case dataset.RoleUser:
			b.WriteString("<start_of_turn>user\n" + system + m.Content + "<end_of_turn>\n")
			system = ""
		case dataset.RoleAssistant:
			b.WriteString("<start_of_turn>model\n")
			start := b.Len()
			b.WriteString(m.Content + "<end_of_turn>")
			spans = append(spans, Span{start, b.Len()})
			b.WriteString("\n")
		}
	}
	return b.String(), spans, nil
}

func conv(row int, turns ...string) dataset.Conversation {
	c := dataset.Conversation{Row: row}
	roles := []string{dataset.RoleUser, dataset.RoleAssistant}
	for i, t := range turns {
		c.Messages = append(c.Messages, dataset.Message{Role: roles[i%2], Content: t})
	}
	return c
}

func convs(n int) []dataset.Conversation {
	out := make([]dataset.Conversation, n)
	for i := range out {
		q := fmt.Sprintf("question %d %s", i, strings.Repeat("?", i%13))
		a := fmt.Sprintf("answer %d %s", i, strings.Repeat("!", (i*7)%29))
		if i%5 == 0 {
			out[i] = conv(i+1, q, a, "and then?", "more "+a)
		} else {
			out[i] = conv(i+1, q, a)
		}
	}
	return out
}
