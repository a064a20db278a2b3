// The UI's names for what the Go services exchange. Every type here is the
// generated contract's (./generated/contract.ts, written from the Go types by
// `go generate ./backend/service`): nothing that mirrors Go is written by hand.
// Requests are Input<T>: Go accepts any subset of their fields. The only
// type of the UI's own making is MetricRow.

import type * as C from './generated/contract';

export type { Input } from './generated/contract';

export type SystemInfo = C.SystemInfo;
/** The saved settings as the services show them: the hub token's value never comes back. */
export type Settings = C.SettingsView;
export type SettingsUpdate = C.Input<C.SettingsUpdate>;

export type ModelInfo = C.ModelInfo;
export type MemoryEstimate = C.MemoryEstimate;
export type HubProgress = C.HubProgress;

export type DatasetFormat = C.DatasetFormat;
export type DatasetMapping = C.Mapping;
/** The run config's column renames (dataset.mapping). */
export type Mapping = Record<string, string>;
export type Candidate = C.Candidate;
export type Detection = C.Detection;
export type TrainOnMode = C.Mode;
export type Truncation = C.Truncation;
export type DatasetRequest = C.Input<C.DatasetRequest>;
export type PreviewRequest = DatasetRequest;
export type StatsRequest = DatasetRequest;
export type DatasetInfo = C.DatasetInfo;
export type Message = C.Message;
export type ChatMessage = C.ChatMessage;
export type PreviewToken = C.PreviewToken;
export type PreviewRow = C.PreviewRow;
export type Preview = C.PreviewPage;
export type RangeBin = C.RangeBin;
export type DatasetStats = C.Stats;

export type RunConfig = C.Config;
export type ConfigField = C.Field;
export type ConfigKind = C.Kind;
export type ConfigPath = C.ConfigPath;
export type FieldError = C.FieldError;
export type Rendered = C.RenderedConfig;
export type PresetInfo = C.PresetInfo;

export type RunState = C.State;
export type Run = C.RunsRecord;
export type RunDetail = C.RunDetail;
/**
 * A metrics row as the run charts hold it: Go's runs.Metrics, except that
 * rows merged from events, snapshots and thinning may lack any measured value.
 */
export type MetricRow = Partial<C.Metrics> & Pick<C.Metrics, 'step'>;
export type RunMetricsEvent = C.MetricsEvent;
export type RunStateEvent = C.StateEvent;
export type RunLogEvent = C.LogEvent;

export type ChatRequest = C.Input<C.ChatRequest>;
export type ChatStream = C.ChatStream;
export type ChatToken = C.ChatToken;

export type ExportFormat = C.ExportFormat;
export type ExportRequest = C.Input<C.ExportRequest>;
export type ExportFile = C.ExportedFile;
export type ExportResult = C.ExportResult;
export type ExportProgress = C.ExportProgress;
