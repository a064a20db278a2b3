package model

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	. "github.com/gomlx/gomlx/core/graph" //nolint:revive

	"github.com/whetstone-ai/whetstone/backend/accel"
)

// BenchmarkAttentionLayer times one layer's attention forward and backward
// (the gradients of Σ out·w with respect to q, k and v) at the benchmark
// presets' shapes (gemma3-270m: 2 rows of 1,024 tokens, 4 query heads over
// 1 key/value head of 256, on a global and a sliding (512) layer; 5m and
// 30m: 4 rows of 256 tokens, head size 64; tiny: 4 rows of 64, head size
// 16), causal. Block 0 is the plain path as training graphs run it
// (forward fused where fusedAttentionPays, else decomposed; sdpaGradients
// backward), -1 the plain path with the decomposed forward, others
// blockwise with that block size. The gemma3-1b shape (2 × 2,048 tokens)
// is there for memory: peak-rss-MB is the process's, so run one
// sub-benchmark per process (-bench 'AttentionLayer/gemma3-1b/window=0/block=128$').
//
//	go test -run '^$' -bench AttentionLayer -benchtime 5x ./backend/model
func BenchmarkAttentionLayer(b *testing.B) {
	backend, _, err := accel.Open(accel.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, sh := range []struct {
		name                  string
		bsz, heads, kv, tl, d int
		windows, blocks       []int
	}{
		{"gemma3-270m", 2, 4, 1, 1024, 256, []int{0, 512}, []int{0, 128, 256, 512}},
		{"gemma3-1b", 2, 4, 1, 2048, 256, []int{0}, []int{-1, 128}},
		{"tiny", 4, 4, 2, 64, 16, []int{0}, []int{0, -1, 32, 64}},
		{"5m", 4, 4, 1, 256, 64, []int{0}, []int{0, -1, 64, 128, 256}},
		{"30m", 4, 8, 2, 256, 64, []int{0}, []int{0, -1, 64, 128, 256}},
	} {
		rng := rand.New(rand.NewPCG(1, 2))
		q := randomFloats(rng, sh.bsz, sh.heads, sh.tl, sh.d)
		k := randomFloats(rng, sh.bsz, sh.kv, sh.tl, sh.d)
		v := randomFloats(rng, sh.bsz, sh.kv, sh.tl, sh.d)
		w := randomFloats(rng, sh.bsz, sh.heads, sh.tl, sh.d)
		pos, seg := seqRow(sh.tl, 0, 1)
		var posRows, segRows [][]int32
		for range sh.bsz {
			posRows, segRows = append(posRows, pos), append(segRows, seg)
		}
		ps, ss := int32Tensor(posRows), int32Tensor(segRows)
		cfg := &Config{AttnScale: 1 / 16.0}
		for _, window := range sh.windows {
			for _, block := range sh.blocks {
				b.Run(fmt.Sprintf("%s/window=%d/block=%d", sh.name, window, block), func(b *testing.B) {
					m := &Model{cfg: cfg}
					e, err := NewExec(backend, func(in []*Node) []*Node {
						q, k, v, w, pos, seg := in[0], in[1], in[2], in[3], in[4], in[5]
						mask := attentionMask(pos, pos, seg, seg, window)
						var out *Node
						if block > 0 {
							out = m.blockwiseAttention(q, k, v, mask, window, block, &seqContext{})
						} else {
							fuse := block == 0 && fusedAttentionPays(sh.d)
							out = attentionWithGradient(q, k, v, ExpandAxes(mask, 1), cfg.AttnScale, fuse)
						}
						return Gradient(ReduceAllSum(Mul(out, w)), q, k, v)
					})
					if err != nil {
						b.Fatal(err)
					}
					began := time.Now()
					if _, err := e.Exec(q, k, v, w, ps, ss); err != nil {
						b.Fatal(err)
					}
					first := time.Since(began)
					b.ResetTimer()
					cpu := cpuTime()
					for range b.N {
						if _, err := e.Exec(q, k, v, w, ps, ss); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
					b.ReportMetric(float64(peakRSS(b))/(1<<20), "peak-rss-MB")
					b.ReportMetric(float64(first.Milliseconds()), "first-exec-ms")
				})
			}
		}
	}
}
