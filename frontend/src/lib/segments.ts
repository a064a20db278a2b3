// Highlighting trained tokens in a preview row. The Go side reports token
// positions as byte offsets into the UTF-8 text; JavaScript strings are
// UTF-16, so the text is cut on its bytes and each run decoded separately.

import type { PreviewRow } from './types';

export type SegmentKind = 'trained' | 'masked' | 'cut';

export interface Segment {
  text: string;
  kind: SegmentKind;
  /** Number of tokens in the segment (0 when built from spans). */
  tokens: number;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

function kindOf(t: { trainable: boolean; cut?: boolean }): SegmentKind {
  if (t.cut) return 'cut';
  return t.trainable ? 'trained' : 'masked';
}

/**
 * Splits a row's text into runs of trained, masked and cut-off tokens;
 * given a byte range, only that part of it (a preference pair's prompt, or
 * one answer: lib/pairview.ts), which should start and end on token
 * boundaries.
 */
export function segments(row: Pick<PreviewRow, 'text' | 'tokens' | 'spans'>, range: { from?: number; to?: number } = {}): Segment[] {
  const all = enc.encode(row.text ?? '');
  const from = Math.min(Math.max(0, range.from ?? 0), all.length);
  const to = Math.min(Math.max(from, range.to ?? all.length), all.length);
  const bytes = all.subarray(0, to);
  const out: Segment[] = [];
  const push = (a: number, b: number, kind: SegmentKind, tokens: number) => {
    if (b <= a) return;
    const text = dec.decode(bytes.subarray(a, b));
    const last = out[out.length - 1];
    if (last && last.kind === kind) {
      last.text += text;
      last.tokens += tokens;
    } else out.push({ text, kind, tokens });
  };
  const tokens = row.tokens?.filter((t) => t.start >= from && t.start < to);
  if (tokens && tokens.length > 0) {
    let pos = from;
    let runStart = from;
    let runKind: SegmentKind | null = null;
    let runTokens = 0;
    for (const t of tokens) {
      const start = Math.max(pos, Math.min(t.start, bytes.length));
      const end = Math.max(start, Math.min(t.end, bytes.length));
      const k = kindOf(t);
      if (start > pos) {
        // Bytes no token covers (e.g. a template's stripped whitespace).
        if (runKind) push(runStart, pos, runKind, runTokens);
        push(pos, start, 'masked', 0);
        runKind = null;
        runStart = start;
        runTokens = 0;
      }
      if (runKind !== k) {
        if (runKind) push(runStart, start, runKind, runTokens);
        runKind = k;
        runStart = start;
        runTokens = 0;
      }
      runTokens++;
      pos = end;
    }
    if (runKind) push(runStart, pos, runKind, runTokens);
    push(pos, bytes.length, 'masked', 0);
    return out;
  }
  if (!row.tokens?.length && row.spans && row.spans.length > 0) {
    let pos = from;
    for (const [a, b] of [...row.spans].sort((x, y) => x[0] - y[0])) {
      if (b <= from) continue;
      const s = Math.max(pos, Math.min(a, bytes.length));
      const e = Math.max(s, Math.min(b, bytes.length));
      push(pos, s, 'masked', 0);
      push(s, e, 'trained', 0);
      pos = e;
    }
    push(pos, bytes.length, 'masked', 0);
    return out;
  }
  push(from, bytes.length, 'masked', 0);
  return out;
}

/** Tokens trained, in total, and cut off by truncation. */
export function tokenCounts(row: Pick<PreviewRow, 'tokens'>): { total: number; trained: number; cut: number } {
  const toks = row.tokens ?? [];
  return {
    total: toks.length,
    trained: toks.filter((t) => t.trainable && !t.cut).length,
    cut: toks.filter((t) => t.cut).length,
  };
}
