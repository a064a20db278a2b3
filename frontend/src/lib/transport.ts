// The two ways the UI reaches the Go services, behind one interface:
// Wails bindings (window.go.service.<Service>.<Method>) inside the desktop
// window, and JSON over HTTP plus Server-Sent Events under `whetstone serve`.
// Nothing outside src/lib/api.ts and this file knows which one is in use.

export type Unsubscribe = () => void;

export interface Transport {
  readonly kind: 'wails' | 'http';
  call<T>(service: string, method: string, args: unknown[]): Promise<T>;
  on(topic: string, cb: (payload: unknown) => void): Unsubscribe;
}

/** Thrown when `whetstone serve` refuses a request for a missing or wrong token. */
export class UnauthorizedError extends Error {
  constructor(message = 'access token required') {
    super(message);
    this.name = 'UnauthorizedError';
  }
}

type WailsMethod = (...args: unknown[]) => Promise<unknown>;

export interface WailsWindow {
  go?: { service?: Record<string, Record<string, WailsMethod>> };
  runtime?: { EventsOn?: (topic: string, cb: (...data: unknown[]) => void) => Unsubscribe };
}

export function wailsTransport(win: WailsWindow): Transport {
  return {
    kind: 'wails',
    async call<T>(service: string, method: string, args: unknown[]): Promise<T> {
      const fn = win.go?.service?.[service]?.[method];
      if (typeof fn !== 'function') {
        throw new Error(`${service}.${method} is not available in this build`);
      }
      try {
        return (await fn(...args)) as T;
      } catch (e) {
        // Wails rejects with the Go error's text as a plain string.
        throw e instanceof Error ? e : new Error(String(e));
      }
    },
    on(topic, cb) {
      const eventsOn = win.runtime?.EventsOn;
      if (!eventsOn) return () => {};
      return eventsOn(topic, (payload) => cb(payload));
    },
  };
}

/**
 * The URL that logs this browser in: the page's own URL with `?token=`. The
 * server answers it with an HttpOnly session cookie and a redirect to the
 * same URL without the token, so the token never stays in the address bar,
 * the history or this page's script: API calls and the event stream ride on
 * the cookie, same-origin.
 */
export function loginURL(href: string, token: string): string {
  const url = new URL(href);
  url.search = '';
  url.searchParams.set('token', token);
  return url.toString();
}

/** Where earlier versions kept the token; it is removed on sight. */
const LEGACY_TOKEN_KEY = 'whetstone.token';

type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;
type EventSourceCtor = new (url: string) => EventSource;

export interface HttpOptions {
  base?: string;
  fetch?: FetchFn;
  EventSource?: EventSourceCtor;
  /** Called once when the server answers 401. */
  onUnauthorized?: () => void;
}

export function httpTransport(opts: HttpOptions = {}): Transport {
  const base = opts.base ?? '';
  const doFetch: FetchFn = opts.fetch ?? ((i, init) => globalThis.fetch(i, init));
  const ES: EventSourceCtor | undefined = opts.EventSource ?? globalThis.EventSource;
  let source: EventSource | null = null;
  // topic -> callbacks; each topic gets one listener on the shared stream.
  const subs = new Map<string, Set<(p: unknown) => void>>();
  const listeners = new Map<string, (ev: MessageEvent) => void>();

  function ensureSource(): EventSource | null {
    if (source || !ES) return source;
    // Same-origin, so the browser sends the session cookie; no token in the URL.
    source = new ES(`${base}/api/events`);
    return source;
  }

  return {
    kind: 'http',
    async call<T>(service: string, method: string, args: unknown[]): Promise<T> {
      let res: Response;
      try {
        res = await doFetch(`${base}/api/call/${encodeURIComponent(service)}/${encodeURIComponent(method)}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          // The session cookie, and only to this server.
          credentials: 'same-origin',
          body: JSON.stringify(args),
        });
      } catch (e) {
        throw new Error(`cannot reach the Whetstone server: ${e instanceof Error ? e.message : String(e)}`);
      }
      const text = await res.text();
      let body: unknown = null;
      if (text) {
        try {
          body = JSON.parse(text);
        } catch {
          body = null;
        }
      }
      if (res.status === 401) {
        opts.onUnauthorized?.();
        const msg = (body as { error?: string } | null)?.error;
        throw new UnauthorizedError(msg || 'access token required');
      }
      if (!res.ok) {
        const msg = (body as { error?: string } | null)?.error;
        throw new Error(msg || `${service}.${method} failed: HTTP ${res.status}`);
      }
      return body as T;
    },
    on(topic, cb) {
      const es = ensureSource();
      if (!es) return () => {};
      let set = subs.get(topic);
      if (!set) {
        set = new Set();
        subs.set(topic, set);
        const l = (ev: MessageEvent) => {
          let payload: unknown;
          try {
            payload = JSON.parse(ev.data);
          } catch {
            return;
          }
          for (const f of [...(subs.get(topic) ?? [])]) f(payload);
        };
        listeners.set(topic, l);
        es.addEventListener(topic, l as EventListener);
      }
      set.add(cb);
      return () => {
        const s = subs.get(topic);
        if (!s) return;
        s.delete(cb);
        if (s.size === 0) {
          subs.delete(topic);
          const l = listeners.get(topic);
          if (l) es.removeEventListener(topic, l as EventListener);
          listeners.delete(topic);
        }
        if (subs.size === 0 && source) {
          source.close();
          source = null;
        }
      };
    },
  };
}

/** Picks the Wails bindings when the page runs in the desktop window. */
export function detectTransport(win: Window & WailsWindow, opts: HttpOptions = {}): Transport {
  if (win.go?.service) return wailsTransport(win);
  try {
    win.sessionStorage?.removeItem(LEGACY_TOKEN_KEY);
  } catch {
    // Storage may be disabled; there is then nothing to remove.
  }
  return httpTransport(opts);
}
