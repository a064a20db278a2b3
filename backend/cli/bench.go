package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/whetstone-ai/whetstone/backend/bench"
)

func benchCommand() Command {
	return Command{
		Name:    "bench",
		Summary: "measure training/generation speed, memory and roofline fraction on fixed LoRA configs (" + strings.Join(bench.ConfigNames(), ", ") + ")",
		Run:     runBench,
	}
}

type benchFlags struct {
	config, out, backend, tokenizer, torch, python string
	llamaCpp, node                                 string
	json, inProcess                                bool
	steps, torchThreads                            int
	noGenerate, noTokenizer, noDataset             bool
	gradCheckpoint, ignoreMemory                   bool
	attentionBlock                                 int
	torchTimeout                                   time.Duration
}

func runBench(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "bench", "[--config "+strings.Join(bench.ConfigNames(), "|")+"|all] [--json] [--steps N] [--out FILE]")
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
	fs.StringVar(&f.llamaCpp, "llama-cpp", "", "llama.cpp's llama-bench (tools/llamacpp-check/build-llama-bench.sh builds it), or a folder with node-llama-cpp installed: also time llama.cpp decoding the same weights exported to GGUF, after ours")
	fs.StringVar(&f.node, "node", "node", "Node.js executable, when --llama-cpp names a node-llama-cpp folder")
	fs.BoolVar(&f.inProcess, "in-process", false, "run several configs in this process (default: a fresh child process each, so each peak RSS is its own)")
	fs.BoolVar(&f.gradCheckpoint, "grad-checkpoint", false, "recompute decoder layers in the backward pass (less memory, slower); without it, on only when the memory estimate exceeds the available memory")
	fs.IntVar(&f.attentionBlock, "attention-block", 0, "attention in blocks of N tokens (0: the model's choice, blockwise for rows of 256 tokens or more; -1: the plain path)")
	fs.BoolVar(&f.ignoreMemory, "ignore-memory", false, "run a config even when its memory estimate exceeds the available memory")
	fs.DurationVar(&f.torchTimeout, "torch-timeout", 10*time.Minute, "give up on the PyTorch reference of a config after this long (recorded as skipped)")
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
	if f.torchTimeout <= 0 {
		return fmt.Errorf("%w: --torch-timeout must be positive", ErrUsage)
	}
	llama := bench.LlamaCpp{Node: f.node, Path: f.llamaCpp}
	if f.llamaCpp != "" {
		if f.noGenerate {
			return fmt.Errorf("%w: --llama-cpp compares generation speed: drop --no-generate", ErrUsage)
		}
		// Before the training, which takes minutes at real sizes.
		if err := llama.Check(); err != nil {
			return fmt.Errorf("%w: --llama-cpp: %v", ErrUsage, err)
		}
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
	for _, c := range cfgs {
		// Tokenizer and dataset figures do not depend on the config:
		// measure them once.
		once := len(results) == 0
		if !f.ignoreMemory && len(cfgs) > 1 {
			// With several configs (--config all), one that cannot fit
			// this machine is skipped, not the end of the run.
			if err := bench.CheckMemory(c, f.gradCheckpoint); errors.Is(err, bench.ErrExceedsMemory) {
				fmt.Fprintf(env.Stderr, "bench %s: skipped: %v\n", c.Name, err)
				continue
			}
		}
		var res bench.Result
		var err error
		if len(cfgs) > 1 && !f.inProcess {
			res, err = benchChild(ctx, env, c, f, once)
		} else {
			fmt.Fprintf(env.Stderr, "bench %s: training %d+1 steps...\n", c.Name, f.steps)
			// Real-size steps take minutes on a CPU: say where the run is.
			last := time.Now()
			onStep := func(step int) {
				now := time.Now()
				what := ""
				if step == 1 {
					what = " (model setup, roofline GEMM and compilation included)"
				}
				fmt.Fprintf(env.Stderr, "bench %s: step %d/%d took %.1f s%s\n", c.Name, step, f.steps+1, now.Sub(last).Seconds(), what)
				last = now
			}
			res, err = bench.Run(ctx, c, bench.Options{
				Backend: f.backend, Steps: f.steps, TokenizerDir: f.tokenizer,
				SkipGenerate: f.noGenerate, SkipTokenizer: f.noTokenizer || !once, SkipDataset: f.noDataset || !once,
				FreshProcess: len(cfgs) == 1, GradientCheckpointing: f.gradCheckpoint, IgnoreMemory: f.ignoreMemory, OnStep: onStep,
				AttentionBlock: f.attentionBlock,
			})
		}
		if err != nil {
			return err
		}
		if f.torch != "" {
			fmt.Fprintf(env.Stderr, "bench %s: PyTorch reference...\n", c.Name)
			tctx, cancel := context.WithTimeout(ctx, f.torchTimeout)
			ref, err := bench.RunTorch(tctx, f.python, f.torch, c, f.steps, f.torchThreads)
			timedOut := tctx.Err() == context.DeadlineExceeded && ctx.Err() == nil
			cancel()
			switch {
			case timedOut:
				res.Notes = append(res.Notes, fmt.Sprintf("PyTorch reference skipped: it did not finish %d+1 steps within --torch-timeout %s", f.steps, f.torchTimeout))
			case err != nil:
				return err
			default:
				ref.Compare(res)
				res.Reference = ref
			}
			if n := bench.TorchDifference(c); n != "" {
				res.Notes = append(res.Notes, n)
			}
		}
		if f.llamaCpp != "" {
			fmt.Fprintf(env.Stderr, "bench %s: llama.cpp decoding the same weights...\n", c.Name)
			if err := bench.MeasureLlamaCpp(ctx, &res, llama, f.backend); err != nil {
				return err
			}
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
	if f.attentionBlock != 0 {
		args = append(args, "--attention-block", strconv.Itoa(f.attentionBlock))
	}
	if f.gradCheckpoint {
		args = append(args, "--grad-checkpoint")
	}
	if f.ignoreMemory {
		args = append(args, "--ignore-memory")
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
	fmt.Fprintln(tw, "config\ttrain tok/s\tstep ms\tfirst step s\tpeak RSS MB\test. MB\test/peak\tckpt\tcpu util\tload\tGFLOP/step\tstep GF/s\tGEMM GF/s\troofline\tw/ recompute\tgen tok/s\tbf16\tint8\tprefill ms\ttorch tok/s\ttorch MB\tspeed x\tmemory x\t")
	for _, r := range results {
		gen, genBF16, genInt8, prefill := "-", "-", "-", "-"
		if g := r.Generate; g != nil {
			gen, prefill = fmt.Sprintf("%.0f", g.TokensPerS), fmt.Sprintf("%.0f", g.PrefillMS)
			if s := g.ByStorage["bfloat16"]; s != nil {
				genBF16 = fmt.Sprintf("%.0f", s.TokensPerS)
			}
			if s := g.ByStorage["int8"]; s != nil {
				genInt8 = fmt.Sprintf("%.0f", s.TokensPerS)
			}
		}
		tt, tm, sx, mx := "-", "-", "-", "-"
		if ref := r.Reference; ref != nil {
			tt, tm = fmt.Sprintf("%.0f", ref.TokensPerS), fmt.Sprintf("%.0f", ref.PeakRSSMB)
			sx, mx = fmt.Sprintf("%.2f", ref.SpeedRatio), fmt.Sprintf("%.2f", ref.MemoryRatio)
		}
		estMB, estRatio := "-", "-"
		if e := r.Estimate; e != nil {
			estMB, estRatio = fmt.Sprintf("%.0f", e.EstimateMB), fmt.Sprintf("%.2f", e.Ratio)
		}
		ckpt := "off"
		if r.Train.GradientCheckpointing {
			ckpt = "on"
		}
		stepGF, stepRate, gemm, frac, exec := "-", "-", "-", "-", "-"
		if rl := r.Roofline; rl != nil {
			stepGF, stepRate = fmt.Sprintf("%.4g", rl.StepFLOPs.Total/1e9), fmt.Sprintf("%.1f", rl.StepGFLOPS)
			gemm, frac = fmt.Sprintf("%.1f", rl.GEMMGFLOPS), fmt.Sprintf("%.0f%%", 100*rl.Fraction)
			exec = fmt.Sprintf("%.0f%%", 100*rl.ExecutedFraction)
		}
		fmt.Fprintf(tw, "%s\t%.0f\t%.1f\t%.1f\t%.0f\t%s\t%s\t%s\t%.2f\t%.1f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n",
			r.Config.Name, r.TokensPerS, r.Train.MedianStepMS, r.Train.FirstStepS, r.PeakRSSMB, estMB, estRatio, ckpt,
			r.Train.CPUUtilization, r.Train.LoadAverage, stepGF, stepRate, gemm, frac, exec, gen, genBF16, genInt8, prefill, tt, tm, sx, mx)
	}
	tw.Flush()
	printLlamaCpp(w, results)
	for _, r := range results {
		if t := r.Tokenizer; t != nil {
			fmt.Fprintf(w, "\ntokenizer: %.0f tokens/s (%.1f MB/s, one thread) on %s\n", t.TokensPerS, t.MBPerS, t.Dir)
		}
		if d := r.Dataset; d != nil {
			fmt.Fprintf(w, "dataset: parquet %.0f rows/s, JSONL %.0f rows/s (%d ShareGPT rows, ~%d bytes each)\n",
				d.ParquetRowsPerS, d.JSONLRowsPerS, d.Rows, d.BytesPerRow)
		}
		if e := r.Estimate; e != nil {
			fmt.Fprintf(w, "gradient checkpointing (%s): %s\n", r.Config.Name, e.Checkpointing)
		}
		for _, n := range r.Notes {
			fmt.Fprintf(w, "note (%s): %s\n", r.Config.Name, n)
		}
	}
}

// printLlamaCpp lists each storage's decode beside llama.cpp's, when the
// run measured it.
func printLlamaCpp(w io.Writer, results []bench.Result) {
	for _, r := range results {
		g := r.Generate
		if g == nil || len(g.LlamaCpp) == 0 {
			continue
		}
		fmt.Fprintf(w, "\ngeneration of %s's base weights beside %s (%d-token prompt, %d new tokens):\n", r.Config.Name, g.LlamaCppEngine, g.PromptTokens, g.NewTokens)
		for _, st := range bench.GenerateStorages {
			l := g.LlamaCpp[st.Name]
			if l == nil {
				continue
			}
			fmt.Fprintf(w, "  %s: %.1f tokens/s, prompt %.0f ms; llama.cpp %s: %.1f tokens/s, prompt %.0f ms (%.0f MB file); %.2fx\n",
				st.Name, l.WhetstoneTokensPerS, l.WhetstonePrefillMS, l.Quant, l.TokensPerS, l.PrefillMS, l.FileMB, l.Ratio)
		}
	}
}
