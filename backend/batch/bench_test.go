package batch

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/whetstone-ai/whetstone/backend/dataset"
	"github.com/whetstone-ai/whetstone/backend/sharedtest"
	"github.com/whetstone-ai/whetstone/backend/tokenizer"
)

var benchWords = strings.Fields(`the of and to in is that for it as with was on be by this are from or an at
which not have has can more one all their will there so if about when model data value function return error
energy light water system number because between during example result method table query vector gradient loss
café naïve über straße 数据 学习 データ 東京 résumé fiancée 🙂 ∀x∈ℝ ⇒ x²≥0 $\frac{a}{b}$ def fn() {} [1, 2, 3]`)

// fineTomeLike builds n rows shaped like FineTome-100k: mostly one
// exchange, some system prompts and multi-turn chats, answers from a few
// dozen to a few hundred words.
func fineTomeLike(n int) []dataset.ShareGPTRow {
	r := rand.New(rand.NewPCG(1, 2))
	words := func(lo, hi int) string {
		k := lo + r.IntN(hi-lo)
		var b strings.Builder
		for i := 0; i < k; i++ {
			if i > 0 {
				if r.IntN(12) == 0 {
					b.WriteString(".\n")
				} else {
					b.WriteByte(' ')
				}
			}
			b.WriteString(benchWords[r.IntN(len(benchWords))])
		}
		return b.String()
	}
	rows := make([]dataset.ShareGPTRow, n)
	for i := range rows {
		var turns []dataset.Turn
		if r.IntN(15) == 0 {
			turns = append(turns, dataset.Turn{From: "system", Value: words(5, 30)})
		}
		exchanges := 1
		if r.IntN(16) == 0 {
			exchanges = 2 + r.IntN(2)
		}
		for e := 0; e < exchanges; e++ {
			turns = append(turns, dataset.Turn{From: "human", Value: words(8, 60)},
				dataset.Turn{From: "gpt", Value: words(30, 330)})
		}
		rows[i] = dataset.ShareGPTRow{Turns: turns, Source: "bench", Score: 5}
	}
	return rows
}

// BenchmarkFineTome100k reads, standardizes and (with ../shared's Gemma 3
// tokenizer) renders and tokenizes a generated 100k-row FineTome-schema
// parquet file. Run: go test -run '^$' -bench FineTome100k -benchtime 1x ./backend/batch
func BenchmarkFineTome100k(b *testing.B) {
	path := filepath.Join(b.TempDir(), "train-00000-of-00001.parquet")
	t0 := time.Now()
	if err := dataset.WriteShareGPTParquet(path, fineTomeLike(100_000), dataset.ParquetWriteOptions{}); err != nil {
		b.Fatal(err)
	}
	b.Logf("generated the 100k-row parquet in %v", time.Since(t0))

	b.Run("read+standardize", func(b *testing.B) {
		cpu0 := cpuSeconds()
		for i := 0; i < b.N; i++ {
			s, err := dataset.NewScanner(context.Background(), path, dataset.Options{})
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for {
				_, err := s.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
			s.Close()
			if n != 100_000 {
				b.Fatalf("%d rows", n)
			}
		}
		b.ReportMetric(float64(100_000*b.N)/b.Elapsed().Seconds(), "rows/s")
		b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/100k-rows")
	})

	// A run loads the tokenizer once before tokenizing: Gemma 3's
	// tokenizer.json is 33 MB.
	b.Run("load-tokenizer/gemma3", func(b *testing.B) {
		dir := sharedtest.Path(b, "refsets", "visible", "tokenizers", "gemma3")
		cpu0 := cpuSeconds()
		for i := 0; i < b.N; i++ {
			if _, err := tokenizer.Load(dir); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/load")
	})

	b.Run("read+standardize+tokenize/gemma3", func(b *testing.B) {
		tok, tmpl := gemma3(b)
		l := NewLabeler(tok, tmpl, TrainResponses, -1)
		var tokens int64
		cpu0 := cpuSeconds()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			s, err := dataset.NewScanner(context.Background(), path, dataset.Options{})
			if err != nil {
				b.Fatal(err)
			}
			t, err := Tokenize(context.Background(), s, l, TokenizeOptions{MaxLen: 4096})
			s.Close()
			if err != nil {
				b.Fatal(err)
			}
			tokens += t.Report.Tokens
			if t.Report.Examples != 100_000 {
				b.Fatalf("%d examples", t.Report.Examples)
			}
		}
		sec := b.Elapsed().Seconds()
		// On a shared machine wall time says more about the neighbours
		// than about us: CPU seconds used per 100k rows are reported too
		// (divide by the cores for the wall time on an idle machine).
		b.ReportMetric((cpuSeconds()-cpu0)/float64(b.N), "cpu-s/100k-rows")
		b.ReportMetric(float64(100_000*b.N)/sec, "rows/s")
		b.ReportMetric(float64(tokens)/sec, "tokens/s")
		b.ReportMetric(float64(tokens)/float64(100_000*b.N), "tokens/row")
	})
}
