package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/hub"
	"github.com/whetstone-ai/whetstone/backend/hub/hubtest"
)

const testCommit = "0123456789abcdef0123456789abcdef01234567"

func downloadEnv(vars map[string]string) (*Env, *bytes.Buffer, *bytes.Buffer) {
	var out, errOut bytes.Buffer
	return &Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) string { return vars[k] }}, &out, &errOut
}

func TestDownloadCommandModelAndDataset(t *testing.T) {
	h := hubtest.New(t)
	h.AddRepo("model", "acme/tiny", testCommit, map[string]hubtest.File{
		"config.json":       {Content: []byte(`{"model_type":"llama"}`)},
		"tokenizer.json":    {Content: bytes.Repeat([]byte("t"), 3000), LFS: true},
		"model.safetensors": {Content: bytes.Repeat([]byte("w"), 20000), LFS: true},
		"README.md":         {Content: []byte("# tiny")},
	})
	h.AddRepo("dataset", "acme/chats", testCommit, map[string]hubtest.File{
		"data/train-00000-of-00001.parquet": {Content: bytes.Repeat([]byte("p"), 500), LFS: true},
		"README.md":                         {Content: []byte("# chats")},
	})
	cache := t.TempDir()
	vars := map[string]string{"HF_ENDPOINT": h.URL(), "HF_HUB_CACHE": cache}

	env, out, errOut := downloadEnv(vars)
	if err := Run(context.Background(), env, []string{"download", "acme/tiny"}); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	snap := filepath.Join(cache, "models--acme--tiny", "snapshots", testCommit)
	if got := strings.TrimSpace(out.String()); got != snap {
		t.Errorf("stdout %q, want the snapshot path %q", got, snap)
	}
	for _, f := range []string{"config.json", "tokenizer.json", "model.safetensors"} {
		if _, err := os.Stat(filepath.Join(snap, f)); err != nil {
			t.Errorf("%s not downloaded: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(snap, "README.md")); err == nil {
		t.Error("README.md downloaded by the default model selection")
	}
	if !strings.Contains(errOut.String(), "3 files downloaded") || !strings.Contains(errOut.String(), "done") {
		t.Errorf("stderr lacks progress and summary:\n%s", errOut)
	}

	// Flags after the id, --include, and a dataset.
	env, out, errOut = downloadEnv(vars)
	if err := Run(context.Background(), env, []string{"download", "acme/tiny", "--include", "README.md"}); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if _, err := os.Stat(filepath.Join(snap, "README.md")); err != nil {
		t.Errorf("--include README.md: %v", err)
	}
	env, out, errOut = downloadEnv(vars)
	if err := Run(context.Background(), env, []string{"download", "--dataset", "acme/chats@main"}); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	dsnap := filepath.Join(cache, "datasets--acme--chats", "snapshots", testCommit)
	if strings.TrimSpace(out.String()) != dsnap {
		t.Errorf("dataset stdout %q", out)
	}
	if _, err := os.Stat(filepath.Join(dsnap, "data", "train-00000-of-00001.parquet")); err != nil {
		t.Error(err)
	}

	// --list shows both repos, with their refs.
	env, out, errOut = downloadEnv(vars)
	if err := Run(context.Background(), env, []string{"download", "--list"}); err != nil {
		t.Fatalf("--list: %v\n%s", err, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "dataset  acme/chats") || !strings.HasPrefix(lines[1], "model    acme/tiny") || !strings.Contains(lines[1], " main ") || !strings.HasSuffix(lines[1], snap) {
		t.Errorf("--list output:\n%s", out)
	}

	// Offline: served from the cache without the hub.
	h.API.Close()
	vars["HF_HUB_OFFLINE"] = "1"
	env, out, errOut = downloadEnv(vars)
	if err := Run(context.Background(), env, []string{"download", "acme/tiny"}); err != nil {
		t.Fatalf("offline: %v\n%s", err, errOut)
	}
	if strings.TrimSpace(out.String()) != snap || !strings.Contains(errOut.String(), "served from the cache") {
		t.Errorf("offline output %q / %q", out, errOut)
	}
}

func TestDownloadCommandErrors(t *testing.T) {
	h := hubtest.New(t)
	h.AddRepo("model", "google/gated", testCommit, map[string]hubtest.File{
		"config.json":       {Content: []byte("{}")},
		"model.safetensors": {Content: []byte("weights"), LFS: true},
	}).Gated = true
	vars := map[string]string{"HF_ENDPOINT": h.URL(), "HF_HUB_CACHE": t.TempDir()}

	env, out, _ := downloadEnv(vars)
	err := Run(context.Background(), env, []string{"download", "google/gated"})
	if !errors.Is(err, hub.ErrGated) || !strings.Contains(err.Error(), "HF_TOKEN") {
		t.Errorf("gated: %v", err)
	}
	if out.Len() != 0 {
		t.Errorf("stdout on failure: %q", out)
	}
	env, _, _ = downloadEnv(vars)
	if err := Run(context.Background(), env, []string{"download", "acme/none"}); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("missing repo: %v", err)
	}
	for _, args := range [][]string{
		{"download"},
		{"download", "a/b", "c/d"},
		{"download", "not a repo"},
		{"download", "a/b@v1", "--revision", "v2"},
		{"download", "--bogus", "a/b"},
	} {
		env, _, _ = downloadEnv(vars)
		if err := Run(context.Background(), env, args); !errors.Is(err, ErrUsage) {
			t.Errorf("%v: want a usage error, got %v", args, err)
		}
	}
}

func TestFormatProgress(t *testing.T) {
	s := formatProgress(hub.Progress{Repo: "a/b", BytesDone: 1_500_000, BytesTotal: 3_000_000_000, FilesDone: 1, FilesTotal: 4, BytesPerSecond: 25_000_000, ETASeconds: 119.6})
	for _, want := range []string{"a/b", "0.1%", "1.5 MB / 3.0 GB", "1/4 files", "25.0 MB/s", "ETA 1m59s"} {
		if !strings.Contains(s, want) {
			t.Errorf("%q lacks %q", s, want)
		}
	}
}
