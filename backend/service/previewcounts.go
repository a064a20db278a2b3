package service

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/whetstone-ai/whetstone/backend/dataset"
)

// previewCounts remembers how many rows the datasets previewed lately
// have, so that the pager's next page reads only up to that page instead
// of the whole dataset again (a second or more for 100,000 rows). The
// counts depend only on the files' contents and the read options, so the
// memo is keyed by both (each file by path, size and modification time)
// and can be shared by every Services value; it is bounded.
var previewCounts = countMemo{max: 32}

type countMemo struct {
	mu   sync.Mutex
	max  int
	keys []string // oldest first
	m    map[string]*dataset.PreviewCounts
}

func (c *countMemo) get(key string) *dataset.PreviewCounts {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[key]
}

func (c *countMemo) put(key string, v *dataset.PreviewCounts) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*dataset.PreviewCounts{}
	}
	if _, ok := c.m[key]; !ok {
		c.keys = append(c.keys, key)
	}
	c.m[key] = v
	for len(c.keys) > c.max {
		delete(c.m, c.keys[0])
		c.keys = c.keys[1:]
	}
}

// countKey identifies a dataset's contents and the options its rows are
// counted under; "" when a file cannot be looked at (nothing is memoized).
func countKey(ctx context.Context, path string, opts dataset.Options) string {
	files, err := dataset.ResolveFiles(ctx, path, opts)
	if err != nil {
		return ""
	}
	// MaxBadRows and SampleRows do not change the counts of a preview,
	// which reads past bad rows and detects from its own sample.
	o := struct {
		Mapping     dataset.Mapping
		SkipBadRows bool
		MaxRowBytes int64
	}{opts.Mapping, opts.SkipBadRows, opts.MaxRowBytes}
	b, err := json.Marshal(o)
	if err != nil {
		return ""
	}
	var k strings.Builder
	k.Write(b)
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			return ""
		}
		fmt.Fprintf(&k, "\x00%s\x00%d\x00%d", f, st.Size(), st.ModTime().UnixNano())
	}
	return k.String()
}
