package batch

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
)

// cacheVersion changes whenever the file layout or the meaning of a
// cached example changes, so stale caches are simply missed.
// (v2: assistant turns train the whitespace after their end-of-turn
// marker. v3: an example carries a preference pair's rejected side, and
// the settings include split_long.)
const cacheVersion = "whetstone-tokens-v3"

var cacheMagic = []byte("WHETTOK3")

// Fingerprint identifies a tokenization: same fingerprint, same tokens.
type Fingerprint struct {
	Dataset   string `json:"dataset"`   // sha256 of the dataset file
	Tokenizer string `json:"tokenizer"` // sha256 of the tokenizer files
	Template  string `json:"template"`  // the chat template source
	Settings  any    `json:"settings"`  // mapping, mode, max length, truncation...
}

// Key is the cache key: a hex sha256 over the fingerprint.
func (f Fingerprint) Key() (string, error) {
	b, err := json.Marshal(struct {
		V string `json:"v"`
		Fingerprint
	}{cacheVersion, f})
	if err != nil {
		return "", fmt.Errorf("cache key: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// HashFiles returns the hex sha256 of the files' contents in order
// (names excluded, so a renamed copy hits the same cache).
func HashFiles(paths ...string) (string, error) {
	return hashFiles(context.Background(), paths...)
}

// hashFiles is HashFiles stopping when ctx ends: a dataset of many
// gigabytes takes a while to hash.
func hashFiles(ctx context.Context, paths ...string) (string, error) {
	h := sha256.New()
	for _, p := range paths {
		if err := hashInto(ctx, h, p); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func hashInto(ctx context.Context, h hash.Hash, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("hash %s: %w", path, err)
	}
	defer f.Close()
	if _, err := io.Copy(h, ctxReader{ctx, f}); err != nil {
		return fmt.Errorf("hash %s: %w", path, err)
	}
	return nil
}

// ctxReader reads from r until ctx ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Cache stores tokenized datasets in a directory, one file per key.
type Cache struct{ Dir string }

func (c Cache) path(key string) string { return filepath.Join(c.Dir, key+".tok") }

// Load returns the cached tokenization for key. A missing, stale or
// damaged file is a miss (a damaged one is removed), never an error: the
// caller just tokenizes again.
func (c Cache) Load(key string) (*Tokenized, bool) {
	f, err := os.Open(c.path(key))
	if err != nil {
		return nil, false
	}
	defer f.Close()
	t, err := readCache(bufio.NewReaderSize(f, 1<<20), key)
	if err != nil {
		f.Close()
		os.Remove(c.path(key))
		return nil, false
	}
	return t, true
}

// Store writes t under key atomically: a temp file in the same directory,
// synced, then renamed, so a crash never leaves a half-written cache.
func (c Cache) Store(key string, t *Tokenized) error {
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return fmt.Errorf("token cache: %w", err)
	}
	tmp, err := os.CreateTemp(c.Dir, "."+key+".tmp*")
	if err != nil {
		return fmt.Errorf("token cache: %w", err)
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 1<<20)
	err = writeCache(w, key, t)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), c.path(key))
	}
	if err != nil {
		return fmt.Errorf("token cache %s: %w", c.path(key), err)
	}
	return nil
}

// Layout: magic, key, report JSON, example count, then per example its
// row, length, the rejected side's length plus one (0: not a pair),
// tokens (int32 LE) and trainable flags (one byte each), followed for a
// pair by the rejected side's tokens and flags; a CRC32 of everything
// before it closes the file.
func writeCache(w io.Writer, key string, t *Tokenized) error {
	crc := crc32.NewIEEE()
	mw := io.MultiWriter(w, crc)
	rep, err := json.Marshal(t.Report)
	if err != nil {
		return err
	}
	var buf []byte
	buf = append(buf, cacheMagic...)
	buf = appendBytes(buf, []byte(key))
	buf = appendBytes(buf, rep)
	buf = binary.LittleEndian.AppendUint64(buf, uint64(len(t.Examples)))
	if _, err := mw.Write(buf); err != nil {
		return err
	}
	for _, e := range t.Examples {
		rejected := uint32(0)
		if e.Rejected != nil {
			rejected = uint32(len(e.Rejected.Tokens)) + 1
		}
		buf = buf[:0]
		buf = binary.LittleEndian.AppendUint32(buf, uint32(e.Row))
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(e.Tokens)))
		buf = binary.LittleEndian.AppendUint32(buf, rejected)
		buf = appendSide(buf, e)
		if e.Rejected != nil {
			buf = appendSide(buf, *e.Rejected)
		}
		if _, err := mw.Write(buf); err != nil {
			return err
		}
	}
	_, err = w.Write(binary.LittleEndian.AppendUint32(nil, crc.Sum32()))
	return err
}

// appendSide appends e's tokens and trainable flags.
func appendSide(buf []byte, e Example) []byte {
	for _, tok := range e.Tokens {
		buf = binary.LittleEndian.AppendUint32(buf, uint32(tok))
	}
	for _, tr := range e.Trainable {
		if tr {
			buf = append(buf, 1)
		} else {
			buf = append(buf, 0)
		}
	}
	return buf
}

func appendBytes(buf, b []byte) []byte {
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(b)))
	return append(buf, b...)
}

var errBadCache = errors.New("damaged token cache")

func readCache(r io.Reader, key string) (*Tokenized, error) {
	crc := crc32.NewIEEE()
	tr := io.TeeReader(r, crc)
	magic := make([]byte, len(cacheMagic))
	if _, err := io.ReadFull(tr, magic); err != nil || string(magic) != string(cacheMagic) {
		return nil, errBadCache
	}
	gotKey, err := readBytes(tr, 1<<10)
	if err != nil || string(gotKey) != key {
		return nil, errBadCache
	}
	rep, err := readBytes(tr, 64<<20)
	if err != nil {
		return nil, err
	}
	t := &Tokenized{}
	if err := json.Unmarshal(rep, &t.Report); err != nil {
		return nil, errBadCache
	}
	var n uint64
	if err := binary.Read(tr, binary.LittleEndian, &n); err != nil || n > 1<<32 {
		return nil, errBadCache
	}
	t.Examples = make([]Example, 0, n)
	var hdr [12]byte
	var raw []byte
	for i := uint64(0); i < n; i++ {
		if _, err := io.ReadFull(tr, hdr[:]); err != nil {
			return nil, errBadCache
		}
		row := int32(binary.LittleEndian.Uint32(hdr[:4]))
		ln := int(binary.LittleEndian.Uint32(hdr[4:8]))
		rejected := int(binary.LittleEndian.Uint32(hdr[8:]))
		e, err := readSide(tr, row, ln, &raw)
		if err != nil {
			return nil, err
		}
		if rejected > 0 {
			r, err := readSide(tr, row, rejected-1, &raw)
			if err != nil {
				return nil, err
			}
			e.Rejected = &r
		}
		t.Examples = append(t.Examples, e)
	}
	want := crc.Sum32()
	var sum [4]byte
	if _, err := io.ReadFull(r, sum[:]); err != nil || binary.LittleEndian.Uint32(sum[:]) != want {
		return nil, errBadCache
	}
	return t, nil
}

// readSide reads ln tokens and their trainable flags, reusing *raw.
func readSide(r io.Reader, row int32, ln int, raw *[]byte) (Example, error) {
	if ln > 1<<26 {
		return Example{}, errBadCache
	}
	if cap(*raw) < ln*5 {
		*raw = make([]byte, ln*5)
	}
	b := (*raw)[:ln*5]
	if _, err := io.ReadFull(r, b); err != nil {
		return Example{}, errBadCache
	}
	e := Example{Row: row, Tokens: make([]int32, ln), Trainable: make([]bool, ln)}
	for j := range e.Tokens {
		e.Tokens[j] = int32(binary.LittleEndian.Uint32(b[j*4:]))
		e.Trainable[j] = b[ln*4+j] == 1
	}
	return e, nil
}

func readBytes(r io.Reader, limit uint32) ([]byte, error) {
	var n uint32
	if err := binary.Read(r, binary.LittleEndian, &n); err != nil || n > limit {
		return nil, errBadCache
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, errBadCache
	}
	return b, nil
}
