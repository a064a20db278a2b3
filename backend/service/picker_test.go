package service

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"
	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/catalog"
	"github.com/whetstone-ai/whetstone/backend/dataset"
	"github.com/whetstone-ai/whetstone/backend/pathpolicy"
	"github.com/whetstone-ai/whetstone/backend/workspace"
)

// newPickerServices builds services over an empty workspace and a Hugging
// Face cache of their own, offline.
func newPickerServices(t *testing.T, remote bool) (*Services, string) {
	t.Helper()
	ws, err := workspace.Open(t.TempDir())
	require.NoError(t, err)
	cache := t.TempDir()
	getenv := func(k string) string {
		switch k {
		case "HF_HUB_CACHE":
			return cache
		case "HF_HUB_OFFLINE":
			return "1"
		}
		return ""
	}
	s, err := New(Deps{Workspace: ws, Log: zerolog.Nop(), Version: "test", Getenv: getenv, Remote: remote})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s, cache
}

// cacheModel puts a copy of a model folder into the cache as the hub
// client lays it out, with only its config when withWeights is false.
func cacheModel(t *testing.T, cache, id, src string, withWeights bool) {
	t.Helper()
	repo := filepath.Join(cache, "models--"+strings.Replace(id, "/", "--", 1))
	commit := strings.Repeat("a", 40)
	snap := filepath.Join(repo, "snapshots", commit)
	require.NoError(t, os.MkdirAll(snap, 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(repo, "refs"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(repo, "refs", "main"), []byte(commit), 0o644))
	entries, err := os.ReadDir(src)
	require.NoError(t, err)
	for _, e := range entries {
		if !withWeights && strings.HasSuffix(e.Name(), ".safetensors") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(snap, e.Name()), data, 0o644))
	}
}

func TestChoicesListTheWorkspaceRecentsAndCacheOnce(t *testing.T) {
	s, cache := newPickerServices(t, false)
	src := tinyModelDir(t)
	// The demo's place: models/demo/<model>.
	demoDir := filepath.Join(s.Models.deps.Workspace.ModelsDir(), "demo", "gemma3-demo")
	require.NoError(t, os.MkdirAll(filepath.Dir(demoDir), 0o755))
	require.NoError(t, os.CopyFS(demoDir, os.DirFS(src)))
	cacheModel(t, cache, "org/cached", src, true)
	cacheModel(t, cache, "org/configonly", src, false)
	cacheModel(t, cache, "org/usedbefore", src, true)

	// Used before: a folder elsewhere (inspected), a hub id in the cache,
	// and a folder since deleted.
	local := tinyModelDir(t)
	_, err := s.Models.Inspect(local)
	require.NoError(t, err)
	s.Models.deps.remember(workspace.RecentModel, "org/usedbefore")
	gone := filepath.Join(t.TempDir(), "gone")
	s.Models.deps.remember(workspace.RecentModel, gone)
	s.Models.deps.remember(workspace.RecentModel, demoDir) // listed once, as the workspace's

	got, err := s.Models.Choices()
	require.NoError(t, err)
	type row struct {
		Ref    string
		Source ModelSource
	}
	var rows []row
	for _, c := range got {
		rows = append(rows, row{c.Ref, c.Source})
	}
	require.Equal(t, []row{
		{demoDir, "workspace"},
		{gone, "recent"},
		{"org/usedbefore", "recent"},
		{local, "recent"},
		{"org/cached", "cache"},
		{"org/configonly", "cache"},
	}, rows)

	byRef := map[string]ModelChoice{}
	for _, c := range got {
		byRef[c.Ref] = c
	}
	require.Equal(t, "demo/gemma3-demo", byRef[demoDir].Label)
	require.Positive(t, byRef[demoDir].Params)
	require.True(t, byRef[demoDir].HasWeights)
	require.Positive(t, byRef[demoDir].SizeBytes)
	require.True(t, byRef[gone].Missing)
	require.True(t, byRef["org/cached"].HasWeights)
	require.Equal(t, "gemma3", byRef["org/cached"].Architecture)
	require.False(t, byRef["org/configonly"].HasWeights)
	require.Positive(t, byRef["org/configonly"].Params, "the parameter count comes from config.json alone")
}

func TestChoicesOverHTTPLeaveOutRecentsOutsideThePolicy(t *testing.T) {
	s, _ := newPickerServices(t, true)
	outside := tinyModelDir(t)
	s.Models.deps.remember(workspace.RecentModel, outside)
	s.Models.deps.remember(workspace.RecentModel, "org/name")
	got, err := s.Models.Choices()
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, "org/name", got[0].Ref)
	r, err := s.System.Recents()
	require.NoError(t, err)
	require.Equal(t, []string{"org/name"}, refs(r.Models))
	_, err = s.Models.Inspect(outside)
	require.ErrorIs(t, err, pathpolicy.ErrOutside)
}

func TestInspectingRemembersAbsolutePaths(t *testing.T) {
	s, _ := newPickerServices(t, false)
	dir := tinyModelDir(t)
	wd, err := os.Getwd()
	require.NoError(t, err)
	rel, err := filepath.Rel(wd, dir)
	require.NoError(t, err)
	_, err = s.Models.Inspect(rel)
	require.NoError(t, err)
	_, err = s.Models.Inspect("/no/such/model")
	require.Error(t, err)
	data := shareGPTFile(t, 3)
	_, err = s.Datasets.Inspect(DatasetRequest{Path: data})
	require.NoError(t, err)
	r, err := s.System.Recents()
	require.NoError(t, err)
	require.Equal(t, []string{dir}, refs(r.Models), "a failed inspect records nothing; a relative path is kept absolute")
	require.Equal(t, []string{data}, refs(r.Datasets))
}

func TestRecentsSurviveADamagedFile(t *testing.T) {
	s, _ := newPickerServices(t, false)
	require.NoError(t, os.WriteFile(s.System.deps.Workspace.RecentsPath(), []byte("{"), 0o644))
	r, err := s.System.Recents()
	require.NoError(t, err)
	require.Empty(t, r.Models)
	_, err = s.Models.Choices()
	require.NoError(t, err)
}

func TestCatalogMarksDownloadedModels(t *testing.T) {
	s, cache := newPickerServices(t, false)
	cacheModel(t, cache, "Qwen/Qwen3-0.6B", tinyModelDir(t), true)
	cacheModel(t, cache, "Qwen/Qwen3-4B", tinyModelDir(t), false)
	got, err := s.Models.Catalog()
	require.NoError(t, err)
	require.Len(t, got, len(catalog.Models()))
	for _, m := range got {
		require.Equal(t, m.ID == "Qwen/Qwen3-0.6B", m.Downloaded, m.ID)
		require.Equal(t, "https://huggingface.co/"+m.ID, m.PageURL)
	}
}

type fakeDialogs struct {
	kind, title, start string
	filters            []FileFilter
	answer             string
}

func (f *fakeDialogs) OpenFile(title, start string, filters []FileFilter) (string, error) {
	f.kind, f.title, f.start, f.filters = "file", title, start, filters
	return f.answer, nil
}

func (f *fakeDialogs) OpenFolder(title, start string) (string, error) {
	f.kind, f.title, f.start = "folder", title, start
	return f.answer, nil
}

func TestPickPathNeedsTheWindow(t *testing.T) {
	s, _ := newPickerServices(t, false)
	_, err := s.System.PickPath(PickRequest{Kind: "file"})
	require.ErrorIs(t, err, ErrNoDialogs)

	d := &fakeDialogs{answer: "/data/chats.jsonl"}
	s.AttachDialogs(d)
	start := t.TempDir()
	got, err := s.System.PickPath(PickRequest{Kind: "file", Dataset: true, Title: "Choose a dataset", Start: start})
	require.NoError(t, err)
	require.Equal(t, "/data/chats.jsonl", got)
	require.Equal(t, "file", d.kind)
	require.Equal(t, start, d.start)
	require.NotEmpty(t, d.filters)

	_, err = s.System.PickPath(PickRequest{Kind: "folder", Start: "/no/such/folder"})
	require.NoError(t, err)
	require.Equal(t, "folder", d.kind)
	require.Empty(t, d.start, "a start folder that does not exist opens the dialog where the OS likes")

	_, err = s.System.PickPath(PickRequest{Kind: "disk"})
	require.ErrorIs(t, err, ErrInvalidRequest)
	_, err = s.System.PickPath(PickRequest{Kind: "file", Title: strings.Repeat("x", maxPickTitle+1)})
	require.ErrorIs(t, err, ErrInvalidRequest)

	s.AttachDialogs(nil)
	_, err = s.System.PickPath(PickRequest{Kind: "file"})
	require.ErrorIs(t, err, ErrNoDialogs)

	remote, _ := newPickerServices(t, true)
	remote.AttachDialogs(d)
	_, err = remote.System.PickPath(PickRequest{Kind: "file"})
	require.ErrorIs(t, err, ErrNoDialogs, "a request over HTTP never opens a dialog on the server's screen")
}

func TestDatasetPatternsAreWhatTheReadersTake(t *testing.T) {
	for _, p := range strings.Split(datasetPatterns, ";") {
		_, err := dataset.FileTypeOf("x" + strings.TrimPrefix(p, "*"))
		require.NoError(t, err, p)
	}
	for _, ext := range []string{".parquet", ".jsonl", ".json", ".csv"} {
		require.Contains(t, datasetPatterns, "*"+ext)
	}
}

func refs(l []workspace.Recent) []string {
	out := []string{}
	for _, r := range l {
		out = append(out, r.Ref)
	}
	return out
}
