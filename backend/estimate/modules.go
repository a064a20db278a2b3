package estimate

import (
	"github.com/whetstone-ai/whetstone/backend/adapter"
	"github.com/whetstone-ai/whetstone/backend/model"
)

// ModuleParams counts the parameters of the trained modules
// (lora.modules_to_save): vocab·hidden for each of embed_tokens and
// lm_head, once for a model that ties them (one matrix serves both).
func ModuleParams(c *model.Config, modules []string) (int64, error) {
	mods, err := adapter.NormalizeModules(modules)
	if err != nil {
		return 0, err
	}
	matrices := int64(len(mods))
	if c.TieWordEmbeddings {
		matrices = min(matrices, 1)
	}
	return matrices * int64(c.VocabSize) * int64(c.HiddenSize), nil
}

// moduleCopies is how many float32 copies of a trained module a step
// holds: the trainable copy (the frozen base matrix stays too, in
// BaseWeights), its gradient accumulator and AdamW's two moments, which
// persist, and two more while a step builds the gradient before adding
// it to the accumulator (the head's vocabulary slices and their
// concatenation, or the embeddings' scattered rows). A SGD step of a
// trained head grew the peak by five copies (model.trainedHeadCrossEntropy).
const (
	modulePersistentCopies = 4
	moduleStepCopies       = 2
)

// moduleBytes is the memory of the trained modules.
func moduleBytes(params int64) int64 {
	return params * 4 * (modulePersistentCopies + moduleStepCopies)
}
