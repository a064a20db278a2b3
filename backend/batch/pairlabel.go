package batch

import (
	"fmt"

	"github.com/whetstone-ai/whetstone/backend/dataset"
)

// labelPair labels a preference pair: prompt+chosen rendered exactly as
// the chat of those turns would be for supervised fine-tuning, with the
// rejected side, prompt+rejected, labeled the same way in Rejected. Only
// the answer is trained (its assistant turns with their end-of-turn
// marker and separator, as TrainResponses trains them), whatever the
// labeler's mode: DPO and ORPO compare the log-probabilities of the two
// answers given the same prompt, and the prompt's tokens would add the
// same terms to both sides (TRL masks the prompt the same way).
func (l *Labeler) labelPair(c dataset.Conversation) (dataset.Labeled, error) {
	if len(c.Chosen) == 0 || len(c.Rejected) == 0 {
		return dataset.Labeled{}, fmt.Errorf("row %d: a preference pair needs both a chosen and a rejected answer", c.Row)
	}
	// The prompt's own assistant turns (earlier answers of a multi-turn
	// prompt) are context, not the answer: their spans are skipped.
	skip := 0
	for _, m := range c.Messages {
		if m.Role == dataset.RoleAssistant {
			skip++
		}
	}
	side := func(name string, answer []dataset.Message) (dataset.Labeled, error) {
		if !hasAssistant(answer) {
			return dataset.Labeled{}, fmt.Errorf("row %d: the %s answer has no assistant turn", c.Row, name)
		}
		msgs := make([]dataset.Message, 0, len(c.Messages)+len(answer))
		msgs = append(append(msgs, c.Messages...), answer...)
		lab, err := l.labelChat(c.Row, msgs, TrainResponses, skip)
		if err != nil {
			return dataset.Labeled{}, fmt.Errorf("%w (the pair's %s side)", err, name)
		}
		return lab, nil
	}
	chosen, err := side("chosen", c.Chosen)
	if err != nil {
		return dataset.Labeled{}, err
	}
	rejected, err := side("rejected", c.Rejected)
	if err != nil {
		return dataset.Labeled{}, err
	}
	chosen.Rejected = &rejected
	return chosen, nil
}

func hasAssistant(msgs []dataset.Message) bool {
	for _, m := range msgs {
		if m.Role == dataset.RoleAssistant {
			return true
		}
	}
	return false
}
