package tokenizer_test

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/tokenizer"
)

// protobuf builders for a hand-made tokenizer.model.
func pbKey(field, wire int) []byte { return binary.AppendUvarint(nil, uint64(field<<3|wire)) }

func pbVarint(field int, v uint64) []byte { return binary.AppendUvarint(pbKey(field, 0), v) }

func pbBytes(field int, b []byte) []byte {
	return append(binary.AppendUvarint(pbKey(field, 2), uint64(len(b))), b...)
}

func pbFloat(field int, f float32) []byte {
	return binary.LittleEndian.AppendUint32(pbKey(field, 5), math.Float32bits(f))
}

type piece struct {
	s     string
	score float32
	kind  uint64
}

func writeSPModel(t testing.TB, dir string, pieces []piece, modelType uint64) {
	t.Helper()
	var out []byte
	for _, p := range pieces {
		var b []byte
		b = append(b, pbBytes(1, []byte(p.s))...)
		b = append(b, pbFloat(2, p.score)...)
		b = append(b, pbVarint(3, p.kind)...)
		out = append(out, pbBytes(1, b)...)
	}
	trainer := append(pbVarint(3, modelType), pbVarint(35, 1)...)
	trainer = append(trainer, pbVarint(40, 0)...)
	trainer = append(trainer, pbVarint(41, 1)...)
	trainer = append(trainer, pbVarint(42, 2)...)
	out = append(out, pbBytes(2, trainer)...)
	out = append(out, pbBytes(3, pbVarint(3, 1))...) // add_dummy_prefix
	if err := os.WriteFile(filepath.Join(dir, "tokenizer.model"), out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// spPieces is a Llama-2-style BPE vocabulary: <unk>, <s>, </s>, 256 byte
// pieces, characters, then merged pieces whose scores give the merge order.
func spPieces() []piece {
	ps := []piece{{"<unk>", 0, 2}, {"<s>", 0, 3}, {"</s>", 0, 3}}
	for b := 0; b < 256; b++ {
		ps = append(ps, piece{fmt.Sprintf("<0x%02X>", b), 0, 6})
	}
	merged := []string{"he", "ll", "hell", "hello", "▁w", "or", "▁wor", "ld", "▁world", "▁h", "▁hello"}
	for i, m := range merged {
		ps = append(ps, piece{m, float32(-i), 1})
	}
	for i, c := range strings.Split("▁ e h l o w r d", " ") {
		ps = append(ps, piece{c, float32(-100 - i), 1})
	}
	return ps
}

func TestSentencePieceModelAlone(t *testing.T) {
	dir := t.TempDir()
	ps := spPieces()
	writeSPModel(t, dir, ps, 2)
	tk, err := tokenizer.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	idOf := func(s string) int {
		for i, p := range ps {
			if p.s == s {
				return i
			}
		}
		t.Fatalf("no piece %q", s)
		return -1
	}
	got := tk.Encode("hello world", true)
	want := []int{1, idOf("▁hello"), idOf("▁world")}
	if !slices.Equal(got, want) {
		t.Fatalf("Encode = %v, want %v", got, want)
	}
	// "é" is not a piece: byte fallback; unknown control text stays text.
	if got := tk.Encode("é", false); !slices.Equal(got, []int{idOf("▁"), 3 + 0xC3, 3 + 0xA9}) {
		t.Fatalf("byte fallback = %v", got)
	}
	if d := tk.Decode(tk.Encode("hello  wé</s>", true), false); d != "<s> hello  wé</s>" { // as transformers: the strip only applies at the very start
		t.Fatalf("decode %q", d)
	}
	if d := tk.Decode(tk.Encode("hello world", true), true); d != "hello world" {
		t.Fatalf("decode skipping special %q", d)
	}
	v := tk.Vocab()
	if v.Scores == nil || v.Kinds[0] != tokenizer.KindUnknown || v.Kinds[1] != tokenizer.KindControl || v.Kinds[3] != tokenizer.KindByte {
		t.Fatalf("vocab kinds %v scores %v", v.Kinds[:4], v.Scores != nil)
	}

	uni := t.TempDir()
	writeSPModel(t, uni, ps, 1)
	if _, err := tokenizer.Load(uni); err == nil || !strings.Contains(err.Error(), "unigram") || !strings.Contains(err.Error(), "tokenizer.model") {
		t.Fatalf("unigram: %v", err)
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "tokenizer.model"), []byte{0x0a, 0xff, 0x01}, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := tokenizer.Load(bad); err == nil || !strings.Contains(err.Error(), "not a SentencePiece model") {
		t.Fatalf("garbage: %v", err)
	}
}
