package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sort"

	"github.com/whetstone-ai/whetstone/backend/safefile"
)

// Tensor is one tensor to write. Either Data holds its raw little-endian
// bytes, or Write streams exactly that many bytes (for exports that convert
// one tensor at a time and must not hold the whole model twice).
type Tensor struct {
	Name  string
	DType DType
	Shape []int
	Data  []byte
	Write func(w io.Writer) error
}

func (t Tensor) byteSize() int64 {
	n := int64(t.DType.Size())
	for _, d := range t.Shape {
		n *= int64(d)
	}
	return n
}

// FromFloat32 builds a Tensor from float32 values stored as dtype.
func FromFloat32(name string, dtype DType, shape []int, values []float32) (Tensor, error) {
	data, err := EncodeFloat32(dtype, values)
	if err != nil {
		return Tensor{}, fmt.Errorf("tensor %q: %w", name, err)
	}
	t := Tensor{Name: name, DType: dtype, Shape: shape, Data: data}
	if t.byteSize() != int64(len(data)) {
		return Tensor{}, fmt.Errorf("tensor %q: %d values do not fit shape %v", name, len(values), shape)
	}
	return t, nil
}

// headerAlign is the alignment of the data section. The format allows the
// JSON header to be padded with spaces; padding to 8 bytes keeps every
// tensor naturally aligned when tensors are ordered by decreasing element
// size, which WriteFile does.
const headerAlign = 8

// WriteFile writes tensors and metadata to path atomically: the data goes to
// a temporary file in the same directory that is synced and renamed over
// path only when complete.
func WriteFile(path string, tensors []Tensor, metadata map[string]string) error {
	ordered, header, err := buildHeader(tensors, metadata)
	if err != nil {
		return fmt.Errorf("safetensors: %s: %w", path, err)
	}
	return writeAtomic(path, func(w io.Writer) error {
		var lenBuf [8]byte
		binary.LittleEndian.PutUint64(lenBuf[:], uint64(len(header)))
		if _, err := w.Write(lenBuf[:]); err != nil {
			return err
		}
		if _, err := w.Write(header); err != nil {
			return err
		}
		for _, t := range ordered {
			cw := &countingWriter{w: w}
			if t.Write != nil {
				if err := t.Write(cw); err != nil {
					return fmt.Errorf("tensor %q: %w", t.Name, err)
				}
			} else if _, err := cw.Write(t.Data); err != nil {
				return err
			}
			if cw.n != t.byteSize() {
				return fmt.Errorf("tensor %q: wrote %d bytes, %s%v needs %d", t.Name, cw.n, t.DType, t.Shape, t.byteSize())
			}
		}
		return nil
	})
}

func buildHeader(tensors []Tensor, metadata map[string]string) ([]Tensor, []byte, error) {
	ordered := append([]Tensor(nil), tensors...)
	sort.SliceStable(ordered, func(i, j int) bool {
		si, sj := ordered[i].DType.Size(), ordered[j].DType.Size()
		if si != sj {
			return si > sj
		}
		return ordered[i].Name < ordered[j].Name
	})
	hdr := make(map[string]any, len(ordered)+1)
	if len(metadata) > 0 {
		hdr["__metadata__"] = metadata
	}
	var offset int64
	for i, t := range ordered {
		if t.Name == "" || t.Name == "__metadata__" {
			return nil, nil, fmt.Errorf("invalid tensor name %q", t.Name)
		}
		if t.DType.Size() == 0 {
			return nil, nil, fmt.Errorf("tensor %q: unsupported dtype %q", t.Name, t.DType)
		}
		if i > 0 && ordered[i-1].Name == t.Name {
			return nil, nil, fmt.Errorf("tensor %q given twice", t.Name)
		}
		if _, dup := hdr[t.Name]; dup {
			return nil, nil, fmt.Errorf("tensor %q given twice", t.Name)
		}
		size := t.byteSize()
		if t.Write == nil && int64(len(t.Data)) != size {
			return nil, nil, fmt.Errorf("tensor %q: %d bytes of data, %s%v needs %d", t.Name, len(t.Data), t.DType, t.Shape, size)
		}
		shape := t.Shape
		if shape == nil {
			shape = []int{}
		}
		hdr[t.Name] = headerEntry{DType: t.DType, Shape: shape, DataOffsets: []int64{offset, offset + size}}
		offset += size
	}
	header, err := json.Marshal(hdr)
	if err != nil {
		return nil, nil, err
	}
	for (8+len(header))%headerAlign != 0 {
		header = append(header, ' ')
	}
	return ordered, header, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// writeAtomic writes through fill into a temporary file next to path and
// renames it into place once complete and synced (see safefile).
func writeAtomic(path string, fill func(w io.Writer) error) error {
	if err := safefile.WriteFrom(path, 0o644, fill); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}

// WriteSharded writes tensors into dir as model-0000i-of-0000n.safetensors
// shards of at most maxShardBytes each (a single tensor larger than that gets
// a shard of its own) plus model.safetensors.index.json. With one shard it
// writes model.safetensors and no index, as transformers does.
func WriteSharded(dir string, tensors []Tensor, metadata map[string]string, maxShardBytes int64) error {
	var shards [][]Tensor
	var cur []Tensor
	var curSize, total int64
	for _, t := range tensors {
		s := t.byteSize()
		total += s
		if len(cur) > 0 && curSize+s > maxShardBytes {
			shards = append(shards, cur)
			cur, curSize = nil, 0
		}
		cur = append(cur, t)
		curSize += s
	}
	if len(cur) > 0 || len(shards) == 0 {
		shards = append(shards, cur)
	}
	if len(shards) == 1 {
		return WriteFile(filepath.Join(dir, SingleFile), shards[0], metadata)
	}
	idx := Index{Metadata: map[string]any{"total_size": total}, WeightMap: map[string]string{}}
	for i, shard := range shards {
		name := fmt.Sprintf("model-%05d-of-%05d.safetensors", i+1, len(shards))
		if err := WriteFile(filepath.Join(dir, name), shard, metadata); err != nil {
			return err
		}
		for _, t := range shard {
			idx.WeightMap[t.Name] = name
		}
	}
	data, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	path := filepath.Join(dir, IndexFile)
	if err := safefile.Write(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("safetensors: %w", err)
	}
	return nil
}
