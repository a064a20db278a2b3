package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/events"
	"github.com/whetstone-ai/whetstone/backend/service"
)

func exportCommand() Command {
	return Command{
		Name:    "export",
		Summary: "export a run's adapter as PEFT, a merged model (safetensors) or GGUF for llama.cpp/Ollama",
		Run:     runExport,
	}
}

func runExport(ctx context.Context, env *Env, args []string) error {
	fs := newFlagSet(env, "export", "(--run RUN | --model DIR|HUB_ID [--adapter DIR]) --format "+strings.Join(service.ExportFormats(), "|")+" [--quant TYPE] [--out DIR]")
	runRef := fs.String("run", "", "run whose final adapter to export: its id, the start of its id, or its name (see the runs list)")
	modelSrc := fs.String("model", "", "base model: a local directory or a hub id, org/name[@revision] (instead of --run)")
	adapterDir := fs.String("adapter", "", "PEFT adapter directory to apply (with --model)")
	format := fs.String("format", "", "one of "+strings.Join(service.ExportFormats(), ", ")+" (gguf-lora: the adapter alone, for llama.cpp --lora)")
	quant := fs.String("quant", "", quantHelp())
	out := fs.String("out", "", "output directory (default: the workspace's exports folder)")
	overwrite := fs.Bool("overwrite", false, "replace an earlier export in --out (a folder Whetstone did not write is never replaced)")
	name := fs.String("name", "", "model name in GGUF metadata and file names (default: the output folder's name)")
	wsFlag := workspaceFlag(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", ErrUsage, fs.Arg(0))
	}
	// Only the workspace's location is needed: exporting from a model
	// folder must not create a workspace as a side effect.
	t, err := openTerminal(ctx, env, termOptions{workspace: *wsFlag})
	if err != nil {
		return err
	}
	defer t.Close()
	res, err := t.svc.Export.Start(service.ExportRequest{
		RunID: *runRef, Model: *modelSrc, Adapter: *adapterDir, Format: *format, Quant: *quant,
		Out: *out, Overwrite: *overwrite, Name: *name,
	})
	t.out.end()
	if errors.Is(err, service.ErrOutputExists) {
		return fmt.Errorf("%w (pass --overwrite to replace it, or --out DIR for another folder)", err)
	}
	if err != nil {
		return usage(err)
	}
	files := make([]string, len(res.Files))
	for i, f := range res.Files {
		files[i] = f.Path
		if rel, err := filepath.Rel(res.OutDir, f.Path); err == nil {
			files[i] = rel
		}
	}
	fmt.Fprintf(env.Stderr, "exported %s: %s\n", *format, strings.Join(files, ", "))
	fmt.Fprintln(env.Stdout, res.OutDir)
	return nil
}

// quantHelp lists each format's quantizations, as the services have them.
func quantHelp() string {
	var parts []string
	for _, f := range service.ExportFormats() {
		if q := service.ExportQuants(f); len(q) > 0 {
			parts = append(parts, fmt.Sprintf("%s: %s (default), %s", f, q[0], strings.Join(q[1:], ", ")))
		}
	}
	return strings.Join(parts, "; ")
}

// exportProgress shows export progress: one line rewritten in place on a
// terminal; on a pipe or log file only the stage changes, so a log holds a
// few readable lines instead of carriage-return noise.
type exportProgress struct {
	w      io.Writer
	tty    bool
	onLine bool
	stage  string
}

func newExportProgress(w io.Writer) *exportProgress {
	return &exportProgress{w: w, tty: isTerminal(w)}
}

// Emit implements events.Emitter.
func (p *exportProgress) Emit(topic string, payload any) {
	pr, ok := payload.(service.ExportProgress)
	if !ok {
		return
	}
	var line string
	switch pr.Stage {
	case "weights":
		line = fmt.Sprintf("export %s: %d/%d tensors %s", pr.Format, pr.Done, pr.Total, pr.Tensor)
	case "files":
		line = fmt.Sprintf("export %s: writing config and tokenizer files", pr.Format)
	default:
		return
	}
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.onLine = true
		return
	}
	// Not a terminal: the first and last event of each stage.
	if pr.Stage != p.stage || (pr.Stage == "weights" && pr.Done == pr.Total) {
		if pr.Stage == "weights" && pr.Done == pr.Total {
			line = fmt.Sprintf("export %s: %d/%d tensors", pr.Format, pr.Done, pr.Total)
		}
		fmt.Fprintln(p.w, line)
	}
	p.stage = pr.Stage
}

// end finishes the terminal line, if one is open.
func (p *exportProgress) end() {
	if p.onLine {
		fmt.Fprintln(p.w)
		p.onLine = false
	}
}

var _ events.Emitter = (*exportProgress)(nil)
