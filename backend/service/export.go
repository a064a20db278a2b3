package service

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/export"
	"github.com/whetstone-ai/whetstone/backend/hub"
	"github.com/whetstone-ai/whetstone/backend/safefile"
)

// Export writes a run's adapter (or a model) as PEFT, merged safetensors,
// GGUF or a llama.cpp LoRA GGUF.
type Export struct {
	deps Deps
	runs *Runs
}

// ExportRequest is the Export screen's form and `whetstone export`'s
// flags. Either RunID, or Model (with an Adapter folder for the formats
// that need one), names what to export.
type ExportRequest struct {
	// RunID is a run reference: its id, the start of its id, or its name.
	// The run's base model is its model.source at its model.revision.
	RunID   string `json:"run_id"`
	Model   string `json:"model"`
	Adapter string `json:"adapter"`
	// Format is one of export.Formats (ExportFormats in the contract).
	Format string `json:"format"`
	// Quant is one of the format's export.Quants (ExportQuants in the
	// contract); empty picks the format's default.
	Quant string `json:"quant"`
	// Out is the destination folder; empty is <run or model>-<format>
	// [-<quant>] in the workspace's exports folder. An existing folder is
	// replaced only if it is an earlier export (it carries Whetstone's
	// marker file) and Overwrite is set.
	Out       string `json:"out"`
	Overwrite bool   `json:"overwrite"`
	// Name is the model's name in GGUF metadata and file names; empty is
	// the run id or model name when Out is empty, else Out's folder name.
	Name string `json:"name"`
}

// ExportedFile is one file an export wrote.
type ExportedFile struct {
	Path string `json:"path"`
	Size int64  `json:"size"`
}

// ExportResult lists the files and how to use them.
type ExportResult struct {
	OutDir   string            `json:"out_dir"`
	Files    []ExportedFile    `json:"files"`
	Commands map[string]string `json:"commands"`
}

// check refuses what no export can do (invalid requests), before anything
// is read: an unknown format, a quantization the format does not take, a
// run and a model both or neither, an adapter with a run, an adapter
// format without an adapter.
func (r ExportRequest) check() (export.Format, error) {
	format, err := export.ParseFormat(r.Format)
	if err != nil {
		return "", invalidf("format: %v", err)
	}
	if err := export.CheckQuant(format, r.Quant); err != nil {
		return "", invalidf("quant: %v", err)
	}
	switch {
	case r.RunID == "" && r.Model == "":
		return "", invalidf("nothing to export: choose a run, or a model (and optionally an adapter folder)")
	case r.RunID != "" && r.Model != "":
		return "", invalidf("choose a run or a model, not both: a run exports with its own base model")
	case r.RunID != "" && r.Adapter != "":
		return "", invalidf("adapter: a run exports its own adapter; an adapter folder goes with a model")
	case r.RunID == "" && r.Adapter == "" && format.NeedsAdapter():
		return "", invalidf("format %s writes an adapter: choose a run, or an adapter folder with the model", format)
	}
	return format, nil
}

// Start runs the export, publishing progress on "export.progress", and
// returns when the files are in place.
func (s *Export) Start(req ExportRequest) (out ExportResult, err error) {
	defer guard(s.deps.Log, "Export.Start", &err)
	format, err := req.check()
	if err != nil {
		return out, err
	}
	base, adapter, label := req.Model, req.Adapter, ""
	if base != "" {
		if base, err = s.deps.checkRef(base); err != nil {
			return out, fmt.Errorf("model: %w", err)
		}
		label = modelLabel(base)
	}
	if adapter != "" {
		if adapter, err = s.deps.checkPath(adapter); err != nil {
			return out, fmt.Errorf("adapter: %w", err)
		}
	}
	if req.RunID != "" {
		if base, adapter, label, err = s.runs.adapterOf(req.RunID); err != nil {
			return out, err
		}
	}
	dest, name := req.Out, req.Name
	if dest == "" {
		suffix := string(format)
		if req.Quant != "" {
			suffix += "-" + strings.ToLower(req.Quant)
		}
		dest = filepath.Join(s.deps.Workspace.ExportsDir(), label+"-"+suffix)
		// The GGUF file name adds the quant itself: name it after the run
		// (or model), not the folder, which already ends in the quant.
		if name == "" {
			name = label
		}
	} else if dest, err = s.deps.checkPath(dest); err != nil {
		return out, fmt.Errorf("out: %w", err)
	}
	// Checked before any work: a merge of a large model should not run
	// (or download it) for minutes only to find its folder taken.
	if err := safefile.CheckReplaceable(dest, req.Overwrite); err != nil {
		return out, err
	}
	var baseDir string
	if format != export.FormatPEFT {
		if baseDir, err = s.deps.modelDir(base, false); err != nil {
			return out, err
		}
	}
	baseName, baseRev := splitRevision(base)
	res, err := export.Run(s.deps.ctx(), export.Request{
		Format: format, BaseDir: baseDir, AdapterDir: adapter, OutDir: dest, Overwrite: req.Overwrite,
		Quant: req.Quant, Name: name, BaseModelName: baseName, Emitter: s.deps.Events,
	})
	if err != nil {
		return out, err
	}
	out.OutDir = res.OutDir
	for _, f := range res.Files {
		p := filepath.Join(res.OutDir, f)
		st, err := os.Stat(p)
		if err != nil {
			return out, fmt.Errorf("exported file %s: %w", p, err)
		}
		out.Files = append(out.Files, ExportedFile{Path: p, Size: st.Size()})
	}
	out.Commands = usageCommands(format, baseName, baseRev, out)
	return out, nil
}

// splitRevision splits a hub reference's @revision off, as
// base_model_name_or_path and from_pretrained want it; a local path comes
// back whole.
func splitRevision(ref string) (name, revision string) {
	if r, err := hub.ParseRef(ref); err == nil && !r.IsLocal() {
		return r.ID, r.Revision
	}
	return ref, ""
}

// modelLabel names an export of a model: its folder's name, or a hub id's
// name.
func modelLabel(ref string) string {
	if r, err := hub.ParseRef(ref); err == nil && !r.IsLocal() {
		return path.Base(r.ID)
	}
	return filepath.Base(filepath.Clean(ref))
}

// usageCommands are copy-paste snippets for the tools people use next.
func usageCommands(format export.Format, base, revision string, r ExportResult) map[string]string {
	cmds := map[string]string{}
	switch format {
	case export.FormatGGUF:
		var ggufPath string
		for _, f := range r.Files {
			if strings.HasSuffix(f.Path, ".gguf") {
				ggufPath = f.Path
			}
		}
		name := strings.TrimSuffix(filepath.Base(ggufPath), ".gguf")
		cmds["llamacpp"] = fmt.Sprintf("llama-cli -m %q -cnv", ggufPath)
		cmds["ollama"] = fmt.Sprintf("cd %q && ollama create %s -f Modelfile && ollama run %s", r.OutDir, strings.ToLower(name), strings.ToLower(name))
	case export.FormatPEFT:
		rev := ""
		if revision != "" {
			rev = fmt.Sprintf(", revision=%q", revision)
		}
		cmds["transformers"] = fmt.Sprintf("from transformers import AutoModelForCausalLM\nfrom peft import PeftModel\nbase = AutoModelForCausalLM.from_pretrained(%q%s)\nmodel = PeftModel.from_pretrained(base, %q)", base, rev, r.OutDir)
	case export.FormatMerged:
		cmds["transformers"] = fmt.Sprintf("from transformers import AutoModelForCausalLM, AutoTokenizer\nmodel = AutoModelForCausalLM.from_pretrained(%q)\ntokenizer = AutoTokenizer.from_pretrained(%q)", r.OutDir, r.OutDir)
	}
	return cmds
}
