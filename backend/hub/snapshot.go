package hub

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/whetstone-ai/whetstone/backend/events"
)

// DefaultRevision is the branch used when none is given.
const DefaultRevision = "main"

// Request says what to download. Include and Exclude are huggingface_hub
// style patterns ("*.safetensors", "tokenizer*", "data/"); no Include means
// every file.
type Request struct {
	Repo     Repo
	Revision string
	Include  []string
	Exclude  []string
}

// Snapshot is a downloaded (or cached) revision of a repo.
type Snapshot struct {
	Repo     Repo
	Revision string
	Commit   string
	// Dir is snapshots/<commit> in the cache; Files are relative to it.
	Dir   string
	Files []string
	// FromCache is true when no network was used: offline mode, or the hub
	// was unreachable and the cache already held the revision.
	FromCache bool
}

// Path returns the absolute path of a snapshot file given slash-separated.
func (s *Snapshot) Path(file string) string {
	return filepath.Join(s.Dir, filepath.FromSlash(file))
}

// Download fetches the files of a repo revision that the request selects
// and returns the snapshot folder that holds them.
func (c *Client) Download(ctx context.Context, req Request) (*Snapshot, error) {
	m, err := newMatcher(req.Include, req.Exclude)
	if err != nil {
		return nil, err
	}
	return c.snapshot(ctx, req.Repo, req.Revision, func(ctx context.Context, v repoView) ([]string, error) {
		var out []string
		for _, f := range v.files() {
			if m.match(f) {
				out = append(out, f)
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("%s: no file matches %q (the repo has %d files)", req.Repo, req.Include, len(v.files()))
		}
		return out, nil
	})
}

// repoView is a revision's file list, remote or cached, that a plan reads
// to choose files; read returns a small file's content (downloading it when
// remote), e.g. a safetensors index to find the shards it names.
type repoView interface {
	files() []string
	read(ctx context.Context, path string) ([]byte, error)
}

// planFunc picks which files of a revision to make available.
type planFunc func(ctx context.Context, v repoView) ([]string, error)

func (c *Client) snapshot(ctx context.Context, repo Repo, rev string, plan planFunc) (*Snapshot, error) {
	if err := ValidateID(repo.ID); err != nil {
		return nil, err
	}
	if repo.Type != Model && repo.Type != Dataset {
		return nil, fmt.Errorf("%s: unknown repo type %q (want model or dataset)", repo.ID, repo.Type)
	}
	if rev == "" {
		rev = DefaultRevision
	}
	if c.opts.Offline {
		snap, err := c.cachedSnapshot(ctx, repo, rev, plan)
		if err != nil {
			return nil, fmt.Errorf("%w (HF_HUB_OFFLINE is set: download it while online, or unset HF_HUB_OFFLINE)", err)
		}
		return snap, nil
	}
	// When the cache already knows the revision, an unreachable hub is not
	// worth waiting out: one attempt, then the cached copy, as
	// huggingface_hub does. Otherwise retry as for any transfer.
	retries := c.opts.Retries
	if c.cachedCommit(repo, rev) != "" {
		retries = 0
	}
	commit, err := c.resolveCommit(ctx, repo, rev, retries)
	if err != nil {
		if isTransient(err) && ctx.Err() == nil {
			if snap, cerr := c.cachedSnapshot(ctx, repo, rev, plan); cerr == nil {
				return snap, nil
			}
		}
		return nil, err
	}
	entries, err := c.listFiles(ctx, repo, commit)
	if err != nil {
		return nil, err
	}
	dir := c.repoDir(repo)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create cache folder %s: %w", dir, err)
	}
	if err := writeRef(dir, rev, commit); err != nil {
		return nil, err
	}
	view := &remoteView{c: c, repo: repo, commit: commit, entries: map[string]treeEntry{}}
	for _, e := range entries {
		view.names = append(view.names, e.Path)
		view.entries[e.Path] = e
	}
	sort.Strings(view.names)
	chosen, err := plan(ctx, view)
	if err != nil {
		return nil, err
	}
	todo := make([]treeEntry, 0, len(chosen))
	for _, f := range chosen {
		e, ok := view.entries[f]
		if !ok {
			return nil, fmt.Errorf("%s@%s: %s is not in the repo", repo, rev, f)
		}
		todo = append(todo, e)
	}
	if err := c.checkSpace(repo, commit, todo); err != nil {
		return nil, err
	}
	if err := c.fetchAll(ctx, repo, rev, commit, todo); err != nil {
		return nil, err
	}
	sort.Strings(chosen)
	return &Snapshot{Repo: repo, Revision: rev, Commit: commit, Dir: snapshotDir(dir, commit), Files: chosen}, nil
}

// cachedSnapshot answers from the cache alone: the revision resolves through
// refs/<rev> (or is itself a cached commit) and every chosen file must exist.
func (c *Client) cachedSnapshot(ctx context.Context, repo Repo, rev string, plan planFunc) (*Snapshot, error) {
	dir := c.repoDir(repo)
	commit := c.cachedCommit(repo, rev)
	if commit == "" {
		return nil, fmt.Errorf("%s@%s: %w: no cached revision under %s", repo, rev, ErrNotCached, dir)
	}
	snapDir := snapshotDir(dir, commit)
	names, err := cachedFiles(ctx, snapDir)
	if err != nil {
		return nil, fmt.Errorf("%s@%s: %w: %v", repo, rev, ErrNotCached, err)
	}
	view := &localView{dir: snapDir, names: names}
	chosen, err := plan(ctx, view)
	if err != nil {
		return nil, fmt.Errorf("%s@%s in the cache: %w", repo, rev, err)
	}
	var missing []string
	for _, f := range chosen {
		if info, err := os.Stat(filepath.Join(snapDir, filepath.FromSlash(f))); err != nil || !info.Mode().IsRegular() {
			missing = append(missing, f)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s@%s: %w: %s lacks %v", repo, rev, ErrNotCached, snapDir, missing)
	}
	sort.Strings(chosen)
	return &Snapshot{Repo: repo, Revision: rev, Commit: commit, Dir: snapDir, Files: chosen, FromCache: true}, nil
}

// cachedCommit is the commit the cache holds for rev ("" if none): rev
// itself when it is a commit with a snapshot, else what refs/<rev> says.
func (c *Client) cachedCommit(repo Repo, rev string) string {
	dir := c.repoDir(repo)
	if isCommit(rev) {
		if _, err := os.Stat(snapshotDir(dir, rev)); err == nil {
			return rev
		}
		return ""
	}
	commit, err := readRef(dir, rev)
	if err != nil {
		return ""
	}
	return commit
}

// spaceMargin is kept free beyond the download itself.
const spaceMargin = 256 << 20

// checkSpace fails early, with the numbers, when the cache's disk cannot
// hold what is left to download. Files already in the snapshot or in blobs
// (under the etag the listing predicts) and partial downloads count as had.
func (c *Client) checkSpace(repo Repo, commit string, entries []treeEntry) error {
	dir := c.repoDir(repo)
	var need int64
	for _, e := range entries {
		if info, err := os.Stat(filepath.Join(snapshotDir(dir, commit), filepath.FromSlash(e.Path))); err == nil && info.Size() == e.Size {
			continue
		}
		etag := e.sha256()
		if etag == "" {
			etag = e.OID
		}
		if etag != "" && etagPattern.MatchString(etag) {
			blob := blobPath(dir, etag)
			if info, err := os.Stat(blob); err == nil && info.Size() == e.Size {
				continue
			}
			if info, err := os.Stat(blob + ".incomplete"); err == nil && info.Size() <= e.Size {
				need -= info.Size()
			}
		}
		need += e.Size
	}
	if need <= 0 {
		return nil
	}
	free, err := c.freeSpace(dir)
	if err != nil || free < 0 {
		return nil // unknown: let the download try
	}
	if free < need+spaceMargin {
		return fmt.Errorf("%s: not enough disk space in %s: %s to download, %s free; free some space or set HF_HUB_CACHE to a bigger disk",
			repo, c.opts.CacheDir, FormatBytes(need), FormatBytes(free))
	}
	return nil
}

// fetchAll downloads entries in parallel, largest first so the long
// transfers start early; the first failure cancels the rest.
func (c *Client) fetchAll(ctx context.Context, repo Repo, rev, commit string, entries []treeEntry) error {
	var total int64
	for _, e := range entries {
		total += e.Size
	}
	tr := newTracker(c.opts.Events, repo, rev, commit, len(entries), total)
	sorted := append([]treeEntry(nil), entries...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Size > sorted[j].Size })

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	sem := make(chan struct{}, c.opts.Parallel)
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
loop:
	for _, e := range sorted {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			break loop
		}
		wg.Add(1)
		go func(e treeEntry) {
			defer wg.Done()
			defer func() { <-sem }()
			if err := c.fetchFile(ctx, repo, commit, e, tr); err != nil {
				once.Do(func() {
					firstErr = err
					cancel(err)
				})
			}
		}(e)
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return context.Cause(ctx)
	}
	tr.finish()
	return nil
}

type remoteView struct {
	c       *Client
	repo    Repo
	commit  string
	names   []string
	entries map[string]treeEntry
}

func (v *remoteView) files() []string { return v.names }

func (v *remoteView) read(ctx context.Context, path string) ([]byte, error) {
	e, ok := v.entries[path]
	if !ok {
		return nil, fmt.Errorf("%s: %s: %w", v.repo, path, os.ErrNotExist)
	}
	tr := newTracker(events.Discard{}, v.repo, v.commit, v.commit, 1, e.Size)
	if err := v.c.fetchFile(ctx, v.repo, v.commit, e, tr); err != nil {
		return nil, err
	}
	return os.ReadFile(filepath.Join(snapshotDir(v.c.repoDir(v.repo), v.commit), filepath.FromSlash(path)))
}

type localView struct {
	dir   string
	names []string
}

func (v *localView) files() []string { return v.names }

func (v *localView) read(_ context.Context, path string) ([]byte, error) {
	return os.ReadFile(filepath.Join(v.dir, filepath.FromSlash(path)))
}

// has reports whether a view lists path.
func has(v repoView, path string) bool {
	names := v.files()
	i := sort.SearchStrings(names, path)
	return i < len(names) && names[i] == path
}

var errNoDataFiles = errors.New("no data files")
