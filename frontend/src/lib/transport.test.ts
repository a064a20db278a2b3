// @vitest-environment jsdom
import { describe, expect, it, vi } from 'vitest';
import {
  detectTransport,
  httpTransport,
  loginURL,
  UnauthorizedError,
  wailsTransport,
  type WailsWindow,
} from './transport';

function jsonResponse(status: number, body: unknown): Response {
  return new Response(body === undefined ? '' : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });
}

/** A controllable stand-in for the browser's EventSource. */
class FakeEventSource {
  static instances: FakeEventSource[] = [];
  url: string;
  closed = false;
  listeners = new Map<string, Set<(ev: MessageEvent) => void>>();
  constructor(url: string) {
    this.url = url;
    FakeEventSource.instances.push(this);
  }
  addEventListener(topic: string, l: (ev: MessageEvent) => void) {
    if (!this.listeners.has(topic)) this.listeners.set(topic, new Set());
    this.listeners.get(topic)!.add(l);
  }
  removeEventListener(topic: string, l: (ev: MessageEvent) => void) {
    this.listeners.get(topic)?.delete(l);
  }
  close() {
    this.closed = true;
  }
  emit(topic: string, data: string) {
    for (const l of this.listeners.get(topic) ?? []) l(new MessageEvent(topic, { data }));
  }
}

describe('http transport', () => {
  it('POSTs the positional arguments as a JSON array, authenticated by the same-origin cookie', async () => {
    const fetch = vi.fn(async (_url: string, _init?: RequestInit) => jsonResponse(200, { ref: 'x', params: 3 }));
    const t = httpTransport({ fetch });
    const out = await t.call<{ ref: string }>('Models', 'EstimateMemory', ['google/gemma', { a: 1 }]);
    expect(out).toEqual({ ref: 'x', params: 3 });
    const [url, init] = fetch.mock.calls[0];
    expect(url).toBe('/api/call/Models/EstimateMemory');
    expect(init?.method).toBe('POST');
    expect(init?.credentials).toBe('same-origin');
    expect(JSON.parse(init?.body as string)).toEqual(['google/gemma', { a: 1 }]);
    const headers = init?.headers as Record<string, string>;
    expect(headers['Content-Type']).toBe('application/json');
    // The page never holds the token: no header carries it, no URL either.
    expect(headers.Authorization).toBeUndefined();
    expect(url).not.toContain('token');
  });

  it('accepts an empty body', async () => {
    const fetch = vi.fn(async () => new Response('', { status: 200 }));
    const t = httpTransport({ fetch });
    await expect(t.call('Runs', 'Cancel', ['r1'])).resolves.toBeNull();
  });

  it("throws the server's error message on a non-2xx answer", async () => {
    const fetch = vi.fn(async () => jsonResponse(422, { error: 'read data.jsonl: line 3: invalid JSON' }));
    const t = httpTransport({ fetch });
    await expect(t.call('Datasets', 'Inspect', [{}])).rejects.toThrow('read data.jsonl: line 3: invalid JSON');
  });

  it('names the method and status when the error body is not JSON', async () => {
    const fetch = vi.fn(async () => new Response('gateway down', { status: 502 }));
    const t = httpTransport({ fetch });
    await expect(t.call('System', 'Info', [])).rejects.toThrow('System.Info failed: HTTP 502');
  });

  it('turns a 401 into UnauthorizedError and notifies once per call', async () => {
    const onUnauthorized = vi.fn();
    const fetch = vi.fn(async () => jsonResponse(401, { error: 'access token required: open the URL' }));
    const t = httpTransport({ fetch, onUnauthorized });
    const err = (await t.call('System', 'Info', []).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(UnauthorizedError);
    expect(err.message).toContain('access token required');
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it('reports an unreachable server clearly', async () => {
    const fetch = vi.fn(async () => {
      throw new TypeError('Failed to fetch');
    });
    const t = httpTransport({ fetch });
    await expect(t.call('System', 'Info', [])).rejects.toThrow(/cannot reach the Whetstone server: Failed to fetch/);
  });

  it('shares one EventSource, with no token in its URL, and routes topics to their subscribers', () => {
    FakeEventSource.instances = [];
    const t = httpTransport({ EventSource: FakeEventSource as unknown as typeof EventSource });
    const metrics: unknown[] = [];
    const state: unknown[] = [];
    const offMetrics = t.on('run.metrics', (p) => metrics.push(p));
    const offState = t.on('run.state', (p) => state.push(p));
    expect(FakeEventSource.instances).toHaveLength(1);
    const es = FakeEventSource.instances[0];
    expect(es.url).toBe('/api/events');
    es.emit('run.metrics', JSON.stringify({ run_id: 'r', step: 1, loss: 2.5 }));
    es.emit('run.state', JSON.stringify({ run_id: 'r', state: 'running' }));
    es.emit('run.metrics', 'not json'); // ignored, not thrown
    expect(metrics).toEqual([{ run_id: 'r', step: 1, loss: 2.5 }]);
    expect(state).toEqual([{ run_id: 'r', state: 'running' }]);
    offMetrics();
    es.emit('run.metrics', JSON.stringify({ step: 2 }));
    expect(metrics).toHaveLength(1);
    expect(es.closed).toBe(false);
    offState();
    expect(es.closed).toBe(true);
  });

  it('delivers one event to every subscriber of a topic', () => {
    FakeEventSource.instances = [];
    const t = httpTransport({ EventSource: FakeEventSource as unknown as typeof EventSource });
    const a: unknown[] = [];
    const b: unknown[] = [];
    t.on('chat.token', (p) => a.push(p));
    t.on('chat.token', (p) => b.push(p));
    FakeEventSource.instances[0].emit('chat.token', '{"stream_id":"s","text":"hi","done":false}');
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(1);
    expect(FakeEventSource.instances[0].url).toBe('/api/events');
  });
});

describe('wails transport', () => {
  it('calls window.go.service.<Service>.<Method> with the arguments', async () => {
    const inspect = vi.fn(async (ref: unknown) => ({ ref, params: 270e6 }));
    const win: WailsWindow = { go: { service: { Models: { Inspect: inspect } } } };
    const t = wailsTransport(win);
    await expect(t.call('Models', 'Inspect', ['google/gemma-3-270m-it'])).resolves.toEqual({
      ref: 'google/gemma-3-270m-it',
      params: 270e6,
    });
    expect(inspect).toHaveBeenCalledWith('google/gemma-3-270m-it');
  });

  it('wraps string rejections from Go into Errors', async () => {
    const win: WailsWindow = {
      go: { service: { Runs: { Start: async () => Promise.reject('invalid run config: lora.r: must be between 1 and 1024') } } },
    };
    const err = (await wailsTransport(win).call('Runs', 'Start', [{}]).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toBe('invalid run config: lora.r: must be between 1 and 1024');
  });

  it('names a method missing from the bindings', async () => {
    const t = wailsTransport({ go: { service: {} } });
    await expect(t.call('Export', 'Start', [])).rejects.toThrow('Export.Start is not available in this build');
  });

  it('subscribes through runtime.EventsOn and returns its unsubscribe', () => {
    const off = vi.fn();
    const handlers: Record<string, (p: unknown) => void> = {};
    const win: WailsWindow = {
      go: { service: {} },
      runtime: {
        EventsOn: (topic, cb) => {
          handlers[topic] = cb;
          return off;
        },
      },
    };
    const got: unknown[] = [];
    const unsub = wailsTransport(win).on('run.log', (p) => got.push(p));
    handlers['run.log']({ run_id: 'r', line: 'step 1' });
    expect(got).toEqual([{ run_id: 'r', line: 'step 1' }]);
    unsub();
    expect(off).toHaveBeenCalled();
  });
});

describe('login and detection', () => {
  it('logs in at the page URL with ?token=, keeping the path and the screen', () => {
    expect(loginURL('http://10.0.0.5:8080/#/runs', 'XYZ')).toBe('http://10.0.0.5:8080/?token=XYZ#/runs');
    expect(loginURL('http://127.0.0.1:8080/ui/?token=old&x=1', 'a b&c')).toBe('http://127.0.0.1:8080/ui/?token=a+b%26c');
  });

  it('keeps no token in sessionStorage, and removes the one earlier versions kept', () => {
    window.sessionStorage.setItem('whetstone.token', 'left-over');
    expect(detectTransport(window as Window & WailsWindow).kind).toBe('http');
    expect(window.sessionStorage.getItem('whetstone.token')).toBeNull();
    expect(window.sessionStorage.length).toBe(0);
  });

  it('prefers Wails bindings when present, HTTP otherwise', () => {
    const wailsWin = { go: { service: {} } } as unknown as Window & WailsWindow;
    expect(detectTransport(wailsWin).kind).toBe('wails');
    expect(detectTransport(window as Window & WailsWindow).kind).toBe('http');
  });
});
