package service

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/whetstone-ai/whetstone/backend/export"
)

// Export writes a run's adapter (or a model) as PEFT, merged safetensors,
// GGUF or a llama.cpp LoRA GGUF.
type Export struct {
	deps Deps
	runs *Runs
}

// ExportRequest is the Export screen's form. Either RunID, or Model (with an
// optional Adapter folder), names what to export.
type ExportRequest struct {
	RunID   string `json:"run_id"`
	Model   string `json:"model"`
	Adapter string `json:"adapter"`
	// Format is one of export.Formats (ExportFormats in the contract).
	Format string `json:"format"`
	// Quant is one of the format's export.Quants (ExportQuants in the
	// contract); empty picks the format's default.
	Quant string `json:"quant"`
	// Out is the destination folder; empty picks a new one under the
	// workspace. An existing folder is replaced only if it is an earlier
	// export (it carries Whetstone's marker file) and Overwrite is set.
	Out       string `json:"out"`
	Overwrite bool   `json:"overwrite"`
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

// Start runs the export, publishing progress on "export.progress", and
// returns when the files are in place.
func (s *Export) Start(req ExportRequest) (out ExportResult, err error) {
	defer guard(s.deps.Log, "Export.Start", &err)
	format, err := export.ParseFormat(req.Format)
	if err != nil {
		return out, err
	}
	base, adapter, name := req.Model, req.Adapter, ""
	if base, err = s.deps.checkRef(base); err != nil {
		return out, fmt.Errorf("model: %w", err)
	}
	if adapter != "" {
		if adapter, err = s.deps.checkPath(adapter); err != nil {
			return out, fmt.Errorf("adapter: %w", err)
		}
	}
	if req.RunID != "" {
		if base, adapter, err = s.runs.adapterOf(req.RunID); err != nil {
			return out, err
		}
		name = req.RunID
	}
	if base == "" {
		return out, fmt.Errorf("nothing to export: choose a run, or a model (and optionally an adapter folder)")
	}
	models := &Models{deps: s.deps}
	baseDir, err := models.resolve(base, false)
	if err != nil {
		return out, err
	}
	if name == "" {
		name = filepath.Base(filepath.Clean(baseDir))
	}
	dest := req.Out
	if dest == "" {
		dest = filepath.Join(s.deps.Workspace.ExportsDir(), fmt.Sprintf("%s-%s-%s", name, format, time.Now().Format("20060102-150405")))
	} else if dest, err = s.deps.checkPath(dest); err != nil {
		return out, fmt.Errorf("out: %w", err)
	}
	res, err := export.Run(s.deps.ctx(), export.Request{
		Format: format, BaseDir: baseDir, AdapterDir: adapter, OutDir: dest, Overwrite: req.Overwrite,
		Quant: req.Quant, Name: name, BaseModelName: base, Emitter: s.deps.Events,
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
	out.Commands = usageCommands(format, base, out)
	return out, nil
}

// usageCommands are copy-paste snippets for the tools people use next.
func usageCommands(format export.Format, base string, r ExportResult) map[string]string {
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
		cmds["transformers"] = fmt.Sprintf("from transformers import AutoModelForCausalLM\nfrom peft import PeftModel\nbase = AutoModelForCausalLM.from_pretrained(%q)\nmodel = PeftModel.from_pretrained(base, %q)", base, r.OutDir)
	case export.FormatMerged:
		cmds["transformers"] = fmt.Sprintf("from transformers import AutoModelForCausalLM, AutoTokenizer\nmodel = AutoModelForCausalLM.from_pretrained(%q)\ntokenizer = AutoTokenizer.from_pretrained(%q)", r.OutDir, r.OutDir)
	}
	return cmds
}
