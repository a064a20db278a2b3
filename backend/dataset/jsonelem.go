package dataset

import (
	"bufio"
	"bytes"
	"io"
)

// elementReader reads the elements of a top-level JSON array one at a
// time, each bounded the way lineReader bounds a line. json.Decoder would
// buffer a whole element before decoding it, however large; here an
// element is delimited by a small scanner (strings, escapes and bracket
// depth) over the read buffer, its bytes kept only while it is small, so
// an oversized element is measured and passed over without being held,
// and the array can go on after it.
type elementReader struct {
	at  io.ReaderAt
	r   *bufio.Reader
	off int64 // file offset of r's next byte
	max int64
	buf []byte // holds elements up to readBufferSize; reused
}

// space skips white space and returns the next byte without consuming it.
func (er *elementReader) space() (byte, error) {
	for {
		c, err := er.r.ReadByte()
		if err != nil {
			return 0, err
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			er.off++
			continue
		}
		er.r.UnreadByte()
		return c, nil
	}
}

// skip consumes the byte space returned.
func (er *elementReader) skip() {
	er.r.ReadByte()
	er.off++
}

// value reads the JSON value at the reader's position (after any space).
// It returns the value's bytes and size, or nil and the size when it is
// over the limit; the bytes are valid until the next call. io.EOF means
// the file ended inside the value.
func (er *elementReader) value() (raw []byte, size int64, err error) {
	start := er.off
	keep := true // raw so far is in er.buf
	er.buf = er.buf[:0]
	var v valueScan
	for {
		if _, err := er.r.Peek(1); err != nil {
			if err == io.EOF && v.scalar {
				break // a number or literal ends with the file
			}
			return nil, size, err
		}
		chunk, _ := er.r.Peek(er.r.Buffered())
		n, done := v.scan(chunk)
		if keep && size+int64(n) <= min(er.max, readBufferSize) {
			er.buf = append(er.buf, chunk[:n]...)
		} else {
			keep = false
		}
		er.r.Discard(n)
		er.off += int64(n)
		size += int64(n)
		if done {
			break
		}
	}
	switch {
	case size > er.max:
		return nil, size, nil
	case keep:
		return er.buf, size, nil
	}
	raw = make([]byte, size)
	if n, err := er.at.ReadAt(raw, start); n < len(raw) {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF // the file shrank while being read
		}
		return nil, size, err
	}
	return raw, size, nil
}

// valueScan finds where one JSON value ends, fed a piece at a time. It
// checks no syntax beyond strings and brackets: json.Unmarshal does, on
// the bytes found.
type valueScan struct {
	started bool
	scalar  bool // a number or literal: it ends before a delimiter
	inStr   bool
	esc     bool
	depth   int
}

// scan consumes p and returns how many of its bytes belong to the value
// and whether the value ends there.
func (v *valueScan) scan(p []byte) (n int, done bool) {
	for i := 0; i < len(p); i++ {
		c := p[i]
		if !v.started {
			v.started = true
			switch c {
			case '{', '[':
				v.depth = 1
			case '"':
				v.inStr = true
			default:
				v.scalar = true
				if endsScalar(c) {
					return i, true
				}
			}
			continue
		}
		switch {
		case v.inStr:
			if v.esc {
				v.esc = false
				continue
			}
			// Jump to the next quote or backslash: strings are most of a row.
			j := bytes.IndexAny(p[i:], "\"\\")
			if j < 0 {
				return len(p), false
			}
			i += j
			if p[i] == '\\' {
				v.esc = true
				continue
			}
			v.inStr = false
			if v.depth == 0 {
				return i + 1, true
			}
		case v.scalar:
			if endsScalar(c) {
				return i, true
			}
		default:
			switch c {
			case '"':
				v.inStr = true
			case '{', '[':
				v.depth++
			case '}', ']':
				if v.depth--; v.depth == 0 {
					return i + 1, true
				}
			}
		}
	}
	return len(p), false
}
