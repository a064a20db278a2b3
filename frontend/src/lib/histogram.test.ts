import { describe, expect, it } from 'vitest';
import { histogramBars } from './histogram';

describe('histogram', () => {
  it('scales bars to the tallest bin and places them by value', () => {
    const { bars, min, max, markerX } = histogramBars(
      [
        { lo: 0, hi: 100, count: 5 },
        { lo: 100, hi: 200, count: 10 },
        { lo: 200, hi: 400, count: 1 },
      ],
      400,
      100,
      200,
    );
    expect(min).toBe(0);
    expect(max).toBe(400);
    expect(bars[1].h).toBe(100);
    expect(bars[0].h).toBe(50);
    expect(bars[2].x).toBe(200);
    expect(bars[2].over).toBe(true);
    expect(bars[1].over).toBe(false);
    expect(markerX).toBe(200);
  });
  it('handles no bins', () => {
    expect(histogramBars([], 100, 100).bars).toEqual([]);
  });
});
