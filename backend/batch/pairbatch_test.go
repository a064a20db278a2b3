package batch

import (
	"errors"
	"math/bits"
	"reflect"
	"strings"
	"testing"
)

// side is a sequence of n distinct tokens starting at base, trained from
// its middle on.
func side(row int32, base int32, n int) Example {
	e := Example{Row: row, Tokens: make([]int32, n), Trainable: make([]bool, n)}
	for j := range n {
		e.Tokens[j] = base + int32(j)
		e.Trainable[j] = j >= n/2 && j > 0
	}
	return e
}

func mkPair(row int32, chosen, rejected int) Example {
	c := side(row, row*1000, chosen)
	r := side(row, row*1000+500, rejected)
	c.Rejected = &r
	return c
}

// wantPadLen is the padded length rule, computed independently: the
// longest row rounded up to PadMultiple, or to a power of two of at
// least 16, never past MaxLen.
func wantPadLen(longest int, o BatchOptions) int {
	var T int
	if o.PadMultiple > 0 {
		T = (longest + o.PadMultiple - 1) / o.PadMultiple * o.PadMultiple
	} else {
		T = max(16, 1<<bits.Len(uint(longest-1)))
	}
	return min(T, o.MaxLen)
}

// checkPairBatches verifies the pair layout: 2B rows, chosen sides first
// and rejected sides B rows later in the same order, one sequence per row
// with positions from 0, segment 1 and labels on trained tokens but the
// first, padding elsewhere; empty pairs all padding; every pair once.
func checkPairBatches(t *testing.T, bs []Batch, examples []Example, o BatchOptions) {
	t.Helper()
	byRow := map[int32]Example{}
	for _, e := range examples {
		byRow[e.Row] = e
	}
	B := o.BatchSize
	seen := map[int32]int{}
	empty := 0
	for bi, b := range bs {
		if b.Size != 2*B || len(b.Tokens) != 2*B*b.Len || len(b.Labels) != len(b.Tokens) ||
			len(b.Positions) != len(b.Tokens) || len(b.Segments) != len(b.Tokens) || len(b.Rows) != 2*B {
			t.Fatalf("batch %d: size %d len %d, %d tokens, %d rows", bi, b.Size, b.Len, len(b.Tokens), len(b.Rows))
		}
		longest := 1
		for i := range B {
			c, r := b.Rows[i], b.Rows[B+i]
			var seqs [2]*Example
			switch {
			case len(c) == 0 && len(r) == 0:
				empty++
			case len(c) == 1 && len(r) == 1 && c[0] == r[0]:
				e := byRow[c[0]]
				seen[c[0]]++
				seqs = [2]*Example{&e, e.Rejected}
				longest = max(longest, e.Len(), e.Rejected.Len())
			default:
				t.Fatalf("batch %d pair %d: rows %v and %v are not one pair", bi, i, c, r)
			}
			for k, e := range seqs {
				row := i + k*B
				at := row * b.Len
				n := 0
				if e != nil {
					n = e.Len()
				}
				for j := range b.Len {
					tok, lab, pos, seg := o.PadID, IgnoreLabel, int32(0), int32(0)
					if j < n {
						tok, pos, seg = e.Tokens[j], int32(j), 1
						if e.Trainable[j] && j > 0 {
							lab = e.Tokens[j]
						}
					}
					if b.Tokens[at+j] != tok || b.Labels[at+j] != lab || b.Positions[at+j] != pos || b.Segments[at+j] != seg {
						t.Fatalf("batch %d row %d pos %d: tok %d lab %d pos %d seg %d, want %d %d %d %d", bi, row, j,
							b.Tokens[at+j], b.Labels[at+j], b.Positions[at+j], b.Segments[at+j], tok, lab, pos, seg)
					}
				}
			}
		}
		if want := wantPadLen(longest, o); b.Len != want {
			t.Fatalf("batch %d: length %d, want %d for a longest row of %d", bi, b.Len, want, longest)
		}
	}
	for _, e := range examples {
		if seen[e.Row] != 1 {
			t.Fatalf("pair %d appears %d times", e.Row, seen[e.Row])
		}
	}
	if want := len(bs)*B - len(examples); empty != want {
		t.Fatalf("%d empty pairs, want %d", empty, want)
	}
}

func TestPairBatchLayout(t *testing.T) {
	var ex []Example
	for i := range 23 {
		ex = append(ex, mkPair(int32(i+1), 3+(i*7)%40, 2+(i*13)%90))
	}
	for _, o := range []BatchOptions{
		{BatchSize: 4, MaxLen: 128, PadID: 9, Seed: 5},
		{BatchSize: 4, MaxLen: 128, PadID: 9, Seed: 5, PadMultiple: 8},
		{BatchSize: 3, MaxLen: 100, PadID: 0, Seed: 1, BucketWindow: 1},
	} {
		bs, err := Batches(ex, o, 0)
		if err != nil {
			t.Fatal(err)
		}
		if want := (len(ex) + o.BatchSize - 1) / o.BatchSize; len(bs) != want {
			t.Fatalf("%d batches, want %d", len(bs), want)
		}
		checkPairBatches(t, bs, ex, o)
		// Pack is ignored for pairs.
		packed := o
		packed.Pack = true
		pb, err := Batches(ex, packed, 0)
		if err != nil || !reflect.DeepEqual(pb, bs) {
			t.Fatalf("Pack changed pair batches: %v", err)
		}
		again, _ := Batches(ex, o, 0)
		next, _ := Batches(ex, o, 1)
		if !reflect.DeepEqual(again, bs) || reflect.DeepEqual(next, bs) {
			t.Fatal("pair batches are not a function of (seed, epoch)")
		}
		checkPairBatches(t, next, ex, o)
		ep, _ := NewEpoch(ex, o, 0)
		used, slots := 0, 0
		for _, e := range ex {
			used += e.Len() + e.Rejected.Len()
		}
		for _, b := range bs {
			slots += b.Size * b.Len
		}
		if got, want := ep.Fill(), float64(used)/float64(slots); got != want {
			t.Fatalf("fill %v, want %v", got, want)
		}
	}
}

// Pairs are bucketed by their longer side: with every chosen side the
// same length, bucketing still groups similar rejected lengths.
func TestPairBucketingByLongerSide(t *testing.T) {
	var ex []Example
	for i := range 64 {
		ex = append(ex, mkPair(int32(i+1), 8, 4+(i*37)%250))
	}
	o := BatchOptions{BatchSize: 4, MaxLen: 256, Seed: 2}
	bucketed, err := Batches(ex, o, 0)
	if err != nil {
		t.Fatal(err)
	}
	checkPairBatches(t, bucketed, ex, o)
	o.BucketWindow = 1
	plain, _ := Batches(ex, o, 0)
	if cells(bucketed) >= cells(plain) {
		t.Fatalf("bucketed pair batches use %d cells, unbucketed %d", cells(bucketed), cells(plain))
	}
}

func TestPairBatchErrors(t *testing.T) {
	o := BatchOptions{BatchSize: 2, MaxLen: 64}
	plain := side(9, 1, 10)
	if _, err := NewEpoch([]Example{mkPair(1, 5, 6), plain}, o, 0); err == nil || !strings.Contains(err.Error(), "mix preference pairs") {
		t.Fatalf("mixed epoch: %v", err)
	}
	if _, err := NewEpoch([]Example{plain, mkPair(1, 5, 6)}, o, 0); err == nil || !strings.Contains(err.Error(), "mix preference pairs") {
		t.Fatalf("mixed epoch, plain first: %v", err)
	}
	long := mkPair(2, 5, 65)
	if _, err := NewEpoch([]Example{long}, o, 0); err == nil || !strings.Contains(err.Error(), "row 2: the rejected side has 65 tokens") {
		t.Fatalf("long rejected side: %v", err)
	}
	masked := mkPair(3, 5, 6)
	masked.Rejected.Trainable = make([]bool, 6)
	if _, err := NewEpoch([]Example{masked}, o, 0); !errors.Is(err, ErrAllMasked) || !strings.Contains(err.Error(), "row 3: the rejected side") {
		t.Fatalf("rejected side with nothing to train: %v", err)
	}
}

// Split and Shuffled move whole examples, so a pair's sides stay
// together: every pair comes out once, its rejected side intact.
func TestSplitKeepsPairsWhole(t *testing.T) {
	var ex []Example
	for i := range 30 {
		ex = append(ex, mkPair(int32(i+1), 4+i%9, 5+(i*3)%17))
	}
	train, val, err := Split(ex, SplitOptions{Count: 7, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	shuffled := Shuffled(ex, 11, 2)
	for name, got := range map[string][]Example{"split": append(train, val...), "shuffled": shuffled} {
		if len(got) != len(ex) {
			t.Fatalf("%s: %d pairs of %d", name, len(got), len(ex))
		}
		seen := map[int32]bool{}
		for _, e := range got {
			want := ex[e.Row-1]
			if seen[e.Row] || e.Rejected == nil || !reflect.DeepEqual(e, want) {
				t.Fatalf("%s: pair %d duplicated or not whole", name, e.Row)
			}
			seen[e.Row] = true
		}
	}
	if len(val) != 7 {
		t.Fatalf("validation holds %d pairs", len(val))
	}
}
