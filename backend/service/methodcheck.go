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
