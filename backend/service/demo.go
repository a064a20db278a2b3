package service

import (
	"path/filepath"

	"github.com/whetstone-ai/whetstone/backend/demo"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
)

// DemoSetup is the offline demo: a tiny model and the data of one
// training method made on this machine, and a run config that trains on
// them.
type DemoSetup struct {
	// Method is the run's training.method.
	Method   string `json:"method"`
	ModelDir string `json:"model_dir"`
	// DataPath is what the run trains on: the chat set (sft), the
	// preference set (dpo, orpo) or the corpus folder (cpt); ValPath is
	// the corpus's held-out file for cpt, "" otherwise.
	DataPath string `json:"data_path"`
	ValPath  string `json:"val_path,omitempty"`
	// Rows are DataPath's rows and Noun what they are ("conversations",
	// "preference pairs", "text files").
	Rows int    `json:"rows"`
	Noun string `json:"noun"`
	// Conversations is the chat set's size (every method's demo writes
	// it).
	Conversations int              `json:"conversations"`
	Config        runconfig.Config `json:"config"`
	// Question, asked of the base model and of the trained run, shows
	// the fine-tune working: the run has learned to reply Answer (or, for
	// a preference method, to prefer it), the base model (random weights)
	// has not. Both are empty for continued pretraining, which learns raw
	// text rather than chat; its held-out loss shows it learning.
	Question string `json:"question,omitempty"`
	Answer   string `json:"answer,omitempty"`
}

// Demo writes the demo model (Gemma 3's architecture with random weights,
// about a million parameters), its tokenizer and its data (a chat set, a
// preference set and a text corpus) into the workspace's models folder,
// once, and returns a config that trains it with method (one of
// runconfig.Methods; "" is sft) in about a minute without a network.
func (s *Runs) Demo(method string) (out DemoSetup, err error) {
	defer guard(s.deps.Log, "Runs.Demo", &err)
	files, err := demo.Create(filepath.Join(s.deps.Workspace.ModelsDir(), "demo"))
	if err != nil {
		return out, err
	}
	d, err := demo.ForMethod(method, files)
	if err != nil {
		return out, invalidf("method: %v", err)
	}
	return DemoSetup{Method: d.Method, ModelDir: files.ModelDir, DataPath: d.Data, ValPath: d.Config.Dataset.ValPath,
		Rows: d.Rows, Noun: d.Noun, Conversations: demo.Conversations(), Config: d.Config,
		Question: d.Question, Answer: d.Answer}, nil
}
