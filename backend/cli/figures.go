package cli

import (
	"fmt"

	"github.com/whetstone-ai/whetstone/backend/service"
)

// progressFigures are the training methods' own figures a progress line
// shows next to the loss, in this order, with a short label: DPO's and
// ORPO's reward margin and accuracy, ORPO's NLL term. The rewards of each
// side are left to `runs show` and the run page, to keep the line short.
var progressFigures = []struct{ name, label string }{
	{service.MetricRewardMargin, "margin"},
	{service.MetricRewardAccuracy, "acc"},
	{service.MetricNLL, "nll"},
}

// figure is one method figure of a step, formatted.
type figure struct {
	label, title, value string
}

// stepFigures are the progressFigures a step has (none for SFT and
// continued pretraining, whose steps report only the loss).
func stepFigures(extra map[string]float64) []figure {
	titles := map[string]string{}
	for _, infos := range service.MethodMetrics() {
		for _, info := range infos {
			titles[info.Name] = info.Title
		}
	}
	var out []figure
	for _, f := range progressFigures {
		if v, ok := extra[f.name]; ok {
			out = append(out, figure{label: f.label, title: lower(titles[f.name]), value: fmt.Sprintf("%.4f", v)})
		}
	}
	return out
}

// lower puts a title inside a sentence: "Reward margin" becomes "reward
// margin", while an acronym ("NLL of chosen") stays as it is.
func lower(title string) string {
	if len(title) > 1 && title[0] >= 'A' && title[0] <= 'Z' && title[1] >= 'a' && title[1] <= 'z' {
		return string(title[0]+'a'-'A') + title[1:]
	}
	return title
}

// printFigures prints how each of the method's own figures moved from the
// first step to the last, one a line, with its title (service.MethodMetrics): the
// rewards for DPO and ORPO, ORPO's NLL and log odds ratio. Steps recorded
// without them print nothing.
func printFigures(env *Env, method string, first, last service.RunMetrics) {
	for _, info := range service.MethodMetrics()[method] {
		a, okA := first.Extra[info.Name]
		b, okB := last.Extra[info.Name]
		if okA && okB {
			fmt.Fprintf(env.Stdout, "%s %.4f (step %d) -> %.4f (step %d)\n", lower(info.Title), a, first.Step, b, last.Step)
		}
	}
}
