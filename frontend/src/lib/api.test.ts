import { afterEach, describe, expect, it } from 'vitest';
import { api, setTransport, topics } from './api';
import type { Transport } from './transport';

function recordingTransport() {
  const calls: { service: string; method: string; args: unknown[] }[] = [];
  const subs: Record<string, (p: unknown) => void> = {};
  const t: Transport = {
    kind: 'http',
    async call<T>(service: string, method: string, args: unknown[]) {
      calls.push({ service, method, args });
      return { ok: true } as T;
    },
    on(topic, cb) {
      subs[topic] = cb;
      return () => delete subs[topic];
    },
  };
  return { t, calls, subs };
}

afterEach(() => setTransport(null));

describe('typed api', () => {
  it('maps each typed function to its Service.Method with positional args', async () => {
    const { t, calls } = recordingTransport();
    setTransport(t);
    const cfg = { model: { source: 'm' } } as never;
    await api.system.info();
    await api.models.inspect('google/gemma-3-270m-it');
    await api.models.estimateMemory('m', cfg);
    await api.datasets.preview({ path: 'd.jsonl', model: 'm', page: 2, page_size: 5, max_len: 512, train_on: 'responses' });
    await api.runs.start(cfg);
    await api.runs.cancel('r1');
    await api.chat.generate({ model: 'm', messages: [], temperature: 1, top_p: 0.95, top_k: 64, max_new_tokens: 64 });
    await api.export.start({ run_id: 'r1', format: 'gguf', quant: 'q8_0' });
    expect(calls.map((c) => `${c.service}.${c.method}`)).toEqual([
      'System.Info',
      'Models.Inspect',
      'Models.EstimateMemory',
      'Datasets.Preview',
      'Runs.Start',
      'Runs.Cancel',
      'Chat.Generate',
      'Export.Start',
    ]);
    expect(calls[1].args).toEqual(['google/gemma-3-270m-it']);
    expect(calls[2].args).toEqual(['m', cfg]);
    expect(calls[5].args).toEqual(['r1']);
  });

  it('subscribes to the documented topics', () => {
    const { t, subs } = recordingTransport();
    setTransport(t);
    const got: unknown[] = [];
    const off = api.runs.onMetrics((m) => got.push(m.metrics.step));
    api.chat.onToken(() => {});
    api.export.onProgress(() => {});
    api.models.onProgress(() => {});
    expect(Object.keys(subs).sort()).toEqual(
      [topics.runMetrics, topics.chatToken, topics.exportProgress, topics.hubProgress].sort(),
    );
    subs['run.metrics']({ id: 'r', metrics: { step: 7 } });
    expect(got).toEqual([7]);
    off();
    expect(subs['run.metrics']).toBeUndefined();
  });
});
