package batch

import "fmt"

// pairLen is the length an example takes in a padded batch: a
// preference pair's longer side, since both sides share the batch's
// length; an example's own length otherwise.
func pairLen(e Example) int {
	if e.Rejected != nil {
		return max(e.Len(), e.Rejected.Len())
	}
	return e.Len()
}

// arePairs reports whether examples are preference pairs; a mix of pairs
// and other examples is an error, since a batch is either pairs for a
// preference loss or sequences for a language-modeling loss.
func arePairs(examples []Example) (bool, error) {
	pairs := examples[0].Rejected != nil
	for _, e := range examples[1:] {
		if (e.Rejected != nil) != pairs {
			return false, fmt.Errorf("row %d and row %d: the examples mix preference pairs with other rows; an epoch is all pairs (DPO, ORPO) or none", examples[0].Row, e.Row)
		}
	}
	return pairs, nil
}

// checkPairs checks each pair's sides against the maximum length and
// for something to train: a side with no target would give the
// preference loss a log-probability of nothing to compare.
func checkPairs(examples []Example, maxLen int) error {
	for _, e := range examples {
		for _, side := range []struct {
			name string
			e    Example
		}{{"chosen", e}, {"rejected", *e.Rejected}} {
			if side.e.Len() > maxLen {
				return fmt.Errorf("row %d: the %s side has %d tokens, more than the maximum length %d: tokenize with the same maximum", e.Row, side.name, side.e.Len(), maxLen)
			}
			if len(side.e.Trainable) != side.e.Len() {
				return fmt.Errorf("row %d: the %s side has %d tokens and %d trainable flags", e.Row, side.name, side.e.Len(), len(side.e.Trainable))
			}
			if !hasTargetAfterFirst(side.e.Trainable) {
				return fmt.Errorf("row %d: the %s side has nothing to train (%w)", e.Row, side.name, ErrAllMasked)
			}
		}
	}
	return nil
}

// assemblePairs lays out a batch of preference pairs (see NewEpoch):
// 2B rows of T tokens, chosen sides in rows 0..B-1 and rejected sides in
// rows B..2B-1, pair i in rows i and B+i; rows past the group's pairs
// are empty pairs, all padding. Rows lists the source rows in the same
// layout.
func assemblePairs(group [][]Example, B, T int, pad int32) Batch {
	chosen := make([][]Example, B)
	rejected := make([][]Example, B)
	for i, s := range group {
		chosen[i] = []Example{s[0]}
		rejected[i] = []Example{*s[0].Rejected}
	}
	return assemble(append(chosen, rejected...), 2*B, T, pad)
}
