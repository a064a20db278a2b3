import { describe, expect, it } from 'vitest';
import { compareColumns, ema, hasValues, forLogScale, latest, lossColumns, mergeByStep } from './series';

describe('ema', () => {
  it('is the identity at weight 0 and debiased from the first point', () => {
    expect(ema([3, 2, 1], 0)).toEqual([3, 2, 1]);
    const s = ema([4, 4, 4], 0.9);
    for (const v of s) expect(v).toBeCloseTo(4, 10); // no pull towards zero
  });
  it('smooths a step change and skips gaps', () => {
    const s = ema([0, 0, null, 10], 0.5);
    expect(s[2]).toBeNull();
    // After two zeros and a 10 with weight .5: (0*.25 + 0*.5*.5... ) debiased
    // value = (0.5*10) / (1 - 0.5^3) = 5/0.875.
    expect(s[3]).toBeCloseTo(5 / 0.875, 10);
    expect(s[3]!).toBeLessThan(10);
  });
});

describe('series', () => {
  it('drops non-positive values on a log axis', () => {
    expect(forLogScale([1, 0, -2, null, 0.5])).toEqual([1, null, null, null, 0.5]);
  });

  it('merges a validation row into the training row of the same step', () => {
    const rows = mergeByStep([
      { step: 2, loss: 2 },
      { step: 1, loss: 3, lr: 1e-4 },
      { step: 2, val_loss: 2.2 },
    ]);
    expect(rows).toEqual([
      { step: 1, loss: 3, lr: 1e-4 },
      { step: 2, loss: 2, val_loss: 2.2 },
    ]);
  });

  it('builds raw, smoothed and validation loss columns', () => {
    const cols = lossColumns(
      [
        { step: 1, loss: 3 },
        { step: 2, loss: 1, val_loss: 2 },
      ],
      { smoothing: 0.5, log: false },
    );
    expect(cols[0]).toEqual([1, 2]);
    expect(cols[1]).toEqual([3, 1]);
    expect(cols[2][0]).toBeCloseTo(3);
    expect(cols[2][1]!).toBeGreaterThan(1);
    expect(cols[3]).toEqual([null, 2]);
  });

  it('aligns two runs on the union of their steps', () => {
    const cols = compareColumns([{ step: 1, loss: 2 }, { step: 3, loss: 1 }], [{ step: 2, loss: 5 }], {
      smoothing: 0,
      log: false,
    });
    expect(cols).toEqual([[1, 2, 3], [2, null, 1], [null, 5, null], [null, null, null], [null, null, null]]);
    expect(hasValues(cols[3])).toBe(false);
  });

  it('puts both runs\' validation loss at the steps where it was measured', () => {
    const a = [{ step: 1, loss: 2 }, { step: 2, loss: 1.5, val_loss: 1.8 }];
    const b = [{ step: 2, loss: 3 }, { step: 2, val_loss: 2.9 }, { step: 4, loss: 2, val_loss: 2.5 }];
    const cols = compareColumns(a, b, { smoothing: 0.9, log: false });
    expect(cols[0]).toEqual([1, 2, 4]);
    expect(cols[3]).toEqual([null, 1.8, null]);
    expect(cols[4]).toEqual([null, 2.9, 2.5]);
    expect(hasValues(cols[4])).toBe(true);
  });

  it('latest keeps the newest value of every field', () => {
    expect(latest([{ step: 1, loss: 3, tokens_per_s: 100 }, { step: 2, loss: 2 }])).toEqual({
      step: 2,
      loss: 2,
      tokens_per_s: 100,
    });
    expect(latest([])).toBeUndefined();
  });
});
