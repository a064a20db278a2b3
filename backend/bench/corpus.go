package bench

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// corpusWords are common English words; corpus mixes them with invented
// words, numbers, code and non-Latin text so a tokenizer's word cache
// cannot answer everything and every pre-tokenizer path is exercised.
var corpusWords = strings.Fields(`the of and to in is that for it as with was on be by this are
from or at an but not have has had which one all were when we there can more if
will about their so would what up out them some into than its only other new time
model training data learning rate token tokens sequence batch gradient loss layer
attention weights adapter question answer explain because example result value
function return error file system memory process thread network user assistant`)

var corpusSyllables = strings.Fields("ka lo mi ne tor ques vin dra pel sto qua rix zen bor ful ment tion ing")

var corpusExtras = []string{
	"func main() { fmt.Println(\"hello\") }", "x := make([]int, 0, 16)", "for i in range(10):",
	"Größe", "naïve café", "日本語のテキスト", "Привет, мир", "emoji 🙂 ok", "e^{iπ} + 1 = 0",
	"https://example.com/path?q=1", "user@example.org", "\n\n", "\t", "  ",
}

// corpus returns about n bytes of deterministic mixed text.
func corpus(n int, seed uint64) string {
	rng := rand.New(rand.NewPCG(seed, 3))
	var sb strings.Builder
	sb.Grow(n + 64)
	sentence := 0
	for sb.Len() < n {
		switch r := rng.IntN(100); {
		case r < 78:
			w := corpusWords[rng.IntN(len(corpusWords))]
			if sentence == 0 {
				w = strings.ToUpper(w[:1]) + w[1:]
			}
			sb.WriteString(w)
		case r < 88:
			for k := 1 + rng.IntN(3); k > 0; k-- {
				sb.WriteString(corpusSyllables[rng.IntN(len(corpusSyllables))])
			}
		case r < 94:
			sb.WriteString(strconv.Itoa(rng.IntN(100000)))
		default:
			sb.WriteString(corpusExtras[rng.IntN(len(corpusExtras))])
		}
		sentence++
		if sentence > 6 && rng.IntN(8) == 0 {
			sb.WriteString(". ")
			sentence = 0
		} else if rng.IntN(12) == 0 {
			sb.WriteString(", ")
		} else {
			sb.WriteByte(' ')
		}
	}
	return sb.String()
}
