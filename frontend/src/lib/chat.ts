// Streaming chat bookkeeping. A reply's tokens arrive as "chat.token" events
// keyed by stream id, and can arrive before Chat.Generate has returned that
// id to us; the router buffers them until the stream is claimed.

import { ChatSamplingLimits, type ChatRequest as GoChatRequest } from './generated/contract';
import type { ChatToken, Message } from './types';

export interface Reply {
  text: string;
  done: boolean;
  error?: string;
  tokensPerS?: number;
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
  };
}

/** The request messages: the conversation so far, system prompt first. */
export function requestMessages(history: Message[], system: string): Message[] {
  const msgs = history.filter((m) => m.role !== 'system');
  return system.trim() ? [{ role: 'system', content: system.trim() }, ...msgs] : msgs;
}

/** The sampling settings the Chat screen edits: fields of Go's ChatRequest. */
export type Sampling = Pick<GoChatRequest, 'temperature' | 'top_p' | 'top_k' | 'max_new_tokens'>;

/** Gemma 3's recommended sampling settings. */
export const DEFAULT_SAMPLING: Sampling = { temperature: 1.0, top_p: 0.95, top_k: 64, max_new_tokens: 256 };

/** Problems with sampling values, by field, against Go's limits (service.SamplingLimits). */
export function samplingErrors(s: Sampling): Partial<Record<keyof Sampling, string>> {
  const e: Partial<Record<keyof Sampling, string>> = {};
  for (const key of Object.keys(s) as (keyof Sampling)[]) {
    const lim = ChatSamplingLimits[key];
    const v = s[key];
    if (!lim) continue;
    if (!(v >= lim.min && v <= lim.max) || (lim.integer && !Number.isInteger(v))) {
      e[key] = `${lim.integer ? 'a whole number ' : ''}between ${lim.min} and ${lim.max} (0 is ${lim.zero})`;
    }
  }
  return e;
}
