package service

import (
	"github.com/whetstone-ai/whetstone/backend/batch"
	"github.com/whetstone-ai/whetstone/backend/dataset"
	"github.com/whetstone-ai/whetstone/backend/export"
	"github.com/whetstone-ai/whetstone/backend/hub"
	"github.com/whetstone-ai/whetstone/backend/runs"
	"github.com/whetstone-ai/whetstone/backend/safefile"
	"github.com/whetstone-ai/whetstone/backend/train"
)

// The values the services take and hand out that a caller names in Go: the
// terminal commands build requests, print results and follow events with
// these, so they depend on the services alone, not on the packages behind
// them. They are aliases: the same types the contract describes.

// Runs and their events.
type (
	RunRecord       = runs.Record
	RunState        = runs.State
	RunMetrics      = runs.Metrics
	RunStateEvent   = runs.StateEvent
	RunMetricsEvent = runs.MetricsEvent
	RunLogEvent     = runs.LogEvent
)

// The states of a run (see runs.State).
const (
	RunQueued      = runs.Queued
	RunRunning     = runs.Running
	RunPaused      = runs.Paused
	RunCompleted   = runs.Completed
	RunFailed      = runs.Failed
	RunCancelled   = runs.Cancelled
	RunInterrupted = runs.Interrupted
	RunDamaged     = runs.Damaged
)

// ErrRunRefused matches WaitRun's error when a run's turn came but another
// process had completed, paused or taken it meanwhile.
var ErrRunRefused = runs.ErrRefused

// Progress events of downloads and exports.
type (
	HubProgress    = hub.Progress
	ExportProgress = export.Progress
)

// Dataset requests and results.
type (
	DatasetFormat       = dataset.Format
	DatasetMapping      = dataset.Mapping
	DatasetStats        = dataset.Stats
	DatasetPreviewToken = dataset.PreviewToken
	TrainOn             = batch.Mode
	TruncationMode      = dataset.Truncation
)

// The dataset formats (see dataset.Format).
const (
	FormatShareGPT = dataset.FormatShareGPT
	FormatOpenAI   = dataset.FormatOpenAI
	FormatAlpaca   = dataset.FormatAlpaca
	FormatText     = dataset.FormatText
	// FormatPreference is preference pairs (DPO, ORPO).
	FormatPreference = dataset.FormatPreference
)

// MetricInfo describes one of a training method's own figures (a run's
// metrics carry them in Extra); MethodMetrics lists them by method.
type MetricInfo = train.MetricInfo

// MethodMetrics lists what each training method reports beyond the loss,
// keyed by training.method (SFT and continued pretraining: nothing).
func MethodMetrics() map[string][]MetricInfo { return train.Metrics() }

// Names of the preference methods' figures in RunMetrics.Extra.
const (
	MetricRewardChosen   = train.MetricRewardChosen
	MetricRewardRejected = train.MetricRewardRejected
	MetricRewardMargin   = train.MetricRewardMargin
	MetricRewardAccuracy = train.MetricRewardAccuracy
	MetricNLL            = train.MetricNLL
	MetricLogOddsRatio   = train.MetricLogOddsRatio
)

// Limits of DatasetRequest.MaxRowMB, in MB: its default and its largest.
const (
	DefaultMaxRowMB = int(dataset.DefaultMaxRowBytes >> 20)
	MaxRowMBLimit   = int(dataset.MaxRowBytesLimit >> 20)
)

// The standard chat roles a dataset's rows are read into.
const (
	RoleSystem    = dataset.RoleSystem
	RoleUser      = dataset.RoleUser
	RoleAssistant = dataset.RoleAssistant
)

// ErrAllMasked is a dataset in which no token would be trained on.
var ErrAllMasked = batch.ErrAllMasked

// ParseRoles reads extra role names written "robot=assistant,person=user",
// as DatasetMapping.Roles takes them.
func ParseRoles(s string) (map[string]string, error) { return dataset.ParseRoles(s) }

// ExportQuants lists a format's quantizations, its default first (none
// for a format that takes none); ExportFormats lists the formats.
func ExportQuants(format string) []string {
	f, err := export.ParseFormat(format)
	if err != nil {
		return nil
	}
	return export.Quants(f)
}

// DatasetFormats are the dataset formats, in the order detection
// prefers them.
func DatasetFormats() []string {
	out := make([]string, len(dataset.Formats))
	for i, f := range dataset.Formats {
		out[i] = string(f)
	}
	return out
}

// ExportFormats are the export formats, in the order the UI offers them.
func ExportFormats() []string {
	out := make([]string, len(export.Formats))
	for i, f := range export.Formats {
		out[i] = string(f)
	}
	return out
}

// ErrOutputExists matches the refusal of an output folder that holds an
// earlier export when overwriting was not asked for.
var ErrOutputExists = safefile.ErrExists

// FormatBytes writes a size as the download progress does ("1.5 GB").
func FormatBytes(n int64) string { return hub.FormatBytes(n) }
