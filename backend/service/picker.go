package service

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/whetstone-ai/whetstone/backend/catalog"
	"github.com/whetstone-ai/whetstone/backend/hub"
	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/workspace"
)

// What the pickers offer: the models this machine already has, the
// curated catalogue, the recents, and the OS's file and folder dialogs.

// ModelSource says where a ModelChoice was found.
type ModelSource string

// The picker's groups, in the order Choices lists them: the models the
// workspace made (the demo), the local folders and hub ids used before,
// and the Hugging Face cache.
const (
	FromWorkspace ModelSource = "workspace"
	FromRecents   ModelSource = "recent"
	FromCache     ModelSource = "cache"
)

// ModelChoice is one model the Models screen's picker lists.
type ModelChoice struct {
	// Ref is what Models.Inspect and a run config's model.source take: a
	// folder or a hub id.
	Ref string `json:"ref"`
	// Label is a short name: the hub id, or the folder's name.
	Label  string      `json:"label"`
	Source ModelSource `json:"source"`
	// Dir is the folder the model's files are in ("" for a hub id used
	// before that is no longer in the cache).
	Dir string `json:"dir"`
	// Params is the parameter count from config.json, 0 when unknown.
	Params int64 `json:"params"`
	// SizeBytes is the size of the weights on disk, 0 when unknown.
	SizeBytes int64 `json:"size_bytes"`
	// HasWeights is false for a folder that holds only the config and
	// tokenizer (a hub model inspected but not downloaded).
	HasWeights bool `json:"has_weights"`
	// Architecture is config.json's, "" when unreadable.
	Architecture string `json:"architecture"`
	// Missing is true for a recent folder that no longer exists.
	Missing bool `json:"missing"`
}

// Choices lists the models the picker offers, grouped: the workspace's,
// those used before, then the Hugging Face cache. Over HTTP, recents outside the path policy are left out.
// A model whose config cannot be read is still listed, without its facts:
// Inspect says what is wrong with it.
func (s *Models) Choices() (out []ModelChoice, err error) {
	defer guard(s.deps.Log, "Models.Choices", &err)
	out = []ModelChoice{}
	seen := map[string]bool{}
	add := func(c ModelChoice) {
		if seen[c.Ref] || (c.Dir != "" && seen[c.Dir]) {
			return
		}
		seen[c.Ref] = true
		if c.Dir != "" {
			seen[c.Dir] = true
		}
		out = append(out, c)
	}
	for _, dir := range workspaceModels(s.deps.Workspace.ModelsDir()) {
		c := describeFolder(dir)
		c.Source = FromWorkspace
		if rel, err := filepath.Rel(s.deps.Workspace.ModelsDir(), dir); err == nil {
			c.Label = filepath.ToSlash(rel)
		}
		add(c)
	}
	cache, err := s.Cache()
	if err != nil {
		return nil, err
	}
	cached := map[string]ModelChoice{}
	for _, r := range cache.Repos {
		if r.Type != string(hub.Model) || len(r.Revisions) == 0 {
			continue
		}
		c := describeFolder(r.Revisions[0].Dir)
		c.Ref, c.Label, c.Source = r.ID, r.ID, FromCache
		if r.SizeOnDisk > 0 {
			// Every revision's blobs, counted once: what deleting it frees.
			c.SizeBytes = r.SizeOnDisk
		}
		cached[r.ID] = c
	}
	recents, err := s.deps.recents()
	if err != nil {
		return nil, err
	}
	for _, r := range recents.Models {
		if c, ok := cached[r.Ref]; ok {
			c.Source = FromRecents
			add(c)
			continue
		}
		if !hub.LooksLikePath(r.Ref) && !filepath.IsAbs(r.Ref) {
			add(ModelChoice{Ref: r.Ref, Label: r.Ref, Source: FromRecents})
			continue
		}
		c := describeFolder(r.Ref)
		c.Source = FromRecents
		add(c)
	}
	for _, r := range cache.Repos {
		if c, ok := cached[r.ID]; ok {
			add(c)
		}
	}
	return out, nil
}

// maxWorkspaceModels bounds the folders Choices reads under the
// workspace's models folder.
const maxWorkspaceModels = 200

// workspaceModels finds model folders (holding config.json) directly
// under dir or one level down (models/demo/gemma3-demo).
func workspaceModels(dir string) []string {
	var out []string
	var walk func(d string, depth int)
	walk = func(d string, depth int) {
		entries, err := os.ReadDir(d)
		if err != nil {
			return
		}
		for _, e := range entries {
			if !e.IsDir() || strings.HasPrefix(e.Name(), ".") || len(out) >= maxWorkspaceModels {
				continue
			}
			p := filepath.Join(d, e.Name())
			if exists(filepath.Join(p, "config.json")) {
				out = append(out, p)
			} else if depth < 1 {
				walk(p, depth+1)
			}
		}
	}
	walk(dir, 0)
	return out
}

// describeFolder reads what is cheap to know about a model folder: its
// config (parameters, architecture) and the size of its weights.
func describeFolder(dir string) ModelChoice {
	c := ModelChoice{Ref: dir, Label: filepath.Base(dir), Dir: dir}
	st, err := os.Stat(dir)
	if err != nil || !st.IsDir() {
		c.Missing, c.Dir = true, ""
		return c
	}
	if cfg, err := model.LoadConfig(filepath.Join(dir, "config.json")); err == nil {
		c.Params, c.Architecture = cfg.NumParams(), string(cfg.Arch)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".safetensors") {
			c.HasWeights = true
			// Stat follows the cache's symlinks to the blobs.
			if st, err := os.Stat(filepath.Join(dir, e.Name())); err == nil {
				c.SizeBytes += st.Size()
			}
		}
	}
	return c
}

// Catalog is the curated list of recommended base models (backend/catalog),
// each marked when the Hugging Face cache already holds its weights.
func (s *Models) Catalog() (out []CatalogModel, err error) {
	defer guard(s.deps.Log, "Models.Catalog", &err)
	cache, err := s.Cache()
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, r := range cache.Repos {
		if r.Type == string(hub.Model) && len(r.Revisions) > 0 && describeFolder(r.Revisions[0].Dir).HasWeights {
			have[r.ID] = true
		}
	}
	out = []CatalogModel{}
	for _, m := range catalog.Models() {
		out = append(out, CatalogModel{Model: m, PageURL: m.PageURL(), Downloaded: have[m.ID]})
	}
	return out, nil
}

// CatalogModel is a catalogue entry as the Models screen shows it.
type CatalogModel struct {
	catalog.Model
	PageURL string `json:"page_url"`
	// Downloaded is true when the cache holds the model's weights.
	Downloaded bool `json:"downloaded"`
}

// Recents are the models and datasets used lately, most recent first
// (recorded when a model is inspected or downloaded, a dataset inspected
// and a run started). Over HTTP, local paths outside the path policy are
// left out.
func (s *System) Recents() (out workspace.Recents, err error) {
	defer guard(s.deps.Log, "System.Recents", &err)
	return s.deps.recents()
}

func (d Deps) recents() (workspace.Recents, error) {
	r, err := d.Workspace.LoadRecents()
	if err != nil {
		// A damaged or newer recents file must not hide the rest of the
		// picker: it is logged and the recents are empty.
		d.Log.Warn().Err(err).Msg("recents unreadable; listing none")
	}
	if d.Remote {
		r.Models = d.admitted(r.Models)
		r.Datasets = d.admitted(r.Datasets)
	}
	return r, nil
}

// admitted keeps the recents a request may name: hub ids, and paths the
// policy admits.
func (d Deps) admitted(list []workspace.Recent) []workspace.Recent {
	out := []workspace.Recent{}
	for _, r := range list {
		if _, err := d.checkRef(r.Ref); err == nil {
			out = append(out, r)
		}
	}
	return out
}

// rememberModel and rememberDataset record a model or dataset used (see
// remember).
func (d Deps) rememberModel(ref string)   { d.remember(workspace.RecentModel, ref) }
func (d Deps) rememberDataset(ref string) { d.remember(workspace.RecentDataset, ref) }

// remember records a model or dataset the user used. A local path is kept
// absolute, so the picker can offer it from any folder; a failure is only
// logged, since the call it belongs to succeeded.
func (d Deps) remember(kind, ref string) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return
	}
	if r, err := hub.ParseRef(ref); err == nil && r.IsLocal() {
		if abs, err := filepath.Abs(r.Local); err == nil {
			ref = abs
		}
	}
	if err := d.Workspace.AddRecent(kind, ref, time.Now()); err != nil {
		d.Log.Warn().Err(err).Str("kind", kind).Msg("remember a recent " + kind)
	}
}

// PickKind is what a native dialog chooses.
type PickKind string

// What PickPath chooses.
const (
	PickFile   PickKind = "file"
	PickFolder PickKind = "folder"
)

// PickRequest asks for the OS's file or folder chooser.
type PickRequest struct {
	// Kind is "file" or "folder".
	Kind PickKind `json:"kind"`
	// Title is the dialog's title ("" for a generic one); at most
	// maxPickTitle bytes.
	Title string `json:"title"`
	// Dataset filters files to the types the dataset readers take.
	Dataset bool `json:"dataset"`
	// Start is the folder the dialog opens in ("" for the OS's choice).
	Start string `json:"start"`
}

const maxPickTitle = 200

// FileFilter is one entry of a file dialog's type list.
type FileFilter struct {
	Name string
	// Patterns are globs separated by ";" ("*.jsonl;*.csv").
	Patterns string
}

// Dialogs shows the OS's choosers. The desktop window sets it (see
// Services.AttachDialogs): Wails' runtime ends the process when called
// outside its window, so the services never call it directly. An empty
// path with no error means the user cancelled.
type Dialogs interface {
	OpenFile(title, start string, filters []FileFilter) (string, error)
	OpenFolder(title, start string) (string, error)
}

// ErrNoDialogs is PickPath's error where no window can show a dialog: in
// the browser (`whetstone serve`) the UI types a path or uploads instead.
var ErrNoDialogs = errors.New("file dialogs are not available in the browser: type the path, or upload the file")

// datasetPatterns are the data files the dataset readers take
// (dataset.FileTypeOf; a test holds the two together).
const datasetPatterns = "*.parquet;*.pq;*.jsonl;*.ndjson;*.json;*.csv"

// dialogSlot holds the window's Dialogs once it exists.
type dialogSlot struct {
	mu sync.RWMutex
	d  Dialogs
}

func (s *dialogSlot) get() Dialogs {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.d
}

// AttachDialogs gives the services the window's dialogs (nil detaches
// them when the window closes).
func (s *Services) AttachDialogs(d Dialogs) {
	s.System.dialogs.mu.Lock()
	s.System.dialogs.d = d
	s.System.dialogs.mu.Unlock()
}

// PickPath shows the OS's file or folder chooser in the desktop window and
// returns the chosen path, "" when the user cancelled. Over HTTP and in the
// terminal it fails with ErrNoDialogs.
func (s *System) PickPath(req PickRequest) (path string, err error) {
	defer guard(s.deps.Log, "System.PickPath", &err)
	if len(req.Title) > maxPickTitle {
		return "", invalidf("title: at most %d bytes, got %d", maxPickTitle, len(req.Title))
	}
	d := s.dialogs.get()
	if d == nil || s.deps.Remote {
		return "", ErrNoDialogs
	}
	if req.Start != "" {
		if st, err := os.Stat(req.Start); err != nil || !st.IsDir() {
			// Wails refuses a start folder that does not exist; the
			// dialog opening elsewhere is better than no dialog.
			req.Start = ""
		}
	}
	switch req.Kind {
	case PickFolder:
		return d.OpenFolder(req.Title, req.Start)
	case PickFile:
		var filters []FileFilter
		if req.Dataset {
			filters = []FileFilter{{Name: "Data files", Patterns: datasetPatterns}, {Name: "All files", Patterns: "*"}}
		}
		return d.OpenFile(req.Title, req.Start, filters)
	default:
		return "", invalidf("kind: %q is not \"file\" or \"folder\"", req.Kind)
	}
}
