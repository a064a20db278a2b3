package bench

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/whetstone-ai/whetstone/backend/model"
)

// The time to the first token (backend/bench/README.md, "Real sizes, ninth
// pass"): a prompt's prefill through model.Generate with one new token, on
// random weights of a configuration's model, three times a prompt length
// after one that compiles. It needs the model's memory and minutes, so it
// runs only when asked:
//
//	WHETSTONE_PREFILL=f32,bf16,int8 WHETSTONE_PREFILL_CONFIG=gemma3-1b \
//	WHETSTONE_PREFILL_TOKENS=32,256 go test ./backend/bench -run TestPrefillMeasure -v
//
// The configuration defaults to gemma3-270m, the lengths to 32 and 256.
func TestPrefillMeasure(t *testing.T) {
	storages := decodeList("WHETSTONE_PREFILL")
	if len(storages) == 0 {
		t.Skip("set WHETSTONE_PREFILL=f32,bf16,int8 (and WHETSTONE_PREFILL_CONFIG, WHETSTONE_PREFILL_TOKENS) to measure the time to the first token")
	}
	name := "gemma3-270m"
	if v := decodeList("WHETSTONE_PREFILL_CONFIG"); len(v) == 1 {
		name = v[0]
	}
	lengths := []int{32, 256}
	if v := decodeList("WHETSTONE_PREFILL_TOKENS"); len(v) > 0 {
		lengths = lengths[:0]
		for _, s := range v {
			n, err := strconv.Atoi(s)
			require.NoError(t, err, "WHETSTONE_PREFILL_TOKENS")
			require.True(t, n >= 1 && n <= 8192, "WHETSTONE_PREFILL_TOKENS: %d is not from 1 to 8192", n)
			lengths = append(lengths, n)
		}
	}
	c, err := Lookup(name)
	require.NoError(t, err)
	mc, err := c.ModelConfig()
	require.NoError(t, err)
	for _, s := range storages {
		m, err := model.NewRandom(mc, benchSeed, storageOptions(t, "WHETSTONE_PREFILL", s))
		require.NoError(t, err)
		for _, n := range lengths {
			prompt := make([]int32, n)
			for i := range prompt {
				prompt[i] = int32((1000 + 37*i) % mc.VocabSize)
			}
			first := func() (wall, cpu float64) {
				began, cpu0 := time.Now(), processCPUSeconds()
				_, err := m.Generate(context.Background(), prompt, model.GenerateOptions{MaxNewTokens: 1, StopTokens: []int32{}}, nil)
				require.NoError(t, err)
				return time.Since(began).Seconds(), processCPUSeconds() - cpu0
			}
			first() // compile
			for range 3 {
				wall, cpu := first()
				t.Logf("%s %s: first token after a %d-token prompt in %.3f s (%.3f s of CPU)", name, s, n, wall, cpu)
			}
		}
		m.Close()
	}
}
