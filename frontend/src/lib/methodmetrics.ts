// The training methods' own figures (runs.Metrics.extra: DPO's and ORPO's
// rewards, ORPO's NLL and log odds ratio, by TRL's names) as the run page
// charts them: which figures share a chart, the chart's title and help,
// and the fixed axis of a fraction. A run charts the figures its rows
// hold, so an SFT run, which has none, shows no more charts than before.

import { MethodMetrics, TrainingMethods, type MetricInfo } from './generated/contract';
import type { MetricRow } from './types';
import { extraNames } from './series';

export type { MetricInfo };

/**
 * Every figure any method reports, once, in the order Go lists them
 * (train.Metrics, in the generated contract): the titles and help the
 * charts show.
 */
export const METRIC_INFO: readonly MetricInfo[] = TrainingMethods.flatMap((m) => MethodMetrics[m]).filter(
  (info, i, all) => all.findIndex((x) => x.name === info.name) === i,
);

export const MARGIN = 'rewards/margins';
export const ACCURACY = 'rewards/accuracies';

/** A figure's info; one train.Metrics does not list (a newer trainer's) is shown under its own name. */
export function metricInfo(name: string, infos: readonly MetricInfo[] = METRIC_INFO): MetricInfo {
  return infos.find((i) => i.name === name) ?? { name, title: name, help: '' };
}

/** names in the order Go lists them; names it does not list last, as they came. */
function inOrder(names: string[], infos: readonly MetricInfo[]): string[] {
  const order = (n: string) => {
    const i = infos.findIndex((x) => x.name === n);
    return i < 0 ? infos.length : i;
  };
  return [...names].sort((x, y) => order(x) - order(y));
}

/**
 * The extra figures Compare offers beside the loss: those either run
 * reports, in Go's order, with their titles and whether they are fractions.
 */
export function compareChoices(a: MetricRow[], b: MetricRow[], infos: readonly MetricInfo[] = METRIC_INFO): (MetricInfo & { range?: [number, number] })[] {
  const names = inOrder([...new Set([...extraNames(a), ...extraNames(b)])], infos);
  return names.map((n) => ({ ...metricInfo(n, infos), ...(FRACTIONS.has(n) ? { range: [0, 1] as [number, number] } : {}) }));
}

/** One chart of extra figures. */
export interface ExtraChart {
  id: string;
  title: string;
  help: string;
  /** The figures it draws, one line each, and their legend labels. */
  names: string[];
  labels: string[];
  /** A fixed y range (a fraction's 0..1); absent: fitted to the data. */
  range?: [number, number];
}

/** Figures drawn together, and fractions drawn on 0..1; every other figure gets a chart of its own. */
const TOGETHER: { id: string; title: string; names: string[] }[] = [{ id: 'rewards', title: 'Rewards: chosen vs rejected', names: ['rewards/chosen', 'rewards/rejected'] }];
const FRACTIONS = new Set([ACCURACY]);

/**
 * The charts of a run's extra figures, in the order Go lists them (the
 * rewards first), each only where some row holds one of its figures.
 */
export function extraCharts(rows: MetricRow[], infos: readonly MetricInfo[] = METRIC_INFO): ExtraChart[] {
  const present = extraNames(rows);
  if (present.length === 0) return [];
  const names = inOrder(present, infos);
  const out: ExtraChart[] = [];
  const done = new Set<string>();
  for (const name of names) {
    if (done.has(name)) continue;
    const group = TOGETHER.find((g) => g.names.includes(name));
    if (group) {
      const have = group.names.filter((n) => present.includes(n));
      have.forEach((n) => done.add(n));
      out.push({
        id: group.id,
        title: group.title,
        help: have.map((n) => metricInfo(n, infos).help).filter(Boolean).join(' '),
        names: have,
        labels: have.map((n) => metricInfo(n, infos).title),
      });
      continue;
    }
    done.add(name);
    const info = metricInfo(name, infos);
    out.push({
      id: name,
      title: info.title,
      help: info.help,
      names: [name],
      labels: [info.title],
      ...(FRACTIONS.has(name) ? { range: [0, 1] as [number, number] } : {}),
    });
  }
  return out;
}

/**
 * The summary's reward margin and accuracy from the run's latest values
 * (series.latest); null when the run reports neither (SFT, CPT).
 */
export function rewardSummary(last: MetricRow | undefined): { margin: number | null; accuracy: number | null } | null {
  const extra = last?.extra;
  const pick = (n: string) => {
    const v = extra?.[n];
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  };
  const margin = pick(MARGIN);
  const accuracy = pick(ACCURACY);
  return margin == null && accuracy == null ? null : { margin, accuracy };
}
