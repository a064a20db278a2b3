package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// transientError marks a failure worth retrying: a dropped connection, a
// timeout, a 5xx or a 429. retryAfter is the server's requested wait, if any.
type transientError struct {
	err        error
	retryAfter time.Duration
}

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

func isTransient(err error) bool {
	var t *transientError
	return errors.As(err, &t)
}

// withRetry runs fn until it succeeds, fails for good, or the retry budget is
// spent, waiting with exponential backoff between attempts.
func (c *Client) withRetry(ctx context.Context, fn func(attempt int) error) error {
	return c.withRetries(ctx, c.opts.Retries, fn)
}

func (c *Client) withRetries(ctx context.Context, retries int, fn func(attempt int) error) error {
	for attempt := 0; ; attempt++ {
		err := fn(attempt)
		if err == nil || !isTransient(err) || attempt >= retries {
			return err
		}
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		wait := c.opts.RetryBackoff << attempt
		if wait > 30*time.Second {
			wait = 30 * time.Second
		}
		var t *transientError
		if errors.As(err, &t) && t.retryAfter > 0 && t.retryAfter < 2*time.Minute {
			wait = t.retryAfter
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return context.Cause(ctx)
		case <-timer.C:
		}
	}
}

func (c *Client) newRequest(ctx context.Context, method, u string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, fmt.Errorf("build request %s: %w", u, err)
	}
	req.Header.Set("User-Agent", c.opts.UserAgent)
	if c.opts.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.opts.Token)
	}
	return req, nil
}

// send performs req and turns failures into errors: network failures are
// transient, hub error statuses become *HTTPError (transient when retryable).
// A non-nil response has a 2xx or 3xx status and its body is the caller's.
func (c *Client) send(hc *http.Client, req *http.Request, repo Repo, rev, path string) (*http.Response, error) {
	resp, err := hc.Do(req)
	if err != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return nil, context.Cause(req.Context())
		}
		if errors.Is(err, errTooManyRedirects) {
			return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Redacted(), err)
		}
		nerr := unreachableError(req, err)
		// A host name that does not resolve will not resolve in the next
		// half minute either: fail at once instead of retrying.
		var dns *net.DNSError
		if errors.As(err, &dns) && dns.IsNotFound {
			return nil, nerr
		}
		return nil, &transientError{err: nerr}
	}
	if resp.StatusCode < 400 {
		return resp, nil
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	herr := &HTTPError{
		Status:   resp.StatusCode,
		Code:     resp.Header.Get("X-Error-Code"),
		Message:  resp.Header.Get("X-Error-Message"),
		URL:      req.URL.Redacted(),
		Repo:     repo,
		Revision: rev,
		Path:     path,
		endpoint: c.opts.Endpoint,
		hasToken: c.opts.Token != "",
	}
	if retryable(resp.StatusCode) {
		var after time.Duration
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
			after = time.Duration(s) * time.Second
		}
		return nil, &transientError{err: herr, retryAfter: after}
	}
	return nil, herr
}

// unreachableError says that the hub could not be reached and what to do,
// instead of Go's "Get <url>: dial tcp: ..." chain, which repeats the URL.
func unreachableError(req *http.Request, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("cannot reach the hub at %s (%s %s): %w; check the network and proxy settings, or set HF_HUB_OFFLINE=1 to use only the local cache",
		req.URL.Host, req.Method, req.URL.Redacted(), err)
}

// getJSON fetches u into v and returns the next page's URL from a Link header.
func (c *Client) getJSON(ctx context.Context, u string, repo Repo, rev string, v any, retries int) (next string, err error) {
	err = c.withRetries(ctx, retries, func(int) error {
		req, err := c.newRequest(ctx, http.MethodGet, u)
		if err != nil {
			return err
		}
		req.Header.Set("Accept", "application/json")
		resp, err := c.send(c.http, req, repo, rev, "")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			return &transientError{err: fmt.Errorf("decode %s: %w", req.URL.Redacted(), err)}
		}
		next = nextLink(resp.Header.Get("Link"))
		return nil
	})
	return next, err
}

var linkNext = regexp.MustCompile(`<([^>]+)>\s*;\s*rel="?next"?`)

func nextLink(h string) string {
	if m := linkNext.FindStringSubmatch(h); m != nil {
		return m[1]
	}
	return ""
}

// apiURL is {endpoint}/api/{models|datasets}/{id}/{what}/{revision}.
func (c *Client) apiURL(repo Repo, what, rev string) string {
	return c.opts.Endpoint + "/api/" + repo.plural() + "/" + repo.escapedID() + "/" + what + "/" + url.PathEscape(rev)
}

// resolveURL is the download URL of one file at a revision.
func (c *Client) resolveURL(repo Repo, rev, path string) string {
	prefix := c.opts.Endpoint + "/"
	if repo.Type == Dataset {
		prefix += "datasets/"
	}
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return prefix + repo.escapedID() + "/resolve/" + url.PathEscape(rev) + "/" + strings.Join(segs, "/")
}

// revisionInfo is the part of /api/{type}s/{id}/revision/{rev} we read.
type revisionInfo struct {
	SHA string `json:"sha"`
}

// resolveCommit asks the hub which commit a branch, tag or commit names,
// retrying transient failures at most retries times.
func (c *Client) resolveCommit(ctx context.Context, repo Repo, rev string, retries int) (string, error) {
	var info revisionInfo
	if _, err := c.getJSON(ctx, c.apiURL(repo, "revision", rev), repo, rev, &info, retries); err != nil {
		return "", err
	}
	if !isCommit(info.SHA) {
		return "", fmt.Errorf("%s@%s: hub returned no commit sha for the revision (got %q)", repo, rev, info.SHA)
	}
	return info.SHA, nil
}

// treeEntry is one file of /api/{type}s/{id}/tree/{rev}?recursive=true.
type treeEntry struct {
	Type string `json:"type"`
	OID  string `json:"oid"`
	Size int64  `json:"size"`
	Path string `json:"path"`
	LFS  *struct {
		OID  string `json:"oid"`
		Size int64  `json:"size"`
	} `json:"lfs,omitempty"`
}

// sha256 is the LFS checksum when the file is stored in LFS.
func (e treeEntry) sha256() string {
	if e.LFS != nil {
		return strings.ToLower(e.LFS.OID)
	}
	return ""
}

// listFiles lists every file of the repo at commit, following pagination.
func (c *Client) listFiles(ctx context.Context, repo Repo, commit string) ([]treeEntry, error) {
	u := c.apiURL(repo, "tree", commit) + "?recursive=true&expand=false"
	var files []treeEntry
	for page := 0; u != ""; page++ {
		if page > 10000 {
			return nil, fmt.Errorf("%s@%s: file listing does not end", repo, commit)
		}
		var entries []treeEntry
		next, err := c.getJSON(ctx, u, repo, commit, &entries, c.opts.Retries)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if e.Type != "file" {
				continue
			}
			if err := checkRepoPath(e.Path); err != nil {
				return nil, fmt.Errorf("%s@%s: hub listed %w", repo, commit, err)
			}
			files = append(files, e)
		}
		u = next
	}
	return files, nil
}

var hexCommit = regexp.MustCompile(`^[0-9a-f]{40}$`)

// isCommit reports whether rev is a full git commit sha.
func isCommit(rev string) bool { return hexCommit.MatchString(rev) }
