package hub

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

// fakeHub imitates the hub endpoints the client uses: revision info, the
// recursive tree listing (paginated), resolve URLs that answer regular files
// directly and redirect LFS files to a CDN on another host, ETag and
// X-Linked-* headers, Range requests and 401/403/404 errors with X-Error-Code.
type fakeHub struct {
	t   *testing.T
	api *httptest.Server
	cdn *httptest.Server

	mu       sync.Mutex
	repos    map[string]*fakeRepo // "models/org/name"
	token    string               // the token that opens gated repos
	requests []fakeRequest
	// dropAfter makes the next transfers of a file (by repo path) stop after
	// that many body bytes; dropTimes says how many transfers are cut.
	dropAfter map[string]int
	dropTimes map[string]int
	// corrupt serves flipped bytes for these paths.
	corrupt map[string]bool
	// stall blocks transfers of these paths until the request ends.
	stall map[string]bool
	// pageSize > 0 paginates tree listings.
	pageSize int
}

type fakeRequest struct {
	Method, Host, Path, Range, Auth string
}

type fakeRepo struct {
	typ     RepoType
	id      string
	refs    map[string]string              // branch or tag -> commit
	commits map[string]map[string]fakeFile // commit -> path -> file
	gated   bool
}

type fakeFile struct {
	content []byte
	lfs     bool
}

func (f fakeFile) sha256() string {
	s := sha256.Sum256(f.content)
	return hex.EncodeToString(s[:])
}

func (f fakeFile) gitSHA1() string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(f.content))
	h.Write(f.content)
	return hex.EncodeToString(h.Sum(nil))
}

func (f fakeFile) etag() string {
	if f.lfs {
		return f.sha256()
	}
	return f.gitSHA1()
}

func newFakeHub(t *testing.T) *fakeHub {
	h := &fakeHub{
		t: t, repos: map[string]*fakeRepo{},
		dropAfter: map[string]int{}, dropTimes: map[string]int{},
		corrupt: map[string]bool{}, stall: map[string]bool{},
	}
	h.api = httptest.NewServer(http.HandlerFunc(h.serveAPI))
	h.cdn = httptest.NewServer(http.HandlerFunc(h.serveCDN))
	t.Cleanup(func() {
		h.api.Close()
		h.cdn.Close()
	})
	return h
}

// addRepo registers a repo whose "main" branch is commit with files.
func (h *fakeHub) addRepo(typ RepoType, id, commit string, files map[string]fakeFile) *fakeRepo {
	h.mu.Lock()
	defer h.mu.Unlock()
	r := &fakeRepo{typ: typ, id: id, refs: map[string]string{"main": commit}, commits: map[string]map[string]fakeFile{commit: files}}
	h.repos[string(typ)+"s/"+id] = r
	return r
}

func (h *fakeHub) log() []fakeRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]fakeRequest(nil), h.requests...)
}

func (h *fakeHub) resetLog() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.requests = nil
}

// countPrefix counts logged requests whose path starts with prefix.
func (h *fakeHub) countPrefix(prefix string) int {
	n := 0
	for _, r := range h.log() {
		if strings.HasPrefix(r.Path, prefix) {
			n++
		}
	}
	return n
}

func (h *fakeHub) record(r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.requests = append(h.requests, fakeRequest{Method: r.Method, Host: r.Host, Path: r.URL.EscapedPath(), Range: r.Header.Get("Range"), Auth: r.Header.Get("Authorization")})
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

// lookup finds a repo and a commit, applying the gate; ok is false when an
// error was written.
func (h *fakeHub) lookup(w http.ResponseWriter, r *http.Request, plural, org, name, rev string) (*fakeRepo, string, bool) {
	h.mu.Lock()
	repo := h.repos[plural+"/"+org+"/"+name]
	token := h.token
	h.mu.Unlock()
	if repo == nil {
		hubError(w, http.StatusNotFound, "RepoNotFound", "Repository not found")
		return nil, "", false
	}
	if repo.gated {
		auth := r.Header.Get("Authorization")
		if auth == "" {
			hubError(w, http.StatusUnauthorized, "GatedRepo", "Access to model "+repo.id+" is restricted. You must have access to it and be authenticated to access it. Please log in.")
			return nil, "", false
		}
		if auth != "Bearer "+token {
			hubError(w, http.StatusForbidden, "GatedRepo", "Access to model "+repo.id+" is restricted and you are not in the authorized list.")
			return nil, "", false
		}
	}
	commit := rev
	if c, ok := repo.refs[rev]; ok {
		commit = c
	}
	if _, ok := repo.commits[commit]; !ok {
		hubError(w, http.StatusNotFound, "RevisionNotFound", "Invalid rev id: "+rev)
		return nil, "", false
	}
	return repo, commit, true
}

func (h *fakeHub) serveAPI(w http.ResponseWriter, r *http.Request) {
	h.record(r)
	seg := segments(r.URL.EscapedPath())
	switch {
	case len(seg) >= 6 && seg[0] == "api" && (seg[1] == "models" || seg[1] == "datasets"):
		plural, org, name, what, rev := seg[1], seg[2], seg[3], seg[4], strings.Join(seg[5:], "/")
		repo, commit, ok := h.lookup(w, r, plural, org, name, rev)
		if !ok {
			return
		}
		switch what {
		case "revision":
			var siblings []map[string]string
			for p := range repo.commits[commit] {
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

func (h *fakeHub) serveTree(w http.ResponseWriter, r *http.Request, repo *fakeRepo, commit string) {
	if r.URL.Query().Get("recursive") != "true" {
		h.t.Errorf("tree listing without recursive=true: %s", r.URL)
	}
	files := repo.commits[commit]
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
		e := map[string]any{"type": "file", "oid": f.gitSHA1(), "size": len(f.content), "path": p}
		if f.lfs {
			// The git object is the LFS pointer, not the content.
			e["oid"] = fakeFile{content: []byte("version https://git-lfs.github.com/spec/v1\noid sha256:" + f.sha256())}.gitSHA1()
			e["lfs"] = map[string]any{"oid": f.sha256(), "size": len(f.content), "pointerSize": 134}
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
			w.Header().Set("Link", fmt.Sprintf(`<%s%s>; rel="next"`, h.api.URL, next.RequestURI()))
		}
		entries = entries[start:end]
	}
	writeJSON(w, entries)
}

func (h *fakeHub) serveResolve(w http.ResponseWriter, r *http.Request, plural, org, name, rev, path string) {
	repo, commit, ok := h.lookup(w, r, plural, org, name, rev)
	if !ok {
		return
	}
	f, ok := repo.commits[commit][path]
	if !ok {
		hubError(w, http.StatusNotFound, "EntryNotFound", path+" does not exist on "+rev)
		return
	}
	w.Header().Set("X-Repo-Commit", commit)
	if f.lfs {
		w.Header().Set("X-Linked-Etag", `"`+f.sha256()+`"`)
		w.Header().Set("X-Linked-Size", strconv.Itoa(len(f.content)))
		w.Header().Set("ETag", `W/"`+f.gitSHA1()+`"`)
		w.Header().Set("Location", h.cdn.URL+"/blobs/"+f.sha256()+"?repo="+url.QueryEscape(plural+"/"+org+"/"+name)+"&path="+url.QueryEscape(path))
		w.WriteHeader(http.StatusFound)
		return
	}
	w.Header().Set("ETag", `"`+f.gitSHA1()+`"`)
	h.serveBytes(w, r, path, f.content)
}

func (h *fakeHub) serveCDN(w http.ResponseWriter, r *http.Request) {
	h.record(r)
	q := r.URL.Query()
	h.mu.Lock()
	repo := h.repos[q.Get("repo")]
	h.mu.Unlock()
	if repo == nil {
		http.NotFound(w, r)
		return
	}
	for _, files := range repo.commits {
		if f, ok := files[q.Get("path")]; ok && "/blobs/"+f.sha256() == r.URL.Path {
			h.serveBytes(w, r, q.Get("path"), f.content)
			return
		}
	}
	http.NotFound(w, r)
}

// serveBytes answers GET/HEAD with Range support and the injected faults.
func (h *fakeHub) serveBytes(w http.ResponseWriter, r *http.Request, path string, content []byte) {
	h.mu.Lock()
	corrupt := h.corrupt[path]
	stall := h.stall[path]
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
