import { describe, expect, it } from 'vitest';
import { segments, tokenCounts } from './segments';

const enc = new TextEncoder();

/** Tokenizes text into whitespace-separated pieces with byte offsets. */
function toks(text: string, trainableFrom: number, cutFrom = Infinity) {
  const out = [];
  const bytes = enc.encode(text);
  let i = 0;
  let n = 0;
  while (i < bytes.length) {
    let j = i + 1;
    while (j < bytes.length && bytes[j] !== 0x20) j++;
    out.push({ id: n, start: i, end: j, text: '', trainable: n >= trainableFrom, cut: n >= cutFrom });
    n++;
    i = j;
  }
  return out;
}

describe('segments', () => {
  it('splits only the part of a row in a byte range', () => {
    const text = '<user> hi <model> hello there';
    const row = { text, tokens: toks(text, 3) };
    const at = text.indexOf('<model>');
    expect(segments(row, { to: at }).map((s) => s.text).join('')).toBe('<user> hi ');
    const tail = segments(row, { from: at });
    expect(tail.map((s) => s.text).join('')).toBe('<model> hello there');
    expect(tail.map((s) => s.kind)).toEqual(['masked', 'trained']);
    expect(tail[1].tokens).toBe(2);
    // Spans, without tokens, are clipped to the range too.
    const spans = segments({ text: 'abcdef', spans: [[1, 2], [4, 6]] }, { from: 3 });
    expect(spans).toEqual([
      { text: 'd', kind: 'masked', tokens: 0 },
      { text: 'ef', kind: 'trained', tokens: 0 },
    ]);
  });

  it('groups tokens into masked prompt and trained answer', () => {
    const text = '<user> hi <model> hello there';
    const segs = segments({ text, tokens: toks(text, 3) });
    expect(segs.map((s) => s.kind)).toEqual(['masked', 'trained']);
    expect(segs.map((s) => s.text).join('')).toBe(text);
    expect(segs[1].text).toBe(' hello there');
    expect(segs[1].tokens).toBe(2);
  });

  it('cuts on UTF-8 byte offsets, not UTF-16 indices', () => {
    const text = 'é€ ok 😀 yes';
    const segs = segments({ text, tokens: toks(text, 2) });
    expect(segs.map((s) => s.text).join('')).toBe(text);
    expect(segs[segs.length - 1].text).toBe(' 😀 yes');
  });

  it('marks tokens past max length as cut', () => {
    const text = 'a b c d';
    const segs = segments({ text, tokens: toks(text, 1, 3) });
    expect(segs.map((s) => [s.kind, s.text])).toEqual([
      ['masked', 'a'],
      ['trained', ' b c'],
      ['cut', ' d'],
    ]);
    expect(tokenCounts({ tokens: toks(text, 1, 3) })).toEqual({ total: 4, trained: 2, cut: 1 });
  });

  it('uses byte spans when there are no tokens, and plain text otherwise', () => {
    const text = 'ab€cd';
    // "€" is 3 bytes: 'ab' 0..2, '€' 2..5, 'cd' 5..7
    expect(segments({ text, spans: [[2, 5]] })).toEqual([
      { text: 'ab', kind: 'masked', tokens: 0 },
      { text: '€', kind: 'trained', tokens: 0 },
      { text: 'cd', kind: 'masked', tokens: 0 },
    ]);
    expect(segments({ text })).toEqual([{ text, kind: 'masked', tokens: 0 }]);
  });
});
