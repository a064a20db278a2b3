import type { Transport } from '../lib/transport';

type Handler = (...args: unknown[]) => unknown;

/**
 * An in-memory Transport: methods answer from a table of handlers (by
 * "Service.Method"), events are pushed with emit(). Unknown methods reject
 * the way the Go server does.
 */
export function fakeTransport(handlers: Record<string, Handler>) {
  const calls: { name: string; args: unknown[] }[] = [];
  const subs = new Map<string, Set<(p: unknown) => void>>();
  const t: Transport = {
    kind: 'http',
    async call<T>(service: string, method: string, args: unknown[]): Promise<T> {
      const name = `${service}.${method}`;
      calls.push({ name, args });
      const h = handlers[name];
      if (!h) throw new Error(`unknown method ${name}`);
      return (await h(...args)) as T;
    },
    on(topic, cb) {
      if (!subs.has(topic)) subs.set(topic, new Set());
      subs.get(topic)!.add(cb);
      return () => subs.get(topic)?.delete(cb);
    },
  };
  return {
    t,
    calls,
    emit(topic: string, payload: unknown) {
      for (const cb of subs.get(topic) ?? []) cb(payload);
    },
    subscribers: (topic: string) => subs.get(topic)?.size ?? 0,
  };
}
