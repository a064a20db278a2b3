// The typed face of the Go services. Screens import `api` and call, for
// example, `api.models.inspect(ref)`; the transport underneath is chosen once
// (Wails bindings or HTTP) and can be replaced in tests with setTransport.

import { detectTransport, type Transport, type Unsubscribe } from './transport';
import type { EventPayloads, ServiceMethods } from './generated/contract';
import type { ChatRequest, DatasetRequest, ExportRequest, MetricRow, PreviewRequest, RunConfig, SettingsUpdate, StatsRequest } from './types';

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

/** A bound method by its "Service.Method" name, typed by the generated contract. */
export type MethodName = keyof ServiceMethods;
export type Args<K extends MethodName> = ServiceMethods[K]['args'];
export type Result<K extends MethodName> = ServiceMethods[K]['result'];

function call<K extends MethodName>(name: K, ...args: Args<K>): Promise<Result<K>> {
  const [service, method] = name.split('.');
  return current().call<Result<K>>(service, method, args);
}

function on<K extends keyof EventPayloads>(topic: K, cb: (payload: EventPayloads[K]) => void): Unsubscribe {
  return current().on(topic, (p) => cb(p as EventPayloads[K]));
}

/** Event topics the services publish. */
export const topics = {
  hubProgress: 'hub.progress',
  runMetrics: 'run.metrics',
  runState: 'run.state',
  runLog: 'run.log',
  runPrep: 'run.prep',
  chatToken: 'chat.token',
  exportProgress: 'export.progress',
  settingsChanged: 'settings.changed',
} as const satisfies Record<string, keyof EventPayloads>;

type Callback<K extends keyof EventPayloads> = (payload: EventPayloads[K]) => void;

export const api = {
  system: {
    info: () => call('System.Info'),
    /** The models and datasets used lately, most recent first. */
    recents: () => call('System.Recents'),
    /** The OS's file or folder chooser (desktop window only); '' when cancelled. */
    pickPath: (req: Args<'System.PickPath'>[0]) => call('System.PickPath', req),
  },
  settings: {
    get: () => call('Settings.Get'),
    save: (s: SettingsUpdate) => call('Settings.Save', s),
  },
  models: {
    inspect: (ref: string) => call('Models.Inspect', ref),
    estimateMemory: (ref: string, cfg: RunConfig) => call('Models.EstimateMemory', ref, cfg),
    /** Downloads a hub model into the cache and returns its folder. */
    download: (ref: string) => call('Models.Download', ref),
    /** The models this machine has: the workspace's, those used before, the Hugging Face cache. */
    choices: () => call('Models.Choices'),
    /** The curated catalogue of recommended base models. */
    catalog: () => call('Models.Catalog'),
    onProgress: (cb: Callback<'hub.progress'>) => on(topics.hubProgress, cb),
  },
  datasets: {
    inspect: (req: DatasetRequest) => call('Datasets.Inspect', req),
    preview: (req: PreviewRequest) => call('Datasets.Preview', req),
    stats: (req: StatsRequest) => call('Datasets.Stats', req),
  },
  runs: {
    presets: () => call('Runs.Presets'),
    defaults: (preset: string) => call('Runs.Defaults', preset),
    validate: (cfg: RunConfig) => call('Runs.Validate', cfg),
    /** Every problem before Start at once: errors, warnings, the steps, the fit check. */
    check: (cfg: RunConfig) => call('Runs.Check', cfg),
    /** Reads a run config file's text (YAML or JSON) as `whetstone train --config` does. */
    parseConfig: (text: string) => call('Runs.ParseConfig', text),
    /** A run's latest preparation report (before its first step). */
    prep: (id: string) => call('Runs.Prep', id),
    render: (cfg: RunConfig) => call('Runs.Render', cfg),
    start: (cfg: RunConfig) => call('Runs.Start', cfg),
    list: () => call('Runs.List'),
    get: (id: string) => call('Runs.Get', id),
    /** Every recorded step, as the charts hold rows. */
    metrics: (id: string): Promise<MetricRow[] | null> => call('Runs.Metrics', id),
    /** The last n lines of a run's log (all when n <= 0). */
    log: (id: string, n = 400) => call('Runs.Log', id, n),
    cancel: (id: string) => call('Runs.Cancel', id),
    pause: (id: string) => call('Runs.Pause', id),
    resume: (id: string) => call('Runs.Resume', id),
    delete: (id: string) => call('Runs.Delete', id),
    /** Queues a new run with the same configuration. */
    duplicate: (id: string) => call('Runs.Duplicate', id),
    onMetrics: (cb: Callback<'run.metrics'>) => on(topics.runMetrics, cb),
    onState: (cb: Callback<'run.state'>) => on(topics.runState, cb),
    onLog: (cb: Callback<'run.log'>) => on(topics.runLog, cb),
    onPrep: (cb: Callback<'run.prep'>) => on(topics.runPrep, cb),
  },
  chat: {
    generate: (req: ChatRequest) => call('Chat.Generate', req),
    /** A model's (or a run's base model's) recommended sampling, from its generation_config.json. */
    defaults: (m: Args<'Chat.Defaults'>[0]) => call('Chat.Defaults', m),
    cancel: (streamId: string) => call('Chat.Cancel', streamId),
    onToken: (cb: Callback<'chat.token'>) => on(topics.chatToken, cb),
  },
  export: {
    start: (req: ExportRequest) => call('Export.Start', req),
    onProgress: (cb: Callback<'export.progress'>) => on(topics.exportProgress, cb),
  },
};

export type Api = typeof api;
