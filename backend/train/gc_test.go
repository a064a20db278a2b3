package train

import "testing"

// The collector's target follows what a step allocates, not the frozen
// weights: a model whose weights are small keeps 25 %, one whose weights
// dominate gets the share that leaves a quarter of the step's memory as
// slack, never under 5 %.
func TestGCPercent(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		name         string
		stored, step int64
		want         int
	}{
		{"no step figure", 4000 * mib, 0, 25},
		{"30m: weights 120 MiB, step 400", 120 * mib, 400 * mib, 19},
		{"tiny weights", 0, 100 * mib, 25},
		{"Gemma 3 1B checkpointed: 3.9 GiB, step 1.7", 3914 * mib, 1700 * mib, 7},
		{"weights only", 4000 * mib, 10 * mib, 5},
	} {
		if got := gcPercent(tc.stored, tc.step); got != tc.want {
			t.Errorf("%s: gcPercent = %d, want %d", tc.name, got, tc.want)
		}
	}
}
