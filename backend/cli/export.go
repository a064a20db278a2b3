package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/events"
	"github.com/whetstone-ai/whetstone/backend/export"
	"github.com/whetstone-ai/whetstone/backend/hub"
	"github.com/whetstone-ai/whetstone/backend/runs"
	"github.com/whetstone-ai/whetstone/backend/workspace"
)

func exportCommand() Command {
	return Command{
		Name:    "export",
		Summary: "export a run's adapter as PEFT, a merged model (safetensors) or GGUF for llama.cpp/Ollama",
		Run:     runExport,
	}
}

func runExport(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "export", "(--run RUN | --model DIR|HUB_ID [--adapter DIR]) --format peft|merged|gguf|gguf-lora [--quant TYPE] [--out DIR]")
	runID := fs.String("run", "", "run id whose final adapter to export (see the runs list)")
	modelSrc := fs.String("model", "", "base model: a local directory or a hub id (instead of --run)")
	adapterDir := fs.String("adapter", "", "PEFT adapter directory to apply (with --model)")
	format := fs.String("format", "", "peft, merged, gguf or gguf-lora (the adapter alone, for llama.cpp --lora)")
	quant := fs.String("quant", "", "gguf: f32, f16 (default), bf16, q8_0 or q4_k; gguf-lora: f32 (default) or f16; merged: bf16 (default), f16 or f32")
	out := fs.String("out", "", "output directory (default: the workspace's exports folder)")
	overwrite := fs.Bool("overwrite", false, "replace a non-empty output directory")
	name := fs.String("name", "", "model name in GGUF metadata and file names (default: the output folder's name)")
	wsFlag := workspaceFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", ErrUsage, fs.Arg(0))
	}
	f, err := export.ParseFormat(*format)
	if err != nil {
		return fmt.Errorf("%w: --format: %v", ErrUsage, err)
	}
	if (*runID == "") == (*modelSrc == "") {
		return fmt.Errorf("%w: give either --run RUN or --model DIR", ErrUsage)
	}
	if *runID != "" && *adapterDir != "" {
		return fmt.Errorf("%w: --adapter goes with --model; a run exports its own adapter", ErrUsage)
	}
	getenv := env.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	root, err := workspace.Resolve(*wsFlag, getenv)
	if err != nil {
		return err
	}

	req := export.Request{Format: f, Quant: *quant, OutDir: *out, Overwrite: *overwrite, Name: *name, AdapterDir: *adapterDir}
	source, revision, label := *modelSrc, "", ""
	if *runID != "" {
		store, err := runs.Open(filepath.Join(root, "runs"))
		if err != nil {
			return err
		}
		cfg, err := store.Config(*runID)
		if err != nil {
			return fmt.Errorf("run %s: %w", *runID, err)
		}
		source, revision = cfg.Model.Source, cfg.Model.Revision
		req.AdapterDir = store.AdapterDir(*runID)
		if _, err := os.Stat(filepath.Join(req.AdapterDir, export.AdapterConfigFile)); err != nil {
			return fmt.Errorf("run %s has no final adapter in %s (has it finished?)", *runID, req.AdapterDir)
		}
		label = *runID
	} else {
		label = filepath.Base(strings.TrimRight(source, "/"))
	}
	if (f == export.FormatPEFT || f == export.FormatGGUFLoRA) && req.AdapterDir == "" {
		return fmt.Errorf("%w: --format %s needs --adapter (or --run)", ErrUsage, f)
	}
	req.BaseModelName = source
	if f != export.FormatPEFT {
		dir, err := resolveModelDir(ctx, env, getenv, source, revision)
		if err != nil {
			return err
		}
		req.BaseDir = dir
	}
	if req.OutDir == "" {
		suffix := string(f)
		if *quant != "" {
			suffix += "-" + strings.ToLower(*quant)
		}
		req.OutDir = filepath.Join(root, "exports", label+"-"+suffix)
	}
	req.Emitter = exportProgressPrinter(env.Stderr)
	res, err := export.Run(ctx, req)
	fmt.Fprintln(env.Stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "exported %s: %s\n", f, strings.Join(res.Files, ", "))
	fmt.Fprintln(env.Stdout, res.OutDir)
	return nil
}

// resolveModelDir turns a model source into a local directory: a path as
// is, a hub id through the shared HF cache (downloading what is missing
// unless offline).
func resolveModelDir(ctx context.Context, env *Env, getenv func(string) string, source, revision string) (string, error) {
	ref, err := hub.ParseRef(source)
	if err != nil {
		return "", fmt.Errorf("model %q: %w", source, err)
	}
	if ref.IsLocal() {
		return ref.Local, nil
	}
	if revision == "" {
		revision = ref.Revision
	}
	opts := hub.OptionsFromEnv(getenv)
	printer := newProgressPrinter(env.Stderr)
	opts.Events = printer
	snap, err := hub.New(opts).ModelSnapshot(ctx, ref.ID, revision)
	printer.end()
	if err != nil {
		return "", fmt.Errorf("base model %s: %w", ref.ID, err)
	}
	return snap.Dir, nil
}

// exportProgressPrinter shows export progress on one terminal line.
func exportProgressPrinter(w io.Writer) events.Emitter {
	return events.Func(func(topic string, payload any) {
		p, ok := payload.(export.Progress)
		if topic != export.ProgressTopic || !ok {
			return
		}
		switch p.Stage {
		case "weights":
			fmt.Fprintf(w, "\rexport %s: %d/%d tensors %-40s", p.Format, p.Done, p.Total, p.Tensor)
		case "files":
			fmt.Fprintf(w, "\rexport %s: writing config and tokenizer files%-30s", p.Format, "")
		}
	})
}
