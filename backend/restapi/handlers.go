package restapi

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/whetstone-ai/whetstone/backend/hub"
	"github.com/whetstone-ai/whetstone/backend/runs"
	"github.com/whetstone-ai/whetstone/backend/safefile"
	"github.com/whetstone-ai/whetstone/backend/service"
)

// readAll reads a body httpapi has already capped (a CallRoute's).
func readAll(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, fmt.Errorf("read the body: %w", err)
	}
	return b, nil
}

// parseError is a run config that does not parse: a 400, naming the field
// when encoding/json does.
func parseError(err error) error {
	var inner error = err
	if u := errors.Unwrap(err); u != nil {
		inner = u
	}
	re := jsonError(inner).(*requestError)
	re.msg = err.Error()
	return re
}

// maxDownloads bounds the downloads in progress at once.
const maxDownloads = 4

func (a *api) startDownload(s scope, r *http.Request) (any, error) {
	var req DownloadRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	ref, err := hub.ParseRef(req.Ref)
	switch {
	case strings.TrimSpace(req.Ref) == "":
		return nil, bad("ref", "ref: give a hub id (org/name[@revision])")
	case err != nil:
		return nil, bad("ref", "ref: %v", err)
	case ref.Type == hub.Dataset:
		return nil, bad("ref", "ref: %s names a dataset, not a model", req.Ref)
	}
	a.downloadsMu.Lock()
	defer a.downloadsMu.Unlock()
	if a.downloads[req.Ref] {
		return nil, &requestError{status: http.StatusConflict, field: "ref", msg: req.Ref + " is already downloading"}
	}
	if len(a.downloads) >= maxDownloads {
		return nil, &requestError{status: http.StatusServiceUnavailable, msg: fmt.Sprintf("%d downloads are in progress; start this one when one ends", maxDownloads)}
	}
	a.downloads[req.Ref] = true
	// The download outlives the request: it runs on the app's services,
	// bound to the app's context, not on the request's copies.
	models := a.Services.Models
	go func() {
		dir, err := models.Download(req.Ref)
		a.downloadsMu.Lock()
		delete(a.downloads, req.Ref)
		a.downloadsMu.Unlock()
		done := DownloadDone{Ref: req.Ref, Dir: dir}
		if err != nil {
			done = DownloadDone{Ref: req.Ref, Error: err.Error()}
		}
		a.Events.Emit(TopicDownloadDone, done)
	}()
	return DownloadStarted{Ref: req.Ref, Events: "/api/v1/models/download/events"}, nil
}

// downloadEvents streams every download's progress and end.
func (a *api) downloadEvents(w http.ResponseWriter, r *http.Request) {
	sub := a.Events.subscribe(func(topic string, _ any) bool {
		return topic == hub.ProgressTopic || topic == TopicDownloadDone
	})
	defer a.Events.unsubscribe(sub)
	out, err := startSSE(w)
	if err != nil {
		return
	}
	ping := time.NewTicker(heartbeat)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-ping.C:
			if out.comment("ping") != nil {
				return
			}
		case ev := <-sub.c:
			if out.send(ev.Topic, ev.Payload) != nil {
				return
			}
		}
	}
}

// runEvents streams one run's events until it leaves the queue.
func (a *api) runEvents(w http.ResponseWriter, r *http.Request) {
	// Subscribe before reading the run's state, so no change between the
	// two is lost.
	sub := a.Events.subscribe(func(topic string, _ any) bool {
		return topic == runs.TopicState || topic == runs.TopicMetrics || topic == runs.TopicLog
	})
	defer a.Events.unsubscribe(sub)
	detail, err := a.scope(r).Runs.Get(r.PathValue("ref"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	rec := detail.Record
	out, err := startSSE(w)
	if err != nil {
		return
	}
	state := runs.StateEvent{ID: rec.ID, State: rec.State, Error: rec.Error, Record: rec}
	if out.send(runs.TopicState, state) != nil {
		return
	}
	ping := time.NewTicker(heartbeat)
	defer ping.Stop()
	for slices.Contains(runs.ActiveStates, state.State) {
		var ev = struct {
			topic   string
			payload any
		}{}
		select {
		case <-r.Context().Done():
			return
		case <-ping.C:
			if out.comment("ping") != nil {
				return
			}
			continue
		case e := <-sub.c:
			ev.topic, ev.payload = e.Topic, e.Payload
		}
		if sub.takeLost(a.Events) {
			// The stream fell behind and lost events, perhaps the last
			// state: the store has the run as it is now.
			if d, err := a.Services.Runs.Get(rec.ID); err == nil && d.Record.Version > state.Record.Version {
				cur := d.Record
				state = runs.StateEvent{ID: cur.ID, State: cur.State, Error: cur.Error, Record: cur}
				if out.send(runs.TopicState, state) != nil {
					return
				}
			}
		}
		switch p := ev.payload.(type) {
		case runs.StateEvent:
			// An event older than the state read above is already told.
			if p.ID != rec.ID || p.Record.Version != 0 && p.Record.Version <= state.Record.Version {
				continue
			}
			state = p
		case runs.MetricsEvent:
			if p.ID != rec.ID {
				continue
			}
		case runs.LogEvent:
			if p.ID != rec.ID {
				continue
			}
		default:
			continue
		}
		if out.send(ev.topic, ev.payload) != nil {
			return
		}
	}
	_ = out.send(TopicEnd, state)
}

func (a *api) upload(w http.ResponseWriter, r *http.Request) {
	overwrite, err := boolParam(r, "overwrite")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	name := r.PathValue("name")
	// Refuse a bad name before reading a byte of a large body.
	if err := service.CheckUploadName(name); err != nil {
		a.fail(w, r, err)
		return
	}
	f, err := service.UploadDataset(a.Workspace, name, r.Body, service.MaxUploadBytes, overwrite)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, f)
}

func boolParam(r *http.Request, name string) (bool, error) {
	switch v := r.URL.Query().Get(name); v {
	case "", "false", "0":
		return false, nil
	case "true", "1":
		return true, nil
	default:
		return false, bad(name, "%s: want true or false, got %q", name, v)
	}
}

// downloadExport sends one file of an export as is, or the whole folder as
// a zip made as it is sent. Every read goes through the folder's os.Root,
// so no name in the request, and no link in the folder, reaches outside it.
func (a *api) downloadExport(w http.ResponseWriter, r *http.Request) {
	root, folder, err := service.OpenExport(a.Workspace, r.PathValue("id"))
	if err != nil {
		a.fail(w, r, err)
		return
	}
	defer root.Close()
	if name := r.URL.Query().Get("file"); name != "" {
		a.sendFile(w, r, root, name)
		return
	}
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": folder.ID + ".zip"}))
	zw := zip.NewWriter(w)
	fsys := root.FS()
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() || p == safefile.MarkerFile {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		hdr, err := zip.FileInfoHeader(info)
		if err != nil {
			return err
		}
		hdr.Name = folder.ID + "/" + p
		hdr.Method = zip.Deflate
		dst, err := zw.CreateHeader(hdr)
		if err != nil {
			return err
		}
		src, err := fsys.Open(p)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(dst, src)
		return err
	})
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		// The status is sent: a cut-off zip is what the client sees.
		a.Log.Warn().Err(err).Str("export", folder.ID).Msg("zip an export")
	}
}

func (a *api) sendFile(w http.ResponseWriter, r *http.Request, root *os.Root, name string) {
	if !fs.ValidPath(name) || name == "." || path.Base(name) == safefile.MarkerFile {
		a.fail(w, r, bad("file", "file: %q is not a file of the export: give a path from its files list", name))
		return
	}
	f, err := root.Open(name)
	if err != nil {
		a.fail(w, r, fmt.Errorf("file %q of the export: %w", name, fs.ErrNotExist))
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		a.fail(w, r, fmt.Errorf("file %q of the export: %w", name, fs.ErrNotExist))
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": path.Base(name)}))
	http.ServeContent(w, r, "", st.ModTime(), f)
}
