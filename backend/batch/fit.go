package batch

import (
	"fmt"

	"github.com/whetstone-ai/whetstone/backend/dataset"
)

// fitted is what the length policy makes of one labeled row: the
// examples it becomes (none when dropped, several when split), whether
// it was truncated, or why it was dropped.
type fitted struct {
	examples  []Example
	truncated bool
	drop      string
}

// fitRow applies the length policy of opts to a labeled row.
func fitRow(row int32, lab dataset.Labeled, opts TokenizeOptions) fitted {
	if lab.Rejected != nil {
		return fitPair(row, lab, *lab.Rejected, opts)
	}
	if opts.SplitLong && opts.MaxLen > 0 && len(lab.IDs) > opts.MaxLen {
		return splitLong(row, lab, opts.MaxLen)
	}
	keep, truncated, drop := dataset.Fit(lab.Trainable, opts.MaxLen, opts.Truncation)
	if drop != "" {
		return fitted{drop: drop}
	}
	return fitted{examples: []Example{example(row, lab, 0, keep)}, truncated: truncated}
}

// fitPair applies dataset.FitPair, the length policy the dataset's
// statistics and preview also apply to pairs: kept or dropped whole,
// "truncate" keeping each side's first MaxLen tokens and dropping the
// pair (dataset.DropPromptFills) when a side then trains nothing. Pairs
// are never split (SplitLong): a piece of an answer is no answer.
func fitPair(row int32, chosen, rejected dataset.Labeled, opts TokenizeOptions) fitted {
	kc, kr, truncated, drop := dataset.FitPair(chosen.Trainable, rejected.Trainable, opts.MaxLen, opts.Truncation)
	if drop != "" {
		return fitted{drop: drop}
	}
	c := example(row, chosen, 0, kc)
	r := example(row, rejected, 0, kr)
	c.Rejected = &r
	return fitted{examples: []Example{c}, truncated: truncated}
}

// splitLong cuts a row longer than maxLen into consecutive maxLen-token
// pieces (the last one shorter), each its own example, so that continued
// pretraining trains on the whole of a long document rather than its
// start. Every piece keeps its tokens' labels, except that its first
// token is no target: it opens its own sequence, and nothing precedes it
// there to predict it (as Hugging Face's group_texts blocks lose it too).
// A piece left with nothing to train (a one-token tail, a stretch of
// prompt) is left out; a row with no piece left is dropped.
func splitLong(row int32, lab dataset.Labeled, maxLen int) fitted {
	var out fitted
	for start := 0; start < len(lab.IDs); start += maxLen {
		end := min(start+maxLen, len(lab.IDs))
		if hasTargetAfterFirst(lab.Trainable[start:end]) {
			out.examples = append(out.examples, example(row, lab, start, end))
		}
	}
	if len(out.examples) == 0 {
		out.drop = dataset.DropNothingToTrain
	}
	return out
}

// example copies tokens [start, end) of lab into an Example whose first
// token is no target.
func example(row int32, lab dataset.Labeled, start, end int) Example {
	toks := make([]int32, end-start)
	for i, id := range lab.IDs[start:end] {
		toks[i] = int32(id)
	}
	tr := append([]bool(nil), lab.Trainable[start:end]...)
	tr[0] = false // nothing precedes the first token: never a target
	return Example{Row: row, Tokens: toks, Trainable: tr}
}

// hasTargetAfterFirst reports whether a token after the first is
// trainable (the first one never is a target).
func hasTargetAfterFirst(tr []bool) bool {
	for i := 1; i < len(tr); i++ {
		if tr[i] {
			return true
		}
	}
	return false
}

// rowLength words a row's length for a message: a row cut before
// tokenizing is longer than the tokens it has, and a pair has two sides,
// each saying whether its own text was cut (dataset.Labeled.Cut).
func rowLength(l dataset.Labeled) string {
	if l.Rejected == nil {
		return tokenCount(l)
	}
	return fmt.Sprintf("chosen %s, rejected %s", tokenCount(l), tokenCount(*l.Rejected))
}

func tokenCount(l dataset.Labeled) string {
	if l.Cut {
		return fmt.Sprintf("more than %d tokens", len(l.IDs))
	}
	return fmt.Sprintf("%d tokens", len(l.IDs))
}
