package safetensors

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// IndexFile is the name of the shard index of a sharded checkpoint.
const IndexFile = "model.safetensors.index.json"

// SingleFile is the name of an unsharded checkpoint's weights.
const SingleFile = "model.safetensors"

// Index is the JSON content of model.safetensors.index.json.
type Index struct {
	Metadata  map[string]any    `json:"metadata,omitempty"`
	WeightMap map[string]string `json:"weight_map"`
}

// Checkpoint is the set of safetensors files of a model directory, addressed
// by tensor name whatever shard holds it.
type Checkpoint struct {
	dir    string
	files  []*File
	byName map[string]*File
	names  []string
}

// OpenDir opens a checkpoint directory: the shards listed by
// model.safetensors.index.json when present, else model.safetensors, else
// every *.safetensors file in it (adapter directories use other names).
func OpenDir(dir string) (*Checkpoint, error) {
	paths, err := checkpointFiles(dir)
	if err != nil {
		return nil, err
	}
	c := &Checkpoint{dir: dir, byName: map[string]*File{}}
	for _, p := range paths {
		f, err := Open(p)
		if err != nil {
			_ = c.Close()
			return nil, err
		}
		c.files = append(c.files, f)
		for _, n := range f.names {
			if prev, dup := c.byName[n]; dup {
				_ = c.Close()
				return nil, fmt.Errorf("safetensors: tensor %q is in both %s and %s", n, prev.path, p)
			}
			c.byName[n] = f
			c.names = append(c.names, n)
		}
	}
	sort.Strings(c.names)
	if err := c.checkIndex(dir); err != nil {
		_ = c.Close()
		return nil, err
	}
	return c, nil
}

func checkpointFiles(dir string) ([]string, error) {
	idx, err := ReadIndex(filepath.Join(dir, IndexFile))
	switch {
	case err == nil:
		seen := map[string]bool{}
		var paths []string
		for _, file := range idx.WeightMap {
			if filepath.Base(file) != file {
				return nil, fmt.Errorf("safetensors: %s: shard name %q must be a plain file name", filepath.Join(dir, IndexFile), file)
			}
			if !seen[file] {
				seen[file] = true
				paths = append(paths, filepath.Join(dir, file))
			}
		}
		sort.Strings(paths)
		return paths, nil
	case !errors.Is(err, os.ErrNotExist):
		return nil, err
	}
	single := filepath.Join(dir, SingleFile)
	if _, err := os.Stat(single); err == nil {
		return []string{single}, nil
	}
	paths, err := filepath.Glob(filepath.Join(dir, "*.safetensors"))
	if err != nil {
		return nil, fmt.Errorf("safetensors: listing %s: %w", dir, err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("safetensors: no %s, %s or *.safetensors in %s: %w", IndexFile, SingleFile, dir, os.ErrNotExist)
	}
	sort.Strings(paths)
	return paths, nil
}

// checkIndex verifies that every tensor the index names is in the shard it
// names, so a stale index is reported instead of silently loading zeros.
func (c *Checkpoint) checkIndex(dir string) error {
	idx, err := ReadIndex(filepath.Join(dir, IndexFile))
	if err != nil {
		return nil // no index: nothing to check
	}
	for name, file := range idx.WeightMap {
		f, ok := c.byName[name]
		if !ok || filepath.Base(f.path) != file {
			return fmt.Errorf("safetensors: %s lists %q in %s but that shard does not hold it",
				filepath.Join(dir, IndexFile), name, file)
		}
	}
	return nil
}

// ReadIndex parses a model.safetensors.index.json file.
func ReadIndex(path string) (*Index, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	var idx Index
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, fmt.Errorf("safetensors: %s: %w", path, err)
	}
	if len(idx.WeightMap) == 0 {
		return nil, fmt.Errorf("safetensors: %s: empty weight_map", path)
	}
	return &idx, nil
}

// Dir returns the checkpoint directory.
func (c *Checkpoint) Dir() string { return c.dir }

// Names returns all tensor names in sorted order.
func (c *Checkpoint) Names() []string { return append([]string(nil), c.names...) }

// Info returns the description of a tensor.
func (c *Checkpoint) Info(name string) (TensorInfo, bool) {
	f, ok := c.byName[name]
	if !ok {
		return TensorInfo{}, false
	}
	return f.Info(name)
}

// Metadata returns the merged "__metadata__" of all files.
func (c *Checkpoint) Metadata() map[string]string {
	out := map[string]string{}
	for _, f := range c.files {
		for k, v := range f.metadata {
			out[k] = v
		}
	}
	return out
}

// ReadRaw reads a tensor's raw bytes into dst; see File.ReadRaw.
func (c *Checkpoint) ReadRaw(name string, dst []byte) error {
	f, ok := c.byName[name]
	if !ok {
		return fmt.Errorf("safetensors: no tensor %q in %s", name, c.dir)
	}
	return f.ReadRaw(name, dst)
}

// ReadFloat32 reads a tensor converted to float32 into dst; see File.ReadFloat32.
func (c *Checkpoint) ReadFloat32(name string, dst []float32) error {
	f, ok := c.byName[name]
	if !ok {
		return fmt.Errorf("safetensors: no tensor %q in %s", name, c.dir)
	}
	return f.ReadFloat32(name, dst)
}

// ReadFloat32At reads part of a tensor converted to float32; see
// File.ReadFloat32At.
func (c *Checkpoint) ReadFloat32At(name string, at int, dst []float32) error {
	f, ok := c.byName[name]
	if !ok {
		return fmt.Errorf("safetensors: no tensor %q in %s", name, c.dir)
	}
	return f.ReadFloat32At(name, at, dst)
}

// Float32 reads a tensor converted to float32 into a new slice.
func (c *Checkpoint) Float32(name string) ([]float32, error) {
	info, ok := c.Info(name)
	if !ok {
		return nil, fmt.Errorf("safetensors: no tensor %q in %s", name, c.dir)
	}
	dst := make([]float32, info.NumElements())
	return dst, c.ReadFloat32(name, dst)
}

// Close closes every file.
func (c *Checkpoint) Close() error {
	var first error
	for _, f := range c.files {
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	c.files = nil
	return first
}
