package dataset

import (
	"regexp"
	"strings"
)

// transcriptTurn matches a turn marker of the transcripts Anthropic's
// hh-rlhf stores its conversations as: "\n\nHuman: ...\n\nAssistant: ...".
var transcriptTurn = regexp.MustCompile(`(?:^|\n\n)(Human|Assistant):[ \t]?`)

// splitTranscript splits such a transcript into turns, or reports false
// for any other text (an answer that merely mentions "Human:" does not
// open with it). Each turn's text is kept as written, less the white space
// that separated it from the next marker.
func splitTranscript(s string) ([]Message, bool) {
	body := strings.TrimLeft(s, "\n")
	if !strings.HasPrefix(body, "Human:") {
		return nil, false
	}
	marks := transcriptTurn.FindAllStringSubmatchIndex(body, -1)
	if len(marks) < 2 {
		return nil, false // a prompt with no answer is not a transcript of both
	}
	turns := make([]Message, len(marks))
	for i, m := range marks {
		end := len(body)
		if i+1 < len(marks) {
			end = marks[i+1][0]
		}
		role := RoleUser
		if body[m[2]:m[3]] == "Assistant" {
			role = RoleAssistant
		}
		turns[i] = Message{Role: role, Content: strings.TrimRight(body[m[1]:end], " \t\n")}
	}
	return turns, true
}
