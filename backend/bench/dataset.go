package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"
	"unicode/utf8"

	"github.com/whetstone-ai/whetstone/backend/dataset"
)

// DatasetResult holds the dataset reading measurement: FineTome-shaped
// ShareGPT rows streamed through dataset.Scanner (format detection,
// column mapping and standardization included).
type DatasetResult struct {
	Rows int `json:"rows"`
	// ParquetRowsPerS and JSONLRowsPerS are rows per second per format.
	ParquetRowsPerS float64 `json:"parquet_rows_per_s"`
	JSONLRowsPerS   float64 `json:"jsonl_rows_per_s"`
	// BytesPerRow is the average JSONL row size, for scale.
	BytesPerRow int `json:"bytes_per_row"`
}

// datasetRows is the size of the generated files: big enough to time,
// small enough to write in a fraction of a second.
const datasetRows = 5000

// measureDataset writes datasetRows synthetic conversations as parquet and
// JSONL under a temporary folder and times scanning each.
func measureDataset() (*DatasetResult, error) {
	dir, err := os.MkdirTemp("", "whetstone-bench-")
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	defer os.RemoveAll(dir)
	rows := shareGPTRows(datasetRows)
	pq := filepath.Join(dir, "train.parquet")
	if err := dataset.WriteShareGPTParquet(pq, rows, dataset.ParquetWriteOptions{}); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	jl := filepath.Join(dir, "train.jsonl")
	size, err := writeShareGPTJSONL(jl, rows)
	if err != nil {
		return nil, err
	}
	res := &DatasetResult{Rows: len(rows), BytesPerRow: size / len(rows)}
	if res.ParquetRowsPerS, err = scanRate(pq, len(rows)); err != nil {
		return nil, err
	}
	if res.JSONLRowsPerS, err = scanRate(jl, len(rows)); err != nil {
		return nil, err
	}
	return res, nil
}

// shareGPTRows makes n conversations of 2 to 6 turns of corpus text.
func shareGPTRows(n int) []dataset.ShareGPTRow {
	rng := rand.New(rand.NewPCG(benchSeed, 5))
	text := corpus(1<<20, benchSeed+1)
	rows := make([]dataset.ShareGPTRow, n)
	for i := range rows {
		turns := 2 + 2*rng.IntN(3)
		r := dataset.ShareGPTRow{Source: "bench", Score: rng.Float64() * 5}
		for t := range turns {
			from := "human"
			if t%2 == 1 {
				from = "gpt"
			}
			l := 80 + rng.IntN(600)
			start := rng.IntN(len(text) - l)
			r.Turns = append(r.Turns, dataset.Turn{From: from, Value: runeSlice(text, start, start+l)})
		}
		rows[i] = r
	}
	return rows
}

// runeSlice is text[start:end] with both ends moved back to the start of a
// character, so the corpus's non-Latin text is never cut into invalid
// UTF-8 (which the dataset readers rightly refuse).
func runeSlice(text string, start, end int) string {
	for start > 0 && !utf8.RuneStart(text[start]) {
		start--
	}
	for end > start && end < len(text) && !utf8.RuneStart(text[end]) {
		end--
	}
	return text[start:end]
}

func writeShareGPTJSONL(path string, rows []dataset.ShareGPTRow) (int, error) {
	type turn struct {
		From  string `json:"from"`
		Value string `json:"value"`
	}
	type row struct {
		Conversations []turn  `json:"conversations"`
		Source        string  `json:"source"`
		Score         float64 `json:"score"`
	}
	f, err := os.Create(path)
	if err != nil {
		return 0, fmt.Errorf("bench: %w", err)
	}
	cw := &countingWriter{w: f}
	enc := json.NewEncoder(cw)
	for _, r := range rows {
		out := row{Source: r.Source, Score: r.Score}
		for _, t := range r.Turns {
			out.Conversations = append(out.Conversations, turn{From: t.From, Value: t.Value})
		}
		if err := enc.Encode(out); err != nil {
			f.Close()
			return 0, fmt.Errorf("bench: write %s: %w", path, err)
		}
	}
	if err := f.Close(); err != nil {
		return 0, fmt.Errorf("bench: write %s: %w", path, err)
	}
	return cw.n, nil
}

type countingWriter struct {
	w io.Writer
	n int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += n
	return n, err
}

// scanRate streams a file through a dataset.Scanner and returns rows/s.
func scanRate(path string, want int) (float64, error) {
	began := time.Now()
	s, err := dataset.NewScanner(context.Background(), path, dataset.Options{})
	if err != nil {
		return 0, fmt.Errorf("bench: %w", err)
	}
	defer s.Close()
	n := 0
	for {
		c, err := s.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("bench: scan %s: %w", path, err)
		}
		if len(c.Messages) == 0 {
			return 0, fmt.Errorf("bench: scan %s: row %d has no messages", path, c.Row)
		}
		n++
	}
	secs := time.Since(began).Seconds()
	if n != want {
		return 0, fmt.Errorf("bench: scan %s read %d rows, want %d", path, n, want)
	}
	return float64(n) / secs, nil
}
