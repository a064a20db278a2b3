import { describe, expect, it } from 'vitest';
import { applyToken, DEFAULT_SAMPLING, requestMessages, samplingErrors, StreamRouter, type Reply } from './chat';
import type { ChatToken } from './types';

const tok = (stream_id: string, text: string, done = false): ChatToken => ({ stream_id, text, done });

describe('stream router', () => {
  it('buffers tokens that arrive before the stream id is known', () => {
    const r = new StreamRouter();
    r.push(tok('s1', 'Hel'));
    r.push(tok('s2', 'other'));
    let reply: Reply = { text: '', done: false };
    r.claim('s1', (t) => (reply = applyToken(reply, t)));
    expect(reply.text).toBe('Hel');
    r.push(tok('s1', 'lo', true));
    expect(reply).toMatchObject({ text: 'Hello', done: true });
    // After done the stream is released; a stray token does not reach it.
    r.push(tok('s1', '!!'));
    expect(reply.text).toBe('Hello');
  });

  it('keeps two side-by-side streams apart', () => {
    const r = new StreamRouter();
    const got: Record<string, string> = { a: '', b: '' };
    r.claim('a', (t) => (got.a += t.text));
    r.claim('b', (t) => (got.b += t.text));
    r.push(tok('a', 'base '));
    r.push(tok('b', 'tuned '));
    r.push(tok('a', 'answer', true));
    expect(got).toEqual({ a: 'base answer', b: 'tuned ' });
  });

  it('carries errors and speed into the reply', () => {
    const r = applyToken({ text: 'x', done: false }, { stream_id: 's', text: '', done: true, error: 'adapter not found', tokens_per_s: 12 });
    expect(r).toEqual({ text: 'x', done: true, error: 'adapter not found', tokensPerS: 12 });
  });
});

describe('chat requests', () => {
  it('puts the system prompt first, once', () => {
    const h = [
      { role: 'system', content: 'old' },
      { role: 'user', content: 'hi' },
    ];
    expect(requestMessages(h, ' Be brief. ')).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hi' },
    ]);
    expect(requestMessages(h, '')).toEqual([{ role: 'user', content: 'hi' }]);
  });

  it('validates sampling settings', () => {
    expect(samplingErrors(DEFAULT_SAMPLING)).toEqual({});
    const e = samplingErrors({ temperature: -1, top_p: 1.5, top_k: 1.5, max_new_tokens: 40000 });
    expect(Object.keys(e).sort()).toEqual(['max_new_tokens', 'temperature', 'top_k', 'top_p']);
    expect(e.temperature).toBe('between 0 and 5 (0 is greedy)');
    // Go's limits: 0 means off (top_p) or the default length (max_new_tokens).
    expect(samplingErrors({ temperature: 0, top_p: 0, top_k: 0, max_new_tokens: 0 })).toEqual({});
  });
});
