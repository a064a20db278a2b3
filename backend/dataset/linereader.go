package dataset

import (
	"bufio"
	"io"
)

// readBufferSize is the read buffer of the text readers: rows shorter than
// it (nearly all chat rows) are handed over in place, without a copy.
const readBufferSize = 1 << 20

// lineReader reads a file line by line without ever holding more than one
// permitted line. bufio.Reader.ReadBytes would buffer a 100 MB line whole
// before anyone could look at its length; here a line longer than the
// read buffer is first measured in buffer-sized pieces that are dropped
// as they pass, and only a line within the limit is then read again, by
// offset, into one allocation of exactly its size. An oversized line so
// costs no memory beyond the buffer, and a long permitted one no regrowth.
type lineReader struct {
	at  io.ReaderAt   // the file, for re-reading a measured line
	r   *bufio.Reader // over the same file, sequentially
	off int64         // file offset of r's next byte
	max int64
}

func newLineReader(f interface {
	io.Reader
	io.ReaderAt
}, max int64) *lineReader {
	return &lineReader{at: f, r: bufio.NewReaderSize(f, readBufferSize), max: max}
}

// next returns the next line with its newline, and its size in bytes. A
// line over the limit comes back as nil with its full size (the reader is
// then past it). The line may be backed by the read buffer: it is valid
// until the next call. err is io.EOF with the file's last line when that
// has no newline, and with nothing after it.
func (lr *lineReader) next() (line []byte, size int64, err error) {
	start := lr.off
	piece, err := lr.r.ReadSlice('\n')
	lr.off += int64(len(piece))
	size = int64(len(piece))
	if err != bufio.ErrBufferFull {
		if size > lr.max {
			return nil, size, err
		}
		return piece, size, err
	}
	for err == bufio.ErrBufferFull {
		piece, err = lr.r.ReadSlice('\n')
		lr.off += int64(len(piece))
		size += int64(len(piece))
	}
	if err != nil && err != io.EOF {
		return nil, size, err
	}
	if size > lr.max {
		return nil, size, err
	}
	line = make([]byte, size)
	if n, rerr := lr.at.ReadAt(line, start); n < len(line) {
		if rerr == nil || rerr == io.EOF {
			rerr = io.ErrUnexpectedEOF // the file shrank while being read
		}
		return nil, size, rerr
	}
	return line, size, err
}
