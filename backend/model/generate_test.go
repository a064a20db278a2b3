package model

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

// TestCachedGenerationMatchesRecompute: greedy decoding with the KV cache
// produces the same tokens as recomputing the whole sequence each step, for
// a prompt longer than a bucket and past a cache growth (16 -> 32 -> 64).
func TestCachedGenerationMatchesRecompute(t *testing.T) {
	for _, name := range []string{"gemma3", "llama", "qwen2"} {
		t.Run(name, func(t *testing.T) {
			m := tinyModel(t, name, 11, Options{})
			prompt := testTokens(19, m.cfg.VocabSize, 2)
			opts := GenerateOptions{MaxNewTokens: 20, StopTokens: []int32{}}
			var streamed []int32
			cached, err := m.Generate(context.Background(), prompt, opts, func(tok int32) error {
				streamed = append(streamed, tok)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			opts.NoCache = true
			full, err := m.Generate(context.Background(), prompt, opts, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(cached.Tokens) != 20 || cached.FinishReason != FinishLength {
				t.Fatalf("cached: %d tokens, %s", len(cached.Tokens), cached.FinishReason)
			}
			if !slices.Equal(cached.Tokens, full.Tokens) {
				t.Errorf("cached %v\nfull   %v", cached.Tokens, full.Tokens)
			}
			if !slices.Equal(streamed, cached.Tokens) {
				t.Errorf("streamed %v != returned %v", streamed, cached.Tokens)
			}
			// Greedy must be the argmax of the full forward pass.
			logits, err := m.Logits(append(slices.Clone(prompt), cached.Tokens[:3]...))
			if err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				if got := argmax(logits[len(prompt)-1+i]); got != cached.Tokens[i] {
					t.Errorf("token %d: generated %d, argmax of forward %d", i, cached.Tokens[i], got)
				}
			}
		})
	}
}

func TestGenerationStopsAndCancels(t *testing.T) {
	m := tinyModel(t, "llama", 11, Options{})
	prompt := testTokens(5, m.cfg.VocabSize, 1)
	free, err := m.Generate(context.Background(), prompt, GenerateOptions{MaxNewTokens: 6, StopTokens: []int32{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Stopping on the third greedy token returns the first two.
	stop := free.Tokens[2]
	if slices.Contains(free.Tokens[:2], stop) {
		t.Skip("degenerate sequence")
	}
	got, err := m.Generate(context.Background(), prompt, GenerateOptions{MaxNewTokens: 6, StopTokens: []int32{stop}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got.FinishReason != FinishStop || !slices.Equal(got.Tokens, free.Tokens[:2]) {
		t.Errorf("stop: %v %s, want %v stop", got.Tokens, got.FinishReason, free.Tokens[:2])
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	got, err = m.Generate(ctx, prompt, GenerateOptions{MaxNewTokens: 50, StopTokens: []int32{}}, func(int32) error {
		n++
		if n == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || len(got.Tokens) != 3 {
		t.Errorf("cancel: err %v, %d tokens", err, len(got.Tokens))
	}
	boom := errors.New("client gone")
	if _, err := m.Generate(context.Background(), prompt, GenerateOptions{MaxNewTokens: 5}, func(int32) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("callback error not returned: %v", err)
	}
	if _, err := m.Generate(context.Background(), []int32{int32(m.cfg.VocabSize)}, GenerateOptions{MaxNewTokens: 5}, nil); err == nil {
		t.Error("out-of-vocabulary prompt accepted")
	}
}

func TestSamplingIsSeededAndFiltered(t *testing.T) {
	m := tinyModel(t, "qwen3", 2, Options{})
	prompt := testTokens(4, m.cfg.VocabSize, 3)
	opts := GenerateOptions{MaxNewTokens: 12, StopTokens: []int32{}, Seed: 9,
		SamplingOptions: SamplingOptions{Temperature: 1.5, TopK: 20, TopP: 0.95, MinP: 0.01, RepetitionPenalty: 1.1}}
	a, err := m.Generate(context.Background(), prompt, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := m.Generate(context.Background(), prompt, opts, nil)
	if !slices.Equal(a.Tokens, b.Tokens) {
		t.Errorf("same seed, different samples: %v vs %v", a.Tokens, b.Tokens)
	}
	opts.Seed = 10
	c, _ := m.Generate(context.Background(), prompt, opts, nil)
	if slices.Equal(a.Tokens, c.Tokens) {
		t.Errorf("different seeds gave identical samples %v", a.Tokens)
	}
}

func TestSamplerFilters(t *testing.T) {
	logits := []float32{5, 4, 3, 0, -1}
	// top-k 1 and min-p close to 1 both force the argmax.
	for _, o := range []SamplingOptions{{Temperature: 1, TopK: 1}, {Temperature: 1, MinP: 0.99}, {Temperature: 1, TopP: 0.01}} {
		s := newSampler(o, 1)
		for range 20 {
			if tok := s.next(slices.Clone(logits), nil); tok != 0 {
				t.Fatalf("%+v sampled %d", o, tok)
			}
		}
	}
	// top-k 2 never yields a token outside the two best.
	s := newSampler(SamplingOptions{Temperature: 5, TopK: 2}, 1)
	seen := map[int32]bool{}
	for range 200 {
		seen[s.next(slices.Clone(logits), nil)] = true
	}
	if len(seen) != 2 || !seen[0] || !seen[1] {
		t.Errorf("top-k 2 sampled %v", seen)
	}
	// Repetition penalty: the repeated best token loses to the runner-up.
	g := newSampler(SamplingOptions{RepetitionPenalty: 2}, 1)
	if tok := g.next([]float32{5, 4, 1}, []int32{0}); tok != 1 {
		t.Errorf("repetition penalty: got %d", tok)
	}
}

// Concurrent generations share the compiled graphs but not their caches.
func TestConcurrentGeneration(t *testing.T) {
	m := tinyModel(t, "gemma3", 5, Options{})
	prompts := [][]int32{testTokens(7, m.cfg.VocabSize, 1), testTokens(12, m.cfg.VocabSize, 2), testTokens(3, m.cfg.VocabSize, 3)}
	opts := GenerateOptions{MaxNewTokens: 10, StopTokens: []int32{}}
	want := make([][]int32, len(prompts))
	for i, p := range prompts {
		g, err := m.Generate(context.Background(), p, opts, nil)
		if err != nil {
			t.Fatal(err)
		}
		want[i] = g.Tokens
	}
	got := make([][]int32, len(prompts))
	errs := make(chan error, len(prompts))
	done := make(chan struct{})
	for i, p := range prompts {
		go func() {
			g, err := m.Generate(context.Background(), p, opts, nil)
			got[i] = g.Tokens
			errs <- err
			done <- struct{}{}
		}()
	}
	for range prompts {
		<-done
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i := range prompts {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("prompt %d: concurrent %v, sequential %v", i, got[i], want[i])
		}
	}
	m.Close()
	if _, err := m.Logits(prompts[0]); err == nil || !strings.Contains(err.Error(), "Close") {
		t.Errorf("closed model: %v", err)
	}
}

func TestArgmax(t *testing.T) {
	nan := float32(math.NaN())
	for _, tc := range []struct {
		v    []float32
		want int32
	}{
		{nil, 0},
		{[]float32{-3, -1, -2}, 1},
		{[]float32{1, 5, 2, 5}, 1},
		{[]float32{1, nan, 3, 2}, 2},
		{[]float32{-1, -1, -1}, 0},
	} {
		if got := argmax(tc.v); got != tc.want {
			t.Errorf("argmax(%v) = %d, want %d", tc.v, got, tc.want)
		}
	}
}
