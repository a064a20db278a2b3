package train

import (
	"fmt"
	"math/rand/v2"
)

// Batch is one micro-batch of packed or padded sequences, row-major
// [Rows, Seq]. Labels are aligned with Tokens (the model shifts them) and
// hold model.IgnoreIndex (-100) where no loss is taken; Segments number
// the sequences packed in a row from 1, with 0 for padding; Positions
// restart at 0 per sequence.
type Batch struct {
	Rows, Seq int
	Tokens    []int32
	Labels    []int32
	Positions []int32
	Segments  []int32
}

// Check verifies that the slices match the shape.
func (b Batch) Check() error {
	n := b.Rows * b.Seq
	if b.Rows <= 0 || b.Seq <= 0 {
		return fmt.Errorf("batch has shape [%d, %d]", b.Rows, b.Seq)
	}
	for name, s := range map[string][]int32{"tokens": b.Tokens, "labels": b.Labels, "positions": b.Positions, "segments": b.Segments} {
		if len(s) != n {
			return fmt.Errorf("batch %s has %d values, want %d for [%d, %d]", name, len(s), n, b.Rows, b.Seq)
		}
	}
	return nil
}

// Tokens counts the non-padding tokens (what tokens/s reports).
func (b Batch) RealTokens() int {
	n := 0
	for _, s := range b.Segments {
		if s != 0 {
			n++
		}
	}
	return n
}

// Data is a finite set of micro-batches read in a seeded order that depends
// only on the epoch, so the position in the data is just (epoch, index): a
// resumed run sees exactly the batches an uninterrupted one would.
type Data interface {
	// Len is the number of micro-batches per epoch.
	Len() int
	// Batch returns micro-batch i (0 ≤ i < Len) of the given epoch.
	Batch(epoch, i int) (Batch, error)
}

// Batches is Data over micro-batches held in memory, shuffled per epoch.
type Batches struct {
	items   []Batch
	seed    uint64
	shuffle bool
}

// NewBatches makes Data over items. With shuffle, epoch e reads the items
// in a permutation drawn from (seed, e).
func NewBatches(items []Batch, seed int64, shuffle bool) (*Batches, error) {
	for i, b := range items {
		if err := b.Check(); err != nil {
			return nil, fmt.Errorf("micro-batch %d: %w", i, err)
		}
	}
	return &Batches{items: items, seed: uint64(seed), shuffle: shuffle}, nil
}

// Len implements Data.
func (d *Batches) Len() int { return len(d.items) }

// Batch implements Data.
func (d *Batches) Batch(epoch, i int) (Batch, error) {
	if i < 0 || i >= len(d.items) {
		return Batch{}, fmt.Errorf("micro-batch %d out of range [0, %d)", i, len(d.items))
	}
	if !d.shuffle {
		return d.items[i], nil
	}
	return d.items[d.order(epoch)[i]], nil
}

func (d *Batches) order(epoch int) []int {
	r := rand.New(rand.NewPCG(d.seed, uint64(epoch)+0x9e3779b97f4a7c15))
	return r.Perm(len(d.items))
}
