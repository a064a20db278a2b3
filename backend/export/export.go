package export

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"

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

// ParseFormat accepts "peft", "merged" or "gguf".
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case FormatPEFT, FormatMerged, FormatGGUF, FormatGGUFLoRA:
		return f, nil
	}
	return "", fmt.Errorf("export format %q is not supported (want peft, merged, gguf or gguf-lora)", s)
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
	// Quant is the storage type: for gguf f32, f16, bf16 or q8_0 (default
	// f16); for gguf-lora the same (default f32); for merged bf16, f16 or
	// f32 (default bf16).
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
	var adapter *Adapter
	if req.AdapterDir != "" {
		if adapter, err = ReadAdapter(req.AdapterDir); err != nil {
			return res, err
		}
	}
	name := req.Name
	if name == "" {
		name = filepath.Base(filepath.Clean(req.OutDir))
	}
	switch req.Format {
	case FormatPEFT:
		if adapter == nil {
			return res, errors.New("export peft: an adapter directory is required")
		}
		if req.BaseModelName != "" {
			adapter.Config.BaseModelNameOrPath = req.BaseModelName
		}
		err = writeDirAtomic(req.OutDir, req.Overwrite, func(tmp string) error {
			p.emit("weights", 0, 1, "")
			if err := writeAdapterFiles(tmp, adapter); err != nil {
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
		err = withSource(req.BaseDir, adapter, func(src *source) error {
			return writeDirAtomic(req.OutDir, req.Overwrite, func(tmp string) error {
				return writeMerged(ctx, src, tmp, dtype, req.MaxShardBytes, p)
			})
		})
	case FormatGGUF:
		quant := gguf.TensorF16
		if req.Quant != "" {
			if quant, err = gguf.ParseTensorType(req.Quant); err != nil {
				return res, err
			}
		}
		err = withSource(req.BaseDir, adapter, func(src *source) error {
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
		if adapter == nil {
			return res, errors.New("export gguf-lora: an adapter directory is required")
		}
		quant := gguf.TensorF32
		if req.Quant != "" {
			if quant, err = gguf.ParseTensorType(req.Quant); err != nil {
				return res, err
			}
		}
		// The base model is opened to check that the adapter fits it.
		err = withSource(req.BaseDir, adapter, func(src *source) error {
			w, err := buildLoRAGGUF(ctx, src.cfg, adapter, quant, name, p)
			if err != nil {
				return err
			}
			return writeDirAtomic(req.OutDir, req.Overwrite, func(tmp string) error {
				_, err := writeGGUF(w, filepath.Join(tmp, LoRAGGUFFileName(name, quant)))
				return err
			})
		})
	default:
		return res, fmt.Errorf("export format %q is not supported (want peft, merged, gguf or gguf-lora)", req.Format)
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

func withSource(baseDir string, adapter *Adapter, fn func(*source) error) error {
	if baseDir == "" {
		return errors.New("no base model directory")
	}
	src, err := openSource(baseDir, adapter)
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
