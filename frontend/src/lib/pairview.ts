// A preference pair as the Datasets preview shows it: the prompt once, then
// the chosen and the rejected answers side by side, each with its trained
// tokens. Go sends the pair as two rendered sides (dataset.PreviewRow: the
// chosen side in the row itself, the rejected one in rejected_side), each
// the prompt followed by one answer; the prompt is the part both sides share.

import { segments, tokenCounts, type Segment } from './segments';
import type { PreviewRow, PreviewSide, PreviewToken } from './generated/contract';

/** Whether a preview row is a preference pair (also one the template refused, which has answers but no sides). */
export function isPair(row: Pick<PreviewRow, 'rejected_side' | 'chosen' | 'rejected'>): boolean {
  return !!row.rejected_side || !!row.rejected?.length || !!row.chosen?.length;
}

/** One answer of a pair, from where the shared prompt ends. */
export interface AnswerView {
  segments: Segment[];
  /** The side's tokens as the model is fed them (prompt included), those trained, those cut by the maximum length. */
  total: number;
  trained: number;
  cut: number;
  truncated: boolean;
}

export interface PairView {
  /** The prompt's segments (the chosen side's, which the rejected one repeats). */
  prompt: Segment[];
  chosen: AnswerView;
  rejected: AnswerView;
}

type Side = Pick<PreviewSide, 'text' | 'tokens' | 'spans' | 'truncated'>;

const enc = new TextEncoder();

const sameToken = (a: PreviewToken, b: PreviewToken) => a.id === b.id && a.start === b.start && a.end === b.end;

/**
 * Where the prompt ends, in bytes of either side's text: after the tokens
 * both sides share, stopping at the first trained one, since two answers may
 * open with the same words and those are answer, not prompt. Where every
 * token is trained (the preview's "all tokens"), the shared tokens are the
 * prompt. Without tokens, the texts' shared bytes up to the first trained
 * span.
 */
export function promptEnd(chosen: Side, rejected: Side): number {
  const a = chosen.tokens ?? [];
  const b = rejected.tokens ?? [];
  if (a.length && b.length) {
    let shared = 0;
    while (shared < a.length && shared < b.length && sameToken(a[shared], b[shared])) shared++;
    let k = 0;
    while (k < shared && !a[k].trainable && !b[k].trainable) k++;
    if (k === 0) k = shared;
    return k === 0 ? 0 : a[k - 1].end;
  }
  const x = enc.encode(chosen.text ?? '');
  const y = enc.encode(rejected.text ?? '');
  let n = 0;
  while (n < x.length && n < y.length && x[n] === y[n]) n++;
  for (const spans of [chosen.spans, rejected.spans]) for (const [s] of spans ?? []) n = Math.min(n, s);
  // Never inside a character: back off over UTF-8 continuation bytes.
  while (n > 0 && n < x.length && (x[n] & 0xc0) === 0x80) n--;
  return n;
}

function answer(side: Side, from: number): AnswerView {
  return { segments: segments(side, { from }), ...tokenCounts(side), truncated: !!side.truncated };
}

/**
 * The pair's prompt and both answers, for the rendered view; null for a
 * row that is not a pair or whose sides were not rendered (no model, or
 * the template refused it: row.error says why).
 */
export function pairView(row: PreviewRow): PairView | null {
  const rej = row.rejected_side;
  if (!rej || row.error) return null;
  const end = promptEnd(row, rej);
  return {
    prompt: segments(row, { to: end }),
    chosen: answer(row, end),
    rejected: answer(rej, end),
  };
}
