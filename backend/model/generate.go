package model

import (
	"context"
	"fmt"
	"math/bits"
	"slices"

	"github.com/gomlx/compute/dtypes"
	"github.com/gomlx/compute/shapes"
	. "github.com/gomlx/gomlx/core/graph" //nolint:revive
	"github.com/gomlx/gomlx/core/tensors"
	mlmodel "github.com/gomlx/gomlx/ml/model"
)

// GenerateOptions control Generate.
type GenerateOptions struct {
	SamplingOptions
	MaxNewTokens int
	// StopTokens end generation (not included in the output); nil means
	// m.StopTokens(): the EOS ids of config.json and generation_config.json.
	StopTokens []int32
	Seed       uint64
	// NoCache recomputes the whole sequence at every step instead of using
	// the KV cache: slow, for reference and tests.
	NoCache bool
}

// Finish reasons of a generation.
const (
	FinishStop   = "stop"   // a stop token was produced
	FinishLength = "length" // MaxNewTokens or the context size was reached
)

// Generation is the result of Generate.
type Generation struct {
	Tokens       []int32
	FinishReason string
}

// minBucket is the smallest cache length and prompt chunk compiled.
const minBucket = 16

func bucket(n int) int {
	if n <= minBucket {
		return minBucket
	}
	return 1 << bits.Len(uint(n-1))
}

// Generate continues prompt, calling onToken (when non-nil) with each new
// token as it is produced; an error from onToken stops generation and is
// returned. Cancelling ctx stops it too, returning what was generated with
// ctx's error.
func (m *Model) Generate(ctx context.Context, prompt []int32, opts GenerateOptions, onToken func(int32) error) (gen Generation, err error) {
	defer catch(&err, "generate")
	if len(prompt) == 0 {
		return gen, fmt.Errorf("model: generate needs a non-empty prompt")
	}
	for i, t := range prompt {
		if t < 0 || int(t) >= m.cfg.VocabSize {
			return gen, fmt.Errorf("model: prompt token %d at index %d is outside the vocabulary (size %d)", t, i, m.cfg.VocabSize)
		}
	}
	if opts.MaxNewTokens <= 0 {
		return gen, fmt.Errorf("model: MaxNewTokens must be positive")
	}
	stops := opts.StopTokens
	if stops == nil {
		stops = m.StopTokens()
	}
	maxLen := len(prompt) + opts.MaxNewTokens
	if mp := m.cfg.MaxPositionEmbeddings; mp > 0 && maxLen > mp {
		maxLen = mp
	}
	if len(prompt) >= maxLen {
		return gen, fmt.Errorf("model: prompt of %d tokens leaves no room in the %d-token context", len(prompt), maxLen)
	}
	var step stepper
	if opts.NoCache {
		step = &fullStepper{m: m}
	} else {
		step = &cacheStepper{m: m}
	}
	defer step.close()
	smp := newSampler(opts.SamplingOptions, opts.Seed)
	seq := slices.Clone(prompt)
	logits, err := step.feed(seq, len(prompt))
	gen.FinishReason = FinishLength
	for len(seq) < maxLen {
		if err != nil {
			return gen, err
		}
		if err := ctx.Err(); err != nil {
			return gen, err
		}
		tok := smp.next(logits, seq)
		if slices.Contains(stops, tok) {
			gen.FinishReason = FinishStop
			break
		}
		gen.Tokens = append(gen.Tokens, tok)
		seq = append(seq, tok)
		if onToken != nil {
			if err := onToken(tok); err != nil {
				return gen, err
			}
		}
		if len(seq) >= maxLen {
			break
		}
		logits, err = step.feed(seq, 1)
	}
	return gen, nil
}

// stepper returns the next-token logits after the last n tokens of seq were
// appended.
type stepper interface {
	feed(seq []int32, n int) ([]float32, error)
	close()
}

// fullStepper recomputes everything (the reference for the KV cache).
type fullStepper struct{ m *Model }

func (s *fullStepper) feed(seq []int32, _ int) ([]float32, error) {
	m := s.m
	n := len(seq)
	tb := bucket(n)
	toks, pos, seg := make([]int32, tb), make([]int32, tb), make([]int32, tb)
	copy(toks, seq)
	for i := range n {
		pos[i], seg[i] = int32(i), 1
	}
	e, err := m.executor("full-step", func(_ *mlmodel.Scope, in []*Node) []*Node {
		logits := m.forwardLogitsGraph(in[0], in[1], in[2]) // [1,T,V]
		return []*Node{Reshape(takeRow(logits, in[3]), m.cfg.VocabSize)}
	})
	if err != nil {
		return nil, err
	}
	res, err := e.Exec(tensors.FromFlatDataAndDimensions(toks, 1, tb), tensors.FromFlatDataAndDimensions(pos, 1, tb),
		tensors.FromFlatDataAndDimensions(seg, 1, tb), tensors.FromScalar(int32(n-1)))
	if err != nil {
		return nil, fmt.Errorf("model: generation step: %w", err)
	}
	defer res[0].FinalizeAll()
	return tensors.CopyFlatData[float32](res[0])
}

func (s *fullStepper) close() {}

// cacheStepper keeps per-layer keys and values [1, KV, L, D] between steps.
// L and the chunk of new tokens are bucketed to powers of two; when the
// cache fills it is copied into one twice as long.
type cacheStepper struct {
	m     *Model
	cache []*tensors.Tensor
	used  int // tokens whose keys are in the cache
}

func (s *cacheStepper) feed(seq []int32, n int) ([]float32, error) {
	m := s.m
	tb := bucket(n)
	if n == 1 {
		tb = 1
	}
	if err := s.ensure(s.used + tb); err != nil {
		return nil, err
	}
	toks := make([]int32, tb)
	copy(toks, seq[len(seq)-n:])
	// The first chunk into an empty cache of its own length (a prompt)
	// has its own graph: its keys are its queries' own, at positions 0..T-1,
	// so attention may skip the blocks that the causal mask and sliding
	// windows hide (see seqContext.fresh).
	name, graph := "cached-step", m.cachedStepGraph
	if s.used == 0 && s.cache[0].Shape().Dimensions[2] == tb {
		name, graph = "cached-first", m.freshStepGraph
	}
	e, err := m.executor(name, graph)
	if err != nil {
		return nil, err
	}
	args := []any{tensors.FromFlatDataAndDimensions(toks, 1, tb), tensors.FromScalar(int32(s.used)), tensors.FromScalar(int32(n))}
	// The caches are donated: each step writes its new rows into them in
	// place (writeRows) and returns them as its outputs.
	for _, c := range s.cache {
		d, err := DonateTensorBuffer(c, m.backend, 0)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("model: generation step: %w", err)
		}
		args = append(args, d)
	}
	res, err := e.Exec(args...)
	if err != nil {
		s.close()
		return nil, fmt.Errorf("model: generation step: %w", err)
	}
	for i, c := range s.cache {
		c.FinalizeAll()
		s.cache[i] = res[1+i]
	}
	s.used += n
	defer res[0].FinalizeAll()
	return tensors.CopyFlatData[float32](res[0])
}

// ensure makes the cache hold at least need positions.
func (s *cacheStepper) ensure(need int) error {
	c := s.m.cfg
	if len(s.cache) > 0 && s.cache[0].Shape().Dimensions[2] >= need {
		return nil
	}
	l := bucket(need)
	fresh := make([]*tensors.Tensor, 2*c.NumLayers)
	for i := range fresh {
		t := tensors.FromShape(shapes.Make(dtypes.Float32, 1, c.NumKVHeads, l, c.HeadDim))
		if len(s.cache) > 0 {
			old := s.cache[i]
			oldRows := old.Shape().Dimensions[2] * c.HeadDim
			err := tensors.MutableFlatData(t, func(dst []float32) {
				tensors.MustConstFlatData(old, func(src []float32) {
					for h := range c.NumKVHeads {
						copy(dst[h*l*c.HeadDim:], src[h*oldRows:(h+1)*oldRows])
					}
				})
			})
			if err != nil {
				return err
			}
			old.FinalizeAll()
		}
		fresh[i] = t
	}
	s.cache = fresh
	return nil
}

func (s *cacheStepper) close() {
	for _, c := range s.cache {
		c.FinalizeAll()
	}
	s.cache = nil
}

// cachedStepGraph runs new tokens [1,T] at positions start..start+T-1 (the
// first nValid real, the rest padding) against the cache, returning the
// logits after the last real token and the updated caches.
func (m *Model) cachedStepGraph(_ *mlmodel.Scope, in []*Node) []*Node {
	return m.stepGraph(in, false)
}

// freshStepGraph is cachedStepGraph for the first chunk into an empty
// cache as long as the chunk (start is 0).
func (m *Model) freshStepGraph(_ *mlmodel.Scope, in []*Node) []*Node {
	return m.stepGraph(in, true)
}

func (m *Model) stepGraph(in []*Node, fresh bool) []*Node {
	tokens, start, nValid := in[0], in[1], in[2]
	cache := in[3:]
	g := tokens.Graph()
	m.beginGraph(g)
	t := tokens.Shape().Dimensions[1]
	l := cache[0].Shape().Dimensions[2]
	one := ScalarOne(g, dtypes.Int32)
	zero := ScalarZero(g, dtypes.Int32)
	idx := Iota(g, shapes.Make(dtypes.Int32, 1, t), 1)
	qPos := Add(idx, start)
	qSeg := Where(LessThan(idx, nValid), BroadcastToDims(one, 1, t), BroadcastToDims(zero, 1, t))
	kPos := Iota(g, shapes.Make(dtypes.Int32, 1, l), 1)
	kSeg := Where(LessThan(kPos, Add(start, nValid)), BroadcastToDims(one, 1, l), BroadcastToDims(zero, 1, l))
	sc := m.newSeqContext(qPos, kPos, qSeg, kSeg)
	sc.cache, sc.cacheStart, sc.updatedCache = cache, start, make([]*Node, len(cache))
	sc.fresh = fresh && l == t
	h := m.decoder(tokens, sc)           // [1,T,H]
	last := takeRow(h, Sub(nValid, one)) // [1,H]
	logits := Reshape(m.logits(last), m.cfg.VocabSize)
	return append([]*Node{logits}, sc.updatedCache...)
}
