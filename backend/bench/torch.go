package bench

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
)

// Reference is the PyTorch figure for the same configuration, measured by
// ../shared/bench/torch_lora_ref.py in the same run (before or after ours,
// never concurrently).
type Reference struct {
	Command      string  `json:"command"`
	TokensPerS   float64 `json:"tokens_per_s"`
	PeakRSSMB    float64 `json:"peak_rss_mb"`
	MedianStepMS float64 `json:"median_step_ms"`
	// SpeedRatio is our tokens/s over PyTorch's; MemoryRatio our peak RSS
	// over PyTorch's (the target is ≥ 3 and ≤ 0.5).
	SpeedRatio  float64 `json:"speed_ratio"`
	MemoryRatio float64 `json:"memory_ratio"`
}

var torchFigure = regexp.MustCompile(`(peak_rss_mb|median_step_ms|tokens_per_s)=([0-9.]+)`)

// RunTorch runs the PyTorch reference script for c with python (e.g.
// /usr/bin/python3) and parses its figures. steps is the number of timed
// steps, as for Run; the script times all but its first. threads sets
// torch's thread count (0: the script's default of 2); on a box shared
// with other work, 1 thread avoids the OpenMP pool's collapse.
func RunTorch(ctx context.Context, python, script string, c Config, steps, threads int) (*Reference, error) {
	if steps == 0 {
		steps = DefaultSteps
	}
	args := append([]string{script}, c.TorchArgs()...)
	args = append(args, "--steps", strconv.Itoa(steps+1))
	if threads > 0 {
		args = append(args, "--threads", strconv.Itoa(threads))
	}
	cmd := exec.CommandContext(ctx, python, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	ref := &Reference{Command: python + " " + strings.Join(args, " ")}
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("bench: %s: %w: %s", ref.Command, err, lastLines(errb.String(), 5))
	}
	for _, m := range torchFigure.FindAllStringSubmatch(out.String(), -1) {
		v, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			continue
		}
		switch m[1] {
		case "peak_rss_mb":
			ref.PeakRSSMB = v
		case "median_step_ms":
			ref.MedianStepMS = v
		case "tokens_per_s":
			ref.TokensPerS = v
		}
	}
	if ref.TokensPerS == 0 || ref.PeakRSSMB == 0 {
		return nil, fmt.Errorf("bench: %s printed no tokens_per_s/peak_rss_mb: %s", ref.Command, lastLines(out.String(), 5))
	}
	return ref, nil
}

// Compare fills the ratios of ref against r.
func (ref *Reference) Compare(r Result) {
	if ref.TokensPerS > 0 {
		ref.SpeedRatio = r.TokensPerS / ref.TokensPerS
	}
	if ref.PeakRSSMB > 0 {
		ref.MemoryRatio = r.PeakRSSMB / ref.PeakRSSMB
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// TorchDifference says how torch_lora_ref.py's model differs from ours for
// c, or "" when it builds the same work. The script takes the vocabulary
// size (--vocab) but has no sliding window: every layer attends to the
// whole causal context. That is the same work while seq ≤ the window.
func TorchDifference(c Config) string {
	if c.SlidingWindow == 0 || c.Seq <= c.SlidingWindow {
		return ""
	}
	mc, err := c.ModelConfig()
	if err != nil {
		return ""
	}
	ours := CountStepFLOPs(c, mc, false)
	full := *mc
	full.SlidingWindow = 0
	theirs := CountStepFLOPs(c, &full, false)
	return fmt.Sprintf("torch_lora_ref.py has no sliding window (all %d layers attend to all %d earlier tokens; ours, like Gemma 3, limits the sliding layers to %d): its attention does %.1fx our attention FLOPs, its step %.2fx ours",
		c.Layers, c.Seq, c.SlidingWindow, theirs.Attention/ours.Attention, theirs.Total/ours.Total)
}
