package train

import (
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/whetstone-ai/whetstone/backend/adapter"
	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/safefile"
	"github.com/whetstone-ai/whetstone/backend/safetensors"
)

// SaveAdapter writes the model's LoRA adapters, and the modules it trains
// whole (lora.modules_to_save), as a PEFT adapter directory
// (adapter_model.safetensors + adapter_config.json), atomically (see
// safefile.ReplaceDir), so the run's adapter is always a complete one.
func SaveAdapter(dir string, m *model.Model, cfg runconfig.Config) error {
	return saveAdapter(dir, m, cfg, safefile.ReplaceDir)
}

// SaveAdapterOwned writes the adapter into a folder outside the run (the
// config's training.output): an existing folder is replaced only if
// Whetstone wrote it (safefile.ReplaceOwnedDir).
func SaveAdapterOwned(dir string, m *model.Model, cfg runconfig.Config) error {
	return saveAdapter(dir, m, cfg, func(dst string, fill func(string) error) error {
		return safefile.ReplaceOwnedDir(dst, true, fill)
	})
}

// saveAdapter writes the adapter into a folder that replace builds.
func saveAdapter(dir string, m *model.Model, cfg runconfig.Config, replace func(string, func(string) error) error) error {
	state, err := m.LoRAState()
	if err != nil {
		return err
	}
	tensors := make([]safetensors.Tensor, 0, len(state))
	for _, ht := range state {
		t, err := safetensors.FromFloat32(ht.Name, safetensors.F32, ht.Shape, ht.Data)
		if err != nil {
			return err
		}
		tensors = append(tensors, t)
	}
	lc := m.LoRA()
	ac := adapter.NewAdapterConfig(cfg.Model.Source, lc.Rank, lc.Alpha, lc.Dropout, lc.TargetModules, lc.RSLoRA)
	// LoRAState holds the trained modules under PEFT's names; the config
	// lists them, as PEFT loads only the modules it names.
	ac.ModulesToSave = lc.ModulesToSave
	data, err := json.MarshalIndent(ac, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", adapter.AdapterConfigFile, err)
	}
	err = replace(dir, func(tmp string) error {
		if err := safetensors.WriteFile(filepath.Join(tmp, adapter.AdapterWeightsFile), tensors, map[string]string{"format": "pt"}); err != nil {
			return err
		}
		return writeSynced(filepath.Join(tmp, adapter.AdapterConfigFile), data)
	})
	if err != nil {
		return fmt.Errorf("save adapter: %w", err)
	}
	return nil
}
