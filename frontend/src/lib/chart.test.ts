import { describe, expect, it } from 'vitest';
import { axisWidth, legendValue, MIB_INCRS, STEP_INCRS, tickLabels } from './chart';

const distinct = (xs: string[]) => new Set(xs).size === xs.length;

describe('tickLabels', () => {
  it('tells the ticks of a default learning rate apart (not "0, 0, 0, 0, 0")', () => {
    expect(tickLabels([0, 5e-5, 1e-4, 1.5e-4, 2e-4])).toEqual(['0', '5e-5', '1e-4', '1.5e-4', '2e-4']);
    expect(tickLabels([1.9e-4, 1.95e-4, 2e-4, 2.05e-4])).toEqual(['1.9e-4', '1.95e-4', '2e-4', '2.05e-4']);
  });

  it('writes losses as plain decimals with only the digits they need', () => {
    expect(tickLabels([0.5, 1, 1.5, 2, 2.5])).toEqual(['0.5', '1', '1.5', '2', '2.5']);
    expect(tickLabels([2, 3, 4])).toEqual(['2', '3', '4']);
    expect(tickLabels([0.001, 0.0015, 0.002])).toEqual(['0.001', '0.0015', '0.002']);
    // All ticks below 1e-3 (a constant learning rate's axis): as lrs are written.
    expect(tickLabels([0, 1e-4, 2e-4, 3e-4, 4e-4])).toEqual(['0', '1e-4', '2e-4', '3e-4', '4e-4']);
    expect(tickLabels([-1, 0, 1])).toEqual(['-1', '0', '1']);
    // Floating-point noise in uPlot's ticks does not leak into the labels.
    expect(tickLabels([0.1, 0.2, 0.30000000000000004])).toEqual(['0.1', '0.2', '0.3']);
  });

  it('shortens large values with SI suffixes', () => {
    expect(tickLabels([10000, 12000, 14000])).toEqual(['10k', '12k', '14k']);
    expect(tickLabels([0, 250000, 500000, 750000, 1e6])).toEqual(['0', '0.25M', '0.5M', '0.75M', '1M']);
    expect(tickLabels([1200, 1400, 1600])).toEqual(['1200', '1400', '1600']);
  });

  it('keeps every tick distinct on any scale from 1e-7 to 1e6', () => {
    for (let e = -7; e <= 6; e++) {
      for (const m of [1, 2, 5]) {
        const incr = m * 10 ** e;
        for (const start of [0, 3 * incr, 1000 * incr]) {
          const ticks = Array.from({ length: 6 }, (_, i) => start + i * incr);
          const labels = tickLabels(ticks);
          expect(distinct(labels), `${ticks} → ${labels}`).toBe(true);
          // Every label reads back close to its value.
          labels.forEach((l, i) => {
            const k = { k: 1e3, M: 1e6, G: 1e9, T: 1e12 }[l.slice(-1)] ?? 1;
            const v = parseFloat(k === 1 ? l : l.slice(0, -1)) * k;
            expect(Math.abs(v - ticks[i])).toBeLessThanOrEqual(incr / 2 + 1e-12);
          });
        }
      }
    }
  });

  it('labels memory in MiB or GiB', () => {
    expect(tickLabels([256, 512, 768], 'mib')).toEqual(['256 MiB', '512 MiB', '768 MiB']);
    expect(tickLabels([1024, 1280, 1536, 2048], 'mib')).toEqual(['1 GiB', '1.25 GiB', '1.5 GiB', '2 GiB']);
    // Ticks that are round in MiB but not in GiB get four decimals, not eight.
    expect(tickLabels([1100, 1200, 1300], 'mib')).toEqual(['1.0742 GiB', '1.1719 GiB', '1.2695 GiB']);
    // 64 MiB steps are exact.
    expect(tickLabels([1408, 1472, 1536], 'mib')).toEqual(['1.375 GiB', '1.4375 GiB', '1.5 GiB']);
    expect(tickLabels([1024, 1152, 1280], 'mib')).toEqual(['1 GiB', '1.125 GiB', '1.25 GiB']);
    expect(MIB_INCRS).toContain(256);
    expect(MIB_INCRS).toContain(1024);
  });

  it('leaves non-finite ticks blank', () => {
    expect(tickLabels([])).toEqual([]);
    expect(tickLabels([NaN, 1])).toEqual(['', '1']);
    expect(tickLabels([0, 0])).toEqual(['0', '0']);
  });
});

describe('axis helpers', () => {
  it('sizes an axis to its longest label', () => {
    expect(axisWidth(['1.5e-4'])).toBeGreaterThan(axisWidth(['1']));
    expect(axisWidth([])).toBe(40);
  });
  it('shows legend values as the header does', () => {
    expect(legendValue(2e-4)).toBe('2.00e-4');
    expect(legendValue(null)).toBe('—');
    expect(legendValue(1536, 'mib')).toBe('1.5 GiB');
  });
  it('steps tick at whole numbers', () => {
    expect(STEP_INCRS.slice(0, 4)).toEqual([1, 2, 5, 10]);
  });
});
