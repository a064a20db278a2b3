package service

import (
	"context"
	"fmt"

	"github.com/whetstone-ai/whetstone/backend/dataset"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/train/executor"
)

// dataFormat is the format cfg's local data is read as by a run: its
// dataset.format and mapping, else what detection picks.
func dataFormat(ctx context.Context, cfg runconfig.Config) (dataset.Format, error) {
	d := cfg.Dataset
	mapping, errs := dataset.ParseMappingKeys(d.Mapping)
	if len(errs) > 0 { // the config's own check reports these
		return "", fmt.Errorf("dataset.mapping: %w", errs[0])
	}
	if d.Format != "" {
		f, err := dataset.ParseFormat(d.Format)
		if err != nil {
			return "", fmt.Errorf("dataset.format: %w", err)
		}
		mapping.Format = f
	}
	sc, err := dataset.NewScanner(ctx, d.Path, executor.ReadOptions(mapping, d))
	if err != nil {
		return "", fmt.Errorf("dataset.path: %w", err)
	}
	defer sc.Close()
	return sc.Detection().Mapping.Format, nil
}

// preferenceMethod reports whether method trains on preference pairs.
func preferenceMethod(method string) bool {
	return method == runconfig.MethodDPO || method == runconfig.MethodORPO
}

// methodDataProblem says why cfg's training.method cannot train on data
// read as format, with the fix, or "": DPO and ORPO need preference pairs,
// and pairs need one of them. The run refuses the same (the executor's
// checkMethodData); the check says it next to the method before Start.
func methodDataProblem(cfg runconfig.Config, format dataset.Format) string {
	method, path := cfg.Training.Method, cfg.Dataset.Path
	pairs := format == dataset.FormatPreference
	switch {
	case format == "":
		return ""
	case preferenceMethod(method) && !pairs:
		return fmt.Sprintf("%s trains on preference pairs, but %s reads as %s rows without chosen and rejected answers: "+
			"use a preference dataset ({prompt, chosen, rejected} or {conversations, chosen, rejected}), "+
			"set dataset.format to %s with a mapping of its prompt, chosen and rejected columns, or use training.method %s",
			method, path, format, dataset.FormatPreference, runconfig.MethodSFT)
	case !preferenceMethod(method) && pairs:
		return fmt.Sprintf("%s holds preference pairs (chosen and rejected answers), which %s cannot train on: set training.method to %s or %s",
			path, method, runconfig.MethodDPO, runconfig.MethodORPO)
	}
	return ""
}

// trainExamples is what the checks take for the training examples of
// cfg's data: a pair is one example (batch_size counts pairs), and
// continued pretraining's are unknown before tokenizing, since each text
// is cut into max_seq_len pieces (a folder of three long files trains on
// hundreds of rows).
func trainExamples(cfg runconfig.Config, data dataFacts) int {
	if !data.exact || cfg.Training.Method == runconfig.MethodCPT {
		return 0 // a lower bound would raise false alarms
	}
	return data.n
}

// methodSteps is cfg.Steps with the packing the method trains with:
// pairs are never packed, so their count is exact whatever
// training.packing says; continued pretraining always packs.
func methodSteps(cfg runconfig.Config, examples int) runconfig.StepPlan {
	switch m := cfg.Training.Method; {
	case preferenceMethod(m):
		cfg.Training.Packing = false
	case m == runconfig.MethodCPT:
		cfg.Training.Packing = true
	}
	return cfg.Steps(examples)
}
