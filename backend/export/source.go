package export

import (
	"fmt"
	"path/filepath"
	"slices"

	"github.com/whetstone-ai/whetstone/backend/adapter"
	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/safetensors"
)

// source is a base checkpoint seen through an optional adapter: reading a
// weight returns W + scale·B·A when the adapter adapts that module, and
// the trained matrix when the adapter trained the module whole
// (modules_to_save: the embeddings, the LM head). One tensor is
// materialised at a time.
type source struct {
	dir  string
	cfg  *model.Config
	ckpt *safetensors.Checkpoint
	ad   *adapter.Adapter
	// loraFor maps a base tensor name to its adapter layer, savedFor to
	// the trained module that replaces it.
	loraFor  map[string]*adapter.LoRA
	savedFor map[string]*adapter.Module
}

func openSource(baseDir string, ad *adapter.Adapter) (*source, error) {
	cfg, err := model.LoadConfig(filepath.Join(baseDir, "config.json"))
	if err != nil {
		return nil, err
	}
	ckpt, err := safetensors.OpenDir(baseDir)
	if err != nil {
		return nil, fmt.Errorf("open base model %s: %w", baseDir, err)
	}
	s := &source{dir: baseDir, cfg: cfg, ckpt: ckpt, ad: ad, loraFor: map[string]*adapter.LoRA{}, savedFor: map[string]*adapter.Module{}}
	if err := s.addSaved(); err != nil {
		ckpt.Close()
		return nil, err
	}
	if ad != nil {
		for _, m := range ad.Modules() {
			l := ad.Layers[m]
			name, ok := s.resolve(m + ".weight")
			if !ok {
				ckpt.Close()
				return nil, fmt.Errorf("adapter module %s has no weight %s.weight in the base model %s (adapter trained for another model?)", m, m, baseDir)
			}
			info, _ := ckpt.Info(name)
			if len(info.Shape) != 2 || info.Shape[0] != l.Out || info.Shape[1] != l.In {
				ckpt.Close()
				return nil, fmt.Errorf("adapter module %s is [%d x %d] but base weight %s has shape %v", m, l.Out, l.In, name, info.Shape)
			}
			s.loraFor[name] = l
		}
	}
	return s, nil
}

// addSaved maps the adapter's trained modules to the base tensors they
// replace. A model that ties its LM head to its embeddings stores one
// matrix, which both names must agree on (adapter.CheckTied).
func (s *source) addSaved() error {
	if s.ad == nil {
		return nil
	}
	if err := s.ad.CheckTied(s.cfg.TieWordEmbeddings); err != nil {
		return fmt.Errorf("adapter for base model %s: %w", s.dir, err)
	}
	for _, n := range s.ad.SavedNames() {
		mod := s.ad.Saved[n]
		want := adapter.ModulePath(n) + ".weight"
		if s.cfg.TieWordEmbeddings {
			want = adapter.ModulePath("embed_tokens") + ".weight"
		}
		name, ok := s.resolve(want)
		if !ok {
			return fmt.Errorf("adapter trains %s but the base model %s has no %s", n, s.dir, want)
		}
		info, _ := s.ckpt.Info(name)
		if !slices.Equal(info.Shape, mod.Shape) {
			return fmt.Errorf("adapter's trained %s is %v but base weight %s has shape %v", n, mod.Shape, name, info.Shape)
		}
		s.savedFor[name] = mod
	}
	return nil
}

// resolve finds a tensor by its Hugging Face name, also under the
// prefixes multimodal Gemma 3 checkpoints nest the text model under.
func (s *source) resolve(name string) (string, bool) {
	for _, n := range model.CheckpointNames(name) {
		if _, ok := s.ckpt.Info(n); ok {
			return n, true
		}
	}
	return "", false
}

func (s *source) Close() error { return s.ckpt.Close() }

// float32 reads a tensor with the adapter merged in.
func (s *source) float32(name string) ([]float32, error) {
	if mod := s.savedFor[name]; mod != nil {
		return slices.Clone(mod.Data), nil
	}
	vals, err := s.ckpt.Float32(name)
	if err != nil {
		return nil, err
	}
	if l := s.loraFor[name]; l != nil {
		d := l.Delta(s.ad.Config.Scale())
		for i := range vals {
			vals[i] += d[i]
		}
	}
	return vals, nil
}
