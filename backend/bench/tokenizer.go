package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/whetstone-ai/whetstone/backend/tokenizer"
)

// TokenizerResult holds the tokenizer measurement.
type TokenizerResult struct {
	// Dir is the tokenizer folder measured.
	Dir   string `json:"dir"`
	Bytes int    `json:"bytes"`
	// Tokens is the number of ids produced per pass over the corpus.
	Tokens int `json:"tokens"`
	// TokensPerS and MBPerS are single-threaded Encode throughput.
	TokensPerS float64 `json:"tokens_per_s"`
	MBPerS     float64 `json:"mb_per_s"`
}

// referenceTokenizer is where the team's reference material keeps Gemma 3's
// tokenizer, relative to the folder that holds shared/.
var referenceTokenizer = filepath.Join("shared", "refsets", "visible", "tokenizers", "gemma3")

// FindTokenizer returns a tokenizer folder to benchmark when none was
// given: $WHETSTONE_SHARED/refsets/visible/tokenizers/gemma3, or the
// shared/ folder found walking up from the working directory. Empty when
// there is none.
func FindTokenizer() string {
	if d := os.Getenv("WHETSTONE_SHARED"); d != "" {
		p := filepath.Join(d, "refsets", "visible", "tokenizers", "gemma3")
		if hasTokenizer(p) {
			return p
		}
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if p := filepath.Join(dir, referenceTokenizer); hasTokenizer(p) {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

func hasTokenizer(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "tokenizer.json"))
	return err == nil
}

// minTokenizerTime is how long the tokenizer is timed at least.
const minTokenizerTime = 300 * time.Millisecond

// measureTokenizer encodes a 256 KB mixed corpus repeatedly for at least
// minTokenizerTime, after one untimed pass.
func measureTokenizer(dir string) (*TokenizerResult, error) {
	tok, err := tokenizer.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	text := corpus(256<<10, benchSeed)
	res := &TokenizerResult{Dir: dir, Bytes: len(text), Tokens: len(tok.Encode(text, false))}
	if res.Tokens == 0 {
		return nil, fmt.Errorf("bench: tokenizer %s produced no tokens", dir)
	}
	passes := 0
	began := time.Now()
	for passes == 0 || time.Since(began) < minTokenizerTime {
		tok.Encode(text, false)
		passes++
	}
	secs := time.Since(began).Seconds()
	res.TokensPerS = float64(res.Tokens*passes) / secs
	res.MBPerS = float64(res.Bytes*passes) / secs / (1 << 20)
	return res, nil
}
