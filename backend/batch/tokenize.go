package batch

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/dataset"
)

// Example is one tokenized row, already cut to the maximum length.
type Example struct {
	Row       int32 // 1-based row in the source file
	Tokens    []int32
	Trainable []bool // Trainable[i]: Tokens[i] is a target of the loss
	// Rejected is the rejected side of a preference pair, whose chosen
	// side is this example's Tokens (the prompt followed by the chosen
	// answer, the answer trainable); nil for every other example.
	Rejected *Example
}

// Len is the number of tokens.
func (e Example) Len() int { return len(e.Tokens) }

// TokenizeOptions controls tokenization.
type TokenizeOptions struct {
	MaxLen     int // 0: no limit
	Truncation dataset.Truncation
	// SkipBadRows drops rows the chat template refuses (counted) instead
	// of failing.
	SkipBadRows bool
	// SplitLong, for continued pretraining, cuts an example longer than
	// MaxLen into consecutive MaxLen-token pieces, each its own Example
	// with the row's Row, instead of truncating or dropping it (see
	// splitLong); Truncation then applies to preference pairs only, which
	// are never split. Rows are then labeled whole, never cut before
	// tokenizing.
	SplitLong bool
	Workers   int // 0: all cores
	// Progress, when set, is called with the number of rows done every
	// ProgressEvery rows (default 1000) and once at the end, from one
	// goroutine; a UI turns it into a progress bar.
	Progress      func(rows int)
	ProgressEvery int
}

// Report says what tokenization kept and dropped, and why.
//
// A preference pair is one row and one example; its Tokens and
// TrainableTokens count both sides.
type Report struct {
	Rows            int   `json:"rows"`
	Examples        int   `json:"examples"`
	Tokens          int64 `json:"tokens"` // kept, after truncation
	TrainableTokens int64 `json:"trainable_tokens"`
	Truncated       int   `json:"truncated"` // rows (pairs) cut to MaxLen
	// Pieces is how many more examples than rows SplitLong made: a row
	// cut into k pieces adds k-1.
	Pieces  int            `json:"pieces,omitempty"`
	Dropped map[string]int `json:"dropped,omitempty"`
	// Problems are the first rows dropped, with their reason.
	Problems []string `json:"problems,omitempty"`
	// Meta is filled by Prepare: how the file was read.
	Meta *ReadInfo `json:"meta,omitempty"`
}

// Tokenized is a whole dataset ready for splitting and batching, in the
// source's row order.
type Tokenized struct {
	Examples []Example
	Report   Report
}

// ErrAllMasked is the "loss is 0" bug caught before training starts.
var ErrAllMasked = errors.New("all labels are masked (-100)")

// allMaskedHelp explains ErrAllMasked to the person who will see it.
const allMaskedHelp = "nothing would be trained: with every label at -100 the loss is 0 (or NaN) and the weights never change. " +
	"Likely causes: the role mapping sends no turn to \"assistant\" (e.g. \"gpt\" or \"model\" left unmapped); " +
	"the chat template does not mark assistant turns; the maximum length is shorter than the prompts, so every answer is cut away; " +
	"or the dataset is raw text trained in responses-only mode (train on all tokens instead)"

// Tokenize labels every conversation of src in parallel and keeps the
// rows that have something to learn under the length policy. The result
// is in source order whatever the scheduling, so it is deterministic.
func Tokenize(ctx context.Context, src dataset.ConversationSource, l dataset.Labeler, opts TokenizeOptions) (*Tokenized, error) {
	type slot struct {
		exs    []Example // none when dropped
		reason string
	}
	var slots []slot
	rep := Report{Dropped: map[string]int{}}
	every := opts.ProgressEvery
	if every <= 0 {
		every = 1000
	}
	done := 0
	lopts := dataset.LabelOptions{Workers: opts.Workers, MaxLen: opts.MaxLen}
	if opts.SplitLong {
		lopts.MaxLen = 0 // every token is kept: nothing may be cut unseen
	}
	err := dataset.LabelParallel(ctx, src, l, lopts, func(r dataset.LabelResult) error {
		if done++; opts.Progress != nil && done%every == 0 {
			opts.Progress(done)
		}
		for len(slots) <= r.Index {
			slots = append(slots, slot{})
		}
		s := &slots[r.Index]
		if r.Err != nil {
			if !opts.SkipBadRows {
				return r.Err
			}
			s.reason = dataset.DropTemplateError + ": " + r.Err.Error()
			return nil
		}
		f := fitRow(int32(r.Conversation.Row), r.Labeled, opts)
		if f.drop != "" {
			s.reason = fmt.Sprintf("row %d: %s (%s)", r.Conversation.Row, f.drop, rowLength(r.Labeled))
			rep.Dropped[f.drop]++
			return nil
		}
		if f.truncated {
			rep.Truncated++
		}
		s.exs = f.examples
		return nil
	})
	if err != nil {
		return nil, err
	}
	if opts.Progress != nil && done%every != 0 {
		opts.Progress(done)
	}
	out := &Tokenized{}
	for _, s := range slots {
		rep.Rows++
		if len(s.exs) == 0 {
			if strings.HasPrefix(s.reason, dataset.DropTemplateError) {
				rep.Dropped[dataset.DropTemplateError]++
			}
			if len(rep.Problems) < 20 {
				rep.Problems = append(rep.Problems, s.reason)
			}
			continue
		}
		out.Examples = append(out.Examples, s.exs...)
		rep.Pieces += len(s.exs) - 1
		for _, e := range s.exs {
			rep.Tokens += int64(len(e.Tokens))
			rep.TrainableTokens += int64(countTrue(e.Trainable))
			if e.Rejected != nil {
				rep.Tokens += int64(len(e.Rejected.Tokens))
				rep.TrainableTokens += int64(countTrue(e.Rejected.Trainable))
			}
		}
	}
	rep.Examples = len(out.Examples)
	out.Report = rep
	if rep.TrainableTokens == 0 {
		return nil, fmt.Errorf("%w in all %d rows: %s%s", ErrAllMasked, rep.Rows, allMaskedHelp, dropSummary(rep.Dropped))
	}
	return out, nil
}

func dropSummary(d map[string]int) string {
	if len(d) == 0 {
		return ""
	}
	reasons := make([]string, 0, len(d))
	for r := range d {
		reasons = append(reasons, r)
	}
	sort.Strings(reasons)
	parts := make([]string, len(reasons))
	for i, r := range reasons {
		parts[i] = fmt.Sprintf("%d %s", d[r], r)
	}
	return ". Rows dropped: " + strings.Join(parts, "; ")
}

func countTrue(b []bool) int {
	n := 0
	for _, v := range b {
		if v {
			n++
		}
	}
	return n
}
