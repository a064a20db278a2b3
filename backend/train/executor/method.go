package executor

import (
	"fmt"

	"github.com/whetstone-ai/whetstone/backend/batch"
	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/train"
)

// checkMethodData refuses data the method cannot train on, before the
// model is loaded: preference methods need chosen/rejected pairs, and
// pairs need a preference method.
func checkMethodData(p Plan, prep *batch.Prepared) error {
	pairs := 0
	for _, e := range prep.Train {
		if e.Rejected != nil {
			pairs++
		}
	}
	format := prep.Detection.Mapping.Format
	switch {
	case preferenceMethod(p.Method) && pairs < len(prep.Train):
		return fmt.Errorf("training.method %s trains on preference pairs, but %s reads as %s rows without chosen and rejected answers: "+
			"use a preference dataset ({prompt, chosen, rejected} or {conversations, chosen, rejected}), set dataset.format to preference with a mapping, "+
			"or train it with training.method sft", p.Method, p.Data.Path, format)
	case !preferenceMethod(p.Method) && pairs > 0:
		return fmt.Errorf("%s holds preference pairs (chosen and rejected answers), which training.method %s cannot use: set training.method to %s or %s",
			p.Data.Path, p.Method, runconfig.MethodDPO, runconfig.MethodORPO)
	}
	return nil
}

// objective is the trainer's target for the plan's method: the masked
// token loss for SFT and continued pretraining, the preference losses for
// DPO and ORPO; the trained modules get their own learning rate.
func objective(m *model.Model, p Plan) (train.Target, error) {
	var t train.Target
	if preferenceMethod(p.Method) {
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
