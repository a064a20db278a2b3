import { describe, expect, it } from 'vitest';
import {
  applyToken,
  DEFAULT_SAMPLING,
  DEFAULT_WEIGHTS,
  describeDefaults,
  parseStop,
  replyStats,
  withModelDefaults,
  regenerateHistory,
  requestMessages,
  samplingErrors,
  sendBlocker,
  showStop,
  StreamRouter,
  WEIGHTS_CHOICES,
  weightsHint,
  type Reply,
} from './chat';
import { ChatSamplingLimits } from './generated/contract';
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

  it('says which weights answered, and how fast', () => {
    let r: Reply = { text: '', done: false };
    expect(replyStats(r)).toBe('');
    r = applyToken(r, tok('s', 'Hi'));
    expect(replyStats(r)).toBe('');
    r = applyToken(r, { stream_id: 's', text: '', done: true, tokens_per_s: 39.64, weights: 'int8' });
    expect(r.weights).toBe('int8');
    expect(replyStats(r)).toBe('int8 · 39.6 tok/s');
    // A model that did not load has no weights to report.
    expect(replyStats({ text: '', done: true, error: 'no model', tokensPerS: 0 })).toBe('');
  });
});

describe('weights', () => {
  it('offers Go\'s choices, auto first, each with a hint', () => {
    expect(WEIGHTS_CHOICES).toEqual(['auto', 'float32', 'bfloat16', 'int8']);
    expect(DEFAULT_WEIGHTS).toBe('auto');
    for (const w of WEIGHTS_CHOICES) expect(weightsHint(w), w).not.toBe('');
    // Auto's threshold is Go's chat.AutoInt8MinParams, through the contract.
    expect(weightsHint('auto')).toBe('int8 for models of 100M+ parameters, float32 below');
    expect(weightsHint('auto', 'int8')).toMatch(/^int8 for this model/);
    expect(weightsHint('int8', 'float32')).not.toMatch(/this model/);
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
    const e = samplingErrors({ ...DEFAULT_SAMPLING, temperature: -1, top_p: 1.5, top_k: 1.5, max_new_tokens: 40000, repetition_penalty: 3 });
    expect(Object.keys(e).sort()).toEqual(['max_new_tokens', 'repetition_penalty', 'temperature', 'top_k', 'top_p']);
    expect(e.temperature).toBe('between 0 and 5 (0 is greedy)');
    // Go's limits: 0 means off (top_p) or the default length (max_new_tokens).
    expect(samplingErrors({ temperature: 0, top_p: 0, top_k: 0, max_new_tokens: 0, repetition_penalty: 0, stop: [] })).toEqual({});
  });
});

describe('stop strings', () => {
  it('are bounded by Go\'s limits', () => {
    const lim = ChatSamplingLimits.stop;
    const many = Array.from({ length: lim.max + 1 }, (_, i) => `s${i}`);
    expect(samplingErrors({ ...DEFAULT_SAMPLING, stop: many.slice(0, lim.max) })).toEqual({});
    expect(samplingErrors({ ...DEFAULT_SAMPLING, stop: many }).stop).toBe(`at most ${lim.max} stop strings`);
    expect(samplingErrors({ ...DEFAULT_SAMPLING, stop: ['x'.repeat((lim.max_chars ?? 0) + 1)] }).stop).toMatch(/at most \d+ characters/);
    expect(samplingErrors({ ...DEFAULT_SAMPLING, stop: [''] }).stop).toBe('a stop string cannot be empty');
  });

  it('are typed with \\n for a new line', () => {
    expect(parseStop('\\n\\nUser:')).toBe('\n\nUser:');
    expect(parseStop('a\\tb\\\\n')).toBe('a\tb\\n');
    for (const s of ['\n', 'a\\nb', '\t<end>', 'plain']) expect(parseStop(showStop(s))).toBe(s);
  });
});

describe('regenerate', () => {
  it('answers the last user turn again', () => {
    const h = [
      { role: 'user', content: 'a' },
      { role: 'assistant', content: 'A' },
      { role: 'user', content: 'b' },
      { role: 'assistant', content: 'B' },
    ];
    expect(regenerateHistory(h)).toEqual(h.slice(0, 3));
    // An answer that failed left no assistant turn: the user turn is asked again.
    expect(regenerateHistory(h.slice(0, 3))).toEqual(h.slice(0, 3));
    expect(regenerateHistory([])).toBeNull();
  });
});

describe('send', () => {
  const ready = { prompt: 'hi', model: 'm', run: '', busy: false, errors: {} };
  it('says why it is disabled', () => {
    expect(sendBlocker(ready)).toBe('');
    expect(sendBlocker({ ...ready, model: ' ' })).toBe('Choose a model (or a run) first.');
    expect(sendBlocker({ ...ready, model: '', run: 'r1' })).toBe('');
    expect(sendBlocker({ ...ready, prompt: '  ' })).toBe('Type a message.');
    expect(sendBlocker({ ...ready, busy: true })).toMatch(/being generated/);
    expect(sendBlocker({ ...ready, errors: { top_p: 'x', repetition_penalty: 'y' } })).toBe('Fix the sampling settings: top p, repetition penalty.');
  });
});

describe('model defaults', () => {
  const greedy = { found: true, temperature: 0, top_p: 0, top_k: 0, min_p: 0, repetition_penalty: 0 };
  it('replace the sampling, not the length or stop strings', () => {
    const mine = { ...DEFAULT_SAMPLING, max_new_tokens: 64, stop: ['###'] };
    expect(withModelDefaults(mine, greedy)).toEqual({ temperature: 0, top_p: 0, top_k: 0, repetition_penalty: 0, max_new_tokens: 64, stop: ['###'] });
    expect(withModelDefaults(mine, { ...greedy, found: false })).toBe(mine);
  });
  it('are said in words', () => {
    expect(describeDefaults(greedy)).toBe('greedy');
    expect(describeDefaults({ ...greedy, temperature: 0.6, top_p: 0.9, top_k: 20, repetition_penalty: 1.05 })).toBe(
      'temperature 0.6, top-p 0.9, top-k 20, repetition penalty 1.05',
    );
    expect(describeDefaults({ ...greedy, found: false })).toBe('');
  });
});
