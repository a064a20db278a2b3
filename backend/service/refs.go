package service

import (
	"fmt"
	"os"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/hub"
	"github.com/whetstone-ai/whetstone/backend/quote"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/runs"
)

// The one resolver of what users name: a run (its id, the start of its id
// or its name), a model and a dataset (a local path, or a hub id with an
// optional @revision). Every service method resolves through these, and the
// terminal commands go through the service methods, so a reference means
// the same thing in the window, over HTTP and in a terminal.

// modelRefOf is a run config's model as one reference: model.source, with
// model.revision appended when the source is a hub id that names no
// revision of its own (a local folder has no revisions). Chat and export
// of a run, and training itself, load this.
func modelRefOf(m runconfig.Model) string {
	src := strings.TrimSpace(m.Source)
	if src == "" || m.Revision == "" {
		return src
	}
	r, err := hub.ParseRef(src)
	if err != nil || r.IsLocal() || r.Revision != "" {
		return src
	}
	return src + "@" + m.Revision
}

// revisionConflict reports a model.source that names a revision other
// than model.revision: which one a run would train is then unclear.
func revisionConflict(m runconfig.Model) string {
	if m.Revision == "" {
		return ""
	}
	r, err := hub.ParseRef(strings.TrimSpace(m.Source))
	if err != nil || r.IsLocal() || r.Revision == "" || r.Revision == m.Revision {
		return ""
	}
	return fmt.Sprintf("model.source names revision %s and model.revision %s: give the revision once", quote.Value(r.Revision), quote.Value(m.Revision))
}

// modelDir turns a model reference into a folder: a local folder as it
// is, a hub id (org/name[@rev]) through the shared Hugging Face cache,
// downloading what is missing unless offline. With configOnly, a hub model
// gets only its small files (config, tokenizer, chat template), enough to
// describe or tokenize it.
func (d Deps) modelDir(ref string, configOnly bool) (string, error) {
	if strings.TrimSpace(ref) == "" {
		return "", fmt.Errorf("no model given: enter a Hugging Face id (org/name) or a local folder")
	}
	ref, err := d.checkRef(ref)
	if err != nil {
		return "", err
	}
	if st, err := os.Stat(ref); err == nil && st.IsDir() {
		return ref, nil
	}
	client, err := d.hubClient()
	if err != nil {
		return "", err
	}
	if configOnly {
		r, err := hub.ParseRef(ref)
		if err != nil {
			return "", err
		}
		if r.IsLocal() {
			return "", fmt.Errorf("model folder %s not found", quote.Value(r.Local))
		}
		if r.Type == hub.Dataset {
			return "", fmt.Errorf("%s names a dataset, not a model", quote.Value(ref))
		}
		return client.DownloadModel(d.ctx(), r.ID, r.Revision, []string{"*.json", "*.jinja", "tokenizer.model"})
	}
	return client.ResolveModel(d.ctx(), ref)
}

// parseDatasetRef reads a dataset reference as hub.ParseRef does, except
// that a name written like a data file ("chats.jsonl") that is not on disk
// is a missing file, not a hub id: looking it up on the hub would need the
// network and say something unrelated.
func parseDatasetRef(ref string) (hub.Ref, error) {
	r, err := hub.ParseRef(ref)
	if err != nil {
		return r, err
	}
	if !r.IsLocal() {
		if looksLikeDataFile(ref) {
			return r, fmt.Errorf("%s: %w", ref, os.ErrNotExist)
		}
		if r.Type == hub.Model {
			return r, fmt.Errorf("%s names a model, not a dataset", quote.Value(ref))
		}
	}
	return r, nil
}

// dataset resolves a dataset reference for reading: a local file or
// folder comes back as its path, files nil (the reader picks a folder's
// files of the split asked for), a hub id as itself with the data files
// downloaded into the Hugging Face cache.
func (d Deps) dataset(ref string) (path string, files []string, err error) {
	if strings.TrimSpace(ref) == "" {
		return "", nil, fmt.Errorf("no dataset given: choose a file (parquet, json, jsonl, csv) or enter a hub dataset id")
	}
	if ref, err = d.checkRef(ref); err != nil {
		return "", nil, err
	}
	r, err := parseDatasetRef(ref)
	if err != nil {
		return "", nil, err
	}
	if r.IsLocal() {
		return r.Local, nil, nil
	}
	client, err := d.hubClient()
	if err != nil {
		return "", nil, err
	}
	files, err = client.DownloadDataset(d.ctx(), r.ID, r.Revision)
	if err != nil {
		return "", nil, err
	}
	if len(files) == 0 {
		return "", nil, fmt.Errorf("dataset %s has no data files", quote.Value(ref))
	}
	return ref, files, nil
}

// looksLikeDataFile reports whether name ends in a data file extension
// (.jsonl.gz included).
func looksLikeDataFile(name string) bool {
	lower := strings.ToLower(strings.TrimSuffix(name, ".gz"))
	for _, ext := range []string{".parquet", ".json", ".jsonl", ".ndjson", ".csv", ".tsv", ".txt"} {
		if strings.HasSuffix(lower, ext) {
			return true
		}
	}
	return false
}

// maxListedMatches bounds the runs an ambiguous reference lists.
const maxListedMatches = 10

// runID resolves a run reference: a run's id; else the name of exactly one
// run; else the start of exactly one run's id. A reference that fits
// several runs is refused with the runs it fits, so nothing acts on a run
// the user did not mean.
func (s *Runs) runID(store *runs.Store, ref string) (string, error) {
	ref = strings.TrimSpace(ref)
	if ref == "" {
		return "", invalidf("no run given: name one by its id, the start of its id, or its name")
	}
	if runs.IsID(ref) {
		if st, err := os.Stat(store.Dir(ref)); err == nil && st.IsDir() {
			return ref, nil
		}
	}
	list, err := store.List()
	if err != nil {
		return "", err
	}
	var byName, byPrefix []runs.Record
	for _, r := range list {
		if r.Name == ref {
			byName = append(byName, r)
		}
		if strings.HasPrefix(r.ID, ref) {
			byPrefix = append(byPrefix, r)
		}
	}
	matches := byName
	if len(matches) == 0 {
		matches = byPrefix
	}
	switch len(matches) {
	case 1:
		return matches[0].ID, nil
	case 0:
		return "", fmt.Errorf("%w: no run is called or has an id starting with %s", runs.ErrNotFound, quote.Value(ref))
	}
	var names []string
	for i, r := range matches {
		if i == maxListedMatches {
			names = append(names, fmt.Sprintf("and %d more", len(matches)-i))
			break
		}
		n := r.ID
		if r.Name != "" {
			n += " (" + r.Name + ")"
		}
		names = append(names, n)
	}
	return "", invalidf("run %s is ambiguous: it matches %d runs: %s; give more of the id", quote.Value(ref), len(matches), strings.Join(names, ", "))
}
