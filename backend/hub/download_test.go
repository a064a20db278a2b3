package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math/rand"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/whetstone-ai/whetstone/backend/events"
	"github.com/whetstone-ai/whetstone/backend/hub/hubtest"
)

const (
	commitA = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
	commitB = "b1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
	commitC = "c1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
)

func randomBytes(seed int64, n int) []byte {
	b := make([]byte, n)
	rand.New(rand.NewSource(seed)).Read(b)
	return b
}

// shardedModel is a model repo as the hub holds Gemma or Llama: config and
// tokenizer files in git, weights sharded in LFS with an index, plus files
// the default selection must skip.
func shardedModel() map[string]hubtest.File {
	index, _ := json.Marshal(map[string]any{
		"metadata":   map[string]any{"total_size": 300000},
		"weight_map": map[string]string{"a.weight": "model-00001-of-00002.safetensors", "b.weight": "model-00002-of-00002.safetensors", "c.weight": "model-00001-of-00002.safetensors"},
	})
	return map[string]hubtest.File{
		"config.json":                      {Content: []byte(`{"model_type":"gemma3_text"}`)},
		"generation_config.json":           {Content: []byte(`{"do_sample":true}`)},
		"tokenizer.json":                   {Content: randomBytes(1, 40000), LFS: true},
		"tokenizer_config.json":            {Content: []byte(`{"chat_template":"..."}`)},
		"special_tokens_map.json":          {Content: []byte(`{}`)},
		"chat_template.jinja":              {Content: []byte("{{ messages }}")},
		"model.safetensors.index.json":     {Content: index},
		"model-00001-of-00002.safetensors": {Content: randomBytes(2, 200000), LFS: true},
		"model-00002-of-00002.safetensors": {Content: randomBytes(3, 100000), LFS: true},
		"consolidated.safetensors":         {Content: randomBytes(4, 50000), LFS: true},
		"README.md":                        {Content: []byte("# model")},
		"original/params.json":             {Content: []byte(`{}`)},
	}
}

var defaultModelFiles = []string{
	"chat_template.jinja", "config.json", "generation_config.json",
	"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json",
	"special_tokens_map.json", "tokenizer.json", "tokenizer_config.json",
}

func testClient(t *testing.T, h *hubtest.Server, cache string, mod func(*Options)) *Client {
	opts := Options{Endpoint: h.URL(), CacheDir: cache, RetryBackoff: time.Millisecond, Parallel: 4}
	if mod != nil {
		mod(&opts)
	}
	return New(opts)
}

func readAll(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDownloadModelFullLayoutAndProgress(t *testing.T) {
	h := hubtest.New(t)
	files := shardedModel()
	h.AddRepo("model", "acme/tiny", commitA, files)
	cache := t.TempDir()
	rec := &events.Recorder{}
	c := testClient(t, h, cache, func(o *Options) { o.Events = rec; o.Token = "secret" })

	dir, err := c.DownloadModel(context.Background(), "acme/tiny", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	repoDir := filepath.Join(cache, "models--acme--tiny")
	if want := filepath.Join(repoDir, "snapshots", commitA); dir != want {
		t.Fatalf("snapshot dir %s, want %s", dir, want)
	}
	got, err := cachedFiles(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != strings.Join(defaultModelFiles, ",") {
		t.Fatalf("downloaded %v\nwant %v", got, defaultModelFiles)
	}
	for _, name := range got {
		f := files[name]
		p := filepath.Join(dir, name)
		if !bytes.Equal(readAll(t, p), f.Content) {
			t.Errorf("%s: content differs", name)
		}
		// huggingface_hub's layout: a relative symlink into blobs/<etag>,
		// the sha256 for LFS files and the git blob sha1 otherwise.
		target, err := os.Readlink(p)
		if err != nil {
			t.Fatalf("%s is not a symlink: %v", name, err)
		}
		if want := filepath.Join("..", "..", "blobs", f.ETag()); target != want {
			t.Errorf("%s -> %s, want %s", name, target, want)
		}
	}
	if ref := string(readAll(t, filepath.Join(repoDir, "refs", "main"))); ref != commitA {
		t.Errorf("refs/main holds %q, want %q", ref, commitA)
	}
	blobs, _ := os.ReadDir(filepath.Join(repoDir, "blobs"))
	if len(blobs) != len(defaultModelFiles) {
		t.Errorf("%d blobs, want %d", len(blobs), len(defaultModelFiles))
	}
	for _, b := range blobs {
		if strings.HasSuffix(b.Name(), ".incomplete") {
			t.Errorf("left %s behind", b.Name())
		}
	}

	// LFS files came from the CDN host, and the token did not follow them there.
	for _, r := range h.Requests() {
		if strings.HasPrefix(r.Path, "/blobs/") && r.Auth != "" {
			t.Errorf("token leaked to the CDN: %+v", r)
		}
		if strings.HasPrefix(r.Path, "/api/") && r.Auth != "Bearer secret" {
			t.Errorf("API request without the token: %+v", r)
		}
	}
	if h.Count("/blobs/") != 3 { // tokenizer.json and two shards
		t.Errorf("%d CDN requests, want 3", h.Count("/blobs/"))
	}

	evs := rec.Events()
	if len(evs) == 0 {
		t.Fatal("no progress events")
	}
	var total int64
	for _, n := range defaultModelFiles {
		total += int64(len(files[n].Content))
	}
	var last int64
	for _, e := range evs {
		if e.Topic != ProgressTopic {
			t.Fatalf("event on topic %q", e.Topic)
		}
		p := e.Payload.(Progress)
		if p.BytesDone < last {
			t.Errorf("bytes done went back from %d to %d", last, p.BytesDone)
		}
		last = p.BytesDone
		if p.BytesTotal != total || p.FilesTotal != len(defaultModelFiles) {
			t.Errorf("totals %d bytes / %d files, want %d / %d", p.BytesTotal, p.FilesTotal, total, len(defaultModelFiles))
		}
	}
	final := evs[len(evs)-1].Payload.(Progress)
	if !final.Done || final.BytesDone != total || final.FilesDone != len(defaultModelFiles) || final.ETASeconds != 0 || final.Commit != commitA {
		t.Errorf("final event %+v", final)
	}

	// A second call finds everything in the snapshot: metadata only.
	h.ResetLog()
	dir2, err := c.DownloadModel(context.Background(), "acme/tiny", "main", nil)
	if err != nil || dir2 != dir {
		t.Fatalf("second download: %v %s", err, dir2)
	}
	for _, r := range h.Requests() {
		if !strings.HasPrefix(r.Path, "/api/") {
			t.Errorf("second download fetched %s %s", r.Method, r.Path)
		}
	}
}

func TestDownloadIncludePatternsAndPagination(t *testing.T) {
	h := hubtest.New(t)
	h.SetPageSize(3)
	h.AddRepo("model", "acme/tiny", commitA, shardedModel())
	c := testClient(t, h, t.TempDir(), nil)
	snap, err := c.Download(context.Background(), Request{Repo: Repo{Type: Model, ID: "acme/tiny"}, Include: []string{"*.json"}, Exclude: []string{"original/"}})
	if err != nil {
		t.Fatal(err)
	}
	want := "config.json,generation_config.json,model.safetensors.index.json,special_tokens_map.json,tokenizer.json,tokenizer_config.json"
	if strings.Join(snap.Files, ",") != want {
		t.Errorf("files %v, want %s", snap.Files, want)
	}
	if h.Count("/api/models/acme/tiny/tree/") < 4 {
		t.Errorf("tree listing was not paginated: %d pages", h.Count("/api/models/acme/tiny/tree/"))
	}
	_, err = c.Download(context.Background(), Request{Repo: Repo{Type: Model, ID: "acme/tiny"}, Include: []string{"*.gguf"}})
	if err == nil || !strings.Contains(err.Error(), "no file matches") {
		t.Errorf("unmatched pattern: %v", err)
	}
}

func TestDownloadResumesAfterDroppedConnection(t *testing.T) {
	h := hubtest.New(t)
	files := shardedModel()
	h.AddRepo("model", "acme/tiny", commitA, files)
	const shard = "model-00001-of-00002.safetensors"
	h.DropAfter(shard, 70000, 1)
	cache := t.TempDir()
	c := testClient(t, h, cache, func(o *Options) { o.Retries = -1 })

	_, err := c.DownloadModel(context.Background(), "acme/tiny", "", nil)
	if err == nil {
		t.Fatal("download survived a dropped connection without retries")
	}
	if !strings.Contains(err.Error(), shard) {
		t.Errorf("error does not name the file: %v", err)
	}
	partial := filepath.Join(cache, "models--acme--tiny", "blobs", files[shard].SHA256()+".incomplete")
	info, err := os.Stat(partial)
	if err != nil {
		t.Fatalf("no partial download kept: %v", err)
	}
	have := info.Size()
	if have == 0 || have > 70000 {
		t.Fatalf("partial file has %d bytes, want 1..70000", have)
	}

	h.ResetLog()
	dir, err := c.DownloadModel(context.Background(), "acme/tiny", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readAll(t, filepath.Join(dir, shard)), files[shard].Content) {
		t.Fatal("resumed shard differs from the original")
	}
	ranged := false
	for _, r := range h.Requests() {
		if strings.HasPrefix(r.Path, "/blobs/"+files[shard].SHA256()) {
			if r.Range != "bytes="+itoa(have)+"-" {
				t.Errorf("resume asked for range %q, want bytes=%d-", r.Range, have)
			}
			ranged = true
		}
	}
	if !ranged {
		t.Error("the shard was not requested again")
	}
	if _, err := os.Stat(partial); !os.IsNotExist(err) {
		t.Errorf("partial file still there: %v", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestDownloadRetriesAndResumesWithinOneCall(t *testing.T) {
	h := hubtest.New(t)
	files := shardedModel()
	h.AddRepo("model", "acme/tiny", commitA, files)
	const shard = "model-00002-of-00002.safetensors"
	h.DropAfter(shard, 30000, 2)
	h.DropAfter("config.json", 5, 1) // a regular (non-LFS) file served by the hub itself
	c := testClient(t, h, t.TempDir(), nil)
	dir, err := c.DownloadModel(context.Background(), "acme/tiny", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{shard, "config.json"} {
		if !bytes.Equal(readAll(t, filepath.Join(dir, n)), files[n].Content) {
			t.Errorf("%s differs after retries", n)
		}
	}
	var ranges []string
	for _, r := range h.Requests() {
		if strings.HasPrefix(r.Path, "/blobs/"+files[shard].SHA256()) {
			ranges = append(ranges, r.Range)
		}
	}
	if strings.Join(ranges, "|") != "|bytes=30000-|bytes=60000-" {
		t.Errorf("shard requests had ranges %q", ranges)
	}
}

func TestCorruptDownloadIsDetectedAndDeleted(t *testing.T) {
	h := hubtest.New(t)
	files := shardedModel()
	h.AddRepo("model", "acme/tiny", commitA, files)
	const shard = "model-00002-of-00002.safetensors"
	h.Corrupt(shard, true)
	cache := t.TempDir()
	c := testClient(t, h, cache, nil)
	_, err := c.DownloadModel(context.Background(), "acme/tiny", "", nil)
	if !errors.Is(err, ErrChecksum) {
		t.Fatalf("want a checksum error, got %v", err)
	}
	if !strings.Contains(err.Error(), shard) || !strings.Contains(err.Error(), files[shard].SHA256()) {
		t.Errorf("error should name the file and expected sha256: %v", err)
	}
	// Retried once from scratch, then given up.
	if n := h.Count("/blobs/" + files[shard].SHA256()); n != 2 {
		t.Errorf("corrupt shard fetched %d times, want 2", n)
	}
	blob := filepath.Join(cache, "models--acme--tiny", "blobs", files[shard].SHA256())
	for _, p := range []string{blob, blob + ".incomplete", filepath.Join(cache, "models--acme--tiny", "snapshots", commitA, shard)} {
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("%s exists after a corrupt download", p)
		}
	}

	// Corrupt regular files are caught by their git blob sha1.
	h.Corrupt(shard, false)
	h.Corrupt("config.json", true)
	_, err = testClient(t, h, t.TempDir(), nil).DownloadModel(context.Background(), "acme/tiny", "", nil)
	if !errors.Is(err, ErrChecksum) || !strings.Contains(err.Error(), "git sha1") {
		t.Fatalf("corrupt config.json: %v", err)
	}
}

func TestCorruptCachedBlobIsReplaced(t *testing.T) {
	h := hubtest.New(t)
	files := shardedModel()
	h.AddRepo("model", "acme/tiny", commitA, files)
	cache := t.TempDir()
	c := testClient(t, h, cache, nil)
	dir, err := c.DownloadModel(context.Background(), "acme/tiny", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	const shard = "model-00001-of-00002.safetensors"
	blob := filepath.Join(cache, "models--acme--tiny", "blobs", files[shard].SHA256())

	// Truncated blob: caught by its size without hashing.
	if err := os.Truncate(blob, 1000); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DownloadModel(context.Background(), "acme/tiny", "", nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readAll(t, filepath.Join(dir, shard)), files[shard].Content) {
		t.Fatal("truncated blob was not replaced")
	}

	// Same-size garbage: caught when Verify re-hashes the cache.
	if err := os.WriteFile(blob, make([]byte, len(files[shard].Content)), 0o644); err != nil {
		t.Fatal(err)
	}
	verify := testClient(t, h, cache, func(o *Options) { o.Verify = true })
	if _, err := verify.DownloadModel(context.Background(), "acme/tiny", "", nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(readAll(t, filepath.Join(dir, shard)), files[shard].Content) {
		t.Fatal("corrupt blob was not replaced under Verify")
	}
}

func TestOfflineModeUsesOnlyTheCache(t *testing.T) {
	h := hubtest.New(t)
	h.AddRepo("model", "acme/tiny", commitA, shardedModel())
	cache := t.TempDir()
	online := testClient(t, h, cache, nil)
	dir, err := online.DownloadModel(context.Background(), "acme/tiny", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	h.ResetLog()
	opts := OptionsFromEnv(func(k string) string {
		return map[string]string{"HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": cache, "HF_ENDPOINT": h.URL()}[k]
	})
	if !opts.Offline {
		t.Fatal("HF_HUB_OFFLINE=1 not honoured")
	}
	offline := New(opts)
	got, err := offline.DownloadModel(context.Background(), "acme/tiny", "main", nil)
	if err != nil || got != dir {
		t.Fatalf("offline: %v %s", err, got)
	}
	got, err = offline.DownloadModel(context.Background(), "acme/tiny", commitA, nil)
	if err != nil || got != dir {
		t.Fatalf("offline by commit: %v %s", err, got)
	}
	if n := len(h.Requests()); n != 0 {
		t.Fatalf("offline mode made %d requests", n)
	}

	_, err = offline.DownloadModel(context.Background(), "acme/other", "", nil)
	if !errors.Is(err, ErrNotCached) || !strings.Contains(err.Error(), "HF_HUB_OFFLINE") {
		t.Errorf("uncached repo offline: %v", err)
	}
	_, err = offline.DownloadModel(context.Background(), "acme/tiny", "v2", nil)
	if !errors.Is(err, ErrNotCached) {
		t.Errorf("uncached revision offline: %v", err)
	}
	// A shard missing from the snapshot is reported, not silently skipped.
	os.Remove(filepath.Join(dir, "model-00002-of-00002.safetensors"))
	_, err = offline.DownloadModel(context.Background(), "acme/tiny", "", nil)
	if !errors.Is(err, ErrNotCached) || !strings.Contains(err.Error(), "model-00002-of-00002.safetensors") {
		t.Errorf("missing shard offline: %v", err)
	}
}

func TestUnreachableHubFallsBackToCache(t *testing.T) {
	h := hubtest.New(t)
	h.AddRepo("model", "acme/tiny", commitA, shardedModel())
	cache := t.TempDir()
	dir, err := testClient(t, h, cache, nil).DownloadModel(context.Background(), "acme/tiny", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	h.API.Close()
	// Default retry budget and a long backoff: a cached revision must not
	// wait it out.
	c := testClient(t, h, cache, func(o *Options) { o.Retries = 0; o.RetryBackoff = time.Hour })
	start := time.Now()
	got, err := c.DownloadModel(context.Background(), "acme/tiny", "", nil)
	if err != nil || got != dir {
		t.Fatalf("fallback to cache: %v %s", err, got)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("fallback took %v", d)
	}
	c = testClient(t, h, cache, func(o *Options) { o.Retries = 1 })
	_, err = c.DownloadModel(context.Background(), "acme/never", "", nil)
	if err == nil || !strings.Contains(err.Error(), "connect") {
		t.Fatalf("uncached repo with the hub down: %v", err)
	}
}

func TestGatedRepoErrorSaysWhatToDo(t *testing.T) {
	h := hubtest.New(t)
	h.AddRepo("model", "google/gemma-x", commitA, shardedModel()).Gated = true
	h.SetToken("good")

	_, err := testClient(t, h, t.TempDir(), nil).DownloadModel(context.Background(), "google/gemma-x", "", nil)
	if !errors.Is(err, ErrGated) || errors.Is(err, ErrNotFound) {
		t.Fatalf("want ErrGated, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{h.URL() + "/google/gemma-x", "licence", "HF_TOKEN", "huggingface-cli login", "401", "google/gemma-x"} {
		if !strings.Contains(msg, want) {
			t.Errorf("gated error lacks %q: %s", want, msg)
		}
	}

	_, err = testClient(t, h, t.TempDir(), func(o *Options) { o.Token = "wrong" }).DownloadModel(context.Background(), "google/gemma-x", "", nil)
	if !errors.Is(err, ErrGated) || !strings.Contains(err.Error(), "403") || !strings.Contains(err.Error(), "token") {
		t.Fatalf("wrong token: %v", err)
	}

	dir, err := testClient(t, h, t.TempDir(), func(o *Options) { o.Token = "good" }).DownloadModel(context.Background(), "google/gemma-x", "", nil)
	if err != nil {
		t.Fatalf("with access: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "config.json")); err != nil {
		t.Fatal(err)
	}

	// Gated datasets point at their dataset page.
	h.AddRepo("dataset", "acme/gated-set", commitA, map[string]hubtest.File{"train.parquet": {Content: []byte("PAR1")}}).Gated = true
	_, err = testClient(t, h, t.TempDir(), nil).DownloadDataset(context.Background(), "acme/gated-set", "")
	if !errors.Is(err, ErrGated) || !strings.Contains(err.Error(), h.URL()+"/datasets/acme/gated-set") {
		t.Errorf("gated dataset: %v", err)
	}
}

func TestPrivateRepoWithoutTokenSaysSo(t *testing.T) {
	h := hubtest.New(t)
	h.AddRepo("model", "acme/secret", commitA, shardedModel()).Private = true
	h.SetToken("good")
	_, err := testClient(t, h, t.TempDir(), nil).DownloadModel(context.Background(), "acme/secret", "", nil)
	if !errors.Is(err, ErrNotFound) || errors.Is(err, ErrGated) {
		t.Fatalf("private without token: %v", err)
	}
	if !strings.Contains(err.Error(), "private") || !strings.Contains(err.Error(), "HF_TOKEN") {
		t.Errorf("private repo error does not say what to do: %v", err)
	}
	if _, err := testClient(t, h, t.TempDir(), func(o *Options) { o.Token = "good" }).DownloadModel(context.Background(), "acme/secret", "", nil); err != nil {
		t.Fatalf("private with token: %v", err)
	}
}

func TestNotFoundErrors(t *testing.T) {
	h := hubtest.New(t)
	h.AddRepo("model", "acme/tiny", commitA, shardedModel())
	c := testClient(t, h, t.TempDir(), nil)
	_, err := c.DownloadModel(context.Background(), "acme/missing", "", nil)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "repo or revision not found") {
		t.Errorf("missing repo: %v", err)
	}
	_, err = c.DownloadModel(context.Background(), "acme/tiny", "no-such-branch", nil)
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "no such branch") {
		t.Errorf("missing revision: %v", err)
	}
	_, err = c.DownloadModel(context.Background(), "bad//id", "", nil)
	if err == nil || !strings.Contains(err.Error(), "not a hub repo id") {
		t.Errorf("bad id: %v", err)
	}
}

func TestRevisionsBranchTagAndCommit(t *testing.T) {
	h := hubtest.New(t)
	repo := h.AddRepo("model", "acme/tiny", commitA, shardedModel())
	old := shardedModel()
	old["config.json"] = hubtest.File{Content: []byte(`{"model_type":"old"}`)}
	repo.Commits[commitB] = old
	repo.Refs["v1.0"] = commitB
	cache := t.TempDir()
	c := testClient(t, h, cache, nil)
	repoDir := filepath.Join(cache, "models--acme--tiny")

	dir, err := c.DownloadModel(context.Background(), "acme/tiny", "v1.0", []string{"config.json"})
	if err != nil {
		t.Fatal(err)
	}
	if dir != filepath.Join(repoDir, "snapshots", commitB) || string(readAll(t, filepath.Join(dir, "config.json"))) != `{"model_type":"old"}` {
		t.Errorf("tag v1.0 gave %s", dir)
	}
	if string(readAll(t, filepath.Join(repoDir, "refs", "v1.0"))) != commitB {
		t.Error("refs/v1.0 does not hold the tag's commit")
	}
	dir, err = c.DownloadModel(context.Background(), "acme/tiny", commitA, []string{"config.json"})
	if err != nil || dir != filepath.Join(repoDir, "snapshots", commitA) {
		t.Fatalf("by commit: %v %s", err, dir)
	}
	if _, err := os.Stat(filepath.Join(repoDir, "refs", commitA)); !os.IsNotExist(err) {
		t.Error("a commit revision wrote a ref file")
	}
}

func TestCancellationStopsAndKeepsPartial(t *testing.T) {
	h := hubtest.New(t)
	files := shardedModel()
	h.AddRepo("model", "acme/tiny", commitA, files)
	const shard = "model-00001-of-00002.safetensors"
	h.Stall(shard)
	cache := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	partial := filepath.Join(cache, "models--acme--tiny", "blobs", files[shard].SHA256()+".incomplete")
	go func() { // cancel once the stalled shard has started arriving
		for ctx.Err() == nil {
			if info, err := os.Stat(partial); err == nil && info.Size() > 0 {
				cancel()
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	c := testClient(t, h, cache, nil)
	start := time.Now()
	done := make(chan error, 1)
	go func() {
		_, err := c.DownloadModel(ctx, "acme/tiny", "", nil)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("want context.Canceled, got %v", err)
		}
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatal("download did not stop on cancel")
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("cancel took %v", time.Since(start))
	}
	if info, err := os.Stat(partial); err != nil || info.Size() == 0 {
		t.Errorf("partial download not kept for resume: %v", err)
	}
}

// A cache laid out by Python's huggingface_hub (blobs, relative snapshot
// symlinks, refs/main) is used as is: offline with no request at all, and
// online with metadata requests only.
func TestPythonMadeCacheIsReused(t *testing.T) {
	h := hubtest.New(t)
	files := map[string]hubtest.File{
		"config.json":       {Content: []byte(`{"model_type":"qwen2"}`)},
		"tokenizer.json":    {Content: randomBytes(9, 5000), LFS: true},
		"model.safetensors": {Content: randomBytes(10, 8000), LFS: true},
	}
	h.AddRepo("model", "Qwen/Qwen2.5-0.5B", commitC, files)
	cache := t.TempDir()
	repoDir := filepath.Join(cache, "models--Qwen--Qwen2.5-0.5B")
	for name, f := range files {
		blob := filepath.Join(repoDir, "blobs", f.ETag())
		os.MkdirAll(filepath.Dir(blob), 0o755)
		if err := os.WriteFile(blob, f.Content, 0o644); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(repoDir, "snapshots", commitC, name)
		os.MkdirAll(filepath.Dir(link), 0o755)
		if err := os.Symlink(filepath.Join("..", "..", "blobs", f.ETag()), link); err != nil {
			t.Fatal(err)
		}
	}
	os.MkdirAll(filepath.Join(repoDir, "refs"), 0o755)
	os.WriteFile(filepath.Join(repoDir, "refs", "main"), []byte(commitC), 0o644)

	offline := testClient(t, h, cache, func(o *Options) { o.Offline = true })
	dir, err := offline.ResolveModel(context.Background(), "Qwen/Qwen2.5-0.5B")
	if err != nil {
		t.Fatal(err)
	}
	if dir != filepath.Join(repoDir, "snapshots", commitC) {
		t.Errorf("dir %s", dir)
	}
	if len(h.Requests()) != 0 {
		t.Fatalf("offline reuse made requests: %v", h.Requests())
	}
	online := testClient(t, h, cache, nil)
	if _, err := online.ResolveModel(context.Background(), "Qwen/Qwen2.5-0.5B@main"); err != nil {
		t.Fatal(err)
	}
	for _, r := range h.Requests() {
		if !strings.HasPrefix(r.Path, "/api/") {
			t.Errorf("reusing the Python cache fetched %s", r.Path)
		}
	}
}

func TestDatasetParquetAndConvertedFallback(t *testing.T) {
	h := hubtest.New(t)
	h.AddRepo("dataset", "acme/chats", commitA, map[string]hubtest.File{
		"README.md":                         {Content: []byte("# chats")},
		"data/train-00000-of-00002.parquet": {Content: randomBytes(20, 3000), LFS: true},
		"data/train-00001-of-00002.parquet": {Content: randomBytes(21, 3000), LFS: true},
	})
	scripted := h.AddRepo("dataset", "acme/scripted", commitA, map[string]hubtest.File{
		"README.md":   {Content: []byte("# old")},
		"scripted.py": {Content: []byte("import datasets")},
		"data.tar.gz": {Content: randomBytes(22, 100), LFS: true},
	})
	scripted.Commits[commitB] = map[string]hubtest.File{
		"default/train/0000.parquet": {Content: randomBytes(23, 2000), LFS: true},
		"default/test/0000.parquet":  {Content: randomBytes(24, 500), LFS: true},
	}
	scripted.Refs[ConvertedParquetRevision] = commitB
	h.AddRepo("dataset", "acme/rows", commitA, map[string]hubtest.File{
		"train.jsonl":       {Content: []byte(`{"text":"hi"}` + "\n")},
		"dataset_info.json": {Content: []byte(`{}`)},
	})
	cache := t.TempDir()
	c := testClient(t, h, cache, nil)

	got, err := c.DownloadDataset(context.Background(), "acme/chats", "")
	if err != nil {
		t.Fatal(err)
	}
	snap := filepath.Join(cache, "datasets--acme--chats", "snapshots", commitA)
	if len(got) != 2 || got[0] != filepath.Join(snap, "data", "train-00000-of-00002.parquet") || got[1] != filepath.Join(snap, "data", "train-00001-of-00002.parquet") {
		t.Errorf("parquet files %v", got)
	}

	got, err = c.DownloadDataset(context.Background(), "acme/scripted", "")
	if err != nil {
		t.Fatal(err)
	}
	convDir := filepath.Join(cache, "datasets--acme--scripted", "snapshots", commitB)
	if len(got) != 2 || got[0] != filepath.Join(convDir, "default", "test", "0000.parquet") {
		t.Errorf("converted parquet files %v", got)
	}
	if string(readAll(t, filepath.Join(cache, "datasets--acme--scripted", "refs", "refs", "convert", "parquet"))) != commitB {
		t.Error("refs/refs/convert/parquet not written")
	}
	if h.Count("/api/datasets/acme/scripted/revision/refs%2Fconvert%2Fparquet") != 1 {
		t.Errorf("converted revision not requested with an escaped ref: %v", h.Requests())
	}

	got, err = c.DownloadDataset(context.Background(), "acme/rows", "")
	if err != nil || len(got) != 1 || filepath.Base(got[0]) != "train.jsonl" {
		t.Errorf("jsonl dataset: %v %v", got, err)
	}

	// The same answers come back offline, fallback included.
	offline := testClient(t, h, cache, func(o *Options) { o.Offline = true })
	h.ResetLog()
	got, err = offline.ResolveDataset(context.Background(), "datasets/acme/scripted")
	if err != nil || len(got) != 2 {
		t.Fatalf("offline converted dataset: %v %v", got, err)
	}
	if len(h.Requests()) != 0 {
		t.Error("offline dataset made requests")
	}
}

func TestLocalReferencesWorkLikeHubIDs(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "config.json"), []byte("{}"), 0o644)
	os.MkdirAll(filepath.Join(dir, "data"), 0o755)
	os.WriteFile(filepath.Join(dir, "data", "b.parquet"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(dir, "data", "a.parquet"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.csv"), []byte("x"), 0o644)
	c := New(Options{CacheDir: t.TempDir(), Offline: true})

	got, err := c.ResolveModel(context.Background(), dir)
	if err != nil || got != dir {
		t.Errorf("local model folder: %v %s", err, got)
	}
	if _, err := c.ResolveModel(context.Background(), filepath.Join(dir, "config.json")); err == nil || !strings.Contains(err.Error(), "is a file") {
		t.Errorf("model given as a file: %v", err)
	}
	files, err := c.ResolveDataset(context.Background(), dir)
	if err != nil || len(files) != 2 || filepath.Base(files[0]) != "a.parquet" {
		t.Errorf("local dataset folder: %v %v", files, err)
	}
	one := filepath.Join(dir, "notes.csv")
	files, err = c.ResolveDataset(context.Background(), one)
	if err != nil || len(files) != 1 || files[0] != one {
		t.Errorf("local dataset file: %v %v", files, err)
	}
	if _, err := c.ResolveModel(context.Background(), filepath.Join(dir, "missing")); err == nil {
		t.Error("missing local folder accepted")
	}
}

func TestHostilePathsAreRejected(t *testing.T) {
	h := hubtest.New(t)
	h.AddRepo("model", "acme/evil", commitA, map[string]hubtest.File{
		"config.json":         {Content: []byte("{}")},
		"../../../escape.txt": {Content: []byte("x")},
	})
	cache := t.TempDir()
	_, err := testClient(t, h, cache, nil).DownloadModel(context.Background(), "acme/evil", "", []string{"*"})
	if err == nil || !strings.Contains(err.Error(), "unsafe file path") {
		t.Fatalf("hostile listing: %v", err)
	}
}

func TestNotEnoughDiskSpaceFailsEarly(t *testing.T) {
	h := hubtest.New(t)
	files := shardedModel()
	h.AddRepo("model", "acme/tiny", commitA, files)
	cache := t.TempDir()
	c := testClient(t, h, cache, nil)
	c.freeSpace = func(string) (int64, error) { return 100_000_000, nil } // 100 MB free, 256 MiB margin
	_, err := c.DownloadModel(context.Background(), "acme/tiny", "", nil)
	if err == nil || !strings.Contains(err.Error(), "not enough disk space") || !strings.Contains(err.Error(), "100.0 MB free") {
		t.Fatalf("want a disk space error, got %v", err)
	}
	if n := h.Count("/blobs/"); n != 0 {
		t.Errorf("%d transfers started before the space check", n)
	}
	// Once everything is cached nothing is left to download: no check fails.
	c.freeSpace = existingFreeBytes
	if _, err := c.DownloadModel(context.Background(), "acme/tiny", "", nil); err != nil {
		t.Fatal(err)
	}
	c.freeSpace = func(string) (int64, error) { return 0, nil }
	if _, err := c.DownloadModel(context.Background(), "acme/tiny", "", nil); err != nil {
		t.Fatalf("cached model refused for lack of space: %v", err)
	}
}

func TestTransientHubErrorsAreRetried(t *testing.T) {
	h := hubtest.New(t)
	files := shardedModel()
	h.AddRepo("model", "acme/tiny", commitA, files)
	h.Fail("/api/models/acme/tiny/revision/", http.StatusServiceUnavailable, 2, "")
	h.Fail("/api/models/acme/tiny/tree/", http.StatusTooManyRequests, 1, "1")
	h.Fail("/blobs/"+files["model-00002-of-00002.safetensors"].SHA256(), http.StatusBadGateway, 1, "")
	c := testClient(t, h, t.TempDir(), nil)
	start := time.Now()
	dir, err := c.DownloadModel(context.Background(), "acme/tiny", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) < time.Second {
		t.Error("Retry-After: 1 was not honoured")
	}
	if !bytes.Equal(readAll(t, filepath.Join(dir, "model-00002-of-00002.safetensors")), files["model-00002-of-00002.safetensors"].Content) {
		t.Error("shard differs after a 502")
	}
	if n := h.Count("/api/models/acme/tiny/revision/"); n != 3 {
		t.Errorf("revision asked %d times, want 3", n)
	}

	// Out of retries: the last status is reported.
	h.Fail("/api/models/acme/tiny/revision/", http.StatusInternalServerError, 10, "")
	_, err = testClient(t, h, t.TempDir(), func(o *Options) { o.Retries = 2 }).DownloadModel(context.Background(), "acme/tiny", "", nil)
	if err == nil || !strings.Contains(err.Error(), "HTTP 500") {
		t.Errorf("persistent 500: %v", err)
	}
}

func TestRenamedRepoRedirectsAreFollowed(t *testing.T) {
	h := hubtest.New(t)
	files := shardedModel()
	h.AddRepo("model", "acme/new-name", commitA, files)
	h.Rename("model", "acme/old-name", "acme/new-name")
	cache := t.TempDir()
	dir, err := testClient(t, h, cache, nil).DownloadModel(context.Background(), "acme/old-name", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	// Cached under the name asked for, as huggingface_hub does.
	if dir != filepath.Join(cache, "models--acme--old-name", "snapshots", commitA) {
		t.Errorf("dir %s", dir)
	}
	if !bytes.Equal(readAll(t, filepath.Join(dir, "config.json")), files["config.json"].Content) {
		t.Error("config differs")
	}
}

func TestScanCacheListsWhatIsCached(t *testing.T) {
	h := hubtest.New(t)
	files := shardedModel()
	repo := h.AddRepo("model", "acme/tiny", commitA, files)
	repo.Commits[commitB] = files
	repo.Refs["v1"] = commitB
	h.AddRepo("dataset", "acme/chats", commitA, map[string]hubtest.File{"train.parquet": {Content: []byte("PAR1data")}})
	cache := t.TempDir()
	c := testClient(t, h, cache, nil)
	if got, err := c.ScanCache(); err != nil || len(got) != 0 {
		t.Fatalf("empty cache: %v %v", got, err)
	}
	if _, err := c.DownloadModel(context.Background(), "acme/tiny", "", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DownloadModel(context.Background(), "acme/tiny", "v1", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DownloadDataset(context.Background(), "acme/chats", ""); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(cache, "not-a-repo"), 0o755)
	got, err := c.ScanCache()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Repo != (Repo{Type: Dataset, ID: "acme/chats"}) || got[1].Repo != (Repo{Type: Model, ID: "acme/tiny"}) {
		t.Fatalf("scan %+v", got)
	}
	var want int64
	for _, n := range defaultModelFiles {
		want += int64(len(files[n].Content))
	}
	m := got[1]
	// Both revisions share every blob: counted once.
	if m.SizeOnDisk != want || len(m.Revisions) != 2 {
		t.Errorf("model: %d bytes, %d revisions; want %d, 2", m.SizeOnDisk, len(m.Revisions), want)
	}
	refs := map[string]string{}
	for _, r := range m.Revisions {
		refs[r.Commit] = strings.Join(r.Refs, ",")
		if r.Files != len(defaultModelFiles) {
			t.Errorf("revision %s has %d files", r.Commit, r.Files)
		}
	}
	if refs[commitA] != "main" || refs[commitB] != "v1" {
		t.Errorf("refs %v", refs)
	}
}

func TestStalledTransferIsAbortedAndResumed(t *testing.T) {
	h := hubtest.New(t)
	files := shardedModel()
	h.AddRepo("model", "acme/tiny", commitA, files)
	const shard = "model-00001-of-00002.safetensors"
	h.StallTimes(shard, 1) // 16 bytes, then silence with the connection open
	c := testClient(t, h, t.TempDir(), func(o *Options) { o.StallTimeout = 300 * time.Millisecond })
	start := time.Now()
	dir, err := c.DownloadModel(context.Background(), "acme/tiny", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("stall handled after %v", d)
	}
	if !bytes.Equal(readAll(t, filepath.Join(dir, shard)), files[shard].Content) {
		t.Fatal("shard differs after a stalled transfer")
	}
	var ranges []string
	for _, r := range h.Requests() {
		if strings.HasPrefix(r.Path, "/blobs/"+files[shard].SHA256()) {
			ranges = append(ranges, r.Range)
		}
	}
	if strings.Join(ranges, "|") != "|bytes=16-" {
		t.Errorf("shard requests had ranges %q, want a resume from byte 16", ranges)
	}
}
