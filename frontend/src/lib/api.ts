// The typed face of the Go services. Screens import `api` and call, for
// example, `api.models.inspect(ref)`; the transport underneath is chosen once
// (Wails bindings or HTTP) and can be replaced in tests with setTransport.

import { detectTransport, type Transport, type Unsubscribe } from './transport';
import type {
  ChatRequest,
  ChatToken,
  DatasetInfo,
  DatasetRequest,
  DatasetStats,
  ExportProgress,
  ExportRequest,
  ExportResult,
  FieldError,
  HubProgress,
  MemoryEstimate,
  MetricRow,
  ModelInfo,
  PresetInfo,
  Preview,
  PreviewRequest,
  Rendered,
  Run,
  RunConfig,
  RunDetail,
  RunLogEvent,
  RunMetricsEvent,
  RunStateEvent,
  Settings,
  SettingsUpdate,
  StatsRequest,
  SystemInfo,
} from './types';

let transport: Transport | null = null;
const unauthorizedListeners = new Set<() => void>();

function current(): Transport {
  if (!transport) {
    transport = detectTransport(window as Window & import('./transport').WailsWindow, {
      onUnauthorized: () => unauthorizedListeners.forEach((f) => f()),
    });
  }
  return transport;
}

/** Replaces the transport (tests, or a page that wants a specific one). */
export function setTransport(t: Transport | null): void {
  transport = t;
}

export function transportKind(): 'wails' | 'http' {
  return current().kind;
}

/** Registers a callback for a 401 from `whetstone serve`. */
export function onUnauthorized(cb: () => void): Unsubscribe {
  unauthorizedListeners.add(cb);
  return () => unauthorizedListeners.delete(cb);
}

function call<T>(service: string, method: string, ...args: unknown[]): Promise<T> {
  return current().call<T>(service, method, args);
}

function on<T>(topic: string, cb: (payload: T) => void): Unsubscribe {
  return current().on(topic, (p) => cb(p as T));
}

/** Event topics the services publish. */
export const topics = {
  hubProgress: 'hub.progress',
  runMetrics: 'run.metrics',
  runState: 'run.state',
  runLog: 'run.log',
  chatToken: 'chat.token',
  exportProgress: 'export.progress',
} as const;

export const api = {
  system: {
    info: () => call<SystemInfo>('System', 'Info'),
  },
  settings: {
    get: () => call<Settings>('Settings', 'Get'),
    save: (s: SettingsUpdate) => call<Settings>('Settings', 'Save', s),
  },
  models: {
    inspect: (ref: string) => call<ModelInfo>('Models', 'Inspect', ref),
    estimateMemory: (ref: string, cfg: RunConfig) => call<MemoryEstimate>('Models', 'EstimateMemory', ref, cfg),
    /** Downloads a hub model into the cache and returns its folder. */
    download: (ref: string) => call<string>('Models', 'Download', ref),
    onProgress: (cb: (p: HubProgress) => void) => on<HubProgress>(topics.hubProgress, cb),
  },
  datasets: {
    inspect: (req: DatasetRequest) => call<DatasetInfo>('Datasets', 'Inspect', req),
    preview: (req: PreviewRequest) => call<Preview>('Datasets', 'Preview', req),
    stats: (req: StatsRequest) => call<DatasetStats>('Datasets', 'Stats', req),
  },
  runs: {
    presets: () => call<PresetInfo[]>('Runs', 'Presets'),
    defaults: (preset: string) => call<RunConfig>('Runs', 'Defaults', preset),
    validate: (cfg: RunConfig) => call<FieldError[] | null>('Runs', 'Validate', cfg),
    render: (cfg: RunConfig) => call<Rendered>('Runs', 'Render', cfg),
    start: (cfg: RunConfig) => call<Run>('Runs', 'Start', cfg),
    list: () => call<Run[] | null>('Runs', 'List'),
    get: (id: string) => call<RunDetail>('Runs', 'Get', id),
    metrics: (id: string) => call<MetricRow[] | null>('Runs', 'Metrics', id),
    /** The last n lines of a run's log (all when n <= 0). */
    log: (id: string, n = 400) => call<string[] | null>('Runs', 'Log', id, n),
    cancel: (id: string) => call<void>('Runs', 'Cancel', id),
    pause: (id: string) => call<void>('Runs', 'Pause', id),
    resume: (id: string) => call<void>('Runs', 'Resume', id),
    delete: (id: string) => call<void>('Runs', 'Delete', id),
    /** Queues a new run with the same configuration. */
    duplicate: (id: string) => call<Run>('Runs', 'Duplicate', id),
    onMetrics: (cb: (m: RunMetricsEvent) => void) => on<RunMetricsEvent>(topics.runMetrics, cb),
    onState: (cb: (s: RunStateEvent) => void) => on<RunStateEvent>(topics.runState, cb),
    onLog: (cb: (l: RunLogEvent) => void) => on<RunLogEvent>(topics.runLog, cb),
  },
  chat: {
    generate: (req: ChatRequest) => call<{ stream_id: string }>('Chat', 'Generate', req),
    cancel: (streamId: string) => call<void>('Chat', 'Cancel', streamId),
    onToken: (cb: (t: ChatToken) => void) => on<ChatToken>(topics.chatToken, cb),
  },
  export: {
    start: (req: ExportRequest) => call<ExportResult>('Export', 'Start', req),
    onProgress: (cb: (p: ExportProgress) => void) => on<ExportProgress>(topics.exportProgress, cb),
  },
};

export type Api = typeof api;
