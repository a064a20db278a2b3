// Turning metric rows into chart series: exponential smoothing (the
// TensorBoard kind, bias-corrected so the first points are not dragged to 0),
// log-scale safety, and aligning two runs on a shared step axis.

import type { MetricRow } from './types';

/**
 * Debiased exponential moving average. weight in [0,1): 0 is the raw
 * series, 0.99 very smooth. Missing values (null/NaN) stay missing and do
 * not disturb the average.
 */
export function ema(values: (number | null | undefined)[], weight: number): (number | null)[] {
  const w = Math.min(Math.max(weight, 0), 0.999);
  if (w === 0) return values.map((v) => (v == null || !Number.isFinite(v) ? null : v));
  let last = 0;
  let n = 0;
  return values.map((v) => {
    if (v == null || !Number.isFinite(v)) return null;
    last = last * w + (1 - w) * v;
    n++;
    return last / (1 - Math.pow(w, n));
  });
}

/** On a log axis non-positive values cannot be drawn: they become gaps. */
export function forLogScale(values: (number | null)[]): (number | null)[] {
  return values.map((v) => (v != null && v > 0 ? v : null));
}

export type MetricKey = 'loss' | 'val_loss' | 'lr' | 'grad_norm' | 'tokens_per_s' | 'rss_mb' | 'device_mem_mb';

/**
 * Merges rows by step (a later row for the same step fills in fields the
 * earlier lacked, e.g. a validation row after the training row) and sorts.
 */
export function mergeByStep(rows: MetricRow[]): MetricRow[] {
  const byStep = new Map<number, MetricRow>();
  for (const r of rows) {
    if (r == null || !Number.isFinite(r.step)) continue;
    const prev = byStep.get(r.step);
    byStep.set(r.step, prev ? { ...prev, ...defined(r) } : { ...r });
  }
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

function defined(r: MetricRow): Partial<MetricRow> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) if (v !== undefined && v !== null) out[k] = v;
  return out as Partial<MetricRow>;
}

export interface SeriesOptions {
  smoothing: number;
  log: boolean;
}

/** uPlot's columnar data: [x, ...ys]. */
export type Columns = [number[], ...(number | null)[][]];

export function column(rows: MetricRow[], key: MetricKey, opts: SeriesOptions, smooth = true): (number | null)[] {
  let ys: (number | null)[] = rows.map((r) => {
    const v = r[key];
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  });
  if (smooth && opts.smoothing > 0) ys = ema(ys, opts.smoothing);
  return opts.log ? forLogScale(ys) : ys;
}

/** Steps where validation loss was measured, and nowhere else. */
export function lossColumns(rows: MetricRow[], opts: SeriesOptions): Columns {
  const merged = mergeByStep(rows);
  const raw = column(merged, 'loss', { ...opts, smoothing: 0 });
  const smooth = column(merged, 'loss', opts);
  const val = column(merged, 'val_loss', opts, false);
  return [merged.map((r) => r.step), raw, smooth, val];
}

/**
 * Two runs on the union of their steps: [steps, A train, B train, A val,
 * B val]. Training loss is smoothed as on a run's page; validation loss is
 * raw and present only at the steps where it was measured.
 */
export function compareColumns(a: MetricRow[], b: MetricRow[], opts: SeriesOptions): Columns {
  const ma = mergeByStep(a);
  const mb = mergeByStep(b);
  const byStep = (rows: MetricRow[], ys: (number | null)[]) => new Map(rows.map((r, i) => [r.step, ys[i]]));
  const cols = [
    byStep(ma, column(ma, 'loss', opts)),
    byStep(mb, column(mb, 'loss', opts)),
    byStep(ma, column(ma, 'val_loss', opts, false)),
    byStep(mb, column(mb, 'val_loss', opts, false)),
  ];
  const steps = [...new Set([...ma, ...mb].map((r) => r.step))].sort((x, y) => x - y);
  return [steps, ...cols.map((m) => steps.map((s) => m.get(s) ?? null))];
}

/** Whether a column has any value to draw. */
export function hasValues(ys: (number | null)[] | undefined): boolean {
  return !!ys && ys.some((v) => v != null);
}

/** The latest value of each field over the rows (what the header shows). */
export function latest(rows: MetricRow[]): MetricRow | undefined {
  if (rows.length === 0) return undefined;
  return mergeByStep(rows).reduce<MetricRow>((acc, r) => ({ ...acc, ...defined(r) }), { step: 0 });
}
