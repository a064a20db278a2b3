// Package demo makes everything the offline demo needs, with no network:
// a tiny Gemma-3-architecture model with random weights, a small
// Gemma-style tokenizer learned from the demo data, and built-in data
// written for Whetstone: a chat dataset (supervised fine-tuning), a
// preference set (DPO and ORPO) and a small text corpus about an invented
// craft with a held-out file (continued pretraining). `whetstone demo
// --method M` creates them in the workspace and trains a LoRA adapter on
// them end to end in about a minute on two cores.
package demo

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/whetstone-ai/whetstone/backend/model"
	"github.com/whetstone-ai/whetstone/backend/runconfig"
	"github.com/whetstone-ai/whetstone/backend/safefile"
)

// Version changes whenever the generated files would change, so an old
// demo folder is rebuilt instead of reused.
const Version = 5

// VocabSize of the demo tokenizer and model.
const VocabSize = 512

// Files locates a created demo.
type Files struct {
	// ModelDir holds config.json, model.safetensors, tokenizer.json and
	// tokenizer_config.json: a model folder like a Hugging Face download.
	ModelDir string
	// DataPath is the chat dataset (ShareGPT-style JSONL).
	DataPath string
	// PairsPath is the preference set ({prompt, chosen, rejected} JSONL).
	PairsPath string
	// CorpusDir is a folder of .txt files, the continued-pretraining
	// corpus; CorpusValPath is its held-out .txt file, outside the folder.
	CorpusDir     string
	CorpusValPath string
}

type stamp struct {
	Version int `json:"version"`
}

// ModelDirName is the demo model's folder under Create's dir (what the
// OpenAI-compatible endpoint serves as "demo").
const ModelDirName = "gemma3-demo"

// Create writes the demo model and data under dir (typically the
// workspace's models/demo), reusing them when a complete demo of this
// Version is already there.
func Create(dir string) (Files, error) {
	f := Files{ModelDir: filepath.Join(dir, ModelDirName), DataPath: filepath.Join(dir, "demo-chat.jsonl"),
		PairsPath: filepath.Join(dir, "demo-pairs.jsonl"), CorpusDir: filepath.Join(dir, "demo-corpus"),
		CorpusValPath: filepath.Join(dir, "demo-corpus-"+corpusHeldOut.Name)}
	stampPath := filepath.Join(dir, "demo.json")
	if data, err := os.ReadFile(stampPath); err == nil {
		var s stamp
		if json.Unmarshal(data, &s) == nil && s.Version == Version && exists(f.DataPath) && exists(f.PairsPath) &&
			exists(f.CorpusValPath) && exists(filepath.Join(f.CorpusDir, corpusTrain[len(corpusTrain)-1].Name)) &&
			exists(filepath.Join(f.ModelDir, "model.safetensors")) && exists(filepath.Join(f.ModelDir, "tokenizer.json")) {
			return f, nil
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return f, fmt.Errorf("create demo folder: %w", err)
	}
	if err := writeData(f); err != nil {
		return f, err
	}
	if err := writeModel(f.ModelDir); err != nil {
		return f, err
	}
	if err := safefile.WriteJSON(stampPath, stamp{Version: Version}); err != nil {
		return f, err
	}
	return f, nil
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// writeData writes the chat set, the preference set and the corpus.
func writeData(f Files) error {
	data, err := DatasetJSONL()
	if err != nil {
		return err
	}
	if err := safefile.Write(f.DataPath, data, 0o644); err != nil {
		return err
	}
	pairs, err := PairsJSONL()
	if err != nil {
		return err
	}
	if err := safefile.Write(f.PairsPath, pairs, 0o644); err != nil {
		return err
	}
	if err := safefile.Write(f.CorpusValPath, []byte(corpusHeldOut.Text+"\n"), 0o644); err != nil {
		return err
	}
	err = safefile.ReplaceDir(f.CorpusDir, func(tmp string) error {
		for _, c := range corpusTrain {
			if err := safefile.Write(filepath.Join(tmp, c.Name), []byte(c.Text+"\n"), 0o644); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("create demo corpus: %w", err)
	}
	return nil
}

// ModelConfig is the demo model: Gemma 3's architecture (QK-norm, sandwich
// norms, GeGLU MLP, tied embeddings, one global layer after sliding ones)
// at about 1M parameters.
func ModelConfig() (*model.Config, error) {
	cfg, err := model.Preset("tiny")
	if err != nil {
		return nil, err
	}
	cfg.VocabSize = VocabSize
	cfg.HiddenSize = 128
	cfg.IntermediateSize = 512
	cfg.NumLayers = 4
	cfg.NumHeads = 4
	cfg.NumKVHeads = 1
	cfg.HeadDim = 32
	cfg.AttnScale = 1 / 5.656854249492381 // head_dim^-0.5
	cfg.SlidingWindow = 256
	cfg.LayerTypes = []string{"sliding_attention", "sliding_attention", "sliding_attention", "full_attention"}
	cfg.MaxPositionEmbeddings = 2048
	cfg.BOSTokenID, cfg.PadTokenID = bosID, padID
	cfg.EOSTokenIDs = []int{eosID, endOfTurnID}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("demo model config: %w", err)
	}
	return cfg, nil
}

// writeModel builds the model folder with safefile.ReplaceDir, so an
// interrupted creation never leaves a half-written model behind.
func writeModel(dir string) error {
	cfg, err := ModelConfig()
	if err != nil {
		return err
	}
	m, err := model.NewRandom(cfg, 3407, model.Options{})
	if err != nil {
		return err
	}
	tokJSON, err := buildTokenizerJSON(corpus(), VocabSize)
	if err != nil {
		return err
	}
	tc, err := tokenizerConfigJSON()
	if err != nil {
		return err
	}
	err = safefile.ReplaceDir(dir, func(tmp string) error {
		if err := m.SaveCheckpoint(tmp); err != nil {
			return err
		}
		if err := safefile.Write(filepath.Join(tmp, "tokenizer.json"), tokJSON, 0o644); err != nil {
			return err
		}
		if err := safefile.WriteJSON(filepath.Join(tmp, "generation_config.json"), generationConfig()); err != nil {
			return err
		}
		return safefile.Write(filepath.Join(tmp, "tokenizer_config.json"), tc, 0o644)
	})
	if err != nil {
		return fmt.Errorf("create demo model: %w", err)
	}
	return nil
}

// generationConfig recommends greedy decoding (do_sample false), which
// the Chat screen and `whetstone chat` start from: a model this small
// learns its answers as a narrow peak, and sampling it at Gemma's
// temperature 1 walks off the peak into babble.
func generationConfig() map[string]any {
	return map[string]any{
		"do_sample": false, "bos_token_id": bosID, "pad_token_id": padID, "eos_token_id": []int{eosID, endOfTurnID},
	}
}

// allConversations is the hand-written set, the identity family and a
// family of generated arithmetic exchanges.
//
// The arithmetic exchanges share one pattern, so the held-out validation
// rows resemble training rows and the validation loss visibly falls during
// the demo (with only free-form chats, a random model that memorizes them
// shows a flat validation curve). Each pair of numbers appears once: an
// earlier generator repeated nine pairs six times each, so the tuned model
// learned "two plus nine is eleven" for every question starting with
// "two", the demo's own question among them.
//
// The identity family asks who the assistant is in several phrasings
// that share one answer, the most common thing a first fine-tune teaches;
// repeated, it is what a random model learns within the demo's few
// steps, so the demo's closing question (Question) gets Answer back.
func allConversations() [][][2]string {
	words := []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
		"eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen"}
	out := append([][][2]string(nil), conversations...)
	for _, q := range identityQuestions {
		out = append(out, [][2]string{{"human", q}, {"gpt", Answer}})
	}
	// 7 is coprime to 81, so p walks every pair (a, b) of 1..9 once; the
	// first 54 are spread over all first numbers.
	for i, n := 0, 0; n < 54; i++ {
		p := i * 7 % 81
		a, b := p/9+1, p%9+1
		if a == 2 && b == 3 { // a hand-written conversation
			continue
		}
		q := "What is " + words[a] + " plus " + words[b] + "?"
		ans := words[a] + " plus " + words[b] + " is " + words[a+b] + "."
		out = append(out, [][2]string{{"human", q}, {"gpt", strings.ToUpper(ans[:1]) + ans[1:]}})
		n++
	}
	return out
}

// corpus is the text the tokenizer's merges are learned from: every turn
// of the dataset plus the template's role names.
func corpus() []string {
	out := []string{"user\nmodel\n"}
	for _, c := range allConversations() {
		for _, turn := range c {
			out = append(out, turn[1])
		}
	}
	return out
}

// DatasetJSONL returns the built-in conversations as JSONL, one
// {"conversations": [{"from": ..., "value": ...}, ...]} object per line,
// the layout of FineTome-100k.
func DatasetJSONL() ([]byte, error) {
	var b strings.Builder
	for _, c := range allConversations() {
		turns := make([]map[string]string, len(c))
		for i, t := range c {
			turns[i] = map[string]string{"from": t[0], "value": t[1]}
		}
		line, err := json.Marshal(map[string]any{"conversations": turns})
		if err != nil {
			return nil, err
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return []byte(b.String()), nil
}

// PairsJSONL returns the built-in preference set as JSONL, one
// {"prompt": ..., "chosen": ..., "rejected": ...} object per line, TRL's
// explicit-prompt layout.
func PairsJSONL() ([]byte, error) {
	var b strings.Builder
	for _, p := range allPairs() {
		line, err := json.Marshal(map[string]string{"prompt": p.Prompt, "chosen": p.Chosen, "rejected": p.Rejected})
		if err != nil {
			return nil, err
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return []byte(b.String()), nil
}

// Pairs is the number of built-in preference pairs.
func Pairs() int { return len(allPairs()) }

// CorpusFiles is the number of .txt files of the training corpus.
func CorpusFiles() int { return len(corpusTrain) }

// Conversations is the number of built-in conversations.
func Conversations() int { return len(allConversations()) }

// RunConfig is the demo's training run: the Gemma 3 notebook defaults,
// with a learning rate suited to a tiny model and frequent checkpoints.
func RunConfig(f Files) runconfig.Config {
	c := runconfig.Default()
	c.Name = "demo"
	c.Model.Source = f.ModelDir
	c.Dataset.Path = f.DataPath
	c.Dataset.ValFraction = 0.1
	c.LoRA.R, c.LoRA.Alpha = 16, 32
	c.Training.LearningRate = 3e-3
	c.Training.MaxSteps = 60
	c.Training.MaxSeqLen = 256
	c.Training.EvalEvery = 10
	c.Training.EvalBatches = 0
	c.Checkpoint.Every = 20
	return c
}
