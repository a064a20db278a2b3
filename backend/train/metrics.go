package train

import "github.com/whetstone-ai/whetstone/backend/runconfig"

// The names of StepMetrics.Extra, as TRL logs them so practitioners read
// the same figures in Whetstone and in a notebook.
const (
	// MetricRewardChosen is the mean implicit reward of the chosen answers:
	// beta·(log π(chosen) − log π_ref(chosen)) for DPO, lambda·(mean
	// log-probability of the chosen answer) for ORPO.
	MetricRewardChosen = "rewards/chosen"
	// MetricRewardRejected is the same for the rejected answers.
	MetricRewardRejected = "rewards/rejected"
	// MetricRewardMargin is the mean of chosen minus rejected rewards.
	MetricRewardMargin = "rewards/margins"
	// MetricRewardAccuracy is the fraction of pairs whose chosen reward is
	// above the rejected one.
	MetricRewardAccuracy = "rewards/accuracies"
	// MetricNLL is ORPO's supervised term: the chosen answers' mean token
	// cross-entropy.
	MetricNLL = "nll_loss"
	// MetricLogOddsRatio is ORPO's mean log-sigmoid of the log odds ratio
	// of chosen over rejected.
	MetricLogOddsRatio = "log_odds_ratio"
)

// MetricInfo describes one figure a method reports, for the run page's
// charts and the CLI's progress lines.
type MetricInfo struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	Help  string `json:"help"`
}

// Metrics lists what each training method reports beyond the loss, keyed
// by runconfig.Methods' names (SFT and CPT report nothing more).
func Metrics() map[string][]MetricInfo {
	rewards := []MetricInfo{
		{MetricRewardChosen, "Reward, chosen", "Mean implicit reward of the chosen answers."},
		{MetricRewardRejected, "Reward, rejected", "Mean implicit reward of the rejected answers."},
		{MetricRewardMargin, "Reward margin", "Chosen minus rejected reward; it grows as the model learns the preference."},
		{MetricRewardAccuracy, "Reward accuracy", "Fraction of pairs the model prefers the chosen answer of."},
	}
	return map[string][]MetricInfo{
		runconfig.MethodSFT: {},
		runconfig.MethodCPT: {},
		runconfig.MethodDPO: rewards,
		runconfig.MethodORPO: append(append([]MetricInfo{}, rewards...),
			MetricInfo{MetricNLL, "NLL of chosen", "Mean token cross-entropy of the chosen answers: ORPO's supervised term."},
			MetricInfo{MetricLogOddsRatio, "Log odds ratio", "Mean log-sigmoid of the log odds of chosen over rejected; it rises toward 0."}),
	}
}
