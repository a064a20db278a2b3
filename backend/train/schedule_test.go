package train

import (
	"math"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/runconfig"
)

func TestLearningRateSchedules(t *testing.T) {
	const peak = 2e-4
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
	cases := []struct {
		kind        string
		step, total int
		want        float64
	}{
		{"linear", 1, 60, 0},              // first update: warmup starts at 0
		{"linear", 3, 60, peak * 2 / 5},   // 2 updates done of 5 warmup
		{"linear", 6, 60, peak},           // warmup over
		{"linear", 60, 60, peak * 1 / 55}, // one update before the end
		{"cosine", 6, 60, peak},           // top of the cosine
		{"cosine", 33, 60, peak * 0.5 * (1 + math.Cos(math.Pi*27/55))},
		{"constant", 40, 60, peak},
		{"constant", 2, 60, peak / 5},
	}
	for _, c := range cases {
		if got := LearningRate(c.kind, peak, c.step, 5, c.total); !near(got, c.want) {
			t.Errorf("%s step %d/%d: lr %g, want %g", c.kind, c.step, c.total, got, c.want)
		}
	}
	if got := LearningRate("linear", peak, 1, 0, 10); got != peak {
		t.Errorf("no warmup: first lr %g", got)
	}
}

func TestTotalSteps(t *testing.T) {
	tc := runconfig.Default().Training
	if n := TotalSteps(tc, 1000); n != 60 {
		t.Errorf("max_steps: %d", n)
	}
	tc.MaxSteps, tc.Epochs, tc.GradAccum = 0, 2, 4
	if n := TotalSteps(tc, 10); n != 5 {
		t.Errorf("2 epochs of 10 micro-batches with accumulation 4: %d steps, want 5", n)
	}
}
