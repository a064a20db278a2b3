// Package hubtest is an in-process imitation of the Hugging Face hub for
// tests: revision info, the recursive tree listing (paginated), resolve URLs
// that answer regular files directly and redirect LFS files to a CDN on
// another host, the ETag / X-Linked-* / X-Repo-Commit headers, Range
// requests, 401/403/404 errors with X-Error-Code, and injectable faults
// (dropped connections, corrupt bytes, stalls). No test needs the internet.
package hubtest

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Server imitates the hub endpoints the client uses: revision info, the
// recursive tree listing (paginated), resolve URLs that answer regular files
// directly and redirect LFS files to a CDN on another host, ETag and
// X-Linked-* headers, Range requests and 401/403/404 errors with X-Error-Code.
// Server is a fake hub plus its CDN. Create it with New.
type Server struct {
	t testing.TB
	// API is the hub; CDN serves LFS content on another host.
	API *httptest.Server
	CDN *httptest.Server

	mu       sync.Mutex
	repos    map[string]*Repo // "models/org/name"
	token    string           // the token that opens gated repos
	requests []Request
	// dropAfter makes the next transfers of a file (by repo path) stop after
	// that many body bytes; dropTimes says how many transfers are cut.
	dropAfter map[string]int
	dropTimes map[string]int
	// corrupt serves flipped bytes for these paths.
	corrupt map[string]bool
	// stall blocks transfers of these paths until the request ends.
	stall map[string]int
	// pageSize > 0 paginates tree listings.
	pageSize int
	// failures answer requests whose path starts with a prefix with an
	// error status, a given number of times.
	failures []failure
	// renamed maps an old "models/org/name" to the repo's current id.
	renamed map[string]string
}

// Request is what the server logs of each request.
type Request struct {
	Method, Host, Path, Range, Auth string
}

// Repo is one hub repository. Tests may add commits and refs after AddRepo,
// before requests are made.
type Repo struct {
	// Type is "model" or "dataset".
	Type string
	ID   string
	// Refs maps branches and tags (e.g. "refs/convert/parquet") to commits.
	Refs map[string]string
	// Commits maps a commit sha to its files by path.
	Commits map[string]map[string]File
	// Gated repos list their files to anyone, as the hub does, but answer
	// file downloads with 401 without a token and 403 with a wrong one.
	Gated bool
	// Private repos answer everything with 401 RepoNotFound without the
	// right token, so that their existence does not leak.
	Private bool
}

// File is one file of a commit. LFS files are redirected to the CDN and
// identified by their sha256; the others by their git blob sha1.
type File struct {
	Content []byte
	LFS     bool
}

// SHA256 is the hex sha256 of the content (the etag of an LFS file).
func (f File) SHA256() string {
	s := sha256.Sum256(f.Content)
	return hex.EncodeToString(s[:])
}

// GitSHA1 is the git blob id of the content (the etag of a regular file).
func (f File) GitSHA1() string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(f.Content))
	h.Write(f.Content)
	return hex.EncodeToString(h.Sum(nil))
}

// ETag is the blob name huggingface_hub gives the file in its cache.
func (f File) ETag() string {
	if f.LFS {
		return f.SHA256()
	}
	return f.GitSHA1()
}

// New starts a fake hub and its CDN, closed when the test ends.
func New(t testing.TB) *Server {
	h := &Server{
		t: t, repos: map[string]*Repo{},
		dropAfter: map[string]int{}, dropTimes: map[string]int{},
		corrupt: map[string]bool{}, stall: map[string]int{}, renamed: map[string]string{},
	}
	h.API = httptest.NewServer(http.HandlerFunc(h.serveAPI))
	h.CDN = httptest.NewServer(http.HandlerFunc(h.serveCDN))
	t.Cleanup(func() {
		h.API.Close()
		h.CDN.Close()
	})
	return h
}

// AddRepo registers a repo of type "model" or "dataset" whose "main"
// branch is commit with files.
func (h *Server) AddRepo(typ, id, commit string, files map[string]File) *Repo {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := &Repo{Type: typ, ID: id, Refs: map[string]string{"main": commit}, Commits: map[string]map[string]File{commit: files}}
	h.repos[typ+"s/"+id] = r
	return r
}

// URL is the hub endpoint to give the client.
func (h *Server) URL() string { return h.API.URL }

// SetToken sets the token that opens gated repos.
func (h *Server) SetToken(token string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.token = token
}

// SetPageSize paginates tree listings n entries at a time (0: one page).
func (h *Server) SetPageSize(n int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.pageSize = n
}

// DropAfter cuts the connection after n body bytes for the next times GET
// transfers of the file at path.
func (h *Server) DropAfter(path string, n, times int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.dropAfter[path] = n
	h.dropTimes[path] = times
}

// Corrupt makes transfers of the file at path serve flipped bytes.
func (h *Server) Corrupt(path string, on bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.corrupt[path] = on
}

// Stall makes every transfer of the file at path send a few bytes and then
// hang, connection open, until the client goes away.
func (h *Server) Stall(path string) { h.StallTimes(path, -1) }

// StallTimes stalls only the next times GET transfers of the file at path
// (negative: all of them).
func (h *Server) StallTimes(path string, times int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stall[path] = times
}

type failure struct {
	prefix     string
	status     int
	retryAfter string
	times      int
}

// Fail answers the next times requests whose escaped path starts with
// prefix (hub or CDN) with status, and a Retry-After header when given.
func (h *Server) Fail(prefix string, status, times int, retryAfter string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failures = append(h.failures, failure{prefix: prefix, status: status, retryAfter: retryAfter, times: times})
}

// Rename makes the repo of type typ reachable under oldID too: requests for
// the old name are redirected (307, relative Location) as the hub does
// after a rename.
func (h *Server) Rename(typ, oldID, newID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.renamed[typ+"s/"+oldID] = newID
}

// fail writes an injected failure for r, if one is due.
func (h *Server) fail(w http.ResponseWriter, r *http.Request) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range h.failures {
		f := &h.failures[i]
		if f.times > 0 && strings.HasPrefix(r.URL.EscapedPath(), f.prefix) {
			f.times--
			if f.retryAfter != "" {
				w.Header().Set("Retry-After", f.retryAfter)
			}
			http.Error(w, http.StatusText(f.status), f.status)
			return true
		}
	}
	return false
}

// redirectRenamed sends requests for a renamed repo to its new name.
func (h *Server) redirectRenamed(w http.ResponseWriter, r *http.Request, plural, org, name string) bool {
	h.mu.Lock()
	newID, ok := h.renamed[plural+"/"+org+"/"+name]
	h.mu.Unlock()
	if !ok {
		return false
	}
	loc := strings.Replace(r.URL.EscapedPath(), "/"+org+"/"+name+"/", "/"+newID+"/", 1)
	if r.URL.RawQuery != "" {
		loc += "?" + r.URL.RawQuery
	}
	w.Header().Set("Location", loc)
	w.WriteHeader(http.StatusTemporaryRedirect)
	return true
}

// Requests returns every request received so far, hub and CDN.
func (h *Server) Requests() []Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Request(nil), h.requests...)
}

// ResetLog forgets the requests received so far.
func (h *Server) ResetLog() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.requests = nil
}

// Count counts received requests whose escaped path starts with prefix
// (CDN paths are "/blobs/<sha256>").
func (h *Server) Count(prefix string) int {
	n := 0
	for _, r := range h.Requests() {
		if strings.HasPrefix(r.Path, prefix) {
			n++
		}
	}
	return n
}

func (h *Server) record(r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.requests = append(h.requests, Request{Method: r.Method, Host: r.Host, Path: r.URL.EscapedPath(), Range: r.Header.Get("Range"), Auth: r.Header.Get("Authorization")})
}

func segments(escaped string) []string {
	parts := strings.Split(strings.Trim(escaped, "/"), "/")
	for i, p := range parts {
		if u, err := url.PathUnescape(p); err == nil {
			parts[i] = u
		}
	}
	return parts
}

func hubError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("X-Error-Code", code)
	w.Header().Set("X-Error-Message", msg)
	http.Error(w, msg, status)
}

// lookup finds a repo and a commit, applying the access rules (download
// says whether file content is asked for); ok is false when an error was
// written.
func (h *Server) lookup(w http.ResponseWriter, r *http.Request, plural, org, name, rev string, download bool) (*Repo, string, bool) {
	h.mu.Lock()
	repo := h.repos[plural+"/"+org+"/"+name]
	token := h.token
	h.mu.Unlock()
	if repo == nil {
		hubError(w, http.StatusNotFound, "RepoNotFound", "Repository not found")
		return nil, "", false
	}
	authorized := token != "" && r.Header.Get("Authorization") == "Bearer "+token
	if repo.Private && !authorized {
		hubError(w, http.StatusUnauthorized, "RepoNotFound", "Repository not found")
		return nil, "", false
	}
	if repo.Gated && download && !authorized {
		if r.Header.Get("Authorization") == "" {
			hubError(w, http.StatusUnauthorized, "GatedRepo", "Access to model "+repo.ID+" is restricted. You must have access to it and be authenticated to access it. Please log in.")
		} else {
			hubError(w, http.StatusForbidden, "GatedRepo", "Access to model "+repo.ID+" is restricted and you are not in the authorized list.")
		}
		return nil, "", false
	}
	commit := rev
	if c, ok := repo.Refs[rev]; ok {
		commit = c
	}
	if _, ok := repo.Commits[commit]; !ok {
		hubError(w, http.StatusNotFound, "RevisionNotFound", "Invalid rev id: "+rev)
		return nil, "", false
	}
	return repo, commit, true
}

func (h *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	h.record(r)
	if h.fail(w, r) {
		return
	}
	seg := segments(r.URL.EscapedPath())
	switch {
	case len(seg) >= 6 && seg[0] == "api" && (seg[1] == "models" || seg[1] == "datasets"):
		plural, org, name, what, rev := seg[1], seg[2], seg[3], seg[4], strings.Join(seg[5:], "/")
		if h.redirectRenamed(w, r, plural, org, name) {
			return
		}
		repo, commit, ok := h.lookup(w, r, plural, org, name, rev, false)
		if !ok {
			return
		}
		switch what {
		case "revision":
			var siblings []map[string]string
			for p := range repo.Commits[commit] {
				siblings = append(siblings, map[string]string{"rfilename": p})
			}
			writeJSON(w, map[string]any{"id": org + "/" + name, "sha": commit, "siblings": siblings})
		case "tree":
			h.serveTree(w, r, repo, commit)
		default:
			http.NotFound(w, r)
		}
	case len(seg) >= 5 && seg[0] == "datasets" && seg[3] == "resolve":
		h.serveResolve(w, r, "datasets", seg[1], seg[2], seg[4], strings.Join(seg[5:], "/"))
	case len(seg) >= 4 && seg[2] == "resolve":
		h.serveResolve(w, r, "models", seg[0], seg[1], seg[3], strings.Join(seg[4:], "/"))
	default:
		http.NotFound(w, r)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func (h *Server) serveTree(w http.ResponseWriter, r *http.Request, repo *Repo, commit string) {
	if r.URL.Query().Get("recursive") != "true" {
		h.t.Errorf("tree listing without recursive=true: %s", r.URL)
	}
	files := repo.Commits[commit]
	var paths []string
	dirs := map[string]bool{}
	for p := range files {
		paths = append(paths, p)
		for d := p; strings.Contains(d, "/"); {
			d = d[:strings.LastIndex(d, "/")]
			dirs[d] = true
		}
	}
	sort.Strings(paths)
	var entries []map[string]any
	for d := range dirs {
		entries = append(entries, map[string]any{"type": "directory", "oid": "0000000000000000000000000000000000000000", "size": 0, "path": d})
	}
	for _, p := range paths {
		f := files[p]
		e := map[string]any{"type": "file", "oid": f.GitSHA1(), "size": len(f.Content), "path": p}
		if f.LFS {
			// The git object is the LFS pointer, not the content.
			e["oid"] = File{Content: []byte("version https://git-lfs.github.com/spec/v1\noid sha256:" + f.SHA256())}.GitSHA1()
			e["lfs"] = map[string]any{"oid": f.SHA256(), "size": len(f.Content), "pointerSize": 134}
		}
		entries = append(entries, e)
	}
	h.mu.Lock()
	page := h.pageSize
	h.mu.Unlock()
	if page > 0 {
		start, _ := strconv.Atoi(r.URL.Query().Get("cursor"))
		end := min(start+page, len(entries))
		if end < len(entries) {
			next := *r.URL
			q := next.Query()
			q.Set("cursor", strconv.Itoa(end))
			next.RawQuery = q.Encode()
			w.Header().Set("Link", fmt.Sprintf(`<%s%s>; rel="next"`, h.API.URL, next.RequestURI()))
		}
		entries = entries[start:end]
	}
	writeJSON(w, entries)
}

func (h *Server) serveResolve(w http.ResponseWriter, r *http.Request, plural, org, name, rev, path string) {
	if h.redirectRenamed(w, r, plural, org, name) {
		return
	}
	repo, commit, ok := h.lookup(w, r, plural, org, name, rev, true)
	if !ok {
		return
	}
	f, ok := repo.Commits[commit][path]
	if !ok {
		hubError(w, http.StatusNotFound, "EntryNotFound", path+" does not exist on "+rev)
		return
	}
	w.Header().Set("X-Repo-Commit", commit)
	if f.LFS {
		w.Header().Set("X-Linked-Etag", `"`+f.SHA256()+`"`)
		w.Header().Set("X-Linked-Size", strconv.Itoa(len(f.Content)))
		w.Header().Set("ETag", `W/"`+f.GitSHA1()+`"`)
		w.Header().Set("Location", h.CDN.URL+"/blobs/"+f.SHA256()+"?repo="+url.QueryEscape(plural+"/"+org+"/"+name)+"&path="+url.QueryEscape(path))
		w.WriteHeader(http.StatusFound)
		return
	}
	w.Header().Set("ETag", `"`+f.GitSHA1()+`"`)
	h.serveBytes(w, r, path, f.Content)
}

func (h *Server) serveCDN(w http.ResponseWriter, r *http.Request) {
	h.record(r)
	if h.fail(w, r) {
		return
	}
	q := r.URL.Query()
	h.mu.Lock()
	repo := h.repos[q.Get("repo")]
	h.mu.Unlock()
	if repo == nil {
		http.NotFound(w, r)
		return
	}
	for _, files := range repo.Commits {
		if f, ok := files[q.Get("path")]; ok && "/blobs/"+f.SHA256() == r.URL.Path {
			h.serveBytes(w, r, q.Get("path"), f.Content)
			return
		}
	}
	http.NotFound(w, r)
}

// serveBytes answers GET/HEAD with Range support and the injected faults.
func (h *Server) serveBytes(w http.ResponseWriter, r *http.Request, path string, content []byte) {
	h.mu.Lock()
	corrupt := h.corrupt[path]
	stall := false
	if n := h.stall[path]; n != 0 && r.Method == http.MethodGet {
		stall = true
		if n > 0 {
			h.stall[path] = n - 1
		}
	}
	drop := -1
	if h.dropTimes[path] > 0 && r.Method == http.MethodGet {
		h.dropTimes[path]--
		drop = h.dropAfter[path]
	}
	h.mu.Unlock()
	body := content
	if corrupt {
		body = append([]byte(nil), content...)
		for i := range body {
			body[i] ^= 0x5a
		}
	}
	start := 0
	status := http.StatusOK
	if rg := r.Header.Get("Range"); rg != "" {
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(rg, "bytes="), "-"))
		if err != nil || n < 0 {
			http.Error(w, "bad range", http.StatusBadRequest)
			return
		}
		if n >= len(body) {
			w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", len(body)))
			http.Error(w, "range not satisfiable", http.StatusRequestedRangeNotSatisfiable)
			return
		}
		start = n
		status = http.StatusPartialContent
		w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", n, len(body)-1, len(body)))
	}
	w.Header().Set("Accept-Ranges", "bytes")
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)-start))
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	if stall {
		w.Write(body[start : start+min(16, len(body)-start)])
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		return
	}
	if drop >= 0 {
		w.Write(body[start:min(start+drop, len(body))])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler) // cut the connection mid-body
	}
	w.Write(body[start:])
}
