package hub

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/safefile"
)

// The cache layout is huggingface_hub's, so both tools share one cache:
// {root}/{models|datasets}--org--name/{blobs,snapshots,refs} and
// {root}/.locks/{folder}/{etag}.lock for cross-process download locks.

// repoDir is the repo's folder in the cache.
func (c *Client) repoDir(repo Repo) string {
	return filepath.Join(c.opts.CacheDir, repo.folderName())
}

func blobPath(repoDir, etag string) string {
	return filepath.Join(repoDir, "blobs", etag)
}

func snapshotDir(repoDir, commit string) string {
	return filepath.Join(repoDir, "snapshots", commit)
}

func (c *Client) lockPath(repo Repo, etag string) string {
	return filepath.Join(c.opts.CacheDir, ".locks", repo.folderName(), etag+".lock")
}

// refPath is refs/<revision>; revisions with slashes (refs/convert/parquet)
// nest, as in huggingface_hub.
func refPath(repoDir, rev string) string {
	return filepath.Join(repoDir, "refs", filepath.FromSlash(rev))
}

// readRef returns the commit a revision pointed to when it was last resolved.
func readRef(repoDir, rev string) (string, error) {
	b, err := os.ReadFile(refPath(repoDir, rev))
	if err != nil {
		return "", err
	}
	commit := strings.TrimSpace(string(b))
	if !isCommit(commit) {
		return "", fmt.Errorf("%s holds %q, not a commit sha", refPath(repoDir, rev), commit)
	}
	return commit, nil
}

// writeRef records rev -> commit atomically. huggingface_hub writes the bare
// sha without a newline; so do we.
func writeRef(repoDir, rev, commit string) error {
	if rev == commit {
		return nil
	}
	p := refPath(repoDir, rev)
	if old, err := readRef(repoDir, rev); err == nil && old == commit {
		return nil
	}
	if err := safefile.Write(p, []byte(commit), 0o644); err != nil {
		return fmt.Errorf("write ref: %w", err)
	}
	return nil
}

// linkBlob makes snapshots/<commit>/<path> point at the blob with a relative
// symlink, as huggingface_hub does. Where symlinks are unavailable (Windows
// without developer mode) it hard-links or copies instead, which the Python
// library also accepts.
func linkBlob(blob, dst string) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("link %s: %w", dst, err)
	}
	rel, err := filepath.Rel(filepath.Dir(dst), blob)
	if err != nil {
		return fmt.Errorf("link %s: %w", dst, err)
	}
	if cur, err := os.Readlink(dst); err == nil && cur == rel {
		return nil
	}
	if err := os.Remove(dst); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("replace %s: %w", dst, err)
	}
	serr := os.Symlink(rel, dst)
	if serr == nil {
		return nil
	}
	if cur, err := os.Readlink(dst); err == nil && cur == rel {
		return nil // another process made the same link
	}
	if err := os.Link(blob, dst); err == nil {
		return nil
	}
	if err := copyFile(blob, dst); err != nil {
		return fmt.Errorf("link %s (symlink failed: %v): %w", dst, serr, err)
	}
	return nil
}

// copyFile is linkBlob's last resort; it writes atomically so a reader of
// the snapshot never sees a partial copy under the final name.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	return safefile.WriteFrom(dst, 0o644, func(w io.Writer) error {
		_, err := io.Copy(w, in)
		return err
	})
}

// Bounds of a folder listing: a dataset or snapshot folder is a few levels
// and at most thousands of files; a path such as /usr (130k files) given as
// a dataset is refused instead of walked.
const (
	MaxWalkDepth   = 12
	MaxWalkEntries = 20000
)

// cachedFiles lists the files of a snapshot folder (slash-separated, relative,
// sorted), skipping dangling links left by interrupted downloads. The walk
// is bounded (MaxWalkDepth, MaxWalkEntries) and stops when ctx ends.
func cachedFiles(ctx context.Context, dir string) ([]string, error) {
	var files []string
	visited := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if visited++; visited > MaxWalkEntries {
			return fmt.Errorf("the folder has more than %d entries: choose the folder of one dataset or model", MaxWalkEntries)
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if rel != "." && strings.Count(filepath.ToSlash(rel), "/")+1 > MaxWalkDepth {
				return fmt.Errorf("the folder is more than %d levels deep: choose the folder of one dataset or model", MaxWalkDepth)
			}
			return nil
		}
		info, err := os.Stat(p)
		if err != nil || !info.Mode().IsRegular() {
			return nil
		}
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", dir, err)
	}
	sort.Strings(files)
	return files, nil
}

// checkRepoPath rejects file names that would escape the snapshot folder.
func checkRepoPath(p string) error {
	if p == "" || strings.Contains(p, `\`) || strings.HasPrefix(p, "/") || !filepath.IsLocal(filepath.FromSlash(p)) {
		return fmt.Errorf("unsafe file path %q", p)
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("unsafe file path %q", p)
		}
	}
	return nil
}

var etagPattern = regexp.MustCompile(`^[A-Za-z0-9_\-.]{1,128}$`)

// normalizeEtag strips the weak marker and quotes; the result names a blob.
func normalizeEtag(etag string) (string, error) {
	e := strings.TrimPrefix(strings.TrimSpace(etag), "W/")
	e = strings.Trim(e, `"`)
	if !etagPattern.MatchString(e) || strings.HasPrefix(e, ".") {
		return "", fmt.Errorf("hub sent an unusable ETag %q", etag)
	}
	return e, nil
}
