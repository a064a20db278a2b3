package executor

import (
	"errors"
	"fmt"

	"github.com/whetstone-ai/whetstone/backend/batch"
	"github.com/whetstone-ai/whetstone/backend/dataset"
	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/train"
)

// checkMethodData refuses data the method cannot train on, before the
// model is loaded (MethodDataProblem).
func checkMethodData(cfg runconfig.Config, prep *batch.Prepared) error {
	pairs := 0
	for _, e := range prep.Train {
		if e.Rejected != nil {
			pairs++
		}
	}
	format := prep.Detection.Mapping.Format
	if pairs > 0 {
		format = dataset.FormatPreference
	}
	if msg := MethodDataProblem(cfg, format); msg != "" {
		return errors.New("training.method " + msg)
	}
	return nil
}

// MethodDataProblem says why cfg's training.method cannot train on data
// read as format, with the fix, or "", as a sentence that begins with the
// method's name: DPO and ORPO need preference pairs,
// and pairs need one of them. The run refuses the same data; the New run
// check shows the message next to the method before Start.
func MethodDataProblem(cfg runconfig.Config, format dataset.Format) string {
	method, path := cfg.Training.Method, cfg.Dataset.Path
	pairs := format == dataset.FormatPreference
	switch {
	case format == "":
		return ""
	case runconfig.PreferenceMethod(method) && !pairs:
		return fmt.Sprintf("%s trains on preference pairs, but %s reads as %s rows without chosen and rejected answers: "+
			"use a preference dataset ({prompt, chosen, rejected} or {conversations, chosen, rejected}), "+
			"set dataset.format to %s with a mapping of its prompt, chosen and rejected columns, or use training.method %s",
			method, path, format, dataset.FormatPreference, runconfig.MethodSFT)
	case !runconfig.PreferenceMethod(method) && pairs:
		return fmt.Sprintf("%s cannot train on preference pairs, and %s holds them (chosen and rejected answers): set training.method to %s or %s",
			method, path, runconfig.MethodDPO, runconfig.MethodORPO)
	}
	return ""
}

// objective is the trainer's target for the plan's method: the masked
// token loss for SFT and continued pretraining, the preference losses for
// DPO and ORPO; the trained modules get their own learning rate.
func objective(m *model.Model, p Plan) (train.Target, error) {
	var t train.Target
	if runconfig.PreferenceMethod(p.Method) {
		var err error
		if t, err = train.PreferenceTarget(m, p.Preference); err != nil {
			return train.Target{}, err
		}
	} else {
		t = train.ModelTarget(m)
	}
	if p.ModuleLRScale != 1 {
		t.LRScale = map[string]float64{}
		for _, v := range m.ModuleVariables() {
			t.LRScale[v.Path()] = p.ModuleLRScale
		}
	}
	return t, nil
}

// methodNote is the run log's line about what the run optimises.
func methodNote(p Plan) string {
	o := p.Preference
	switch p.Method {
	case runconfig.MethodDPO:
		return fmt.Sprintf("DPO (sigmoid loss, beta %g, label smoothing %g; the reference is the base model with the adapters off)", o.Beta, o.LabelSmoothing)
	case runconfig.MethodORPO:
		return fmt.Sprintf("ORPO (lambda %g; no reference model)", o.Lambda)
	case runconfig.MethodCPT:
		return "continued pretraining (every token of the text is trained, rows packed full)"
	}
	return "supervised fine-tuning"
}
