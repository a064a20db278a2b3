import { describe, expect, it } from 'vitest';
import { compareColumns, compareExtraColumns, ema, extraColumns, extraNames, hasValues, forLogScale, latest, lossColumns, mergeByStep } from './series';

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

describe('extra figures', () => {
  const dpo = [
    { step: 1, loss: 0.69, extra: { 'rewards/chosen': 0.01, 'rewards/rejected': -0.01, 'rewards/margins': 0.02, 'rewards/accuracies': 0.5 } },
    { step: 2, loss: 0.6, extra: { 'rewards/chosen': 0.05, 'rewards/rejected': -0.2, 'rewards/margins': 0.25, 'rewards/accuracies': 1 } },
    // A validation row of step 2 carries no extra figures: the training row's stay.
    { step: 2, val_loss: 0.65 },
  ];

  it('names the figures the rows hold, and none for an SFT run', () => {
    expect(extraNames(dpo)).toEqual(['rewards/chosen', 'rewards/rejected', 'rewards/margins', 'rewards/accuracies']);
    expect(extraNames([{ step: 1, loss: 2 }])).toEqual([]);
    // A figure that is not a finite number is not drawn.
    expect(extraNames([{ step: 1, extra: { nll_loss: Number.NaN } }])).toEqual([]);
  });

  it('gives each figure a column on the run\'s steps, negative values kept', () => {
    const cols = extraColumns(dpo, ['rewards/chosen', 'rewards/rejected', 'nll_loss'], { smoothing: 0, log: false });
    expect(cols).toEqual([
      [1, 2],
      [0.01, 0.05],
      [-0.01, -0.2],
      [null, null],
    ]);
    const smooth = extraColumns(dpo, ['rewards/margins'], { smoothing: 0.5, log: false });
    expect(smooth[1][0]).toBeCloseTo(0.02);
    expect(smooth[1][1]!).toBeGreaterThan(0.02);
    expect(smooth[1][1]!).toBeLessThan(0.25);
  });

  it('keeps the latest figures through a validation row', () => {
    expect(latest(dpo)?.extra?.['rewards/margins']).toBe(0.25);
    expect(latest(dpo)?.val_loss).toBe(0.65);
  });

  it('compares one figure of two runs on the union of their steps', () => {
    const b = [{ step: 2, extra: { 'rewards/margins': 1 } }, { step: 3, extra: { 'rewards/margins': 2 } }];
    expect(compareExtraColumns(dpo, b, 'rewards/margins', { smoothing: 0, log: false })).toEqual([
      [1, 2, 3],
      [0.02, 0.25, null],
      [null, 1, 2],
    ]);
    // A run without the figure (SFT) has an empty column.
    expect(hasValues(compareExtraColumns([{ step: 1, loss: 2 }], b, 'rewards/margins', { smoothing: 0, log: false })[1])).toBe(false);
  });
});
