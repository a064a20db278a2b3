package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/whetstone-ai/whetstone/backend/estimate"
	"github.com/whetstone-ai/whetstone/backend/train"
)

// Issue 19 holds the memory estimate (backend/estimate) within 10% of the
// peak RSS the bench measures, at every bench configuration. Two tests:
//
//   - TestEstimateMatchesRecordedPeaks compares the estimate, as the code
//     computes it now, with the peaks in testdata/peaks.json: `whetstone
//     bench --out` results of every configuration, measured on a quiet
//     machine (backend/bench/README.md says when and where);
//   - TestEstimateMatchesFreshPeaks, when WHETSTONE_BENCH_FRESH_PEAKS is
//     set, measures the small configurations again, each in a fresh
//     process (peak RSS is a process-lifetime figure) for peakSteps steps
//     (the peak grows over the first steps, as the buffer pools and the
//     collector settle: 30m measured 603-621 MiB after 2 steps, 695 after
//     10, 701 after 20, 703 after 40), the test binary's own baseline RSS
//     standing in for the app's (estimate.AppBaseline). It is not part of
//     the default test run: on a busy machine the go backend's executors
//     overlap other work, and the peak moves (5m: 218-230 MiB quiet, 253
//     with the rest of the test suite running beside it).
const estimateTolerance = 0.10

// estimateToleranceMB is the least difference allowed: tiny's whole peak
// is 45-70 MiB, mostly the process itself, and varies by ±6 MiB from run
// to run (the runtime's own allocations), more than 10 % of it.
const estimateToleranceMB = 8

// peakSteps is how many timed steps a fresh-process measurement trains.
const peakSteps = 10

// envPeakChild makes the test binary a child that benchmarks one
// configuration and prints its Result as JSON.
const envPeakChild = "WHETSTONE_BENCH_PEAK_CHILD"

func TestEstimateMatchesFreshPeaks(t *testing.T) {
	if os.Getenv("WHETSTONE_BENCH_FRESH_PEAKS") == "" {
		t.Skip("set WHETSTONE_BENCH_FRESH_PEAKS=1 to measure the small configurations' peaks again (quiet machine)")
	}
	for _, tc := range []struct {
		config string
		ckpt   bool
	}{{"tiny", false}, {"5m", false}, {"30m", false}, {"30m", true}} {
		name := tc.config
		if tc.ckpt {
			name += "-checkpointed"
		}
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestPeakChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), envPeakChild+"="+tc.config, envPeakChild+"_CKPT="+strconv.FormatBool(tc.ckpt))
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			if err := cmd.Run(); err != nil {
				t.Fatalf("child: %v\n%s\n%s", err, out.String(), errOut.String())
			}
			start := bytes.IndexByte(out.Bytes(), '{')
			end := bytes.LastIndexByte(out.Bytes(), '}')
			if start < 0 || end < start {
				t.Fatalf("child printed no result:\n%s", out.String())
			}
			var child peakChildResult
			if err := json.Unmarshal(out.Bytes()[start:end+1], &child); err != nil {
				t.Fatalf("child result: %v", err)
			}
			if child.BaselineMB <= 0 {
				t.Fatalf("child measured no baseline RSS")
			}
			checkEstimateRatio(t, child.Result, child.BaselineMB-mib(estimate.AppBaseline))
		})
	}
}

// peakChildResult is what TestPeakChild prints: the bench result and the
// process's resident memory before it began.
type peakChildResult struct {
	BaselineMB float64 `json:"baseline_mb"`
	Result     Result  `json:"result"`
}

// TestPeakChild is TestEstimateMatchesFreshPeaks's child process.
func TestPeakChild(t *testing.T) {
	name := os.Getenv(envPeakChild)
	if name == "" {
		t.Skip("a child of TestEstimateMatchesFreshPeaks")
	}
	baseline := train.PeakRSSMB()
	c, err := Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	ckpt, _ := strconv.ParseBool(os.Getenv(envPeakChild + "_CKPT"))
	res, err := Run(context.Background(), c, Options{Steps: peakSteps, SkipGenerate: true, SkipTokenizer: true, SkipDataset: true,
		GradientCheckpointing: ckpt, FreshProcess: true})
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(peakChildResult{BaselineMB: baseline, Result: res})
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout.Write(append(data, '\n'))
}

func TestEstimateMatchesRecordedPeaks(t *testing.T) {
	f, err := ReadFile("testdata/peaks.json")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, res := range f.Results {
		seen[res.Config.Name] = true
		t.Run(res.Config.Name, func(t *testing.T) { checkEstimateRatio(t, res, 0) })
	}
	for _, c := range Configs() {
		if !seen[c.Name] {
			t.Errorf("testdata/peaks.json has no %s result", c.Name)
		}
	}
}

// checkEstimateRatio recomputes the estimate of res's configuration and
// checkpointing with today's code and compares it with res's peak RSS;
// baselineMB is added to the estimate for a process whose own baseline
// differs from the app's.
func checkEstimateRatio(t *testing.T, res Result, baselineMB float64) {
	t.Helper()
	c, err := Lookup(res.Config.Name)
	if err != nil {
		t.Fatal(err)
	}
	mc, err := c.ModelConfig()
	if err != nil {
		t.Fatal(err)
	}
	b, err := estimate.Training(mc, estimateRun(c, res.Train.GradientCheckpointing))
	if err != nil {
		t.Fatal(err)
	}
	if res.PeakRSSMB <= 0 {
		t.Fatalf("%s: no peak RSS recorded", res.Config.Name)
	}
	est := mib(b.Total) + baselineMB
	ratio := est / res.PeakRSSMB
	t.Logf("%s (checkpointing %v): estimate %.0f MiB, measured %.0f MiB, ratio %.3f", res.Config.Name,
		res.Train.GradientCheckpointing, est, res.PeakRSSMB, ratio)
	if math.Abs(est-res.PeakRSSMB) > max(estimateTolerance*res.PeakRSSMB, estimateToleranceMB) {
		t.Errorf("%s (checkpointing %v): estimate %.0f MiB is %.2f× the measured peak %.0f MiB (want within %.0f%% or %d MiB): %+v",
			res.Config.Name, res.Train.GradientCheckpointing, est, ratio, res.PeakRSSMB, 100*estimateTolerance, estimateToleranceMB, b)
	}
}
