package dataset

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"
)

// Labeled is a conversation as the model sees it: the exact rendered text,
// its tokens with byte offsets into Text, and which tokens are trained on.
type Labeled struct {
	Text      string
	IDs       []int
	Offsets   [][2]int
	Trainable []bool
	// Spans are the byte ranges of Text that are trained on (assistant
	// content plus its end-of-turn marker), for highlighting.
	Spans [][2]int
	// Cut is set when the row's text was cut before tokenizing because it
	// was far over the maximum length (see CutMarginTokens): the first
	// maxLen tokens are exact, and len(IDs), still over maxLen, is a lower
	// bound of the row's length. For a pair, each side says whether its
	// own text (the prompt, or its answer) was cut.
	Cut bool
	// Rejected is a preference pair's rejected side, labeled the same way
	// (this Labeled being the prompt with the chosen answer); nil for
	// every other row.
	Rejected *Labeled
}

// TrainableCount counts the trainable tokens among the first n.
func (l Labeled) TrainableCount(n int) int {
	c := 0
	for _, t := range l.Trainable[:min(n, len(l.Trainable))] {
		if t {
			c++
		}
	}
	return c
}

// Labeler renders and tokenizes a conversation with its training mask.
// backend/batch provides the implementation over a tokenizer and a chat
// template; dataset only needs the result, for previews and statistics.
type Labeler interface {
	Label(c Conversation) (Labeled, error)
}

// Truncation is what happens to a row longer than the maximum length.
type Truncation string

const (
	// TruncateRight keeps the first MaxLen tokens.
	TruncateRight Truncation = "truncate"
	// DropLong drops the whole row.
	DropLong Truncation = "drop"
)

// Truncations lists the length policies, the default first.
var Truncations = []Truncation{TruncateRight, DropLong}

// ParseTruncation accepts a name out of Truncations; empty is the default.
func ParseTruncation(s string) (Truncation, error) {
	if s == "" {
		return Truncations[0], nil
	}
	if slices.Contains(Truncations, Truncation(s)) {
		return Truncation(s), nil
	}
	return "", fmt.Errorf("unknown truncation %s: use %s", quoteCapped(s), joinNames(Truncations))
}

// joinNames lists names as a message says them: "a, b or c".
func joinNames[T ~string](names []T) string {
	var b strings.Builder
	for i, n := range names {
		switch {
		case i == 0:
		case i == len(names)-1:
			b.WriteString(" or ")
		default:
			b.WriteString(", ")
		}
		b.WriteString(string(n))
	}
	return b.String()
}

// Reasons a row is dropped before training.
const (
	DropTooLong        = "longer than the maximum length (drop policy)"
	DropNothingToTrain = "no trainable tokens (no assistant turn, or empty answers)"
	DropCutAway        = "every trainable token is beyond the maximum length"
	DropTemplateError  = "the chat template refused the conversation"
)

// Fit applies the length policy to a labeled row of n tokens: the number of
// tokens kept, whether that is a truncation, or why the row is dropped. A
// row is also dropped when nothing in what is kept would be trained on,
// since it would only add masked tokens. The first token is never a
// target (nothing precedes it), so it does not count as trainable.
func Fit(trainable []bool, maxLen int, policy Truncation) (keep int, truncated bool, drop string) {
	n := len(trainable)
	keep = n
	if maxLen > 0 && n > maxLen {
		if policy == DropLong {
			return 0, false, DropTooLong
		}
		keep, truncated = maxLen, true
	}
	any := false
	for i := 1; i < keep; i++ {
		if trainable[i] {
			any = true
			break
		}
	}
	if !any {
		if truncated {
			for i := 1; i < n; i++ {
				if trainable[i] {
					return 0, false, DropCutAway
				}
			}
		}
		return 0, false, DropNothingToTrain
	}
	return keep, truncated, ""
}

// ConversationSource yields conversations; *Scanner is one.
type ConversationSource interface {
	Next() (Conversation, error)
}

// SliceSource serves conversations already in memory.
type SliceSource struct {
	Conversations []Conversation
	pos           int
}

// Next returns the next conversation or io.EOF.
func (s *SliceSource) Next() (Conversation, error) {
	if s.pos >= len(s.Conversations) {
		return Conversation{}, io.EOF
	}
	s.pos++
	return s.Conversations[s.pos-1], nil
}

// LabelResult is one labeled conversation; Index is its position in the
// source, so callers can restore the order.
type LabelResult struct {
	Index        int
	Conversation Conversation
	Labeled      Labeled
	Err          error // the labeler's error for this row
}

// LabelOptions configures LabelParallel.
type LabelOptions struct {
	Workers int // goroutines labeling (0: all cores)
	// MaxLen is the maximum length the rows are for (0: none): texts far
	// beyond what it can use are cut before labeling (see CutMarginTokens).
	MaxLen int
}

// LabelParallel labels every conversation of src on opts.Workers
// goroutines and calls fn once per conversation, from a single goroutine,
// in completion order. An error from src or fn stops the work and is
// returned, as does the end of ctx; a labeler error is handed to fn in
// LabelResult.Err.
func LabelParallel(ctx context.Context, src ConversationSource, l Labeler, opts LabelOptions, fn func(LabelResult) error) error {
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	budget := textBudget(l, opts.MaxLen)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type job struct {
		i int
		c Conversation
	}
	jobs := make(chan job, workers*16)
	results := make(chan LabelResult, workers*16)
	var readErr error
	go func() {
		defer close(jobs)
		for i := 0; ; i++ {
			if ctx.Err() != nil {
				return
			}
			c, err := src.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				readErr = err
				cancel()
				return
			}
			select {
			case jobs <- job{i, c}:
			case <-ctx.Done():
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				lab, err := labelRow(l, j.c, budget)
				select {
				case results <- LabelResult{Index: j.i, Conversation: j.c, Labeled: lab, Err: err}:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); close(results) }()
	var fnErr error
	for r := range results {
		if fnErr == nil {
			if fnErr = fn(r); fnErr != nil {
				cancel()
			}
		}
	}
	switch {
	case fnErr != nil:
		return fnErr
	case readErr != nil:
		return readErr
	}
	return ctx.Err()
}

// safeLabel turns a labeler panic into an error naming the row.
func safeLabel(l Labeler, c Conversation) (lab Labeled, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("row %d: labeling failed: %v", c.Row, r)
		}
	}()
	return l.Label(c)
}
