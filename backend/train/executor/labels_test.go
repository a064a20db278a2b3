package executor

import (
	"testing"

	"github.com/whetstone-ai/whetstone/backend/batch"
	"github.com/whetstone-ai/whetstone/backend/model"
)

// The executor hands batch's labels to the model's loss, so the two
// packages' "not trained on" label must be the same value. They keep a
// constant each because neither can import the other without pulling in
// GoMLX (into batch) or the dataset readers (into model).
func TestIgnoreLabelsAgree(t *testing.T) {
	if batch.IgnoreLabel != model.IgnoreIndex {
		t.Fatalf("batch.IgnoreLabel %d, model.IgnoreIndex %d", batch.IgnoreLabel, model.IgnoreIndex)
	}
}
