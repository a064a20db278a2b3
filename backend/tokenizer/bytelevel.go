package tokenizer

// Byte-level BPE (GPT-2, Llama 3, Qwen) spells every byte as a printable
// rune so that vocabulary entries are valid text: printable Latin-1 bytes map
// to themselves, the rest to U+0100 upwards, in byte order.

// byteToRune maps a byte to the rune that spells it in byte-level vocabularies.
var byteToRune = buildByteToRune()

// runeToByte is the inverse of byteToRune.
var runeToByte = buildRuneToByte()

func buildByteToRune() [256]rune {
	var t [256]rune
	printable := func(b int) bool {
		return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)
	}
	n := 0
	for b := 0; b < 256; b++ {
		if printable(b) {
			t[b] = rune(b)
		} else {
			t[b] = rune(256 + n)
			n++
		}
	}
	return t
}

func buildRuneToByte() map[rune]byte {
	m := make(map[rune]byte, 256)
	for b, r := range byteToRune {
		m[r] = byte(b)
	}
	return m
}

// byteLevelDecode turns a byte-level spelled token back into raw bytes. ok is
// false when some rune is not a byte-level rune (added tokens such as
// "<|im_end|>" are spelled with printable ASCII and always decode).
func byteLevelDecode(tok string) (raw []byte, ok bool) {
	raw = make([]byte, 0, len(tok))
	for _, r := range tok {
		b, found := runeToByte[r]
		if !found {
			return nil, false
		}
		raw = append(raw, b)
	}
	return raw, true
}
