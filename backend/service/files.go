package service

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/whetstone-ai/whetstone/backend/quote"
	"github.com/whetstone-ai/whetstone/backend/safefile"
	"github.com/whetstone-ai/whetstone/backend/workspace"
)

// Files a program sends or fetches whole (the REST API's dataset upload
// and export download). They take an io.Reader or hand out a folder, which
// a Wails binding cannot carry, so they are functions over the workspace
// rather than methods of the bound services.

// DatasetsDir is the workspace folder uploaded datasets go to. It lies in
// the workspace, so the path policy admits the files for every service.
func DatasetsDir(ws *workspace.Workspace) string { return filepath.Join(ws.Root, "datasets") }

// UploadExtensions are the data file types an upload may have: what the
// dataset readers take.
var UploadExtensions = []string{".parquet", ".json", ".jsonl", ".csv", ".txt"}

// MaxUploadBytes bounds one uploaded dataset file.
const MaxUploadBytes int64 = 16 << 30

// maxUploadName bounds an uploaded file's name, in bytes.
const maxUploadName = 200

// UploadedFile is a dataset file written by UploadDataset.
type UploadedFile struct {
	// Path is the file on the server: what a run config's dataset.path or
	// a dataset request's path takes.
	Path  string `json:"path"`
	Bytes int64  `json:"bytes"`
}

// CheckUploadName admits a file name for an upload: a plain name (no
// folder, no leading dot) of a data file type. The error names what is
// wrong and is an invalid request.
func CheckUploadName(name string) error {
	switch {
	case name == "":
		return invalidf("name: give the file's name, e.g. chats.jsonl")
	case len(name) > maxUploadName:
		return invalidf("name: at most %d bytes, got %d", maxUploadName, len(name))
	case strings.ContainsAny(name, `/\:`) || !filepath.IsLocal(name) || name != filepath.Base(name):
		return invalidf("name: %s must be a plain file name, without folders", quote.Value(name))
	case strings.HasPrefix(name, "."):
		return invalidf("name: %s must not start with a dot", quote.Value(name))
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return invalidf("name: %s holds a control character", quote.Value(name))
		}
	}
	ext := strings.ToLower(filepath.Ext(name))
	for _, e := range UploadExtensions {
		if ext == e {
			return nil
		}
	}
	return invalidf("name: %s is not a data file: the name must end in one of %s", quote.Value(name), strings.Join(UploadExtensions, ", "))
}

// UploadDataset writes what r holds (at most max bytes) as name in the
// workspace's datasets folder, atomically: a failed or cut-off upload
// leaves no file, and an existing file is replaced only with overwrite.
func UploadDataset(ws *workspace.Workspace, name string, r io.Reader, max int64, overwrite bool) (out UploadedFile, err error) {
	if err := CheckUploadName(name); err != nil {
		return out, err
	}
	if max <= 0 || max > MaxUploadBytes {
		max = MaxUploadBytes
	}
	dst := filepath.Join(DatasetsDir(ws), name)
	if !overwrite {
		if _, err := os.Lstat(dst); err == nil {
			return out, fmt.Errorf("%w: dataset %s already exists: upload with overwrite to replace it", safefile.ErrExists, quote.Value(name))
		}
	} else if st, err := os.Lstat(dst); err == nil && !st.Mode().IsRegular() {
		return out, fmt.Errorf("%w: %s is not a plain file, so it is never replaced", safefile.ErrNotOwned, quote.Value(dst))
	}
	var n int64
	err = safefile.WriteFrom(dst, 0o644, func(w io.Writer) error {
		// One byte over the bound tells a file that is too large from one
		// that is exactly max.
		n, err = io.Copy(w, io.LimitReader(r, max+1))
		if err != nil {
			return fmt.Errorf("receive the upload: %w", err)
		}
		if n > max {
			return fmt.Errorf("%w: the file is larger than %d bytes", ErrTooLarge, max)
		}
		return nil
	})
	if err != nil {
		return out, fmt.Errorf("upload dataset %s: %w", quote.Value(name), err)
	}
	return UploadedFile{Path: dst, Bytes: n}, nil
}

// ErrTooLarge marks a request whose body exceeds its bound.
var ErrTooLarge = errors.New("too large")

// ExportFolder is a folder in the workspace's exports folder that
// Whetstone wrote (it carries safefile.MarkerFile).
type ExportFolder struct {
	// ID is the folder's name: stable while the folder exists.
	ID   string `json:"id"`
	Path string `json:"path"`
	// Files are the folder's files, relative to it, without the marker.
	Files []ExportedFile `json:"files"`
	// Bytes is the size of all the files.
	Bytes    int64     `json:"bytes"`
	Modified time.Time `json:"modified"`
}

// maxListedExportFiles bounds the files listed per export folder.
const maxListedExportFiles = 1000

// ListExports lists the export folders Whetstone made, newest first.
func ListExports(ws *workspace.Workspace) ([]ExportFolder, error) {
	entries, err := os.ReadDir(ws.ExportsDir())
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("list exports: %w", err)
	}
	out := []ExportFolder{}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		f, err := exportFolder(ws, e.Name())
		if err != nil {
			continue // not ours, or removed meanwhile
		}
		out = append(out, f)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Modified.After(out[j].Modified) })
	return out, nil
}

// OpenExport returns the export folder id (an ID from ListExports) as an
// os.Root: every read through it stays inside the folder, symbolic links
// included.
func OpenExport(ws *workspace.Workspace, id string) (*os.Root, ExportFolder, error) {
	f, err := exportFolder(ws, id)
	if err != nil {
		return nil, f, err
	}
	root, err := os.OpenRoot(f.Path)
	if err != nil {
		return nil, f, fmt.Errorf("open export %s: %w", quote.Value(id), err)
	}
	return root, f, nil
}

// exportFolder describes the export folder named id, refusing anything
// that is not a folder directly under the exports folder with the marker.
func exportFolder(ws *workspace.Workspace, id string) (ExportFolder, error) {
	if id == "" || id != filepath.Base(id) || !filepath.IsLocal(id) || strings.ContainsAny(id, `/\`) {
		return ExportFolder{}, fmt.Errorf("export %s: %w", quote.Value(id), fs.ErrNotExist)
	}
	dir := filepath.Join(ws.ExportsDir(), id)
	st, err := os.Lstat(dir)
	if err != nil || !st.IsDir() {
		return ExportFolder{}, fmt.Errorf("export %s: %w", quote.Value(id), fs.ErrNotExist)
	}
	if m, err := os.Lstat(filepath.Join(dir, safefile.MarkerFile)); err != nil || !m.Mode().IsRegular() {
		return ExportFolder{}, fmt.Errorf("export %s was not written by Whetstone: %w", quote.Value(id), fs.ErrNotExist)
	}
	out := ExportFolder{ID: id, Path: dir, Files: []ExportedFile{}, Modified: st.ModTime()}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() || d.Name() == safefile.MarkerFile && filepath.Dir(p) == dir {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out.Bytes += info.Size()
		if len(out.Files) < maxListedExportFiles {
			out.Files = append(out.Files, ExportedFile{Path: filepath.ToSlash(rel), Size: info.Size()})
		}
		return nil
	})
	if err != nil {
		return ExportFolder{}, fmt.Errorf("read export %s: %w", quote.Value(id), err)
	}
	return out, nil
}
