package gguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// TensorInfo describes one tensor of a GGUF file.
type TensorInfo struct {
	Name string
	// Dims in ggml order: Dims[0] is the innermost dimension.
	Dims []uint64
	Type TensorType
	// Offset of the data from the start of the data section.
	Offset uint64
}

// Elements is the number of values in the tensor.
func (t TensorInfo) Elements() uint64 { return Elements(t.Dims) }

// Size is the encoded byte size, or 0 for a type this package does not know.
func (t TensorInfo) Size() uint64 {
	if !t.Type.Known() {
		return 0
	}
	return t.Type.DataSize(t.Elements())
}

// File is an opened GGUF file: its metadata and tensor table are in
// memory, tensor data is read on demand.
type File struct {
	Version   uint32
	Metadata  Metadata
	Tensors   []TensorInfo
	Alignment uint64
	// DataOffset is where the data section starts in the file.
	DataOffset int64

	path   string
	r      io.ReaderAt
	size   int64
	closer io.Closer
}

// Open reads the header of the GGUF file at path. Close the file when done.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open gguf: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stat %s: %w", path, err)
	}
	g, err := Read(f, st.Size())
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("read gguf %s: %w", path, err)
	}
	g.path, g.closer = path, f
	return g, nil
}

// Close releases the underlying file when the File came from Open.
func (f *File) Close() error {
	if f.closer == nil {
		return nil
	}
	return f.closer.Close()
}

// Read parses a GGUF header from r, a source of size bytes. Every count and
// length is checked against size, so a corrupt file gives an error rather
// than a huge allocation.
func Read(r io.ReaderAt, size int64) (*File, error) {
	d := &decoder{r: bufio.NewReaderSize(io.NewSectionReader(r, 0, size), 1<<16), size: size}
	magic := d.u32()
	if d.err == nil && magic != Magic {
		return nil, fmt.Errorf("not a GGUF file (magic %#08x)", magic)
	}
	version := d.u32()
	if d.err == nil && version != 2 && version != 3 {
		return nil, fmt.Errorf("unsupported GGUF version %d (want 2 or 3)", version)
	}
	nTensors := d.u64()
	nKV := d.u64()
	if d.err != nil {
		return nil, fmt.Errorf("header: %w", d.err)
	}
	// Each KV and tensor takes at least 8+1+4 bytes on disk.
	if nTensors > uint64(size)/13 || nKV > uint64(size)/13 {
		return nil, fmt.Errorf("header claims %d tensors and %d metadata entries, too many for a %d-byte file", nTensors, nKV, size)
	}
	f := &File{Version: version, r: r, size: size, Alignment: DefaultAlignment}
	for i := uint64(0); i < nKV; i++ {
		key := d.str()
		v := d.value()
		if d.err != nil {
			return nil, fmt.Errorf("metadata entry %d (%q): %w", i, key, d.err)
		}
		f.Metadata = append(f.Metadata, KV{Key: key, Value: v})
	}
	if v, ok := f.Metadata.Get(KeyAlignment); ok {
		a, ok := v.(uint32)
		if !ok || a == 0 || a&(a-1) != 0 {
			return nil, fmt.Errorf("%s must be a uint32 power of two, got %v", KeyAlignment, v)
		}
		f.Alignment = uint64(a)
	}
	for i := uint64(0); i < nTensors; i++ {
		var t TensorInfo
		t.Name = d.str()
		nd := d.u32()
		if d.err == nil && (nd == 0 || nd > 4) {
			return nil, fmt.Errorf("tensor %d (%q): %d dimensions", i, t.Name, nd)
		}
		for j := uint32(0); j < nd && d.err == nil; j++ {
			t.Dims = append(t.Dims, d.u64())
		}
		t.Type = TensorType(d.u32())
		t.Offset = d.u64()
		if d.err != nil {
			return nil, fmt.Errorf("tensor %d (%q): %w", i, t.Name, d.err)
		}
		f.Tensors = append(f.Tensors, t)
	}
	f.DataOffset = int64(padTo(uint64(d.n), f.Alignment))
	for _, t := range f.Tensors {
		if t.Offset%f.Alignment != 0 {
			return nil, fmt.Errorf("tensor %q: offset %d is not aligned to %d", t.Name, t.Offset, f.Alignment)
		}
		if t.Type.Known() {
			if err := t.Type.CheckShape(t.Dims); err != nil {
				return nil, fmt.Errorf("tensor %q: %w", t.Name, err)
			}
			if end := uint64(f.DataOffset) + t.Offset + t.Size(); end > uint64(size) {
				return nil, fmt.Errorf("tensor %q: data ends at byte %d, past the end of the %d-byte file (truncated?)", t.Name, end, size)
			}
		}
	}
	return f, nil
}

// Tensor finds a tensor by name.
func (f *File) Tensor(name string) (TensorInfo, bool) {
	for _, t := range f.Tensors {
		if t.Name == name {
			return t, true
		}
	}
	return TensorInfo{}, false
}

// TensorBytes reads a tensor's raw encoded bytes.
func (f *File) TensorBytes(name string) (TensorInfo, []byte, error) {
	t, ok := f.Tensor(name)
	if !ok {
		return t, nil, fmt.Errorf("tensor %q not in %s", name, f.describe())
	}
	if !t.Type.Known() {
		return t, nil, fmt.Errorf("tensor %q has type %s, which this reader does not decode", name, t.Type)
	}
	buf := make([]byte, t.Size())
	if _, err := f.r.ReadAt(buf, f.DataOffset+int64(t.Offset)); err != nil {
		return t, nil, fmt.Errorf("read tensor %q: %w", name, err)
	}
	return t, buf, nil
}

// TensorFloat32 reads a tensor and decodes (dequantizes) it to float32, in
// ggml order (innermost dimension fastest).
func (f *File) TensorFloat32(name string) (TensorInfo, []float32, error) {
	t, buf, err := f.TensorBytes(name)
	if err != nil {
		return t, nil, err
	}
	vals, err := Decode(t.Type, buf, int(t.Elements()))
	if err != nil {
		return t, nil, fmt.Errorf("tensor %q: %w", name, err)
	}
	return t, vals, nil
}

func (f *File) describe() string {
	if f.path != "" {
		return f.path
	}
	return "the GGUF file"
}

// decoder reads little-endian primitives, counting bytes and keeping the
// first error.
type decoder struct {
	r    *bufio.Reader
	n    int64
	size int64
	err  error
	buf  [8]byte
}

var errTruncated = errors.New("unexpected end of file")

func (d *decoder) read(n int) []byte {
	if d.err != nil {
		return d.buf[:n]
	}
	if _, err := io.ReadFull(d.r, d.buf[:n]); err != nil {
		d.err = errTruncated
		return d.buf[:n]
	}
	d.n += int64(n)
	return d.buf[:n]
}

func (d *decoder) u8() uint8   { return d.read(1)[0] }
func (d *decoder) u16() uint16 { return binary.LittleEndian.Uint16(d.read(2)) }
func (d *decoder) u32() uint32 { return binary.LittleEndian.Uint32(d.read(4)) }
func (d *decoder) u64() uint64 { return binary.LittleEndian.Uint64(d.read(8)) }

func (d *decoder) remaining() uint64 {
	if d.n >= d.size {
		return 0
	}
	return uint64(d.size - d.n)
}

func (d *decoder) str() string {
	n := d.u64()
	if d.err != nil {
		return ""
	}
	if n > d.remaining() {
		d.err = fmt.Errorf("string of %d bytes exceeds the file", n)
		return ""
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(d.r, b); err != nil {
		d.err = errTruncated
		return ""
	}
	d.n += int64(n)
	return string(b)
}

func (d *decoder) value() any {
	t := ValueType(d.u32())
	if d.err != nil {
		return nil
	}
	if t != TypeArray {
		return d.scalar(t)
	}
	elem := ValueType(d.u32())
	n := d.u64()
	if d.err != nil {
		return nil
	}
	minSize := uint64(elem.scalarSize())
	if elem == TypeString {
		minSize = 8
	}
	if minSize == 0 {
		d.err = fmt.Errorf("array of unsupported element type %s", elem)
		return nil
	}
	if n > d.remaining()/minSize {
		d.err = fmt.Errorf("array of %d %s values exceeds the file", n, elem)
		return nil
	}
	switch elem {
	case TypeUint8:
		return readArray(d, n, func() uint8 { return d.u8() })
	case TypeInt8:
		return readArray(d, n, func() int8 { return int8(d.u8()) })
	case TypeUint16:
		return readArray(d, n, d.u16)
	case TypeInt16:
		return readArray(d, n, func() int16 { return int16(d.u16()) })
	case TypeUint32:
		return readArray(d, n, d.u32)
	case TypeInt32:
		return readArray(d, n, func() int32 { return int32(d.u32()) })
	case TypeFloat32:
		return readArray(d, n, func() float32 { return math.Float32frombits(d.u32()) })
	case TypeBool:
		return readArray(d, n, func() bool { return d.u8() != 0 })
	case TypeString:
		return readArray(d, n, d.str)
	case TypeUint64:
		return readArray(d, n, d.u64)
	case TypeInt64:
		return readArray(d, n, func() int64 { return int64(d.u64()) })
	case TypeFloat64:
		return readArray(d, n, func() float64 { return math.Float64frombits(d.u64()) })
	}
	return nil
}

func readArray[T any](d *decoder, n uint64, next func() T) []T {
	out := make([]T, 0, n)
	for i := uint64(0); i < n && d.err == nil; i++ {
		out = append(out, next())
	}
	return out
}

func (d *decoder) scalar(t ValueType) any {
	switch t {
	case TypeUint8:
		return d.u8()
	case TypeInt8:
		return int8(d.u8())
	case TypeUint16:
		return d.u16()
	case TypeInt16:
		return int16(d.u16())
	case TypeUint32:
		return d.u32()
	case TypeInt32:
		return int32(d.u32())
	case TypeFloat32:
		return math.Float32frombits(d.u32())
	case TypeBool:
		b := d.u8()
		if d.err == nil && b > 1 {
			d.err = fmt.Errorf("bool value %d is neither 0 nor 1", b)
		}
		return b == 1
	case TypeString:
		return d.str()
	case TypeUint64:
		return d.u64()
	case TypeInt64:
		return int64(d.u64())
	case TypeFloat64:
		return math.Float64frombits(d.u64())
	}
	d.err = fmt.Errorf("unknown value type %d", uint32(t))
	return nil
}
