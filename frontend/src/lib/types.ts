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

export interface Settings {
  backend: 'go' | 'xla' | string;
  xla_plugin_path: string;
  hub_token: string;
  theme: 'light' | 'dark' | 'system' | string;
  workspace?: string;
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
  size_bytes?: number;
  [k: string]: unknown;
}

export interface MemoryEstimate {
  total_bytes: number;
  weights_bytes?: number;
  adapter_bytes?: number;
  optimizer_bytes?: number;
  activations_bytes?: number;
  gradients_bytes?: number;
  [k: string]: unknown;
}

export interface HubProgress {
  ref?: string;
  file?: string;
  done: number;
  total: number;
  finished?: boolean;
  error?: string;
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

export interface DatasetRequest {
  path: string;
  /** Overrides of the detected mapping (any non-empty field wins). */
  mapping?: Partial<DatasetMapping>;
  split?: string;
}

export interface DatasetInfo {
  path: string;
  columns: string[];
  rows?: number;
  detection: Detection;
  sample?: Record<string, unknown>[];
}

export interface PreviewRequest extends DatasetRequest {
  model: string;
  page: number;
  page_size: number;
  max_len: number;
  train_on: 'responses' | 'all' | string;
}

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

export interface StatsRequest extends DatasetRequest {
  model: string;
  max_len: number;
  train_on?: string;
  truncation?: string;
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
    eval_every: number;
    eval_batches: number;
  };
  checkpoint: { every: number; keep: number };
  seed: number;
  output?: string;
}

export interface Preset {
  family: string;
  title: string;
  response_marker?: string;
  instruction_marker?: string;
  config: RunConfig;
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
  | string;

export interface Run {
  id: string;
  name?: string;
  state: RunState;
  config: RunConfig;
  created_at?: string;
  started_at?: string;
  finished_at?: string;
  step?: number;
  max_steps?: number;
  error?: string;
  adapter_dir?: string;
  dir?: string;
  last?: MetricRow;
}

export interface MetricRow {
  run_id?: string;
  step: number;
  max_steps?: number;
  epoch?: number;
  loss?: number;
  val_loss?: number;
  lr?: number;
  grad_norm?: number;
  tokens_per_s?: number;
  eta_s?: number;
  rss_mb?: number;
  elapsed_s?: number;
  time?: string;
}

export interface RunStateEvent {
  run_id: string;
  state: RunState;
  error?: string;
}

export interface RunLogEvent {
  run_id: string;
  line: string;
}

export interface ChatRequest {
  model: string;
  adapter?: string;
  messages: Message[];
  system?: string;
  temperature: number;
  top_p: number;
  top_k: number;
  max_new_tokens: number;
}

export interface ChatToken {
  stream_id: string;
  text: string;
  done: boolean;
  error?: string;
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
  files: ExportFile[];
  commands: { llamacpp?: string; ollama?: string; transformers?: string; [k: string]: string | undefined };
}

export interface ExportProgress {
  stage?: string;
  done: number;
  total: number;
  message?: string;
  finished?: boolean;
  error?: string;
}
