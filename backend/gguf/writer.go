package gguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/whetstone-ai/whetstone/backend/safefile"
)

// MaxTensorName is the longest tensor name ggml accepts (GGML_MAX_NAME
// minus the terminating NUL).
const MaxTensorName = 63

// TensorData produces a tensor's encoded bytes when the writer reaches it.
type TensorData func() ([]byte, error)

type pendingTensor struct {
	info TensorInfo
	data TensorData
}

// Writer assembles a GGUF file: metadata and tensor descriptions are
// collected first, then WriteTo streams the file, asking each tensor for
// its bytes in order.
type Writer struct {
	meta    Metadata
	tensors []pendingTensor
	names   map[string]bool
	// Progress, when set, is called after each tensor is written.
	Progress func(done, total int, name string)
}

// NewWriter returns an empty writer.
func NewWriter() *Writer {
	return &Writer{names: map[string]bool{}}
}

// SetKV adds key, or replaces its value if already set. The value must be
// one of the types KV documents.
func (w *Writer) SetKV(key string, value any) error {
	if key == "" {
		return errors.New("metadata key is empty")
	}
	if _, _, err := valueTypeOf(value); err != nil {
		return fmt.Errorf("metadata %q: %w", key, err)
	}
	if key == KeyAlignment {
		a, ok := value.(uint32)
		if !ok || a == 0 || a&(a-1) != 0 {
			return fmt.Errorf("metadata %q must be a uint32 power of two, got %v (%T)", key, value, value)
		}
	}
	for i := range w.meta {
		if w.meta[i].Key == key {
			w.meta[i].Value = value
			return nil
		}
	}
	w.meta = append(w.meta, KV{Key: key, Value: value})
	return nil
}

// Metadata returns the key/values set so far.
func (w *Writer) Metadata() Metadata { return w.meta }

// AddTensor declares a tensor. dims are in ggml order (innermost first);
// data is called once, during WriteTo, and must return exactly
// typ.DataSize(Elements(dims)) bytes.
func (w *Writer) AddTensor(name string, dims []uint64, typ TensorType, data TensorData) error {
	if name == "" || len(name) > MaxTensorName {
		return fmt.Errorf("tensor name %q must have 1 to %d bytes", name, MaxTensorName)
	}
	if w.names[name] {
		return fmt.Errorf("tensor %q added twice", name)
	}
	if err := typ.CheckShape(dims); err != nil {
		return fmt.Errorf("tensor %q: %w", name, err)
	}
	w.names[name] = true
	w.tensors = append(w.tensors, pendingTensor{
		info: TensorInfo{Name: name, Dims: append([]uint64(nil), dims...), Type: typ},
		data: data,
	})
	return nil
}

func (w *Writer) alignment() uint64 {
	if v, ok := w.meta.Get(KeyAlignment); ok {
		return uint64(v.(uint32))
	}
	return DefaultAlignment
}

// WriteTo writes the whole file to out.
func (w *Writer) WriteTo(out io.Writer) (int64, error) {
	cw := &countingWriter{w: bufio.NewWriterSize(out, 1<<20)}
	align := w.alignment()
	enc := encoder{w: cw}
	enc.u32(Magic)
	enc.u32(Version)
	enc.u64(uint64(len(w.tensors)))
	enc.u64(uint64(len(w.meta)))
	for _, kv := range w.meta {
		enc.str(kv.Key)
		enc.value(kv.Value)
	}
	var offset uint64
	for i := range w.tensors {
		t := &w.tensors[i]
		t.info.Offset = offset
		enc.str(t.info.Name)
		enc.u32(uint32(len(t.info.Dims)))
		for _, d := range t.info.Dims {
			enc.u64(d)
		}
		enc.u32(uint32(t.info.Type))
		enc.u64(offset)
		offset += padTo(t.info.Size(), align)
	}
	if enc.err != nil {
		return cw.n, enc.err
	}
	if err := cw.pad(align); err != nil {
		return cw.n, err
	}
	for i, t := range w.tensors {
		data, err := t.data()
		if err != nil {
			return cw.n, fmt.Errorf("tensor %q: %w", t.info.Name, err)
		}
		if uint64(len(data)) != t.info.Size() {
			return cw.n, fmt.Errorf("tensor %q: got %d bytes, want %d for %s %v", t.info.Name, len(data), t.info.Size(), t.info.Type, t.info.Dims)
		}
		if _, err := cw.Write(data); err != nil {
			return cw.n, err
		}
		if err := cw.pad(align); err != nil {
			return cw.n, err
		}
		if w.Progress != nil {
			w.Progress(i+1, len(w.tensors), t.info.Name)
		}
	}
	return cw.n, cw.w.(*bufio.Writer).Flush()
}

// WriteFile writes the file atomically (see safefile): on any error nothing
// exists under path that was not there before.
func (w *Writer) WriteFile(path string) error {
	return safefile.WriteFrom(path, 0o644, func(out io.Writer) error {
		_, err := w.WriteTo(out)
		return err
	})
}

func padTo(n, align uint64) uint64 {
	return (n + align - 1) / align * align
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

var zeros [256]byte

func (c *countingWriter) pad(align uint64) error {
	rem := int(padTo(uint64(c.n), align) - uint64(c.n))
	for rem > 0 {
		k := min(rem, len(zeros))
		if _, err := c.Write(zeros[:k]); err != nil {
			return err
		}
		rem -= k
	}
	return nil
}

// encoder writes little-endian GGUF primitives and remembers the first
// error, so the header code reads as a sequence of fields.
type encoder struct {
	w   io.Writer
	err error
	buf [8]byte
}

func (e *encoder) put(b []byte) {
	if e.err == nil {
		_, e.err = e.w.Write(b)
	}
}

func (e *encoder) u8(v uint8) { e.buf[0] = v; e.put(e.buf[:1]) }
func (e *encoder) u16(v uint16) {
	binary.LittleEndian.PutUint16(e.buf[:], v)
	e.put(e.buf[:2])
}
func (e *encoder) u32(v uint32) {
	binary.LittleEndian.PutUint32(e.buf[:], v)
	e.put(e.buf[:4])
}
func (e *encoder) u64(v uint64) {
	binary.LittleEndian.PutUint64(e.buf[:], v)
	e.put(e.buf[:8])
}
func (e *encoder) str(s string) {
	e.u64(uint64(len(s)))
	if e.err == nil {
		_, e.err = io.WriteString(e.w, s)
	}
}

// value writes a type tag and the value; the type was validated in SetKV.
func (e *encoder) value(v any) {
	t, elem, err := valueTypeOf(v)
	if err != nil {
		e.err = err
		return
	}
	e.u32(uint32(t))
	if t != TypeArray {
		e.scalar(v)
		return
	}
	e.u32(uint32(elem))
	switch a := v.(type) {
	case []uint8:
		e.u64(uint64(len(a)))
		e.put(a)
	case []int8:
		e.u64(uint64(len(a)))
		for _, x := range a {
			e.u8(uint8(x))
		}
	case []uint16:
		arrayOf(e, a)
	case []int16:
		arrayOf(e, a)
	case []uint32:
		arrayOf(e, a)
	case []int32:
		arrayOf(e, a)
	case []float32:
		arrayOf(e, a)
	case []bool:
		arrayOf(e, a)
	case []string:
		arrayOf(e, a)
	case []uint64:
		arrayOf(e, a)
	case []int64:
		arrayOf(e, a)
	case []float64:
		arrayOf(e, a)
	}
}

func arrayOf[T any](e *encoder, a []T) {
	e.u64(uint64(len(a)))
	for _, x := range a {
		e.scalar(x)
	}
}

func (e *encoder) scalar(v any) {
	switch x := v.(type) {
	case uint8:
		e.u8(x)
	case int8:
		e.u8(uint8(x))
	case uint16:
		e.u16(x)
	case int16:
		e.u16(uint16(x))
	case uint32:
		e.u32(x)
	case int32:
		e.u32(uint32(x))
	case float32:
		e.u32(math.Float32bits(x))
	case bool:
		if x {
			e.u8(1)
		} else {
			e.u8(0)
		}
	case string:
		e.str(x)
	case uint64:
		e.u64(x)
	case int64:
		e.u64(uint64(x))
	case float64:
		e.u64(math.Float64bits(x))
	}
}
