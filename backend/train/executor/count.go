package executor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/whetstone-ai/whetstone/backend/dataset"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
)

// CountExamples counts the training examples cfg's local data gives, read
// as training reads it (dataPlan's files, format, mapping and bad-row rules),
// after the validation split and dataset.max_rows, so the New run form can
// show an epochs-only run's steps and warn about a run far longer than its
// data. It does not tokenize: examples that tokenization would drop
// (truncation "drop", nothing to train on) are counted. It stops at limit
// conversations (exact false); a hub dataset, which a check does not
// download, gives 0.
func CountExamples(ctx context.Context, cfg runconfig.Config, limit int) (n int, exact bool, err error) {
	d, err := dataPlan(cfg)
	if err != nil {
		return 0, false, err
	}
	if _, err := os.Stat(d.Path); err != nil {
		return 0, false, nil
	}
	n, exact, err = countConversations(ctx, d.Path, d.Dataset, limit)
	if err != nil {
		return 0, false, fmt.Errorf("dataset.path: %w", err)
	}
	// batch.Split's validation size: round(n·fraction), at least one row.
	if f := d.Split.Fraction; f > 0 && n > 0 {
		n -= max(1, int(float64(n)*f+0.5))
	}
	if d.MaxExamples > 0 {
		n = min(n, d.MaxExamples)
	}
	return max(n, 0), exact, nil
}

// countConversations counts the good conversations of path read with
// opts, stopping at limit (0: none; exact false when it stopped).
func countConversations(ctx context.Context, path string, opts dataset.Options, limit int) (n int, exact bool, err error) {
	sc, err := dataset.NewScanner(ctx, path, opts)
	if err != nil {
		return 0, false, err
	}
	defer sc.Close()
	for {
		if limit > 0 && n >= limit {
			return n, false, nil
		}
		_, err := sc.Next()
		if errors.Is(err, io.EOF) {
			return n, true, nil
		}
		if err != nil {
			return 0, false, err
		}
		n++
	}
}
