package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/events"
	"github.com/whetstone-ai/whetstone/backend/export"
	"github.com/whetstone-ai/whetstone/backend/hub"
	"github.com/whetstone-ai/whetstone/backend/logging"
	"github.com/whetstone-ai/whetstone/backend/runs"
	"github.com/whetstone-ai/whetstone/backend/safefile"
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
	f, err := export.ParseFormat(*format)
	if err != nil {
		return fmt.Errorf("%w: --format: %v", ErrUsage, err)
	}
	if err := export.CheckQuant(f, *quant); err != nil {
		return fmt.Errorf("%w: --quant: %v", ErrUsage, err)
	}
	if (*runID == "") == (*modelSrc == "") {
		return fmt.Errorf("%w: give either --run RUN or --model DIR", ErrUsage)
	}
	if *runID != "" && *adapterDir != "" {
		return fmt.Errorf("%w: --adapter goes with --model; a run exports its own adapter", ErrUsage)
	}
	root, err := workspace.Resolve(*wsFlag, env.getenv())
	if err != nil {
		return err
	}
	// Only the layout is needed: exporting from a model folder must not
	// create a workspace as a side effect, so workspace.Open is not called.
	ws := &workspace.Workspace{Root: root}

	req := export.Request{Format: f, Quant: *quant, OutDir: *out, Overwrite: *overwrite, Name: *name, AdapterDir: *adapterDir}
	source, revision, label := *modelSrc, "", ""
	if *runID != "" {
		store, err := runs.Open(ws.RunsDir())
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
	if f.NeedsAdapter() && req.AdapterDir == "" {
		return fmt.Errorf("%w: --format %s needs --adapter (or --run)", ErrUsage, f)
	}
	req.BaseModelName = source
	if f != export.FormatPEFT {
		dir, err := resolveModelDir(ctx, env, source, revision)
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
		req.OutDir = filepath.Join(ws.ExportsDir(), label+"-"+suffix)
		// The GGUF file name adds the quant itself: name it after the run
		// (or model), not the folder, which already ends in the quant.
		if req.Name == "" {
			req.Name = label
		}
	}
	// Checked before any work: a merge of a large model should not run
	// for minutes only to find its folder taken.
	if err := safefile.CheckReplaceable(req.OutDir, *overwrite); errors.Is(err, safefile.ErrExists) {
		return fmt.Errorf("%w (pass --overwrite to replace it, or --out DIR for another folder)", err)
	} else if err != nil {
		return err
	}
	prog := newExportProgress(env.Stderr)
	req.Emitter = prog
	res, err := export.Run(ctx, req)
	prog.end()
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "exported %s: %s\n", f, strings.Join(res.Files, ", "))
	fmt.Fprintln(env.Stdout, res.OutDir)
	return nil
}

// quantHelp lists each format's quantizations, as export.Quants has them.
func quantHelp() string {
	var parts []string
	for _, f := range export.Formats {
		if q := export.Quants(f); len(q) > 0 {
			parts = append(parts, fmt.Sprintf("%s: %s (default), %s", f, q[0], strings.Join(q[1:], ", ")))
		}
	}
	return strings.Join(parts, "; ")
}

// resolveModelDir turns a model source into a local directory: a path as
// is, a hub id through the shared HF cache (downloading what is missing
// unless offline).
func resolveModelDir(ctx context.Context, env *Env, source, revision string) (string, error) {
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
	opts := hub.OptionsFromEnv(env.getenv())
	printer := newProgressPrinter(env.Stderr)
	opts.Events = printer
	snap, err := hub.New(opts).ModelSnapshot(ctx, ref.ID, revision)
	printer.end()
	if err != nil {
		return "", fmt.Errorf("base model %s: %w", ref.ID, err)
	}
	return snap.Dir, nil
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
	p := &exportProgress{w: w}
	if f, ok := w.(*os.File); ok {
		p.tty = logging.IsTerminal(f)
	}
	return p
}

// Emit implements events.Emitter.
func (p *exportProgress) Emit(topic string, payload any) {
	pr, ok := payload.(export.Progress)
	if topic != export.ProgressTopic || !ok {
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
