package tokenizer

import (
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/sharedtest"
)

// benchText builds a large mixed text (~1 MB) from every reference case:
// prose, code, markdown, many scripts, emoji and special-token strings.
func benchText(b *testing.B) string {
	b.Helper()
	path := sharedtest.Path(b, "refsets", "visible", "encode_cases.json")
	raw, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	var sb strings.Builder
	cases := readEncodeCasesB(b, raw)
	for sb.Len() < 1<<20 {
		for _, c := range cases {
			sb.WriteString(c.Text)
			sb.WriteString("\n\n")
		}
	}
	return sb.String()
}

func readEncodeCasesB(b *testing.B, raw []byte) []encodeCase {
	var cases []encodeCase
	if err := jsonUnmarshal(raw, &cases); err != nil {
		b.Fatal(err)
	}
	return cases
}

func benchEncode(b *testing.B, model string) {
	text := benchText(b)
	tk := refTokenizer(b, model)
	prev := runtime.GOMAXPROCS(1) // one core, as the target is stated
	defer runtime.GOMAXPROCS(prev)
	tokens := 0
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	cpu0 := cpuSeconds()
	for i := 0; i < b.N; i++ {
		tokens += len(tk.Encode(text, false))
	}
	b.ReportMetric(float64(tokens)/b.Elapsed().Seconds(), "tokens/s")
	if cpu := cpuSeconds() - cpu0; cpu > 0 {
		// Wall-clock figures drop when the machine is busy; this does not.
		b.ReportMetric(float64(tokens)/cpu, "tokens/cpu-s")
	}
}

func BenchmarkEncodeGemma3(b *testing.B) { benchEncode(b, "gemma3") }
func BenchmarkEncodeQwen3(b *testing.B)  { benchEncode(b, "qwen3") }
func BenchmarkEncodeLlama3(b *testing.B) { benchEncode(b, "llama3") }

// BenchmarkEncodeBatchLlama3 measures EncodeBatch over all cores.
func BenchmarkEncodeBatchLlama3(b *testing.B) {
	text := benchText(b)
	tk := refTokenizer(b, "llama3")
	docs := strings.SplitAfter(text, "\n\n")
	tokens := 0
	b.SetBytes(int64(len(text)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, ids := range tk.EncodeBatch(docs, false) {
			tokens += len(ids)
		}
	}
	b.ReportMetric(float64(tokens)/b.Elapsed().Seconds(), "tokens/s")
}
