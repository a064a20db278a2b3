package dataset

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A folder scan stops at its bounds with a message saying what to do,
// instead of walking a home folder for minutes.
func TestFolderScanBounds(t *testing.T) {
	wide := t.TempDir()
	for d := 0; d < 20; d++ {
		sub := filepath.Join(wide, fmt.Sprintf("d%02d", d))
		os.Mkdir(sub, 0o755)
		for i := 0; i < MaxScanEntries/20; i++ {
			if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%04d.txt", i)), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	_, err := DataFiles(t.Context(), wide, "")
	if !errors.Is(err, ErrFolderTooLarge) || !strings.Contains(err.Error(), "has more than 10000 entries: choose the subfolder") {
		t.Fatalf("wide folder: %v", err)
	}

	deep := t.TempDir()
	p := deep
	for i := 0; i <= MaxScanDepth; i++ {
		p = filepath.Join(p, "level")
	}
	os.MkdirAll(p, 0o755)
	os.WriteFile(filepath.Join(p, "train.jsonl"), []byte(`{"text":"x"}`+"\n"), 0o644)
	_, err = DataFiles(t.Context(), deep, "")
	if !errors.Is(err, ErrFolderTooLarge) || !strings.Contains(err.Error(), "more than 8 folders deep") {
		t.Fatalf("deep folder: %v", err)
	}
	// One level less is fine.
	os.RemoveAll(p)
	os.WriteFile(filepath.Join(filepath.Dir(p), "train.jsonl"), []byte(`{"text":"x"}`+"\n"), 0o644)
	if files, err := DataFiles(t.Context(), deep, ""); err != nil || len(files) != 1 {
		t.Fatalf("8 levels deep: %v %v", files, err)
	}
}

// Every long operation stops when its caller goes away.
func TestCanceledContextStops(t *testing.T) {
	dir := t.TempDir()
	var rows strings.Builder
	for i := 0; i < 50; i++ {
		rows.WriteString(`{"text":"row"}` + "\n")
	}
	path := filepath.Join(dir, "train.jsonl")
	os.WriteFile(path, []byte(rows.String()), 0o644)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := DataFiles(ctx, dir, ""); !errors.Is(err, context.Canceled) {
		t.Errorf("DataFiles: %v", err)
	}
	if _, err := Load(ctx, path, Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Load: %v", err)
	}
	if _, err := Preview(ctx, path, Options{}, nil, PreviewOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Preview: %v", err)
	}
	if _, err := ComputeStats(ctx, path, Options{}, nil, StatsOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("ComputeStats: %v", err)
	}
	// Canceled between rows: the scanner stops at the next one.
	ctx, cancel = context.WithCancel(t.Context())
	s, err := NewScanner(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Next(); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := s.Next(); !errors.Is(err, context.Canceled) {
		t.Errorf("Next after cancel: %v", err)
	}
}
