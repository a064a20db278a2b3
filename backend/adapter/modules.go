package adapter

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// SavableModules are the base modules modules_to_save may name: the input
// embeddings and the LM head, which continued pretraining trains whole
// (Unsloth's CPT notebook), in the order they are listed and saved.
func SavableModules() []string { return []string{"embed_tokens", "lm_head"} }

// Module is a base module trained whole next to the adapters (an entry of
// PEFT's modules_to_save): its full weight matrix, row-major.
type Module struct {
	// Name is the module's name in modules_to_save ("embed_tokens").
	Name  string
	Shape []int
	Data  []float32
}

// ModulePath is the Hugging Face module path of a savable module in a
// causal LM: "model.embed_tokens" or "lm_head".
func ModulePath(name string) string {
	if name == "embed_tokens" {
		return "model.embed_tokens"
	}
	return name
}

// ModuleTensorName is the name PEFT's save_pretrained gives a
// modules_to_save weight: get_peft_model_state_dict drops the wrapper's
// "modules_to_save.<adapter>" from the key, leaving the base module's own
// path, e.g. "base_model.model.model.embed_tokens.weight" and
// "base_model.model.lm_head.weight".
func ModuleTensorName(name string) string { return peftPrefix + ModulePath(name) + ".weight" }

// ModuleName returns the short name of a savable module given as PEFT
// matches modules_to_save entries (a name or any path ending in it:
// "embed_tokens", "model.embed_tokens", "model.language_model.embed_tokens").
func ModuleName(entry string) (string, error) {
	short := entry[strings.LastIndex(entry, ".")+1:]
	if !slices.Contains(SavableModules(), short) {
		return "", fmt.Errorf("modules_to_save entry %q is not one of %s", entry, strings.Join(SavableModules(), ", "))
	}
	return short, nil
}

// NormalizeModules maps modules_to_save entries to their short names,
// without duplicates, in SavableModules order.
func NormalizeModules(entries []string) ([]string, error) {
	seen := map[string]bool{}
	for _, e := range entries {
		n, err := ModuleName(e)
		if err != nil {
			return nil, err
		}
		seen[n] = true
	}
	var out []string
	for _, n := range SavableModules() {
		if seen[n] {
			out = append(out, n)
		}
	}
	return out, nil
}

// parseModuleTensorName recognises a modules_to_save weight in a saved
// adapter and returns its short name. Besides PEFT's own naming it accepts
// the names a state dict has before PEFT strips the wrapper
// (".modules_to_save.default.weight") and multimodal nestings of the text
// model ("base_model.model.model.language_model.embed_tokens.weight").
func parseModuleTensorName(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, peftPrefix)
	if !ok {
		return "", false
	}
	rest, ok = strings.CutSuffix(rest, ".weight")
	if !ok {
		return "", false
	}
	if i := strings.Index(rest, ".modules_to_save"); i >= 0 {
		rest = rest[:i]
	}
	short := rest[strings.LastIndex(rest, ".")+1:]
	if !slices.Contains(SavableModules(), short) {
		return "", false
	}
	return short, true
}

// SavedNames returns the names of the adapter's trained modules in
// SavableModules order.
func (a *Adapter) SavedNames() []string {
	out := make([]string, 0, len(a.Saved))
	for n := range a.Saved {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool {
		return slices.Index(SavableModules(), out[i]) < slices.Index(SavableModules(), out[j])
	})
	return out
}

// checkModules verifies that the trained modules are exactly the ones the
// config lists, each a matrix whose data fills its shape.
func (a *Adapter) checkModules() error {
	listed, err := NormalizeModules(a.Config.ModulesToSave)
	if err != nil {
		return err
	}
	for _, n := range listed {
		if a.Saved[n] == nil {
			return fmt.Errorf("modules_to_save lists %s but the adapter has no %s tensor", n, ModuleTensorName(n))
		}
	}
	for _, n := range a.SavedNames() {
		m := a.Saved[n]
		if !slices.Contains(listed, n) {
			return fmt.Errorf("the adapter has a %s tensor but modules_to_save %v does not list %s", ModuleTensorName(n), a.Config.ModulesToSave, n)
		}
		if len(m.Shape) != 2 || m.Shape[0]*m.Shape[1] != len(m.Data) {
			return fmt.Errorf("module %s has %d values for shape %v, want a full matrix", n, len(m.Data), m.Shape)
		}
	}
	return nil
}

// CheckTied refuses trained modules a model that ties its LM head to its
// embeddings cannot hold: such a model has one matrix for both, while a
// PEFT adapter that trained only one of them, or both differently, left
// the other as it was. Adapters Whetstone trains on a tied model list both
// names with the same matrix.
func (a *Adapter) CheckTied(tied bool) error {
	if !tied || len(a.Saved) == 0 {
		return nil
	}
	e, h := a.Saved["embed_tokens"], a.Saved["lm_head"]
	switch {
	case e == nil || h == nil:
		only := a.SavedNames()[0]
		return fmt.Errorf("the adapter trains %s alone, but the base model ties lm_head to embed_tokens (one matrix for both); an adapter for it must list both in modules_to_save", only)
	case !slices.Equal(e.Shape, h.Shape) || !slices.Equal(e.Data, h.Data):
		return fmt.Errorf("the adapter trains embed_tokens and lm_head as different matrices, but the base model ties them (one matrix for both)")
	}
	return nil
}
