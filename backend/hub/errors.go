package hub

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Sentinel errors; test with errors.Is.
var (
	// ErrGated: the repo needs an accepted licence or a token with access.
	ErrGated = errors.New("gated or private repository")
	// ErrNotFound: the repo, revision or file does not exist (or is private
	// and no token was given).
	ErrNotFound = errors.New("repo or revision not found")
	// ErrNotCached: offline mode and the cache lacks what was asked for.
	ErrNotCached = errors.New("not in the local cache")
	// ErrChecksum: a downloaded or cached blob does not match its checksum.
	ErrChecksum = errors.New("checksum mismatch")

	errTooManyRedirects = errors.New("too many redirects")
)

// HTTPError is a hub response that is not a success. Its message says what
// the user should do; Is matches ErrGated or ErrNotFound where they apply.
type HTTPError struct {
	Status int
	// Code is the hub's X-Error-Code header (GatedRepo, RepoNotFound, ...).
	Code string
	// Message is the hub's X-Error-Message header, if any.
	Message  string
	URL      string
	Repo     Repo
	Revision string
	// Path is the file, for file requests.
	Path     string
	endpoint string
	hasToken bool
}

func (e *HTTPError) gated() bool {
	if e.Code == "GatedRepo" {
		return true
	}
	if e.Code == "RepoNotFound" || e.Code == "RevisionNotFound" || e.Code == "EntryNotFound" {
		return false
	}
	return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
}

func (e *HTTPError) notFound() bool {
	switch e.Code {
	case "RepoNotFound", "RevisionNotFound", "EntryNotFound":
		return true
	}
	return e.Status == http.StatusNotFound
}

// Is lets errors.Is match the sentinel that describes the failure.
func (e *HTTPError) Is(target error) bool {
	switch target {
	case ErrGated:
		return e.gated()
	case ErrNotFound:
		return e.notFound()
	}
	return false
}

func (e *HTTPError) Error() string {
	what := e.Repo.String()
	if e.Revision != "" {
		what += "@" + e.Revision
	}
	if e.Path != "" {
		what += ": " + e.Path
	}
	var b strings.Builder
	switch {
	case e.gated():
		fmt.Fprintf(&b, "%s: access denied (HTTP %d): the repository is gated or private. ", what, e.Status)
		fmt.Fprintf(&b, "Accept its licence while logged in at %s, then ", e.Repo.pageURL(e.endpoint))
		if e.hasToken {
			b.WriteString("check that your token (HF_TOKEN or the token file of `huggingface-cli login`) belongs to that account and has read access")
		} else {
			fmt.Fprintf(&b, "set HF_TOKEN to an access token from %s/settings/tokens or run `huggingface-cli login`", e.endpoint)
		}
	case e.notFound():
		fmt.Fprintf(&b, "%s: repo or revision not found (HTTP %d)", what, e.Status)
		switch e.Code {
		case "RevisionNotFound":
			b.WriteString(": no such branch, tag or commit")
		case "EntryNotFound":
			b.WriteString(": no such file at that revision")
		}
		if !e.hasToken && e.Code != "RevisionNotFound" && e.Code != "EntryNotFound" {
			b.WriteString("; check the id, and if the repo is private set HF_TOKEN or run `huggingface-cli login`")
		}
	default:
		fmt.Fprintf(&b, "%s: hub answered HTTP %d", what, e.Status)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, " (hub says: %s)", e.Message)
	}
	return b.String()
}

// retryable reports whether a status is worth retrying.
func retryable(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusRequestTimeout || status >= 500
}
