package export

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/safetensors"
)

// DefaultMaxShardBytes is transformers' default shard size for
// save_pretrained (5 GB).
const DefaultMaxShardBytes = 5_000_000_000

// companionFiles are the files copied from the base model directory next
// to merged weights so transformers loads the result like the base model.
var companionFiles = []string{
	"generation_config.json",
	"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
	"tokenizer.model", "added_tokens.json", "vocab.json", "merges.txt",
	"chat_template.jinja", "chat_template.json",
	"preprocessor_config.json", "processor_config.json",
}

// torchDTypeName is config.json's torch_dtype for a safetensors dtype.
func torchDTypeName(d safetensors.DType) string {
	switch d {
	case safetensors.BF16:
		return "bfloat16"
	case safetensors.F16:
		return "float16"
	}
	return "float32"
}

// mergedDTypes are the dtypes a merged export writes, the default first,
// with the other names people give them.
var mergedDTypes = []struct {
	name    string
	dtype   safetensors.DType
	aliases []string
}{
	{"bf16", safetensors.BF16, []string{"bfloat16"}},
	{"f16", safetensors.F16, []string{"fp16", "float16"}},
	{"f32", safetensors.F32, []string{"fp32", "float32"}},
}

// ParseMergedDType accepts a name out of Quants(FormatMerged), or one of
// its aliases ("float16"); empty is the default, bf16.
func ParseMergedDType(s string) (safetensors.DType, error) {
	if s == "" {
		return mergedDTypes[0].dtype, nil
	}
	for _, d := range mergedDTypes {
		if s == d.name || slices.Contains(d.aliases, s) {
			return d.dtype, nil
		}
	}
	return "", fmt.Errorf("merged dtype %q is not supported (want %s)", s, strings.Join(Quants(FormatMerged), ", "))
}

// writeMerged writes every base tensor, with the adapter folded in, as
// sharded safetensors of dtype into dir, plus config and tokenizer files.
func writeMerged(ctx context.Context, src *source, dir string, dtype safetensors.DType, maxShard int64, p progress) error {
	names := src.ckpt.Names()
	total := len(names)
	done := 0
	tensors := make([]safetensors.Tensor, 0, total)
	for _, name := range names {
		info, _ := src.ckpt.Info(name)
		t := safetensors.Tensor{Name: name, DType: info.DType, Shape: info.Shape}
		if !info.DType.IsFloat() {
			// Integer buffers are copied as they are.
			t.Write = func(w io.Writer) error {
				buf := make([]byte, info.ByteSize())
				if err := src.ckpt.ReadRaw(name, buf); err != nil {
					return err
				}
				_, err := w.Write(buf)
				done++
				p.emit("weights", done, total, name)
				return err
			}
		} else {
			t.DType = dtype
			t.Write = func(w io.Writer) error {
				if err := ctx.Err(); err != nil {
					return err
				}
				vals, err := src.float32(name)
				if err != nil {
					return err
				}
				data, err := safetensors.EncodeFloat32(dtype, vals)
				if err != nil {
					return fmt.Errorf("tensor %s: %w", name, err)
				}
				if _, err := w.Write(data); err != nil {
					return err
				}
				done++
				p.emit("weights", done, total, name)
				return nil
			}
		}
		tensors = append(tensors, t)
	}
	if maxShard <= 0 {
		maxShard = DefaultMaxShardBytes
	}
	if err := safetensors.WriteSharded(dir, tensors, map[string]string{"format": "pt"}, maxShard); err != nil {
		return err
	}
	p.emit("files", 0, 1, "")
	if err := writeMergedConfig(src.dir, dir, dtype); err != nil {
		return err
	}
	return copyCompanions(src.dir, dir)
}

// writeMergedConfig copies config.json with torch_dtype set to the dtype
// the weights are now stored in.
func writeMergedConfig(baseDir, dir string, dtype safetensors.DType) error {
	path := filepath.Join(baseDir, "config.json")
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	var cfg map[string]any
	if err := json.Unmarshal(data, &cfg); err != nil {
		return fmt.Errorf("parse %s: %w", path, err)
	}
	name := torchDTypeName(dtype)
	cfg["torch_dtype"] = name
	if _, ok := cfg["dtype"]; ok {
		cfg["dtype"] = name
	}
	if tc, ok := cfg["text_config"].(map[string]any); ok {
		if _, ok := tc["torch_dtype"]; ok {
			tc["torch_dtype"] = name
		}
	}
	out, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return fmt.Errorf("encode config.json: %w", err)
	}
	return os.WriteFile(filepath.Join(dir, "config.json"), append(out, '\n'), 0o644)
}

func copyCompanions(baseDir, dir string) error {
	for _, name := range companionFiles {
		src := filepath.Join(baseDir, name)
		if _, err := os.Stat(src); err != nil {
			continue
		}
		if err := copyFile(src, filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return fmt.Errorf("copy to %s: %w", dst, err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s to %s: %w", src, dst, err)
	}
	return out.Close()
}
