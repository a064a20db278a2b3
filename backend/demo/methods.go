package demo

import (
	"fmt"
	"slices"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/runconfig"
)

// Run is the demo of one training method: its run config over the demo's
// files and what the demo shows at its end.
type Run struct {
	Method string
	Config runconfig.Config
	// Data is the file or folder trained on, Rows its rows and Noun what
	// they are ("conversations", "preference pairs", "text files").
	Data string
	Rows int
	Noun string
	// Question is asked of the base and the tuned model at the end, and
	// Answer is what the data teaches for it; both are empty for
	// continued pretraining, whose model learns raw text rather than
	// chat (its demo shows the held-out loss falling instead).
	Question, Answer string
}

// ForMethod returns the demo of a training method (one of
// runconfig.Methods; "" is supervised fine-tuning).
func ForMethod(method string, f Files) (Run, error) {
	switch method {
	case "", runconfig.MethodSFT:
		return Run{Method: runconfig.MethodSFT, Config: RunConfig(f), Data: f.DataPath, Rows: Conversations(), Noun: "conversations",
			Question: Question, Answer: Answer}, nil
	case runconfig.MethodDPO, runconfig.MethodORPO:
		return Run{Method: method, Config: preferenceConfig(method, f), Data: f.PairsPath, Rows: Pairs(), Noun: "preference pairs",
			Question: PreferenceQuestion, Answer: preferenceAnswer()}, nil
	case runconfig.MethodCPT:
		return Run{Method: method, Config: corpusConfig(f), Data: f.CorpusDir, Rows: CorpusFiles(), Noun: "text files"}, nil
	}
	return Run{}, fmt.Errorf("unknown training method %q; the demo has %s", method, strings.Join(runconfig.Methods(), ", "))
}

// PreferenceQuestion is what the DPO and ORPO demos ask the base and the
// tuned model at the end: a prompt of the preference set whose chosen
// answer is friendly and whose rejected one is curt.
const PreferenceQuestion = Question

func preferenceAnswer() string {
	pairs := allPairs()
	i := slices.IndexFunc(pairs, func(p preferencePair) bool { return p.Prompt == PreferenceQuestion })
	return pairs[i].Chosen
}

// preferenceConfig trains DPO or ORPO on the preference set. Pairs are
// short (under 64 tokens a side), so rows of 128 tokens hold them whole;
// 4 pairs a micro-batch and 2 accumulation steps see all 32 pairs every
// four steps, and 40 steps end with the reward accuracy at 1 and a margin
// that grew from 0. Nothing is held out: 32 pairs are too few for a
// held-out loss to say more than noise, and the rewards are the figures
// the demo is about.
func preferenceConfig(method string, f Files) runconfig.Config {
	c := runconfig.Default()
	c.Name = "demo-" + method
	c.Model.Source = f.ModelDir
	c.Dataset.Path = f.PairsPath
	c.Dataset.ValFraction = 0
	c.LoRA.R, c.LoRA.Alpha = 16, 32
	c.Training.Method = method
	c.Training.LearningRate = 3e-3
	c.Training.MaxSteps = 40
	c.Training.BatchSize, c.Training.GradAccum = 4, 2
	c.Training.MaxSeqLen = 128
	c.Training.EvalEvery = 0
	c.Checkpoint.Every = 20
	return c
}

// corpusConfig is continued pretraining on the corpus folder, validated
// on the held-out file: rows of 128 tokens packed full, 40 steps, with
// the held-out loss measured every 5 steps so the demo shows it fall.
func corpusConfig(f Files) runconfig.Config {
	c := runconfig.Default()
	c.Name = "demo-cpt"
	c.Model.Source = f.ModelDir
	c.Dataset.Path = f.CorpusDir
	c.Dataset.ValPath = f.CorpusValPath
	c.LoRA.R, c.LoRA.Alpha = 16, 32
	c.Training.Method = runconfig.MethodCPT
	c.Training.LearningRate = 3e-3
	c.Training.MaxSteps = 40
	c.Training.BatchSize, c.Training.GradAccum = 2, 2
	c.Training.MaxSeqLen = 128
	c.Training.EvalEvery = 5
	c.Training.EvalBatches = 0
	c.Checkpoint.Every = 20
	return c
}
