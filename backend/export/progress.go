package export

import "github.com/whetstone-ai/whetstone/backend/events"

// ProgressTopic is the events topic of export progress.
const ProgressTopic = "export.progress"

// Progress is the payload of an "export.progress" event. Done/Total count
// the units of the current stage (tensors while writing weights).
type Progress struct {
	Format Format `json:"format"`
	// Stage is "weights", "files", "done" or "failed".
	Stage  string `json:"stage"`
	Done   int    `json:"done"`
	Total  int    `json:"total"`
	Tensor string `json:"tensor,omitempty"`
	OutDir string `json:"out_dir"`
	Error  string `json:"error,omitempty"`
}

type progress struct {
	em     events.Emitter
	format Format
	out    string
}

func (p progress) emit(stage string, done, total int, tensor string) {
	if p.em == nil {
		return
	}
	p.em.Emit(ProgressTopic, Progress{Format: p.format, Stage: stage, Done: done, Total: total, Tensor: tensor, OutDir: p.out})
}

func (p progress) fail(err error) {
	if p.em == nil {
		return
	}
	p.em.Emit(ProgressTopic, Progress{Format: p.format, Stage: "failed", OutDir: p.out, Error: err.Error()})
}
