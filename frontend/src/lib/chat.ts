// Streaming chat bookkeeping. A reply's tokens arrive as "chat.token" events
// keyed by stream id, and can arrive before Chat.Generate has returned that
// id to us; the router buffers them until the stream is claimed.

import { ChatAutoInt8MinParams, ChatSamplingLimits, ChatWeights, type ChatRequest as GoChatRequest, type SamplingDefaults, type Weights } from './generated/contract';
import { formatParams } from './format';
import type { ChatToken, Message } from './types';

export interface Reply {
  text: string;
  done: boolean;
  error?: string;
  tokensPerS?: number;
  /** How the base weights were kept (auto resolved), from the last event. */
  weights?: Weights;
}

export class StreamRouter {
  private claimed = new Map<string, (t: ChatToken) => void>();
  private early = new Map<string, ChatToken[]>();

  /** Feeds one event; unclaimed streams are buffered (bounded). */
  push(t: ChatToken): void {
    const h = this.claimed.get(t.stream_id);
    if (h) {
      h(t);
      if (t.done) this.claimed.delete(t.stream_id);
      return;
    }
    const buf = this.early.get(t.stream_id) ?? [];
    if (buf.length < 10000) buf.push(t);
    this.early.set(t.stream_id, buf);
    if (this.early.size > 64) this.early.delete(this.early.keys().next().value as string);
  }

  /** Routes a stream's tokens (buffered ones first) to handler. */
  claim(streamId: string, handler: (t: ChatToken) => void): void {
    const buf = this.early.get(streamId) ?? [];
    this.early.delete(streamId);
    let finished = false;
    for (const t of buf) {
      handler(t);
      if (t.done) finished = true;
    }
    if (!finished) this.claimed.set(streamId, handler);
  }

  release(streamId: string): void {
    this.claimed.delete(streamId);
  }
}

/** Applies a token event to a reply. */
export function applyToken(r: Reply, t: ChatToken): Reply {
  return {
    text: r.text + (t.text ?? ''),
    done: r.done || t.done,
    error: t.error || r.error,
    tokensPerS: t.tokens_per_s ?? r.tokensPerS,
    weights: t.weights || r.weights,
  };
}

/** The line under an answer: "int8 · 39.6 tok/s"; '' before there is anything to say. */
export function replyStats(r: Reply): string {
  const parts: string[] = [];
  if (r.weights) parts.push(r.weights);
  if (r.tokensPerS) parts.push(`${r.tokensPerS.toFixed(1)} tok/s`);
  return parts.join(' · ');
}

/** The weights choices, as Go lists them (chat.WeightsChoices): the default first. */
export const WEIGHTS_CHOICES: readonly Weights[] = ChatWeights;
export const DEFAULT_WEIGHTS: Weights = ChatWeights[0];

/**
 * One line on what a weights choice does. For auto, the model's own
 * resolution (Chat.Defaults' auto_weights) when known, else the rule, its
 * threshold from Go (chat.AutoInt8MinParams).
 */
export function weightsHint(w: Weights, autoForModel?: Weights | ''): string {
  switch (w) {
    case 'auto':
      return autoForModel
        ? `${autoForModel} for this model (int8 for models of ${formatParams(ChatAutoInt8MinParams)}+ parameters, float32 below)`
        : `int8 for models of ${formatParams(ChatAutoInt8MinParams)}+ parameters, float32 below`;
    case 'float32':
      return 'exact: answers as the model was trained, slowest';
    case 'bfloat16':
      return 'half the bytes per token: faster, values rounded';
    case 'int8':
      return 'a quarter of the bytes per token: fastest for large models, slightly less exact';
  }
  return '';
}

/** The request messages: the conversation so far, system prompt first. */
export function requestMessages(history: Message[], system: string): Message[] {
  const msgs = history.filter((m) => m.role !== 'system');
  return system.trim() ? [{ role: 'system', content: system.trim() }, ...msgs] : msgs;
}

/** The sampling settings the Chat screen edits: fields of Go's ChatRequest. */
export type Sampling = Pick<GoChatRequest, 'temperature' | 'top_p' | 'top_k' | 'max_new_tokens' | 'repetition_penalty'> & { stop: string[] };

type NumericSetting = Exclude<keyof Sampling, 'stop'>;

/** Gemma 3's recommended sampling settings (a repetition penalty of 1 is off). */
export const DEFAULT_SAMPLING: Sampling = { temperature: 1.0, top_p: 0.95, top_k: 64, max_new_tokens: 256, repetition_penalty: 1, stop: [] };

/** Problems with sampling values, by field, against Go's limits (service.SamplingLimits). */
export function samplingErrors(s: Sampling): Partial<Record<keyof Sampling, string>> {
  const e: Partial<Record<keyof Sampling, string>> = {};
  for (const key of Object.keys(s) as (keyof Sampling)[]) {
    if (key === 'stop') continue;
    const lim = ChatSamplingLimits[key];
    const v = s[key as NumericSetting];
    if (!lim || v === undefined) continue;
    if (!(v >= lim.min && v <= lim.max) || (lim.integer && !Number.isInteger(v))) {
      e[key] = `${lim.integer ? 'a whole number ' : ''}between ${lim.min} and ${lim.max} (0 is ${lim.zero})`;
    }
  }
  const stop = stopError(s.stop);
  if (stop) e.stop = stop;
  return e;
}

/** What is wrong with a list of stop strings, against Go's limits; '' when nothing. */
export function stopError(stop: string[]): string {
  const lim = ChatSamplingLimits.stop;
  if (!lim) return '';
  if (stop.length > lim.max) return `at most ${lim.max} stop strings`;
  for (const s of stop) {
    if (s === '') return 'a stop string cannot be empty';
    if (lim.max_chars && [...s].length > lim.max_chars) return `a stop string has at most ${lim.max_chars} characters`;
  }
  return '';
}

/**
 * A stop string as typed: \n and \t stand for a new line and a tab (a
 * stop at the end of a line is the common case, and a text field cannot hold
 * one), \\ for a backslash.
 */
export function parseStop(typed: string): string {
  return typed.replace(/\\(n|t|\\)/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : '\\'));
}

/** A stop string shown as it is typed (parseStop's inverse). */
export function showStop(stop: string): string {
  return stop.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}

/**
 * The conversation to answer again for Regenerate: up to and with its last
 * user turn (the answer after it is dropped); null when there is none.
 */
export function regenerateHistory(history: Message[]): Message[] | null {
  let i = history.length - 1;
  while (i >= 0 && history[i].role !== 'user') i--;
  return i < 0 ? null : history.slice(0, i + 1);
}

/** What the Send button waits for. */
export interface SendState {
  prompt: string;
  model: string;
  /** A run chosen for the adapter brings its own base model. */
  run: string;
  busy: boolean;
  errors: Partial<Record<keyof Sampling, string>>;
}

/** Why Send is disabled, in words for the screen; '' when it is not. */
export function sendBlocker(s: SendState): string {
  if (s.busy) return 'An answer is being generated: wait for it or press Stop.';
  if (!s.model.trim() && !s.run) return 'Choose a model (or a run) first.';
  const bad = Object.keys(s.errors);
  if (bad.length) return `Fix the sampling settings: ${bad.map((k) => k.replaceAll('_', ' ')).join(', ')}.`;
  if (!s.prompt.trim()) return 'Type a message.';
  return '';
}

/**
 * The settings with a model's recommended sampling (Go's Chat.Defaults,
 * from generation_config.json) in place; the answer length and stop
 * strings are the user's, not the model's.
 */
export function withModelDefaults(s: Sampling, d: SamplingDefaults): Sampling {
  if (!d.found) return s;
  return { ...s, temperature: d.temperature, top_p: d.top_p, top_k: d.top_k, repetition_penalty: d.repetition_penalty };
}

/** A model's recommended sampling in words: "greedy" or "temperature 0.6, top-p 0.9". */
export function describeDefaults(d: SamplingDefaults): string {
  if (!d.found) return '';
  if (d.temperature === 0) return 'greedy';
  const parts = [`temperature ${d.temperature}`];
  if (d.top_p) parts.push(`top-p ${d.top_p}`);
  if (d.top_k) parts.push(`top-k ${d.top_k}`);
  if (d.repetition_penalty && d.repetition_penalty !== 1) parts.push(`repetition penalty ${d.repetition_penalty}`);
  return parts.join(', ');
}
