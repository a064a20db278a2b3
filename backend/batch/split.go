package batch

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
)

// rng is the one random source of this package: PCG seeded from the
// user's seed and a purpose, so the same seed gives the same split and the
// same epoch order on every machine and Go version.
func rng(seed uint64, purpose uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15^purpose))
}

// Shuffled returns a permutation of examples that depends only on seed
// and epoch. The input is not modified.
func Shuffled(examples []Example, seed uint64, epoch int) []Example {
	out := append([]Example(nil), examples...)
	r := rng(seed, uint64(epoch)+1)
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// SplitOptions says how much goes to validation: Count rows, or else
// Fraction of them (0 for none).
type SplitOptions struct {
	Fraction float64
	Count    int
	Seed     uint64
}

// Split shuffles with the seed and sets aside a validation set. Which rows
// land in validation depends only on the seed and the data, never on the
// number of cores or the order tokenization finished in.
func Split(examples []Example, o SplitOptions) (train, val []Example, err error) {
	n := o.Count
	if n == 0 && o.Fraction > 0 {
		if o.Fraction >= 1 {
			return nil, nil, fmt.Errorf("validation fraction %.3g must be below 1", o.Fraction)
		}
		n = int(float64(len(examples))*o.Fraction + 0.5)
		n = max(n, 1)
	}
	if n < 0 || o.Fraction < 0 {
		return nil, nil, fmt.Errorf("validation size must not be negative")
	}
	if n >= len(examples) {
		return nil, nil, fmt.Errorf("validation set of %d rows leaves nothing to train on (%d rows in all)", n, len(examples))
	}
	all := Shuffled(examples, o.Seed, -1)
	val, train = all[:n], all[n:]
	// Keep each side in source order: epochs reshuffle anyway, and a
	// stable order makes the split easy to inspect.
	sortByRow(val)
	sortByRow(train)
	return train, val, nil
}

func sortByRow(xs []Example) {
	slices.SortFunc(xs, func(a, b Example) int { return cmp.Compare(a.Row, b.Row) })
}
