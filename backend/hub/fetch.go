package hub

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// fileMeta is what a HEAD on a resolve URL tells us, read from the same
// headers huggingface_hub reads.
type fileMeta struct {
	etag   string
	size   int64 // -1 when unknown
	commit string
}

// headFile reads a file's etag, size and commit. Redirects to another host
// (the CDN) are not followed: the hub's own response carries X-Linked-Etag
// and X-Linked-Size for LFS files. Relative redirects (renamed repos) are.
func (c *Client) headFile(ctx context.Context, repo Repo, commit, path string) (fileMeta, error) {
	u := c.resolveURL(repo, commit, path)
	for hop := 0; hop < 5; hop++ {
		req, err := c.newRequest(ctx, http.MethodHead, u)
		if err != nil {
			return fileMeta{}, err
		}
		req.Header.Set("Accept-Encoding", "identity")
		resp, err := c.send(c.noRedirect, req, repo, commit, path)
		if err != nil {
			return fileMeta{}, err
		}
		resp.Body.Close()
		h := resp.Header
		etag := h.Get("X-Linked-Etag")
		if etag == "" {
			etag = h.Get("ETag")
		}
		loc := h.Get("Location")
		if etag == "" && resp.StatusCode >= 300 && loc != "" {
			next, err := req.URL.Parse(loc)
			if err != nil {
				return fileMeta{}, fmt.Errorf("%s: %s: bad redirect %q: %w", repo, path, loc, err)
			}
			u = next.String()
			continue
		}
		if etag == "" {
			return fileMeta{}, fmt.Errorf("%s@%s: %s: the hub sent no ETag; is %s a Hugging Face hub?", repo, commit, path, c.opts.Endpoint)
		}
		norm, err := normalizeEtag(etag)
		if err != nil {
			return fileMeta{}, fmt.Errorf("%s@%s: %s: %w", repo, commit, path, err)
		}
		meta := fileMeta{etag: norm, size: -1, commit: h.Get("X-Repo-Commit")}
		for _, k := range []string{"X-Linked-Size", "Content-Length"} {
			if n, err := strconv.ParseInt(h.Get(k), 10, 64); err == nil && n >= 0 {
				meta.size = n
				break
			}
		}
		return meta, nil
	}
	return fileMeta{}, fmt.Errorf("%s: %s: %w", repo, path, errTooManyRedirects)
}

var (
	hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)
	hex40 = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

// checksum is how a blob is verified: the sha256 of its content (LFS files,
// whose etag is that sha256) or the git blob sha1 (regular files, whose etag
// is the git object id).
type checksum struct {
	sha256  string
	gitSHA1 string
}

func (s checksum) none() bool { return s.sha256 == "" && s.gitSHA1 == "" }

// pickChecksum chooses what to verify, trusting the etag only where the tree
// listing confirms what kind of id it is.
func pickChecksum(meta fileMeta, e treeEntry) checksum {
	switch {
	case hex64.MatchString(meta.etag):
		return checksum{sha256: meta.etag}
	case e.LFS != nil && hex64.MatchString(e.sha256()):
		return checksum{sha256: e.sha256()}
	case hex40.MatchString(meta.etag) && meta.etag == strings.ToLower(e.OID) && meta.size >= 0:
		return checksum{gitSHA1: meta.etag}
	}
	return checksum{}
}

// newHash starts a hash for the checksum; size is needed for git's header.
func (s checksum) newHash(size int64) hash.Hash {
	switch {
	case s.sha256 != "":
		return sha256.New()
	case s.gitSHA1 != "":
		h := sha1.New()
		fmt.Fprintf(h, "blob %d\x00", size)
		return h
	}
	return nil
}

func (s checksum) check(h hash.Hash) (want, got string, ok bool) {
	if h == nil {
		return "", "", true
	}
	got = hex.EncodeToString(h.Sum(nil))
	want = s.sha256
	if want == "" {
		want = s.gitSHA1
	}
	return want, got, got == want
}

func (s checksum) kind() string {
	if s.sha256 != "" {
		return "sha256"
	}
	return "git sha1"
}

// verifyFile hashes a whole file against the checksum.
func verifyFile(path string, size int64, sum checksum) error {
	if sum.none() {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sum.newHash(size)
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if want, got, ok := sum.check(h); !ok {
		return fmt.Errorf("%s: %w: %s is %s, expected %s", path, ErrChecksum, sum.kind(), got, want)
	}
	return nil
}

// fetchFile makes snapshots/<commit>/<path> available, downloading its blob
// unless the snapshot or another snapshot already has it.
func (c *Client) fetchFile(ctx context.Context, repo Repo, commit string, e treeEntry, tr *tracker) error {
	dir := c.repoDir(repo)
	dst := filepath.Join(snapshotDir(dir, commit), filepath.FromSlash(e.Path))
	if !c.opts.Verify {
		if info, err := os.Stat(dst); err == nil && info.Mode().IsRegular() && info.Size() == e.Size {
			tr.existing(e.Path, info.Size())
			tr.fileDone(e.Path)
			return nil
		}
	}
	var meta fileMeta
	err := c.withRetry(ctx, func(int) error {
		var err error
		meta, err = c.headFile(ctx, repo, commit, e.Path)
		return err
	})
	if err != nil {
		return err
	}
	if meta.size < 0 {
		meta.size = e.Size
	}
	sum := pickChecksum(meta, e)
	blob := blobPath(dir, meta.etag)

	unlock, err := c.lockBlob(ctx, repo, meta.etag)
	if err != nil {
		return err
	}
	defer unlock()

	if info, err := os.Stat(blob); err == nil {
		ok := info.Mode().IsRegular() && (meta.size < 0 || info.Size() == meta.size)
		if ok && c.opts.Verify {
			ok = verifyFile(blob, info.Size(), sum) == nil
		}
		if ok {
			tr.existing(e.Path, info.Size())
			if err := linkBlob(blob, dst); err != nil {
				return err
			}
			tr.fileDone(e.Path)
			return nil
		}
		// A cached blob that fails its size or checksum is corrupt: drop it
		// and download it again.
		if err := os.Remove(blob); err != nil {
			return fmt.Errorf("remove corrupt blob %s: %w", blob, err)
		}
	}
	if err := os.MkdirAll(filepath.Dir(blob), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(blob), err)
	}
	incomplete := blob + ".incomplete"
	if err := c.downloadBlob(ctx, repo, commit, e.Path, incomplete, meta.size, sum, tr); err != nil {
		return err
	}
	if err := os.Rename(incomplete, blob); err != nil {
		return fmt.Errorf("finish %s: %w", blob, err)
	}
	if err := linkBlob(blob, dst); err != nil {
		return err
	}
	tr.fileDone(e.Path)
	return nil
}

// downloadBlob fills incomplete with the file's bytes, resuming from whatever
// it already holds and retrying dropped transfers. A checksum failure deletes
// the partial file and is retried once from scratch (a stale partial file may
// have been the cause).
func (c *Client) downloadBlob(ctx context.Context, repo Repo, commit, path, incomplete string, size int64, sum checksum, tr *tracker) error {
	var reported int64 // bytes of this file already counted in the tracker
	checksumRetried := false
	return c.withRetry(ctx, func(int) error {
		err := c.downloadOnce(ctx, repo, commit, path, incomplete, size, sum, tr, &reported)
		if errors.Is(err, ErrChecksum) && !checksumRetried {
			checksumRetried = true
			return &transientError{err: err}
		}
		return err
	})
}

// progressWriter reports every write to the tracker.
type progressWriter struct {
	w        io.Writer
	tr       *tracker
	path     string
	reported *int64
}

func (p *progressWriter) Write(b []byte) (int, error) {
	n, err := p.w.Write(b)
	if n > 0 {
		*p.reported += int64(n)
		p.tr.transfer(p.path, int64(n))
	}
	return n, err
}

var contentRange = regexp.MustCompile(`^bytes (\d+)-(\d+)/(\d+|\*)$`)

func (c *Client) downloadOnce(ctx context.Context, repo Repo, commit, path, incomplete string, size int64, sum checksum, tr *tracker, reported *int64) error {
	f, err := os.OpenFile(incomplete, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("open %s: %w", incomplete, err)
	}
	defer f.Close()
	have, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return fmt.Errorf("seek %s: %w", incomplete, err)
	}
	if size >= 0 && have > size {
		have = 0
	}
	if err := f.Truncate(have); err != nil {
		return fmt.Errorf("truncate %s: %w", incomplete, err)
	}
	h := sum.newHash(size)
	if have > 0 && h != nil {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("seek %s: %w", incomplete, err)
		}
		if _, err := io.CopyN(h, f, have); err != nil {
			return fmt.Errorf("read %s: %w", incomplete, err)
		}
	}
	if delta := have - *reported; delta != 0 {
		tr.existing(path, delta)
		*reported = have
	}

	if size < 0 || have < size || size == 0 {
		// The watchdog cancels this request alone when bytes stop coming.
		reqCtx, cancelReq := context.WithCancelCause(ctx)
		defer cancelReq(nil)
		req, err := c.newRequest(reqCtx, http.MethodGet, c.resolveURL(repo, commit, path))
		if err != nil {
			return err
		}
		req.Header.Set("Accept-Encoding", "identity")
		if have > 0 {
			req.Header.Set("Range", "bytes="+strconv.FormatInt(have, 10)+"-")
		}
		resp, err := c.send(c.http, req, repo, commit, path)
		if err != nil && ctx.Err() == nil && reqCtx.Err() != nil {
			err = &transientError{err: fmt.Errorf("%s: %s: %w", repo, path, context.Cause(reqCtx))}
		}
		if err != nil {
			var herr *HTTPError
			if errors.As(err, &herr) && herr.Status == http.StatusRequestedRangeNotSatisfiable {
				// The partial file does not fit the blob any more: start over.
				f.Truncate(0)
				tr.transfer(path, -*reported)
				*reported = 0
				return &transientError{err: err}
			}
			return err
		}
		defer resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusPartialContent:
			m := contentRange.FindStringSubmatch(resp.Header.Get("Content-Range"))
			if m == nil || m[1] != strconv.FormatInt(have, 10) {
				f.Truncate(0)
				tr.transfer(path, -*reported)
				*reported = 0
				return &transientError{err: fmt.Errorf("%s: server answered range %q to a request from byte %d", path, resp.Header.Get("Content-Range"), have)}
			}
		case http.StatusOK:
			if have > 0 { // range ignored: the whole file comes again
				if err := f.Truncate(0); err != nil {
					return fmt.Errorf("truncate %s: %w", incomplete, err)
				}
				tr.transfer(path, -*reported)
				*reported = 0
				have = 0
				h = sum.newHash(size)
			}
		default:
			return fmt.Errorf("%s: %s: unexpected HTTP %d from %s", repo, path, resp.StatusCode, resp.Request.URL.Redacted())
		}
		if _, err := f.Seek(have, io.SeekStart); err != nil {
			return fmt.Errorf("seek %s: %w", incomplete, err)
		}
		var w io.Writer = f
		if h != nil {
			w = io.MultiWriter(f, h)
		}
		body := newWatchdog(resp.Body, c.opts.StallTimeout, func() {
			cancelReq(fmt.Errorf("%w: nothing received for %s", errStalled, c.opts.StallTimeout))
		})
		n, err := io.Copy(&progressWriter{w: w, tr: tr, path: path, reported: reported}, body)
		body.stop()
		have += n
		if err != nil {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			if reqCtx.Err() != nil {
				return &transientError{err: fmt.Errorf("%s: %s: transfer stalled after %d bytes: %w", repo, path, have, context.Cause(reqCtx))}
			}
			var pathErr *fs.PathError
			if errors.As(err, &pathErr) {
				return fmt.Errorf("write %s: %w", incomplete, err)
			}
			return &transientError{err: fmt.Errorf("%s: %s: transfer interrupted after %d bytes: %w", repo, path, have, err)}
		}
	}
	if size >= 0 && have < size {
		return &transientError{err: fmt.Errorf("%s: %s: connection closed after %d of %d bytes", repo, path, have, size)}
	}
	if size >= 0 && have > size {
		f.Close()
		os.Remove(incomplete)
		tr.transfer(path, -*reported)
		*reported = 0
		return fmt.Errorf("%s: %s: %w: received %d bytes, expected %d; partial download removed", repo, path, ErrChecksum, have, size)
	}
	if want, got, ok := sum.check(h); !ok {
		f.Close()
		os.Remove(incomplete)
		tr.transfer(path, -*reported)
		*reported = 0
		return fmt.Errorf("%s@%s: %s: %w: %s of the download is %s, expected %s; the corrupt download was deleted",
			repo, commit, path, ErrChecksum, sum.kind(), got, want)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", incomplete, err)
	}
	return nil
}

var errStalled = errors.New("transfer stalled")

// watchdog fires when a body yields no bytes for a while.
type watchdog struct {
	r     io.Reader
	limit time.Duration
	timer *time.Timer
}

func newWatchdog(r io.Reader, limit time.Duration, fire func()) *watchdog {
	return &watchdog{r: r, limit: limit, timer: time.AfterFunc(limit, fire)}
}

func (w *watchdog) Read(p []byte) (int, error) {
	n, err := w.r.Read(p)
	if n > 0 {
		w.timer.Reset(w.limit)
	}
	return n, err
}

func (w *watchdog) stop() { w.timer.Stop() }
