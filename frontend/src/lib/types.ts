// DTOs exchanged with the Go services (backend/service). JSON field names are
// snake_case, exactly as the Go structs' json tags spell them.

export interface SystemInfo {
  version: string;
  workspace: string;
  backend: string;
  os?: string;
  arch?: string;
  cpus?: number;
  memory_mb?: number;
  [k: string]: unknown;
}

/** The saved settings as the services show them: the hub token's value never comes back. */
export interface Settings {
  backend: 'go' | 'xla' | string;
  xla_plugin_path: string;
  theme: 'light' | 'dark' | 'system' | string;
  has_token: boolean;
  allowed_folders: string[];
  /** True over HTTP: the plugin path and allowed folders change only in the desktop window or CLI. */
  local_only: boolean;
}

/** The Settings form as saved: hub_token replaces the saved token when not empty. */
export interface SettingsUpdate {
  backend: string;
  xla_plugin_path: string;
  theme: string;
  allowed_folders: string[];
  hub_token?: string;
  clear_hub_token?: boolean;
}

export interface ModelInfo {
  ref: string;
  local_dir?: string;
  downloaded?: boolean;
  architecture?: string;
  family?: string;
  params?: number;
  context_length?: number;
  dtype?: string;
  vocab_size?: number;
  layers?: number;
  hidden?: number;
  heads?: number;
  kv_heads?: number;
  model_type?: string;
  has_tokenizer?: boolean;
  has_weights?: boolean;
}

/** Mirrors service.MemoryEstimate (estimate.Breakdown in bytes, plus totals in MiB). */
export interface MemoryEstimate {
  base_weights: number;
  lora: number;
  lora_params: number;
  activations: number;
  logits: number;
  overhead: number;
  total: number;
  total_mb: number;
  /** Available memory on this machine, 0 when unknown. */
  free_mb: number;
  fits: boolean;
}

/** Mirrors hub.Progress ("hub.progress" events). */
export interface HubProgress {
  repo: string;
  type?: string;
  revision?: string;
  commit?: string;
  file?: string;
  files_done: number;
  files_total: number;
  bytes_done: number;
  bytes_total: number;
  bytes_per_second?: number;
  eta_seconds?: number;
}

/** Mirrors backend/dataset.Mapping: where a dataset's conversations are. */
export interface DatasetMapping {
  format: string;
  conversation_column?: string;
  role_key?: string;
  content_key?: string;
  roles?: Record<string, string>;
  instruction_column?: string;
  input_column?: string;
  output_column?: string;
  system_column?: string;
  text_column?: string;
}

export type Mapping = Record<string, string>;

export interface Candidate {
  mapping: DatasetMapping;
  confidence: number;
  reason: string;
}

/** Mirrors backend/dataset.Detection. */
export interface Detection extends Candidate {
  alternatives?: Candidate[];
}

/** Mirrors service.DatasetRequest (one request shape for inspect, preview and stats). */
export interface DatasetRequest {
  path: string;
  /** Overrides of the detected mapping (any non-empty field wins). */
  mapping?: Partial<DatasetMapping>;
  /** Renders and tokenizes rows; empty previews messages only. */
  model?: string;
  train_on?: 'responses' | 'all' | string;
  max_len?: number;
  truncation?: 'truncate' | 'drop' | string;
  skip_bad_rows?: boolean;
  /** Refuses rows larger than this many MB (0: 16 MB). */
  max_row_mb?: number;
  page?: number;
  page_size?: number;
}

export interface DatasetInfo {
  path: string;
  files?: string[];
  /** Column names, when the service reports them. */
  columns?: string[];
  detection: Detection;
}

export type PreviewRequest = DatasetRequest;
export type StatsRequest = DatasetRequest;

export interface Message {
  role: string;
  content: string;
}

/** Mirrors backend/dataset.PreviewToken (byte offsets into the row text). */
export interface PreviewToken {
  id: number;
  start: number;
  end: number;
  text: string;
  trainable: boolean;
  cut?: boolean;
}

/** Mirrors backend/dataset.PreviewRow. */
export interface PreviewRow {
  row: number;
  messages?: Message[];
  text: string;
  spans?: [number, number][];
  tokens?: PreviewToken[];
  trainable: number;
  truncated?: boolean;
  error?: string;
}

/** Mirrors backend/dataset.PreviewPage. */
export interface Preview {
  detection?: Detection;
  page: number;
  page_size: number;
  rows: PreviewRow[];
  has_more: boolean;
  problems?: string[];
}

export interface RangeBin {
  lo: number;
  hi: number;
  count: number;
}

/** Mirrors backend/dataset.Stats. */
export interface DatasetStats {
  path: string;
  detection?: Detection;
  rows: number;
  conversations: number;
  skipped: number;
  problems?: string[];
  turns?: { value: number; count: number }[];
  roles?: Record<string, number>;
  tokenized: boolean;
  max_len?: number;
  truncation?: string;
  tokens: number;
  trainable_tokens: number;
  min_len: number;
  max_len_seen: number;
  mean_len: number;
  median_len: number;
  p95_len: number;
  lengths: RangeBin[];
  over_max_len: number;
  truncated: number;
  kept: number;
  dropped?: Record<string, number>;
  dropped_examples?: Record<string, number[]>;
}

/** Mirrors backend/runconfig.Config. */
export interface RunConfig {
  name?: string;
  model: { source: string; revision?: string; family?: string };
  lora: { r: number; alpha: number; dropout: number; targets: string[]; rslora: boolean };
  dataset: {
    path: string;
    format?: string;
    mapping?: Mapping;
    split?: string;
    val_fraction: number;
    val_path?: string;
    max_rows?: number;
    max_row_mb?: number;
  };
  training: {
    learning_rate: number;
    optimizer: string;
    weight_decay: number;
    beta1: number;
    beta2: number;
    epsilon: number;
    scheduler: string;
    warmup_steps: number;
    batch_size: number;
    grad_accum: number;
    max_steps: number;
    epochs: number;
    max_seq_len: number;
    max_grad_norm: number;
    train_on_responses_only: boolean;
    packing: boolean;
    gradient_checkpointing: boolean;
    eval_every: number;
    eval_batches: number;
  };
  checkpoint: { every: number; keep: number };
  seed: number;
  output?: string;
}

export interface FieldError {
  field: string;
  message: string;
}

export interface Rendered {
  yaml: string;
  cli: string;
}

export type RunState =
  | 'queued'
  | 'running'
  | 'paused'
  | 'completed'
  | 'failed'
  | 'cancelled'
  | 'interrupted'
  | string;

/** Mirrors runs.Record: what the run list shows. */
export interface Run {
  id: string;
  name?: string;
  state: RunState;
  model: string;
  dataset: string;
  created: string;
  started?: string;
  finished?: string;
  step: number;
  total_steps: number;
  loss?: number | null;
  val_loss?: number | null;
  last_checkpoint?: number;
  error?: string;
  duplicate_of?: string;
}

/** Mirrors service.RunDetail. */
export interface RunDetail {
  record: Run;
  config: RunConfig;
  has_adapter: boolean;
}

/** Mirrors runs.Metrics: one optimiser step. */
export interface MetricRow {
  step: number;
  epoch?: number;
  loss?: number;
  val_loss?: number | null;
  lr?: number;
  grad_norm?: number;
  tokens_per_s?: number;
  elapsed_s?: number;
  eta_s?: number;
  rss_mb?: number;
  device_mem_mb?: number | null;
  total_steps?: number;
}

export interface RunMetricsEvent {
  id: string;
  metrics: MetricRow;
}

export interface RunStateEvent {
  id: string;
  state: RunState;
  error?: string;
  record: Run;
}

export interface RunLogEvent {
  id: string;
  line: string;
}

export interface PresetInfo {
  family: string;
  title: string;
  config: RunConfig;
}

export interface ChatRequest {
  /** A run whose base model and adapter to use (wins over model/adapter). */
  run_id?: string;
  model?: string;
  adapter?: string;
  messages: Message[];
  system?: string;
  temperature: number;
  top_p: number;
  top_k: number;
  max_new_tokens: number;
  min_p?: number;
  repetition_penalty?: number;
  seed?: number;
}

export interface ChatToken {
  stream_id: string;
  text: string;
  done: boolean;
  error?: string;
  finish_reason?: string;
  tokens?: number;
  tokens_per_s?: number;
}

export interface ExportRequest {
  run_id?: string;
  model?: string;
  adapter?: string;
  format: string;
  quant: string;
  out?: string;
}

export interface ExportFile {
  path: string;
  size: number;
}

export interface ExportResult {
  out_dir: string;
  files: ExportFile[];
  commands: { llamacpp?: string; ollama?: string; transformers?: string; [k: string]: string | undefined };
}

/** Mirrors export.Progress ("export.progress" events). */
export interface ExportProgress {
  format?: string;
  stage: string;
  done: number;
  total: number;
  tensor?: string;
  out_dir?: string;
  error?: string;
}
