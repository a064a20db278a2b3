// Chart options that are logic rather than drawing: tick spacings and tick
// labels. uPlot's own labels round to a few decimals, so a learning rate of
// 2e-4 read "0, 0, 0, 0, 0"; these labels tell every tick apart at any
// scale, from 1e-7 to 1e6.

import { formatBytes, formatNumber } from './format';

/** One line on a Chart. color may be a CSS variable name such as "--chart-1". */
export interface ChartSeries {
  label: string;
  color: string;
  width?: number;
  dash?: number[];
  points?: boolean;
}

/**
 * What a y axis measures: "number" (loss, learning rate, tokens/s) or
 * "mib" (memory, as runs.Metrics reports it in MiB).
 */
export type AxisKind = 'number' | 'mib';

/** Tick spacings for a step axis: 1, 2, 5, 10, 20, 50, ... */
export const STEP_INCRS: number[] = [];
for (let m = 1; m <= 1e7; m *= 10) STEP_INCRS.push(m, 2 * m, 5 * m);

/**
 * Tick spacings for a memory axis in MiB: powers of two, so ticks fall on
 * 256 MiB, 1.25 GiB, 2 GiB rather than on 1100 MiB.
 */
export const MIB_INCRS: number[] = [];
for (let m = 1 / 16; m <= 2 ** 30; m *= 2) MIB_INCRS.push(m);

/** The most decimals tried before a tick is shown in scientific notation. */
const MAX_FIXED_DECIMALS = 4;
const MAX_DIGITS = 12;

const SI: [number, string][] = [
  [1e12, 'T'],
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
];

/** Drops the zeros a fixed or exponential form pads with: "1.50" → "1.5", "2.0e-4" → "2e-4". */
function trim(s: string): string {
  const [mant, exp] = s.split('e');
  let m = mant;
  if (m.includes('.')) m = m.replace(/0+$/, '').replace(/\.$/, '');
  if (m === '-0') m = '0';
  if (exp === undefined) return m;
  return `${m}e${exp.replace(/^\+/, '')}`;
}

/**
 * The fewest digits, from 0 up, at which fmt writes every value exactly
 * (within tol, which absorbs floating-point noise such as
 * 0.30000000000000004): ticks are multiples of a round spacing, so an exact
 * label tells them apart without rounding 1.25 to "1.3".
 */
function digitsFor(values: number[], fmt: (v: number, d: number) => string, tol: (v: number) => number): number {
  for (let d = 0; d <= MAX_DIGITS; d++) {
    if (values.every((v) => Math.abs(parseFloat(fmt(v, d)) - v) <= tol(v))) return d;
  }
  return MAX_DIGITS;
}

/** How many decimals a fixed form needs to write the values exactly. */
function fixedDecimals(values: number[]): number {
  const maxAbs = Math.max(...values.map(Math.abs));
  return digitsFor(values, (v, d) => v.toFixed(d), () => maxAbs * 1e-9);
}

/**
 * Labels for an axis's ticks that tell every tick apart and read the way
 * people write such numbers: "0.5, 1, 1.5" for losses; "5e-5, 1e-4, 1.5e-4"
 * for learning rates; "12k, 14k" or "1.2M" for throughput; "512 MiB" or
 * "1.25 GiB" for memory in MiB. All ticks of one axis share one form.
 */
export function tickLabels(values: number[], kind: AxisKind = 'number'): string[] {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return values.map(() => '');
  const maxAbs = Math.max(...finite.map(Math.abs));
  const show = (fmt: (v: number) => string) => values.map((v) => (Number.isFinite(v) ? fmt(v) : ''));

  if (kind === 'mib') {
    const [div, unit] = maxAbs >= 1024 * 1024 ? [1024 * 1024, 'TiB'] : maxAbs >= 1024 ? [1024, 'GiB'] : [1, 'MiB'];
    // MIB_INCRS keeps ticks binary-round (1.25 GiB); should a tick still be
    // decimal-round in MiB (1100 MiB = 1.07421875 GiB), four decimals do,
    // unless ticks need more to stay apart.
    const scaled = finite.map((v) => v / div);
    const want = new Set(scaled).size;
    let d = Math.min(fixedDecimals(scaled), 4);
    while (d < MAX_DIGITS && new Set(scaled.map((v) => v.toFixed(d))).size < want) d++;
    return show((v) => `${trim((v / div).toFixed(d))} ${unit}`);
  }

  if (maxAbs === 0) return show(() => '0');

  if (maxAbs >= 1e4) {
    const [div, unit] = SI.find(([s]) => maxAbs >= s) ?? SI[SI.length - 1];
    const d = fixedDecimals(finite.map((v) => v / div));
    return show((v) => (v === 0 ? '0' : `${trim((v / div).toFixed(d))}${unit}`));
  }

  // Below 1e-3 every tick is tiny (a learning rate): written as people
  // write learning rates, 2e-4, even where 0.0002 would fit.
  const d = fixedDecimals(finite);
  if (d <= MAX_FIXED_DECIMALS && maxAbs >= 1e-3) return show((v) => trim(v.toFixed(d)));

  // Tiny values (learning rates): scientific, with as many digits as needed.
  const sci = (v: number, p: number) => (v === 0 ? '0' : v.toExponential(p));
  const p = digitsFor(finite, sci, (v) => Math.abs(v) * 1e-9);
  return show((v) => trim(sci(v, p)));
}

/** Room for an axis's labels, in CSS pixels (uPlot's axis size). */
export function axisWidth(labels: string[]): number {
  const longest = Math.max(0, ...labels.map((l) => (l ?? '').length));
  return Math.max(40, Math.ceil(longest * 7 + 16));
}

/** A single value as the legend shows it (the cursor's value). */
export function legendValue(v: number | null | undefined, kind: AxisKind = 'number'): string {
  if (v == null || !Number.isFinite(v)) return '—';
  return kind === 'mib' ? formatBytes(v * 2 ** 20) : formatNumber(v);
}
