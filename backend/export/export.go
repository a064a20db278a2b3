package export

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/adapter"
	"github.com/whetstone-ai/whetstone/backend/events"
	"github.com/whetstone-ai/whetstone/backend/gguf"
	"github.com/whetstone-ai/whetstone/backend/safefile"
)

// Format is an export format.
type Format string

// Export formats.
const (
	FormatPEFT   Format = "peft"
	FormatMerged Format = "merged"
	FormatGGUF   Format = "gguf"
	// FormatGGUFLoRA is the adapter alone as a llama.cpp LoRA GGUF, applied
	// at load time to a GGUF of the base model (llama.cpp --lora, Ollama
	// ADAPTER).
	FormatGGUFLoRA Format = "gguf-lora"
)

// Formats lists the export formats, in the order the Export screen offers
// them.
var Formats = []Format{FormatGGUF, FormatGGUFLoRA, FormatMerged, FormatPEFT}

// ParseFormat accepts a name out of Formats, in any case.
func ParseFormat(s string) (Format, error) {
	if f := Format(strings.ToLower(s)); slices.Contains(Formats, f) {
		return f, nil
	}
	return "", fmt.Errorf("export format %q is not supported (want %s)", s, formatNames())
}

// AdapterFormats are the formats that write the adapter alone (applied to
// the base model at load time): they need an adapter directory.
var AdapterFormats = []Format{FormatGGUFLoRA, FormatPEFT}

// NeedsAdapter reports whether f is one of AdapterFormats.
func (f Format) NeedsAdapter() bool { return slices.Contains(AdapterFormats, f) }

func formatNames() string {
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return strings.Join(names, ", ")
}

// ggufQuants are the GGUF storage types an export writes, the default
// first for a model and F32 first for a LoRA adapter (small, and exact).
var (
	ggufQuants     = []gguf.TensorType{gguf.TensorF16, gguf.TensorQ8_0, gguf.TensorQ4_K, gguf.TensorBF16, gguf.TensorF32}
	ggufLoRAQuants = []gguf.TensorType{gguf.TensorF32, gguf.TensorF16, gguf.TensorBF16, gguf.TensorQ8_0, gguf.TensorQ4_K}
)

// Quants lists the storage types (Request.Quant) a format accepts, its
// default first: GGUF types for gguf and gguf-lora, safetensors dtypes for
// merged, none for peft (the adapter is written as trained).
func Quants(f Format) []string {
	var types []gguf.TensorType
	switch f {
	case FormatGGUF:
		types = ggufQuants
	case FormatGGUFLoRA:
		types = ggufLoRAQuants
	case FormatMerged:
		out := make([]string, len(mergedDTypes))
		for i, d := range mergedDTypes {
			out[i] = d.name
		}
		return out
	default:
		return nil
	}
	out := make([]string, len(types))
	for i, t := range types {
		out[i] = strings.ToLower(t.String())
	}
	return out
}

// CheckQuant says whether format f accepts quant ("" picks the default),
// before any work starts: a merge of a large model should not run for
// minutes to fail on a typo.
func CheckQuant(f Format, quant string) error {
	if quant == "" {
		return nil
	}
	switch f {
	case FormatPEFT:
		return fmt.Errorf("a PEFT adapter is saved as trained; a quantization applies to %s", strings.Join([]string{string(FormatMerged), string(FormatGGUF), string(FormatGGUFLoRA)}, ", "))
	case FormatMerged:
		_, err := ParseMergedDType(quant)
		return err
	}
	if _, err := ggufQuant(f, quant); err != nil {
		return err
	}
	return nil
}

// ggufQuant parses a GGUF storage type for f, refusing one Quants(f) does
// not list.
func ggufQuant(f Format, quant string) (gguf.TensorType, error) {
	t, err := gguf.ParseTensorType(quant)
	if err == nil && !slices.Contains(Quants(f), strings.ToLower(t.String())) {
		err = fmt.Errorf("GGUF type %s is not supported for export", t)
	}
	if err != nil {
		return 0, fmt.Errorf("%w (want %s)", err, strings.Join(Quants(f), ", "))
	}
	return t, nil
}

// ModelfileName is the Ollama Modelfile written next to a GGUF.
const ModelfileName = "Modelfile"

// Request describes one export.
type Request struct {
	Format Format
	// BaseDir is the base model: config.json, safetensors and tokenizer.
	BaseDir string
	// AdapterDir is a PEFT adapter directory; required for peft, optional
	// for merged and gguf (without it the base model is converted as is).
	AdapterDir string
	// OutDir receives the export; it must not exist, be empty, or be an
	// earlier export (safefile.MarkerFile) with Overwrite set.
	OutDir    string
	Overwrite bool
	// Quant is the storage type, one of Quants(Format); empty is the
	// first, the format's default.
	Quant string
	// Name is the model name written into GGUF metadata and file names
	// (default: the output directory's name).
	Name string
	// BaseModelName is written as base_model_name_or_path in a PEFT export
	// (default: BaseDir).
	BaseModelName string
	// MaxShardBytes caps merged safetensors shards (default 5 GB).
	MaxShardBytes int64
	Emitter       events.Emitter
}

// Result lists what an export wrote.
type Result struct {
	OutDir string   `json:"out_dir"`
	Files  []string `json:"files"`
}

// Run performs an export. On error the output directory is left as it was.
func Run(ctx context.Context, req Request) (res Result, err error) {
	p := progress{em: req.Emitter, format: req.Format, out: req.OutDir}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("export %s: internal error: %v\n%s", req.Format, r, debug.Stack())
		}
		if err != nil {
			p.fail(err)
		}
	}()
	if req.OutDir == "" {
		return res, errors.New("export: no output directory")
	}
	// Checked before any work, so a merge of a large model does not run
	// for minutes only to find its folder taken; checked again on write.
	if err := safefile.CheckReplaceable(req.OutDir, req.Overwrite); err != nil {
		return res, err
	}
	var ad *adapter.Adapter
	if req.AdapterDir != "" {
		if ad, err = adapter.ReadAdapter(req.AdapterDir); err != nil {
			return res, err
		}
	}
	if ad == nil && req.Format.NeedsAdapter() {
		return res, fmt.Errorf("export %s: an adapter directory is required", req.Format)
	}
	name := req.Name
	if name == "" {
		name = filepath.Base(filepath.Clean(req.OutDir))
	}
	switch req.Format {
	case FormatPEFT:
		if req.BaseModelName != "" {
			ad.Config.BaseModelNameOrPath = req.BaseModelName
		}
		err = writeDirAtomic(req.OutDir, req.Overwrite, func(tmp string) error {
			p.emit("weights", 0, 1, "")
			if err := adapter.WriteFiles(tmp, ad); err != nil {
				return err
			}
			p.emit("weights", 1, 1, "")
			return nil
		})
	case FormatMerged:
		dtype, derr := ParseMergedDType(req.Quant)
		if derr != nil {
			return res, derr
		}
		err = withSource(req.BaseDir, ad, func(src *source) error {
			return writeDirAtomic(req.OutDir, req.Overwrite, func(tmp string) error {
				return writeMerged(ctx, src, tmp, dtype, req.MaxShardBytes, p)
			})
		})
	case FormatGGUF:
		quant := ggufQuants[0]
		if req.Quant != "" {
			if quant, err = ggufQuant(req.Format, req.Quant); err != nil {
				return res, err
			}
		}
		err = withSource(req.BaseDir, ad, func(src *source) error {
			w, err := buildGGUF(ctx, src, quant, name, p)
			if err != nil {
				return err
			}
			file := GGUFFileName(name, quant)
			mf, err := modelfile(src.dir, src.cfg, file)
			if err != nil {
				return err
			}
			return writeDirAtomic(req.OutDir, req.Overwrite, func(tmp string) error {
				if _, err := writeGGUF(w, filepath.Join(tmp, file)); err != nil {
					return err
				}
				p.emit("files", 0, 1, "")
				return os.WriteFile(filepath.Join(tmp, ModelfileName), []byte(mf), 0o644)
			})
		})
	case FormatGGUFLoRA:
		quant := ggufLoRAQuants[0]
		if req.Quant != "" {
			if quant, err = ggufQuant(req.Format, req.Quant); err != nil {
				return res, err
			}
		}
		// The base model is opened to check that the adapter fits it.
		err = withSource(req.BaseDir, ad, func(src *source) error {
			w, err := buildLoRAGGUF(ctx, src.cfg, ad, quant, name, p)
			if err != nil {
				return err
			}
			return writeDirAtomic(req.OutDir, req.Overwrite, func(tmp string) error {
				_, err := writeGGUF(w, filepath.Join(tmp, LoRAGGUFFileName(name, quant)))
				return err
			})
		})
	default:
		return res, fmt.Errorf("export format %q is not supported (want %s)", req.Format, formatNames())
	}
	if err != nil {
		return res, fmt.Errorf("export %s to %s: %w", req.Format, req.OutDir, err)
	}
	res.OutDir = req.OutDir
	entries, _ := os.ReadDir(req.OutDir)
	for _, e := range entries {
		if e.Name() != safefile.MarkerFile {
			res.Files = append(res.Files, e.Name())
		}
	}
	p.emit("done", 1, 1, "")
	return res, nil
}

// GGUFFileName is the file name of a GGUF export.
func GGUFFileName(name string, quant gguf.TensorType) string {
	return fmt.Sprintf("%s-%s.gguf", name, strings.ToLower(quant.String()))
}

// LoRAGGUFFileName is the file name of a gguf-lora export.
func LoRAGGUFFileName(name string, quant gguf.TensorType) string {
	return fmt.Sprintf("%s-lora-%s.gguf", name, strings.ToLower(quant.String()))
}

func withSource(baseDir string, ad *adapter.Adapter, fn func(*source) error) error {
	if baseDir == "" {
		return errors.New("no base model directory")
	}
	src, err := openSource(baseDir, ad)
	if err != nil {
		return err
	}
	defer src.Close()
	return fn(src)
}

func writeGGUF(w *gguf.Writer, path string) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, fmt.Errorf("create %s: %w", path, err)
	}
	n, err := w.WriteTo(f)
	if err != nil {
		f.Close()
		return n, fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return n, fmt.Errorf("sync %s: %w", path, err)
	}
	return n, f.Close()
}
