import { describe, expect, it } from 'vitest';
import { isPair, pairView, promptEnd } from './pairview';
import type { PreviewRow, PreviewToken } from './types';

const enc = new TextEncoder();
const prompt = '<start_of_turn>user\nName a café<end_of_turn>\n<start_of_turn>model\n';

/** Tokens of text split at spaces and newlines, trained from byte trainFrom on, cut from token cutFrom. */
function tokens(text: string, trainFrom: number, cutFrom = Infinity): PreviewToken[] {
  const bytes = enc.encode(text);
  const out: PreviewToken[] = [];
  let i = 0;
  while (i < bytes.length) {
    let j = i + 1;
    while (j < bytes.length && bytes[j - 1] !== 0x20 && bytes[j - 1] !== 0x0a) j++;
    out.push({ id: bytes[i] * 1000 + (j - i), start: i, end: j, text: '', trainable: i >= trainFrom, ...(out.length >= cutFrom ? { cut: true } : {}) });
    i = j;
  }
  return out;
}

function side(answer: string, cutFrom = Infinity) {
  const text = prompt + answer;
  const toks = tokens(text, enc.encode(prompt).length, cutFrom);
  return { text, tokens: toks, trainable: toks.filter((t) => t.trainable && !t.cut).length };
}

function pair(chosen: string, rejected: string, cutFrom = Infinity): PreviewRow {
  return {
    row: 4,
    messages: [{ role: 'user', content: 'Name a café' }],
    chosen: [{ role: 'assistant', content: chosen }],
    rejected: [{ role: 'assistant', content: rejected }],
    ...side(chosen + '<end_of_turn>\n'),
    rejected_side: side(rejected + '<end_of_turn>\n', cutFrom),
  };
}

const join = (segs: { text: string }[]) => segs.map((s) => s.text).join('');

describe('preference pair preview', () => {
  it('shows the shared prompt once, masked, and each answer with its trained tokens', () => {
    const v = pairView(pair('Café de Flore.', 'No.'))!;
    expect(join(v.prompt)).toBe(prompt);
    expect(v.prompt.map((s) => s.kind)).toEqual(['masked']);
    expect(join(v.chosen.segments)).toBe('Café de Flore.<end_of_turn>\n');
    expect(v.chosen.segments.map((s) => s.kind)).toEqual(['trained']);
    expect(join(v.rejected.segments)).toBe('No.<end_of_turn>\n');
    expect(v.rejected.trained).toBe(1);
    expect(v.chosen.trained).toBe(3);
    expect(v.chosen.total).toBeGreaterThan(v.chosen.trained);
  });

  it('keeps words both answers open with in the answers, not the prompt', () => {
    const v = pairView(pair('The best is Café de Flore.', 'The best is none.'))!;
    expect(join(v.prompt)).toBe(prompt);
    expect(join(v.chosen.segments)).toBe('The best is Café de Flore.<end_of_turn>\n');
    expect(join(v.rejected.segments)).toBe('The best is none.<end_of_turn>\n');
  });

  it('shows where a side is cut by the maximum length', () => {
    const row = pair('Yes.', 'A long rejected answer that goes on', 8);
    row.rejected_side!.truncated = true;
    const v = pairView(row)!;
    expect(v.rejected.truncated).toBe(true);
    expect(v.rejected.cut).toBeGreaterThan(0);
    expect(v.rejected.segments.map((s) => s.kind)).toContain('cut');
    expect(v.chosen.truncated).toBe(false);
  });

  it('takes every shared token as the prompt when every token is trained', () => {
    const row = pair('Yes.', 'No.');
    for (const t of [...row.tokens!, ...row.rejected_side!.tokens!]) t.trainable = true;
    const v = pairView(row)!;
    expect(join(v.prompt)).toBe(prompt);
    expect(v.prompt.map((s) => s.kind)).toEqual(['trained']);
  });

  it('splits texts without tokens at their shared bytes, never inside a character', () => {
    const a = { text: 'ab café', spans: [[7, 8]] as [number, number][] };
    expect(promptEnd(a, { text: 'ab cafx' })).toBe(6);
    expect(promptEnd({ text: 'x\u00e9' }, { text: 'x\u00e8' })).toBe(1);
    expect(promptEnd({ text: 'same' }, { text: 'same' })).toBe(4);
  });

  it('tells pairs from other rows, including a pair the template refused', () => {
    const row = pair('Yes.', 'No.');
    expect(isPair(row)).toBe(true);
    expect(isPair({ chosen: [{ role: 'assistant', content: 'x' }], rejected: [{ role: 'assistant', content: 'y' }] })).toBe(true);
    expect(isPair({})).toBe(false);
    expect(pairView({ ...row, error: 'roles must alternate' })).toBeNull();
    expect(pairView({ row: 1, text: 'x', trainable: 0 })).toBeNull();
  });
});
