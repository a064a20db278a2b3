package dataset

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
)

// CountBin counts rows with one value (e.g. rows with 4 turns).
type CountBin struct {
	Value int `json:"value"`
	Count int `json:"count"`
}

// RangeBin counts rows whose value lies in [Lo, Hi).
type RangeBin struct {
	Lo    int `json:"lo"`
	Hi    int `json:"hi"`
	Count int `json:"count"`
}

// Stats describes a dataset as it will be trained on.
type Stats struct {
	Path string `json:"path"`
	// Files are the data files read, in order (one for a file; a folder's
	// or hub dataset's files of the split, as training reads them).
	Files     []string  `json:"files"`
	Detection Detection `json:"detection"`
	// Rows read, good and bad; Conversations standardized; Skipped bad rows.
	Rows          int      `json:"rows"`
	Conversations int      `json:"conversations"`
	Skipped       int      `json:"skipped"`
	Problems      []string `json:"problems,omitempty"` // first bad rows, if skipping
	// BadRows are the first skipped rows (at most MaxListedBadRows), each
	// with its file, row and reason; Skipped is how many there are.
	BadRows []RowProblem `json:"bad_rows,omitempty"`
	// UnknownRoles counts the bad rows' unknown role names (at most
	// MaxListedRoles names): the names to give a role mapping.
	UnknownRoles map[string]int `json:"unknown_roles,omitempty"`
	// MaxBadRows is the limit the options set (0: none). Stats read on
	// past it, so they show the whole dataset; TooManyBadRows says that
	// training, which stops there, would fail.
	MaxBadRows     int  `json:"max_bad_rows,omitempty"`
	TooManyBadRows bool `json:"too_many_bad_rows,omitempty"`
	// Turns counts rows by their number of turns (a pair's prompt and
	// chosen answer); Roles counts turns by role (a pair's prompt and both
	// answers).
	Turns []CountBin     `json:"turns"`
	Roles map[string]int `json:"roles"`
	// Pairs counts the rows that are preference pairs: a prompt with a
	// chosen and a rejected answer, tokenized as two sides (prompt and
	// answer each). For them Tokens and TrainableTokens count both sides,
	// while the length (MinLen to P95Len, Lengths, OverMaxLen) is the
	// longer side's, the one the maximum length has to hold.
	Pairs int `json:"pairs,omitempty"`

	// Token statistics, present when a labeler was given.
	Tokenized       bool       `json:"tokenized"`
	MaxLen          int        `json:"max_len,omitempty"`
	Truncation      Truncation `json:"truncation,omitempty"`
	Tokens          int64      `json:"tokens"`           // before truncation (a pair's both sides)
	TrainableTokens int64      `json:"trainable_tokens"` // after truncation, in kept rows (both sides)
	MinLen          int        `json:"min_len"`
	MaxLenSeen      int        `json:"max_len_seen"`
	MeanLen         float64    `json:"mean_len"`
	MedianLen       int        `json:"median_len"`
	P95Len          int        `json:"p95_len"`
	Lengths         []RangeBin `json:"lengths"`
	OverMaxLen      int        `json:"over_max_len"`
	// TextCut counts rows so far over MaxLen that their text was cut
	// before tokenizing (see CutMarginTokens): they count in OverMaxLen,
	// Truncated or Dropped as before, but their lengths above are lower
	// bounds.
	TextCut   int `json:"text_cut,omitempty"`
	Truncated int `json:"truncated"`
	Kept      int `json:"kept"`
	// Dropped counts rows left out of training, by reason.
	Dropped map[string]int `json:"dropped,omitempty"`
	// DroppedExamples gives the first few dropped rows per reason.
	DroppedExamples map[string][]int `json:"dropped_examples,omitempty"`
}

// StatsOptions configures ComputeStats.
type StatsOptions struct {
	MaxLen     int
	Truncation Truncation
	Workers    int
}

// ComputeStats reads the whole file; with a labeler it tokenizes every row
// (in parallel) to report lengths, truncation and drops under opts. It
// stops with ctx's error when ctx ends.
func ComputeStats(ctx context.Context, path string, opts Options, l Labeler, so StatsOptions) (*Stats, error) {
	maxBad := opts.MaxBadRows
	opts.MaxBadRows = 0 // counted below, not a reason to stop describing the data
	s, err := NewScanner(ctx, path, opts)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	st := &Stats{Path: path, Files: s.Files(), Detection: s.Detection(), Roles: map[string]int{}, MaxLen: so.MaxLen, Truncation: so.Truncation,
		Dropped: map[string]int{}, DroppedExamples: map[string][]int{}}
	turns := map[int]int{}
	count := func(c Conversation) {
		st.Conversations++
		turns[c.Turns()]++
		if c.IsPreference() {
			st.Pairs++
		}
		for _, msgs := range [][]Message{c.Messages, c.Chosen, c.Rejected} {
			for _, m := range msgs {
				st.Roles[m.Role]++
			}
		}
	}
	if l == nil {
		for {
			c, err := s.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, err
			}
			count(c)
		}
	} else {
		st.Tokenized = true
		var lengths []int
		err := LabelParallel(ctx, s, l, LabelOptions{Workers: so.Workers, MaxLen: so.MaxLen}, func(r LabelResult) error {
			count(r.Conversation)
			if r.Err != nil {
				st.drop(DropTemplateError, r.Conversation.Row)
				if len(st.Problems) < 20 {
					st.Problems = append(st.Problems, fmt.Sprintf("row %d: %v", r.Conversation.Row, r.Err))
				}
				return nil
			}
			lab := r.Labeled
			n := len(lab.IDs)
			st.Tokens += int64(n)
			cut := lab.Cut
			if rej := lab.Rejected; rej != nil {
				st.Tokens += int64(len(rej.IDs))
				n = max(n, len(rej.IDs))
				cut = cut || rej.Cut
			}
			lengths = append(lengths, n)
			if so.MaxLen > 0 && n > so.MaxLen {
				st.OverMaxLen++
			}
			if cut {
				st.TextCut++
			}
			trainable, truncated, drop := st.fit(lab, so)
			if drop != "" {
				st.drop(drop, r.Conversation.Row)
				return nil
			}
			st.Kept++
			if truncated {
				st.Truncated++
			}
			st.TrainableTokens += int64(trainable)
			return nil
		})
		if err != nil {
			return nil, err
		}
		st.lengthStats(lengths)
	}
	st.Rows, st.Skipped, st.UnknownRoles = s.Rows(), s.Skipped(), s.UnknownRoles()
	st.MaxBadRows, st.TooManyBadRows = maxBad, maxBad > 0 && s.Skipped() > maxBad
	for _, e := range s.Problems() {
		st.BadRows = append(st.BadRows, e.Problem())
		if len(st.Problems) < 20 {
			st.Problems = append(st.Problems, e.Error())
		}
	}
	for v, c := range turns {
		st.Turns = append(st.Turns, CountBin{v, c})
	}
	sort.Slice(st.Turns, func(i, j int) bool { return st.Turns[i].Value < st.Turns[j].Value })
	return st, nil
}

// fit applies the length policy to a labeled row, a pair's both sides
// together (FitPair): the trainable tokens kept, whether that is a
// truncation, or why the row is dropped.
func (st *Stats) fit(lab Labeled, so StatsOptions) (trainable int, truncated bool, drop string) {
	if rej := lab.Rejected; rej != nil {
		kc, kr, truncated, drop := FitPair(lab.Trainable, rej.Trainable, so.MaxLen, so.Truncation)
		if drop != "" {
			return 0, false, drop
		}
		return lab.TrainableCount(kc) + rej.TrainableCount(kr), truncated, ""
	}
	keep, truncated, drop := Fit(lab.Trainable, so.MaxLen, so.Truncation)
	if drop != "" {
		return 0, false, drop
	}
	return lab.TrainableCount(keep), truncated, ""
}

func (st *Stats) drop(reason string, row int) {
	st.Dropped[reason]++
	if ex := st.DroppedExamples[reason]; len(ex) < 5 {
		st.DroppedExamples[reason] = append(ex, row)
	}
}

// lengthStats fills the length summary and a power-of-two histogram
// (the bins a user picks a maximum length from).
func (st *Stats) lengthStats(lengths []int) {
	if len(lengths) == 0 {
		return
	}
	sort.Ints(lengths)
	st.MinLen, st.MaxLenSeen = lengths[0], lengths[len(lengths)-1]
	st.MedianLen = lengths[len(lengths)/2]
	st.P95Len = lengths[min(len(lengths)-1, len(lengths)*95/100)]
	// Summed here, not taken from Tokens: a pair's length is one side's.
	var sum int64
	for _, n := range lengths {
		sum += int64(n)
	}
	st.MeanLen = float64(sum) / float64(len(lengths))
	lo := 0
	for hi := 64; ; hi *= 2 {
		bin := RangeBin{Lo: lo, Hi: hi}
		for _, n := range lengths {
			if n >= lo && n < hi {
				bin.Count++
			}
		}
		st.Lengths = append(st.Lengths, bin)
		if hi > st.MaxLenSeen {
			break
		}
		lo = hi
	}
}
