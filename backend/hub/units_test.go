package hub

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/events"
)

func TestParseRef(t *testing.T) {
	local := t.TempDir()
	cases := []struct {
		in   string
		want Ref
		err  string
	}{
		{in: "google/gemma-3-270m-it", want: Ref{ID: "google/gemma-3-270m-it"}},
		{in: "google/gemma-3-270m-it@v1.0", want: Ref{ID: "google/gemma-3-270m-it", Revision: "v1.0"}},
		{in: "gpt2", want: Ref{ID: "gpt2"}},
		{in: "datasets/mlabonne/FineTome-100k", want: Ref{ID: "mlabonne/FineTome-100k", Type: Dataset}},
		{in: "hf://datasets/mlabonne/FineTome-100k@refs/convert/parquet", want: Ref{ID: "mlabonne/FineTome-100k", Type: Dataset, Revision: "refs/convert/parquet"}},
		{in: local, want: Ref{Local: local}},
		{in: "./definitely-missing-folder", err: "local path"},
		{in: "org/na me", err: "neither an existing local path nor a hub id"},
		{in: "org/name@", err: "empty revision"},
		{in: "a--b/c", err: "not a hub repo id"},
		{in: "", err: "empty"},
	}
	for _, c := range cases {
		got, err := ParseRef(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseRef(%q) error %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseRef(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	// A relative folder that exists wins over the hub id it looks like.
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	os.Chdir(local)
	os.MkdirAll(filepath.Join("org", "name"), 0o755)
	got, err := ParseRef("org/name")
	if err != nil || got.Local != filepath.Join(local, "org", "name") {
		t.Errorf("existing relative folder: %+v %v", got, err)
	}
}

func TestGlobMatchesLikeHuggingfaceHub(t *testing.T) {
	cases := []struct {
		pattern, path string
		want          bool
	}{
		{"*.safetensors", "model.safetensors", true},
		{"*.safetensors", "sub/model.safetensors", true}, // fnmatch's * crosses '/'
		{"*.safetensors", "model.safetensors.index.json", false},
		{"tokenizer*", "tokenizer_config.json", true},
		{"original/", "original/params.json", true},
		{"original/", "originals.json", false},
		{"model-0000[1-2]-*", "model-00002-of-00002.safetensors", true},
		{"model-0000[!1]-*", "model-00001-of-00002.safetensors", false},
		{"config.json", "config.json", true},
		{"config.json", "configxjson", false},
		{"?.txt", "a.txt", true},
	}
	for _, c := range cases {
		re, err := globRegexp(c.pattern)
		if err != nil {
			t.Fatal(err)
		}
		if got := re.MatchString(c.path); got != c.want {
			t.Errorf("%q vs %q = %v, want %v", c.pattern, c.path, got, c.want)
		}
	}
	if _, err := globRegexp(" "); err == nil {
		t.Error("empty pattern accepted")
	}
}

func TestOptionsFromEnv(t *testing.T) {
	home := t.TempDir()
	hfHome := filepath.Join(home, "hf")
	os.MkdirAll(hfHome, 0o755)
	os.WriteFile(filepath.Join(hfHome, "token"), []byte("hf_fromfile\n"), 0o600)
	env := map[string]string{"HOME": home}
	get := func(k string) string { return env[k] }

	o := OptionsFromEnv(get)
	if o.CacheDir != filepath.Join(home, ".cache", "huggingface", "hub") || o.Token != "" || o.Offline || o.Endpoint != "" {
		t.Errorf("defaults: %+v", o)
	}
	env["HF_HOME"] = hfHome
	o = OptionsFromEnv(get)
	if o.CacheDir != filepath.Join(hfHome, "hub") || o.Token != "hf_fromfile" {
		t.Errorf("HF_HOME: cache %s token %q", o.CacheDir, o.Token)
	}
	env["HF_TOKEN"] = "hf_env"
	env["HF_HUB_CACHE"] = "~/elsewhere"
	env["HF_HUB_OFFLINE"] = "true"
	env["HF_ENDPOINT"] = "https://mirror.example/"
	o = OptionsFromEnv(get)
	if o.Token != "hf_env" || o.CacheDir != filepath.Join(home, "elsewhere") || !o.Offline || o.Endpoint != "https://mirror.example" {
		t.Errorf("overrides: %+v", o)
	}
	c := New(Options{CacheDir: "x"})
	if c.opts.Endpoint != DefaultEndpoint || c.opts.Parallel <= 0 || c.opts.Retries <= 0 {
		t.Errorf("New defaults: %+v", c.opts)
	}
}

func TestCacheNamesAndSafety(t *testing.T) {
	if got := (Repo{Type: Model, ID: "google/gemma-3-270m-it"}).folderName(); got != "models--google--gemma-3-270m-it" {
		t.Errorf("model folder %s", got)
	}
	if got := (Repo{Type: Dataset, ID: "mlabonne/FineTome-100k"}).folderName(); got != "datasets--mlabonne--FineTome-100k" {
		t.Errorf("dataset folder %s", got)
	}
	for _, bad := range []string{"../x", "a/../../x", "/etc/passwd", `a\b`, "", "a//b"} {
		if checkRepoPath(bad) == nil {
			t.Errorf("path %q accepted", bad)
		}
	}
	if checkRepoPath("data/train-0.parquet") != nil {
		t.Error("nested path rejected")
	}
	for in, want := range map[string]string{`"abc"`: "abc", `W/"abc"`: "abc", "abc": "abc"} {
		if got, err := normalizeEtag(in); err != nil || got != want {
			t.Errorf("etag %s -> %s %v", in, got, err)
		}
	}
	for _, bad := range []string{`"../x"`, `"a/b"`, `""`} {
		if _, err := normalizeEtag(bad); err == nil {
			t.Errorf("etag %s accepted", bad)
		}
	}
}

func TestTrackerRateAndETA(t *testing.T) {
	rec := &events.Recorder{}
	now := time.Unix(1000, 0)
	tr := newTracker(rec, Repo{Type: Model, ID: "a/b"}, "main", commitA, 2, 1000)
	tr.now = func() time.Time { return now }
	tr.existing("cached.json", 200) // no transfer: no rate yet
	for i := 0; i < 4; i++ {
		now = now.Add(time.Second)
		tr.transfer("big", 100) // 100 B/s
	}
	evs := rec.Events()
	last := evs[len(evs)-1].Payload.(Progress)
	if last.BytesDone != 600 || last.BytesPerSecond < 99 || last.BytesPerSecond > 101 {
		t.Fatalf("progress %+v", last)
	}
	if last.ETASeconds < 3.9 || last.ETASeconds > 4.1 { // 400 bytes left at 100 B/s
		t.Errorf("eta %v, want 4", last.ETASeconds)
	}
	first := evs[0].Payload.(Progress)
	if first.ETASeconds != -1 {
		t.Errorf("eta before any transfer %v, want -1 (unknown)", first.ETASeconds)
	}
	// Throttled: many tiny updates inside one interval publish once.
	n := len(rec.Events())
	for i := 0; i < 50; i++ {
		tr.transfer("big", 1)
	}
	if got := len(rec.Events()) - n; got != 0 {
		t.Errorf("%d events inside one interval", got)
	}
	tr.fileDone("big")
	tr.fileDone("cached.json")
	tr.finish()
	end := rec.Events()[len(rec.Events())-1].Payload.(Progress)
	if !end.Done || end.FilesDone != 2 || end.BytesDone != 1000 || end.ETASeconds != 0 {
		t.Errorf("final %+v", end)
	}
}

func TestFormatBytes(t *testing.T) {
	for n, want := range map[int64]string{
		0:                         "0 B",
		999:                       "999 B",
		1000:                      "1.0 kB",
		1_500_000:                 "1.5 MB",
		536_870_912:               "536.9 MB",
		2_000_000_000_000:         "2.0 TB",
		3_000_000_000_000_000:     "3.0 PB",
		9_000_000_000_000_000_000: "9000.0 PB",
	} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestCachedFilesIsBounded(t *testing.T) {
	wide := t.TempDir()
	for i := 0; i < MaxWalkEntries+5; i++ {
		f, err := os.Create(filepath.Join(wide, fmt.Sprintf("f%06d.jsonl", i)))
		require.NoError(t, err)
		f.Close()
	}
	_, err := cachedFiles(context.Background(), wide)
	require.ErrorContains(t, err, "more than 20000 entries")

	deep := t.TempDir()
	p := deep
	for i := 0; i < MaxWalkDepth+2; i++ {
		p = filepath.Join(p, "d")
	}
	require.NoError(t, os.MkdirAll(p, 0o755))
	_, err = cachedFiles(context.Background(), deep)
	require.ErrorContains(t, err, "levels deep")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = cachedFiles(ctx, t.TempDir())
	require.ErrorIs(t, err, context.Canceled)
}
