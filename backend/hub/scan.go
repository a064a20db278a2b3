package hub

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// CachedRepo is one repo found in the cache, however it got there (this
// client, Python's huggingface_hub, or the HF CLI).
type CachedRepo struct {
	Repo Repo `json:"repo"`
	// Dir is the repo's folder in the cache.
	Dir string `json:"dir"`
	// SizeOnDisk counts complete blobs once, however many snapshots use them.
	SizeOnDisk int64 `json:"size_on_disk"`
	// Revisions are the cached snapshots, most recently modified first.
	Revisions []CachedRevision `json:"revisions"`
}

// CachedRevision is one snapshot folder.
type CachedRevision struct {
	Commit string `json:"commit"`
	// Refs are the branches and tags whose refs file names this commit.
	Refs     []string  `json:"refs"`
	Dir      string    `json:"dir"`
	Files    int       `json:"files"`
	Modified time.Time `json:"modified"`
}

// ScanCache lists the models and datasets in the cache, sorted by type then
// id. Folders that do not follow the layout are skipped; a missing cache
// is empty, not an error.
func (c *Client) ScanCache() ([]CachedRepo, error) {
	entries, err := os.ReadDir(c.opts.CacheDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("scan cache %s: %w", c.opts.CacheDir, err)
	}
	var out []CachedRepo
	for _, e := range entries {
		repo, ok := repoFromFolder(e.Name())
		if !ok || !e.IsDir() {
			continue
		}
		cr, err := scanRepo(filepath.Join(c.opts.CacheDir, e.Name()), repo)
		if err != nil {
			return nil, err
		}
		if len(cr.Revisions) > 0 {
			out = append(out, cr)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Repo.Type != out[j].Repo.Type {
			return out[i].Repo.Type < out[j].Repo.Type
		}
		return strings.ToLower(out[i].Repo.ID) < strings.ToLower(out[j].Repo.ID)
	})
	return out, nil
}

// repoFromFolder inverts Repo.folderName.
func repoFromFolder(name string) (Repo, bool) {
	var repo Repo
	switch {
	case strings.HasPrefix(name, "models--"):
		repo.Type, name = Model, strings.TrimPrefix(name, "models--")
	case strings.HasPrefix(name, "datasets--"):
		repo.Type, name = Dataset, strings.TrimPrefix(name, "datasets--")
	default:
		return Repo{}, false
	}
	repo.ID = strings.Replace(name, "--", "/", 1)
	return repo, ValidateID(repo.ID) == nil
}

func scanRepo(dir string, repo Repo) (CachedRepo, error) {
	cr := CachedRepo{Repo: repo, Dir: dir}
	blobs, _ := os.ReadDir(filepath.Join(dir, "blobs"))
	for _, b := range blobs {
		if strings.HasSuffix(b.Name(), ".incomplete") {
			continue
		}
		if info, err := b.Info(); err == nil && info.Mode().IsRegular() {
			cr.SizeOnDisk += info.Size()
		}
	}
	refs := map[string][]string{}
	refsDir := filepath.Join(dir, "refs")
	filepath.WalkDir(refsDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(refsDir, p)
		rev := filepath.ToSlash(rel)
		if commit, err := readRef(dir, rev); err == nil {
			refs[commit] = append(refs[commit], rev)
		}
		return nil
	})
	snaps, _ := os.ReadDir(filepath.Join(dir, "snapshots"))
	for _, s := range snaps {
		if !s.IsDir() || !isCommit(s.Name()) {
			continue
		}
		sdir := filepath.Join(dir, "snapshots", s.Name())
		files, err := cachedFiles(context.Background(), sdir)
		if err != nil {
			return cr, err
		}
		rev := CachedRevision{Commit: s.Name(), Refs: refs[s.Name()], Dir: sdir, Files: len(files)}
		sort.Strings(rev.Refs)
		if info, err := s.Info(); err == nil {
			rev.Modified = info.ModTime()
		}
		cr.Revisions = append(cr.Revisions, rev)
	}
	sort.Slice(cr.Revisions, func(i, j int) bool { return cr.Revisions[i].Modified.After(cr.Revisions[j].Modified) })
	return cr, nil
}
