package workspace

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/whetstone-ai/whetstone/backend/safefile"
)

// RecentsFormat is the format of the recents.json this build writes; a
// newer one is refused and left unchanged, like settings.json.
const RecentsFormat = 1

// MaxRecents bounds each list of recents.json: the pickers show them all.
const MaxRecents = 20

// MaxRecentRef bounds the length of a remembered reference, so a request
// cannot grow the file with one huge string.
const MaxRecentRef = 4096

// Kinds of recents.
const (
	RecentModel   = "model"
	RecentDataset = "dataset"
)

// Recent is a model or dataset the user used: a hub id or a local path.
type Recent struct {
	Ref  string    `json:"ref"`
	Used time.Time `json:"used"`
}

// Recents are the models and datasets used lately, most recent first.
type Recents struct {
	Models   []Recent `json:"models"`
	Datasets []Recent `json:"datasets"`
}

type recentsFile struct {
	Format int `json:"format"`
	Recents
}

// RecentsPath is the recents file.
func (w *Workspace) RecentsPath() string { return filepath.Join(w.Root, "recents.json") }

// recentsMu serialises the read-modify-write of AddRecent within this
// process (the window records a model and a dataset at once when a run
// starts). Across processes the last writer wins: recents are a
// convenience, and every write is whole (safefile), never torn.
var recentsMu sync.Mutex

// LoadRecents reads recents.json; an absent file is empty recents.
func (w *Workspace) LoadRecents() (Recents, error) {
	recentsMu.Lock()
	defer recentsMu.Unlock()
	return w.loadRecents()
}

func (w *Workspace) loadRecents() (Recents, error) {
	out := Recents{Models: []Recent{}, Datasets: []Recent{}}
	data, err := os.ReadFile(w.RecentsPath())
	if errors.Is(err, os.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return out, fmt.Errorf("read recents: %w", err)
	}
	var f recentsFile
	if err := json.Unmarshal(data, &f); err != nil {
		return out, fmt.Errorf("parse %s: %w", w.RecentsPath(), err)
	}
	if f.Format > RecentsFormat {
		return out, &NewerFormatError{Path: w.RecentsPath(), Format: f.Format, Known: RecentsFormat}
	}
	if f.Models != nil {
		out.Models = bound(f.Models)
	}
	if f.Datasets != nil {
		out.Datasets = bound(f.Datasets)
	}
	return out, nil
}

// AddRecent puts ref first in the list of kind (RecentModel or
// RecentDataset), dropping an older entry for the same ref and the oldest
// beyond MaxRecents. A damaged recents.json is started over (it holds
// nothing that cannot be picked again); one from a newer Whetstone is left
// alone and the error returned.
func (w *Workspace) AddRecent(kind, ref string, now time.Time) error {
	if ref == "" {
		return errors.New("recents: empty reference")
	}
	if len(ref) > MaxRecentRef {
		return fmt.Errorf("recents: reference of %d bytes, more than %d", len(ref), MaxRecentRef)
	}
	recentsMu.Lock()
	defer recentsMu.Unlock()
	r, err := w.loadRecents()
	var newer *NewerFormatError
	if errors.As(err, &newer) {
		return err
	}
	var list *[]Recent
	switch kind {
	case RecentModel:
		list = &r.Models
	case RecentDataset:
		list = &r.Datasets
	default:
		return fmt.Errorf("recents: kind %q is not %q or %q", kind, RecentModel, RecentDataset)
	}
	*list = slices.DeleteFunc(*list, func(e Recent) bool { return e.Ref == ref })
	*list = bound(append([]Recent{{Ref: ref, Used: now.UTC()}}, *list...))
	data, err := json.MarshalIndent(recentsFile{Format: RecentsFormat, Recents: r}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode recents: %w", err)
	}
	return safefile.Write(w.RecentsPath(), append(data, '\n'), 0o644)
}

func bound(l []Recent) []Recent {
	if len(l) > MaxRecents {
		return l[:MaxRecents]
	}
	return l
}
