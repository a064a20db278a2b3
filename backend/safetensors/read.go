package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
)

// maxHeaderSize bounds the JSON header we are willing to parse; the reference
// implementation refuses headers above 100 MB as well.
const maxHeaderSize = 100 << 20

// TensorInfo describes one tensor of a file.
type TensorInfo struct {
	Name  string
	DType DType
	Shape []int
	// Begin and End are byte offsets relative to the start of the data
	// section, as written in the header.
	Begin, End int64
}

// NumElements returns the product of the shape (1 for a scalar).
func (t TensorInfo) NumElements() int {
	n := 1
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// ByteSize returns End-Begin.
func (t TensorInfo) ByteSize() int64 { return t.End - t.Begin }

// File is one open safetensors file. Only the header is held in memory; the
// tensor bytes are read on demand. A File is safe for concurrent reads.
type File struct {
	path      string
	f         *os.File
	dataStart int64
	tensors   map[string]TensorInfo
	names     []string
	metadata  map[string]string
}

type headerEntry struct {
	DType       DType   `json:"dtype"`
	Shape       []int   `json:"shape"`
	DataOffsets []int64 `json:"data_offsets"`
}

// Open opens a safetensors file and parses and validates its header.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("safetensors: %w", err)
	}
	sf, err := parse(path, f)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return sf, nil
}

func parse(path string, f *os.File) (*File, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("safetensors: stat %s: %w", path, err)
	}
	var lenBuf [8]byte
	if _, err := io.ReadFull(f, lenBuf[:]); err != nil {
		return nil, fmt.Errorf("safetensors: %s: reading header length: %w", path, err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	if n > maxHeaderSize || int64(n)+8 > st.Size() {
		return nil, fmt.Errorf("safetensors: %s: header length %d is invalid for a %d-byte file", path, n, st.Size())
	}
	hdr := make([]byte, n)
	if _, err := io.ReadFull(f, hdr); err != nil {
		return nil, fmt.Errorf("safetensors: %s: reading header: %w", path, err)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(hdr, &raw); err != nil {
		return nil, fmt.Errorf("safetensors: %s: header is not valid JSON: %w", path, err)
	}
	sf := &File{path: path, f: f, dataStart: 8 + int64(n), tensors: make(map[string]TensorInfo, len(raw))}
	dataSize := st.Size() - sf.dataStart
	for name, msg := range raw {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &sf.metadata); err != nil {
				return nil, fmt.Errorf("safetensors: %s: __metadata__ must map strings to strings: %w", path, err)
			}
			continue
		}
		var e headerEntry
		if err := json.Unmarshal(msg, &e); err != nil {
			return nil, fmt.Errorf("safetensors: %s: tensor %q: %w", path, name, err)
		}
		info, err := checkEntry(name, e, dataSize)
		if err != nil {
			return nil, fmt.Errorf("safetensors: %s: %w", path, err)
		}
		sf.tensors[name] = info
		sf.names = append(sf.names, name)
	}
	sort.Strings(sf.names)
	return sf, nil
}

func checkEntry(name string, e headerEntry, dataSize int64) (TensorInfo, error) {
	if e.DType.Size() == 0 {
		return TensorInfo{}, fmt.Errorf("tensor %q: unsupported dtype %q", name, e.DType)
	}
	if len(e.DataOffsets) != 2 {
		return TensorInfo{}, fmt.Errorf("tensor %q: data_offsets must have 2 entries, got %d", name, len(e.DataOffsets))
	}
	info := TensorInfo{Name: name, DType: e.DType, Shape: e.Shape, Begin: e.DataOffsets[0], End: e.DataOffsets[1]}
	if info.Shape == nil {
		info.Shape = []int{}
	}
	for _, d := range info.Shape {
		if d < 0 {
			return TensorInfo{}, fmt.Errorf("tensor %q: negative dimension in shape %v", name, info.Shape)
		}
	}
	if info.Begin < 0 || info.End < info.Begin || info.End > dataSize {
		return TensorInfo{}, fmt.Errorf("tensor %q: data_offsets [%d, %d] outside the %d-byte data section",
			name, info.Begin, info.End, dataSize)
	}
	if want := int64(info.NumElements() * e.DType.Size()); want != info.ByteSize() {
		return TensorInfo{}, fmt.Errorf("tensor %q: %s%v needs %d bytes, data_offsets give %d",
			name, e.DType, info.Shape, want, info.ByteSize())
	}
	return info, nil
}

// Path returns the file's path.
func (f *File) Path() string { return f.path }

// Names returns the tensor names in sorted order.
func (f *File) Names() []string { return append([]string(nil), f.names...) }

// Metadata returns the "__metadata__" map (nil when absent).
func (f *File) Metadata() map[string]string { return f.metadata }

// Info returns the description of a tensor.
func (f *File) Info(name string) (TensorInfo, bool) {
	t, ok := f.tensors[name]
	return t, ok
}

// ReadRaw reads the raw little-endian bytes of a tensor into dst, which must
// be exactly the tensor's byte size.
func (f *File) ReadRaw(name string, dst []byte) error {
	t, ok := f.tensors[name]
	if !ok {
		return fmt.Errorf("safetensors: %s: no tensor %q", f.path, name)
	}
	if int64(len(dst)) != t.ByteSize() {
		return fmt.Errorf("safetensors: %s: tensor %q has %d bytes, destination %d", f.path, name, t.ByteSize(), len(dst))
	}
	if _, err := f.f.ReadAt(dst, f.dataStart+t.Begin); err != nil {
		return fmt.Errorf("safetensors: %s: reading %q: %w", f.path, name, err)
	}
	return nil
}

// chunkBytes is the size of the staging buffer used when converting, so
// conversion never needs a second full-size copy of a tensor.
const chunkBytes = 1 << 20

// ReadFloat32 reads a floating-point tensor converting it to float32 into dst,
// which must have the tensor's number of elements.
func (f *File) ReadFloat32(name string, dst []float32) error {
	if t, ok := f.tensors[name]; ok && len(dst) != t.NumElements() {
		return fmt.Errorf("safetensors: %s: tensor %q has %d elements, destination %d", f.path, name, t.NumElements(), len(dst))
	}
	return f.ReadFloat32At(name, 0, dst)
}

// ReadFloat32At reads the tensor's flat elements [at, at+len(dst))
// converted to float32 into dst: a part of a large tensor without a
// float32 copy of the whole.
func (f *File) ReadFloat32At(name string, at int, dst []float32) error {
	t, ok := f.tensors[name]
	if !ok {
		return fmt.Errorf("safetensors: %s: no tensor %q", f.path, name)
	}
	if !t.DType.IsFloat() {
		return fmt.Errorf("safetensors: %s: tensor %q is %s, not a floating-point type", f.path, name, t.DType)
	}
	if at < 0 || at+len(dst) > t.NumElements() {
		return fmt.Errorf("safetensors: %s: tensor %q has %d elements, asked for [%d, %d)", f.path, name, t.NumElements(), at, at+len(dst))
	}
	size := t.DType.Size()
	perChunk := chunkBytes / size
	buf := make([]byte, min(perChunk, len(dst))*size)
	for start := 0; start < len(dst); start += perChunk {
		end := min(start+perChunk, len(dst))
		b := buf[:(end-start)*size]
		if _, err := f.f.ReadAt(b, f.dataStart+t.Begin+int64((at+start)*size)); err != nil {
			return fmt.Errorf("safetensors: %s: reading %q: %w", f.path, name, err)
		}
		if err := DecodeFloat32(t.DType, b, dst[start:end]); err != nil {
			return fmt.Errorf("safetensors: %s: tensor %q: %w", f.path, name, err)
		}
	}
	return nil
}

// Close closes the underlying file.
func (f *File) Close() error { return f.f.Close() }
