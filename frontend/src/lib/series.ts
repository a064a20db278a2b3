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
  return shape(
    rows.map((r) => r[key]),
    opts,
    smooth,
  );
}

/**
 * One of the method's own figures (runs.Metrics.extra, by its TRL name
 * such as "rewards/margins"), as column reads a field: missing where a
 * row lacks it.
 */
export function extraColumn(rows: MetricRow[], name: string, opts: SeriesOptions, smooth = true): (number | null)[] {
  return shape(
    rows.map((r) => r.extra?.[name]),
    opts,
    smooth,
  );
}

function shape(values: unknown[], opts: SeriesOptions, smooth: boolean): (number | null)[] {
  let ys = values.map((v) => (typeof v === 'number' && Number.isFinite(v) ? v : null));
  if (smooth && opts.smoothing > 0) ys = ema(ys, opts.smoothing);
  return opts.log ? forLogScale(ys) : ys;
}

/** The names of the extra figures any row holds, in the order they first appear. */
export function extraNames(rows: MetricRow[]): string[] {
  const seen = new Set<string>();
  for (const r of rows) for (const [k, v] of Object.entries(r.extra ?? {})) if (typeof v === 'number' && Number.isFinite(v)) seen.add(k);
  return [...seen];
}

/** Extra figures on a run's steps: [steps, ...one column per name]. */
export function extraColumns(rows: MetricRow[], names: string[], opts: SeriesOptions): Columns {
  const merged = mergeByStep(rows);
  return [merged.map((r) => r.step), ...names.map((n) => extraColumn(merged, n, opts))];
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
  return aligned(ma, mb, [
    [ma, column(ma, 'loss', opts)],
    [mb, column(mb, 'loss', opts)],
    [ma, column(ma, 'val_loss', opts, false)],
    [mb, column(mb, 'val_loss', opts, false)],
  ]);
}

/**
 * One extra figure of two runs on the union of their steps: [steps, A, B],
 * smoothed as on a run's page; a run without it has an empty column.
 */
export function compareExtraColumns(a: MetricRow[], b: MetricRow[], name: string, opts: SeriesOptions): Columns {
  const ma = mergeByStep(a);
  const mb = mergeByStep(b);
  return aligned(ma, mb, [
    [ma, extraColumn(ma, name, opts)],
    [mb, extraColumn(mb, name, opts)],
  ]);
}

/** Columns of either run's rows placed on the union of both runs' steps. */
function aligned(ma: MetricRow[], mb: MetricRow[], cols: [MetricRow[], (number | null)[]][]): Columns {
  const maps = cols.map(([rows, ys]) => new Map(rows.map((r, i) => [r.step, ys[i]])));
  const steps = [...new Set([...ma, ...mb].map((r) => r.step))].sort((x, y) => x - y);
  return [steps, ...maps.map((m) => steps.map((s) => m.get(s) ?? null))];
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
