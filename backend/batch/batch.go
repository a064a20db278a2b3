package batch

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"
)

// Batch is B sequences of T tokens, each array row-major [B][T]:
// element (b, t) is at b*T+t.
//
// Labels are aligned with Tokens (Labels[i] is Tokens[i] or IgnoreLabel);
// the model shifts them, predicting position t+1 from positions <= t.
// Segments number the conversations packed into a row from 1; 0 is
// padding. Attention must stay within one segment id, and Positions
// restart at 0 for every segment, so packed conversations never see each
// other. The first token of every segment has an IgnoreLabel, so the
// shift never asks one conversation to predict the next one's start.
//
// A batch of preference pairs holds BatchSize pairs in Size =
// 2·BatchSize rows: pair i is chosen row i and rejected row BatchSize+i
// (see NewEpoch).
type Batch struct {
	Size      int `json:"size"` // B
	Len       int `json:"len"`  // T
	Tokens    []int32
	Labels    []int32
	Positions []int32
	Segments  []int32
	// Rows lists the source rows in each sequence, for tracing a loss
	// spike back to data.
	Rows [][]int32
}

// Trainable counts labels that are not IgnoreLabel.
func (b *Batch) Trainable() int {
	n := 0
	for _, l := range b.Labels {
		if l != IgnoreLabel {
			n++
		}
	}
	return n
}

// BatchOptions shapes batches.
type BatchOptions struct {
	BatchSize int // sequences per batch (default 8)
	MaxLen    int // sequence length when packing; upper bound when padding
	// Pack concatenates several conversations per sequence (fixed length
	// MaxLen, segment ids keep them apart); otherwise each sequence is one
	// conversation padded to its batch's bucket length. Preference pairs
	// are never packed, whatever Pack says: the loss compares one
	// sequence's log-probability per side (see NewEpoch).
	Pack  bool
	PadID int32
	Seed  uint64
	// BucketWindow: when padding, examples are sorted by length within
	// windows of BatchSize*BucketWindow shuffled examples so a batch holds
	// similar lengths (default 16; 1 disables bucketing).
	BucketWindow int
	// PadMultiple rounds a padded batch's length up to a multiple of this;
	// 0 rounds up to a power of two, which keeps the number of distinct
	// shapes (each one a compilation) small.
	PadMultiple int
}

func (o BatchOptions) withDefaults() BatchOptions {
	if o.BatchSize <= 0 {
		o.BatchSize = 8
	}
	if o.BucketWindow <= 0 {
		o.BucketWindow = 16
	}
	return o
}

// Epoch is one epoch's batch plan: which conversations go in which
// sequence and batch, and at what length. Batches are assembled on demand
// by Batch, so an epoch of 100k conversations costs a few megabytes of
// plan instead of every batch's arrays at once.
type Epoch struct {
	o      BatchOptions
	groups [][][]Example // batch -> sequence -> examples (a pair: one)
	lens   []int         // batch -> T
	pairs  bool          // the examples are preference pairs
}

// NewEpoch plans epoch number epoch. The order depends only on the seed
// and the epoch. Every batch has BatchSize sequences; the last one is
// filled up with empty (all-padding) sequences. A batch with nothing to
// train on is an ErrAllMasked error here, before any training step.
//
// Preference pairs (examples with Rejected set) are batched as pairs:
// BatchSize pairs make a batch of 2·BatchSize rows, the chosen sides in
// rows 0..B-1 and the rejected sides in rows B..2B-1 in the same order,
// so pair i is rows i and B+i; each row is one sequence, never packed,
// padded to the batch's longest row, and pairs are bucketed by their
// longer side. The last batch is filled up with empty pairs (all
// padding), which train nothing. An epoch mixing pairs with other
// examples is an error.
func NewEpoch(examples []Example, o BatchOptions, epoch int) (*Epoch, error) {
	o = o.withDefaults()
	if len(examples) == 0 {
		return nil, fmt.Errorf("no examples to batch")
	}
	if o.MaxLen <= 0 {
		return nil, fmt.Errorf("batching needs a maximum length")
	}
	pairs, err := arePairs(examples)
	if err != nil {
		return nil, err
	}
	if pairs {
		if err := checkPairs(examples, o.MaxLen); err != nil {
			return nil, err
		}
		o.Pack = false
	}
	for _, e := range examples {
		if e.Len() > o.MaxLen {
			return nil, fmt.Errorf("row %d has %d tokens, more than the maximum length %d: tokenize with the same maximum", e.Row, e.Len(), o.MaxLen)
		}
	}
	order := Shuffled(examples, o.Seed, epoch)
	var seqs [][]Example
	if o.Pack {
		seqs = pack(order, o.MaxLen)
	} else {
		seqs = bucket(order, o)
	}
	ep := &Epoch{o: o, pairs: pairs}
	for start := 0; start < len(seqs); start += o.BatchSize {
		group := seqs[start:min(start+o.BatchSize, len(seqs))]
		if !hasTarget(group) {
			var rows []int32
			for _, s := range group {
				for _, e := range s {
					rows = append(rows, e.Row)
				}
			}
			return nil, fmt.Errorf("%w in batch %d (rows %v): %s", ErrAllMasked, len(ep.groups), rows, allMaskedHelp)
		}
		T := o.MaxLen
		if !o.Pack {
			T = padLen(group, o)
		}
		ep.groups = append(ep.groups, group)
		ep.lens = append(ep.lens, T)
	}
	if !o.Pack {
		// Sorting inside windows grouped similar lengths; shuffle the
		// batches so lengths do not march in order through the epoch.
		r := rng(o.Seed, uint64(epoch)+1<<32)
		r.Shuffle(len(ep.groups), func(i, j int) {
			ep.groups[i], ep.groups[j] = ep.groups[j], ep.groups[i]
			ep.lens[i], ep.lens[j] = ep.lens[j], ep.lens[i]
		})
	}
	return ep, nil
}

// hasTarget reports whether any token after a segment's first is trainable.
func hasTarget(group [][]Example) bool {
	for _, s := range group {
		for _, e := range s {
			for t := 1; t < len(e.Trainable); t++ {
				if e.Trainable[t] {
					return true
				}
			}
		}
	}
	return false
}

// Len is the number of batches.
func (ep *Epoch) Len() int { return len(ep.groups) }

// Batch assembles batch i (0 <= i < Len).
func (ep *Epoch) Batch(i int) Batch {
	if ep.pairs {
		return assemblePairs(ep.groups[i], ep.o.BatchSize, ep.lens[i], ep.o.PadID)
	}
	return assemble(ep.groups[i], ep.o.BatchSize, ep.lens[i], ep.o.PadID)
}

// Fill is the fraction of the epoch's token slots holding real tokens
// rather than padding: how well packing or bucketing did.
func (ep *Epoch) Fill() float64 {
	rows := ep.o.BatchSize
	if ep.pairs {
		rows *= 2
	}
	var used, slots int
	for i, g := range ep.groups {
		slots += rows * ep.lens[i]
		for _, s := range g {
			for _, e := range s {
				used += e.Len()
				if e.Rejected != nil {
					used += e.Rejected.Len()
				}
			}
		}
	}
	if slots == 0 {
		return 0
	}
	return float64(used) / float64(slots)
}

// Batches builds every batch of an epoch at once (see NewEpoch); for
// small datasets and tests.
func Batches(examples []Example, o BatchOptions, epoch int) ([]Batch, error) {
	ep, err := NewEpoch(examples, o, epoch)
	if err != nil {
		return nil, err
	}
	out := make([]Batch, ep.Len())
	for i := range out {
		out[i] = ep.Batch(i)
	}
	return out, nil
}

// openBins bounds first-fit's search: enough to fill sequences well,
// few enough to keep packing linear in the number of rows.
const openBins = 64

// pack places examples into sequences of at most maxLen tokens, first fit
// over the most recent open sequences, keeping the shuffled order within
// each sequence.
func pack(order []Example, maxLen int) [][]Example {
	type bin struct {
		items []Example
		used  int
	}
	var closed [][]Example
	var open []*bin
	for _, e := range order {
		placed := false
		for _, b := range open {
			if b.used+e.Len() <= maxLen {
				b.items, b.used, placed = append(b.items, e), b.used+e.Len(), true
				break
			}
		}
		if placed {
			continue
		}
		if len(open) == openBins {
			closed = append(closed, open[0].items)
			open = open[1:]
		}
		open = append(open, &bin{items: []Example{e}, used: e.Len()})
	}
	for _, b := range open {
		closed = append(closed, b.items)
	}
	return closed
}

// bucket makes one sequence per example, sorted by length (a pair's
// longer side) inside windows.
func bucket(order []Example, o BatchOptions) [][]Example {
	window := o.BatchSize * o.BucketWindow
	seqs := make([][]Example, 0, len(order))
	for start := 0; start < len(order); start += window {
		w := slices.Clone(order[start:min(start+window, len(order))])
		if o.BucketWindow > 1 {
			slices.SortStableFunc(w, func(a, b Example) int { return cmp.Compare(pairLen(a), pairLen(b)) })
		}
		for _, e := range w {
			seqs = append(seqs, []Example{e})
		}
	}
	return seqs
}

// padLen is a padded batch's length: its longest sequence (a pair's
// longer side, with pairs) rounded up by PadMultiple or to a power of two.
func padLen(group [][]Example, o BatchOptions) int {
	longest := 1
	for _, s := range group {
		n := 0
		for _, e := range s {
			n += pairLen(e)
		}
		longest = max(longest, n)
	}
	var T int
	if o.PadMultiple > 0 {
		T = (longest + o.PadMultiple - 1) / o.PadMultiple * o.PadMultiple
	} else {
		T = 1 << bits.Len(uint(longest-1))
		T = max(T, 16)
	}
	return min(T, o.MaxLen)
}

func assemble(group [][]Example, B, T int, pad int32) Batch {
	b := Batch{Size: B, Len: T,
		Tokens: make([]int32, B*T), Labels: make([]int32, B*T),
		Positions: make([]int32, B*T), Segments: make([]int32, B*T),
		Rows: make([][]int32, B)}
	for i := range b.Tokens {
		b.Tokens[i], b.Labels[i] = pad, IgnoreLabel
	}
	for r, seq := range group {
		at := r * T
		for s, e := range seq {
			b.Rows[r] = append(b.Rows[r], e.Row)
			for t, tok := range e.Tokens {
				b.Tokens[at] = tok
				if e.Trainable[t] && t > 0 {
					b.Labels[at] = tok
				}
				b.Positions[at] = int32(t)
				b.Segments[at] = int32(s + 1)
				at++
			}
		}
	}
	return b
}
