import { describe, expect, it } from 'vitest';
import { compareChoices, extraCharts, METRIC_INFO, metricInfo, rewardSummary } from './methodmetrics';
import { MethodMetrics } from './generated/contract';
import { latest } from './series';

const row = (step: number, extra: Record<string, number>) => ({ step, loss: 1, extra });
const dpo = [
  row(1, { 'rewards/chosen': 0.1, 'rewards/rejected': -0.1, 'rewards/margins': 0.2, 'rewards/accuracies': 0.5 }),
  row(2, { 'rewards/chosen': 0.3, 'rewards/rejected': -0.4, 'rewards/margins': 0.7, 'rewards/accuracies': 1 }),
];
const orpo = [row(1, { 'rewards/chosen': -0.2, 'rewards/rejected': -0.3, 'rewards/margins': 0.1, 'rewards/accuracies': 0.5, nll_loss: 2.1, log_odds_ratio: -0.6 })];

describe('method metric charts', () => {
  it("takes each figure's title and help from Go's train.Metrics, once each", () => {
    expect(METRIC_INFO.map((i) => i.name)).toEqual(['rewards/chosen', 'rewards/rejected', 'rewards/margins', 'rewards/accuracies', 'nll_loss', 'log_odds_ratio']);
    expect(metricInfo('rewards/margins').title).toBe(MethodMetrics.dpo.find((i) => i.name === 'rewards/margins')!.title);
  });

  it('charts no more for an SFT run', () => {
    expect(extraCharts([{ step: 1, loss: 2 }, { step: 2, loss: 1.5 }])).toEqual([]);
  });

  it('draws DPO rewards chosen vs rejected together, then margin and accuracy on 0..1', () => {
    const charts = extraCharts(dpo);
    expect(charts.map((c) => c.id)).toEqual(['rewards', 'rewards/margins', 'rewards/accuracies']);
    expect(charts[0]).toMatchObject({ names: ['rewards/chosen', 'rewards/rejected'], labels: ['Reward, chosen', 'Reward, rejected'] });
    expect(charts[0].range).toBeUndefined();
    expect(charts[1]).toMatchObject({ title: 'Reward margin', names: ['rewards/margins'] });
    expect(charts[1].help).toMatch(/grows/);
    expect(charts[2]).toMatchObject({ title: 'Reward accuracy', range: [0, 1] });
  });

  it("adds ORPO's NLL and log odds ratio, each on its own chart", () => {
    const charts = extraCharts(orpo);
    expect(charts.map((c) => c.id)).toEqual(['rewards', 'rewards/margins', 'rewards/accuracies', 'nll_loss', 'log_odds_ratio']);
    expect(charts[3].title).toBe('NLL of chosen');
    expect(charts[4].title).toBe('Log odds ratio');
  });

  it('charts a figure it does not know under its own name, after the known ones', () => {
    const charts = extraCharts([row(1, { 'kto/kl': 0.3, 'rewards/margins': 0.1 })]);
    expect(charts.map((c) => c.title)).toEqual(['Reward margin', 'kto/kl']);
    expect(metricInfo('kto/kl')).toEqual({ name: 'kto/kl', title: 'kto/kl', help: '' });
  });

  it('takes titles and help from the list it is given', () => {
    const infos = METRIC_INFO.map((i) => (i.name === 'rewards/margins' ? { ...i, title: 'Margin' } : i));
    expect(extraCharts(dpo, infos)[1].title).toBe('Margin');
  });

  it('summarises the latest margin and accuracy, and nothing for SFT', () => {
    expect(rewardSummary(latest(dpo))).toEqual({ margin: 0.7, accuracy: 1 });
    expect(rewardSummary(latest([{ step: 1, loss: 2 }]))).toBeNull();
    expect(rewardSummary(undefined)).toBeNull();
    expect(rewardSummary(latest([row(1, { 'rewards/margins': 0.2 })]))).toEqual({ margin: 0.2, accuracy: null });
  });

  it('offers Compare the figures either run reports', () => {
    expect(compareChoices([{ step: 1, loss: 2 }], [{ step: 1, loss: 2 }])).toEqual([]);
    const choices = compareChoices(orpo, dpo);
    expect(choices.map((c) => c.name)).toEqual(['rewards/chosen', 'rewards/rejected', 'rewards/margins', 'rewards/accuracies', 'nll_loss', 'log_odds_ratio']);
    expect(choices.find((c) => c.name === 'rewards/accuracies')!.range).toEqual([0, 1]);
    expect(choices.find((c) => c.name === 'rewards/margins')!.range).toBeUndefined();
  });
});
