package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/whetstone-ai/whetstone/backend/bench"
)

func benchCommand() Command {
	return Command{
		Name:    "bench",
		Summary: "measure training/generation speed and memory on fixed LoRA configs (tiny, 5m, 30m)",
		Run:     runBench,
	}
}

type benchFlags struct {
	config, out, backend, tokenizer, torch, python string
	json, inProcess                                bool
	steps, torchThreads                            int
	noGenerate, noTokenizer, noDataset             bool
	gradCheckpoint                                 bool
}

func runBench(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "bench", "[--config tiny|5m|30m|all] [--json] [--steps N] [--out FILE]")
	var f benchFlags
	fs.StringVar(&f.config, "config", "5m", "configuration: "+strings.Join(bench.ConfigNames(), ", ")+" or all")
	fs.BoolVar(&f.json, "json", false, "print JSON instead of a table (one result object for one config)")
	fs.IntVar(&f.steps, "steps", bench.DefaultSteps, "timed training steps after the first (compiling) one")
	fs.StringVar(&f.out, "out", "", "also save the results to this JSON file")
	fs.StringVar(&f.backend, "backend", "", "GoMLX backend: go or xla (default: GOMLX_BACKEND, else go)")
	fs.StringVar(&f.tokenizer, "tokenizer", "", "tokenizer folder to measure (default: the reference Gemma 3 tokenizer under shared/, if found)")
	fs.StringVar(&f.torch, "torch", "", "path of torch_lora_ref.py: also run the PyTorch reference on each config, after ours")
	fs.StringVar(&f.python, "python", "/usr/bin/python3", "python interpreter for --torch")
	fs.IntVar(&f.torchThreads, "torch-threads", 0, "torch threads for --torch (default: the script's 2; 1 is steadier on a busy machine)")
	fs.BoolVar(&f.inProcess, "in-process", false, "run several configs in this process (default: a fresh child process each, so each peak RSS is its own)")
	fs.BoolVar(&f.gradCheckpoint, "grad-checkpoint", false, "recompute decoder layers in the backward pass (less memory, slower)")
	fs.BoolVar(&f.noGenerate, "no-generate", false, "skip the generation measurement")
	fs.BoolVar(&f.noTokenizer, "no-tokenizer", false, "skip the tokenizer measurement")
	fs.BoolVar(&f.noDataset, "no-dataset", false, "skip the dataset reading measurement")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: bench takes no arguments, got %q", ErrUsage, fs.Args())
	}
	if f.steps < 1 {
		return fmt.Errorf("%w: --steps must be at least 1", ErrUsage)
	}
	var cfgs []bench.Config
	if f.config == "all" {
		cfgs = bench.Configs()
	} else {
		for _, name := range strings.Split(f.config, ",") {
			c, err := bench.Lookup(strings.TrimSpace(name))
			if err != nil {
				return fmt.Errorf("%w: %v", ErrUsage, err)
			}
			cfgs = append(cfgs, c)
		}
	}

	var results []bench.Result
	for i, c := range cfgs {
		// Tokenizer and dataset figures do not depend on the config:
		// measure them once.
		once := i == 0
		var res bench.Result
		var err error
		if len(cfgs) > 1 && !f.inProcess {
			res, err = benchChild(ctx, env, c, f, once)
		} else {
			fmt.Fprintf(env.Stderr, "bench %s: training %d+1 steps...\n", c.Name, f.steps)
			res, err = bench.Run(ctx, c, bench.Options{
				Backend: f.backend, Steps: f.steps, TokenizerDir: f.tokenizer,
				SkipGenerate: f.noGenerate, SkipTokenizer: f.noTokenizer || !once, SkipDataset: f.noDataset || !once,
				FreshProcess: len(cfgs) == 1, GradientCheckpointing: f.gradCheckpoint,
			})
		}
		if err != nil {
			return err
		}
		if f.torch != "" {
			fmt.Fprintf(env.Stderr, "bench %s: PyTorch reference...\n", c.Name)
			ref, err := bench.RunTorch(ctx, f.python, f.torch, c, f.steps, f.torchThreads)
			if err != nil {
				return err
			}
			ref.Compare(res)
			res.Reference = ref
		}
		results = append(results, res)
	}

	if f.out != "" {
		if err := bench.WriteFile(f.out, results); err != nil {
			return err
		}
	}
	if f.json {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if len(results) == 1 {
			return enc.Encode(results[0])
		}
		return enc.Encode(bench.File{Schema: bench.Schema, Results: results})
	}
	printBenchTable(env.Stdout, results)
	return nil
}

// benchChild runs one configuration in a fresh copy of this executable so
// its peak RSS is its own, and reads back its JSON result.
func benchChild(ctx context.Context, env *Env, c bench.Config, f benchFlags, once bool) (bench.Result, error) {
	self, err := os.Executable()
	if err != nil {
		return bench.Result{}, fmt.Errorf("bench: cannot re-run this executable for %s (use --in-process): %w", c.Name, err)
	}
	args := []string{"bench", "--config", c.Name, "--json", "--steps", strconv.Itoa(f.steps)}
	if f.backend != "" {
		args = append(args, "--backend", f.backend)
	}
	if f.tokenizer != "" {
		args = append(args, "--tokenizer", f.tokenizer)
	}
	if f.noGenerate {
		args = append(args, "--no-generate")
	}
	if f.gradCheckpoint {
		args = append(args, "--grad-checkpoint")
	}
	if f.noTokenizer || !once {
		args = append(args, "--no-tokenizer")
	}
	if f.noDataset || !once {
		args = append(args, "--no-dataset")
	}
	cmd := exec.CommandContext(ctx, self, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, env.Stderr
	if err := cmd.Run(); err != nil {
		return bench.Result{}, fmt.Errorf("bench %s (child process): %w", c.Name, err)
	}
	var res bench.Result
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		return bench.Result{}, fmt.Errorf("bench %s: reading the child's result: %w", c.Name, err)
	}
	return res, nil
}

func printBenchTable(w io.Writer, results []bench.Result) {
	if len(results) == 0 {
		return
	}
	m := results[0].Machine
	fmt.Fprintf(w, "machine: %s, %d cores (GOMAXPROCS %d), %s, GOEXPERIMENT=%s\nbackend: %s\n\n",
		m.CPU, m.Cores, m.GOMAXPROCS, m.GoVersion, m.GOEXPERIMENT, m.Backend)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "config\ttrain tok/s\tstep ms\tfirst step s\tpeak RSS MB\tcpu util\tload\tgen tok/s\tprefill ms\ttorch tok/s\ttorch MB\tspeed x\tmemory x\t")
	for _, r := range results {
		gen, prefill := "-", "-"
		if g := r.Generate; g != nil {
			gen, prefill = fmt.Sprintf("%.0f", g.TokensPerS), fmt.Sprintf("%.0f", g.PrefillMS)
		}
		tt, tm, sx, mx := "-", "-", "-", "-"
		if ref := r.Reference; ref != nil {
			tt, tm = fmt.Sprintf("%.0f", ref.TokensPerS), fmt.Sprintf("%.0f", ref.PeakRSSMB)
			sx, mx = fmt.Sprintf("%.2f", ref.SpeedRatio), fmt.Sprintf("%.2f", ref.MemoryRatio)
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%.1f\t%.1f\t%.0f\t%.2f\t%.1f\t%s\t%s\t%s\t%s\t%s\t%s\t\n",
			r.Config.Name, r.TokensPerS, r.Train.MedianStepMS, r.Train.FirstStepS, r.PeakRSSMB,
			r.Train.CPUUtilization, r.Train.LoadAverage, gen, prefill, tt, tm, sx, mx)
	}
	tw.Flush()
	for _, r := range results {
		if t := r.Tokenizer; t != nil {
			fmt.Fprintf(w, "\ntokenizer: %.0f tokens/s (%.1f MB/s, one thread) on %s\n", t.TokensPerS, t.MBPerS, t.Dir)
		}
		if d := r.Dataset; d != nil {
			fmt.Fprintf(w, "dataset: parquet %.0f rows/s, JSONL %.0f rows/s (%d ShareGPT rows, ~%d bytes each)\n",
				d.ParquetRowsPerS, d.JSONLRowsPerS, d.Rows, d.BytesPerRow)
		}
		for _, n := range r.Notes {
			fmt.Fprintf(w, "note (%s): %s\n", r.Config.Name, n)
		}
	}
}
