// @vitest-environment jsdom
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setTransport } from '../../lib/api';
import { fakeTransport } from '../../test/fakeTransport';
import CompareRuns from './CompareRuns.svelte';

vi.mock('../../components/Chart.svelte', async () => await import('../../test/ChartStub.svelte'));

afterEach(() => setTransport(null));

const run = (id: string) => ({ id, name: 'gemma-demo', state: 'completed', model: 'm', dataset: 'd', created: '2026-12-06T10:00:00Z', step: 4, total_steps: 4, last_checkpoint: 4, version: 3 });
const A = '20261206-100000-8d9afe';
const B = '20261206-110000-3f2a9c';
const cfg = (lr: number, steps: number) => ({ name: 'gemma-demo', model: { source: '/m' }, lora: { r: 16 }, dataset: { path: '/d.jsonl' }, training: { learning_rate: lr, max_steps: steps }, seed: 1 });

describe('compare runs', () => {
  it('tells two runs of one name apart, charts both losses and lists the settings that differ', async () => {
    const fake = fakeTransport({
      'Runs.List': () => [run(A), run(B)],
      'Runs.Metrics': (id) =>
        id === A
          ? [{ step: 1, loss: 2 }, { step: 2, loss: 1.5, val_loss: 1.7 }]
          : [{ step: 1, loss: 2.2 }, { step: 2, loss: 1.9 }],
      'Runs.Get': (id) => ({ record: run(id as string), config: id === A ? cfg(2e-4, 60) : cfg(1e-4, 60), has_adapter: true, checkpoints: [] }),
    });
    setTransport(fake.t);
    render(CompareRuns, { a: A, b: B, navigate: () => {} });

    const table = await screen.findByTestId('config-diff');
    const rows = [...table.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.firstChild?.textContent?.trim()));
    expect(rows).toEqual([['Learning rate', '0.0002', '0.0001']]);
    expect(table.querySelector('thead')!.textContent).toContain('gemma-demo · 8d9afe');
    expect(table.querySelector('thead')!.textContent).toContain('gemma-demo · 3f2a9c');

    const options = [...screen.getAllByRole('combobox')[0].querySelectorAll('option')].map((o) => o.textContent);
    expect(options).toEqual(['—', 'gemma-demo · 8d9afe', 'gemma-demo · 3f2a9c']);

    // Training loss of both, validation loss of A only (B measured none).
    await waitFor(() => expect(JSON.parse(screen.getByTestId('chart').textContent!)).toHaveLength(4));
    const data = JSON.parse(screen.getByTestId('chart').textContent!);
    expect(data[0]).toEqual([1, 2]);
    expect(data[3]).toEqual([null, 1.7]);
    expect(screen.getByTestId('chart').dataset.title).toBe('Training and validation loss');
  });

  it('says when two runs have the same settings', async () => {
    const fake = fakeTransport({
      'Runs.List': () => [run(A), run(B)],
      'Runs.Metrics': () => [],
      'Runs.Get': (id) => ({ record: run(id as string), config: cfg(2e-4, 60), has_adapter: true, checkpoints: [] }),
    });
    setTransport(fake.t);
    render(CompareRuns, { a: A, b: B, navigate: () => {} });
    expect((await screen.findByTestId('no-diff')).textContent).toContain('same settings');
    expect(screen.getByTestId('chart').dataset.title).toBe('Training loss');
  });

  it('lists the method among the settings and compares a reward figure', async () => {
    const withMethod = (method: string) => ({ ...cfg(2e-4, 60), training: { ...cfg(2e-4, 60).training, method } });
    const fake = fakeTransport({
      'Runs.List': () => [run(A), run(B)],
      'Runs.Metrics': (id) =>
        id === A
          ? [{ step: 1, loss: 0.69, extra: { 'rewards/margins': 0.1, 'rewards/accuracies': 0.5 } }, { step: 2, loss: 0.6, extra: { 'rewards/margins': 0.4, 'rewards/accuracies': 1 } }]
          : [{ step: 1, loss: 2.2 }, { step: 2, loss: 1.9 }],
      'Runs.Get': (id) => ({ record: run(id as string), config: withMethod(id === A ? 'dpo' : 'sft'), has_adapter: true, checkpoints: [] }),
    });
    setTransport(fake.t);
    render(CompareRuns, { a: A, b: B, navigate: () => {} });
    const table = await screen.findByTestId('config-diff');
    const rows = [...table.querySelectorAll('tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.firstChild?.textContent?.trim()));
    expect(rows).toEqual([['Method', 'dpo', 'sft']]);

    const pick = (await screen.findByLabelText('Chart')) as HTMLSelectElement;
    expect([...pick.options].map((o) => o.textContent)).toEqual(['Loss', 'Reward margin', 'Reward accuracy']);
    await fireEvent.change(pick, { target: { value: 'rewards/margins' } });
    await waitFor(() => expect(screen.getByTestId('chart').dataset.title).toBe('Reward margin'));
    // A charts its margins; B, an SFT run, has none.
    const [steps, ya, yb] = JSON.parse(screen.getByTestId('chart').textContent!);
    expect(steps).toEqual([1, 2]);
    expect(ya[0]).toBeCloseTo(0.1);
    expect(ya[1]).toBeGreaterThan(0.1);
    expect(yb).toEqual([null, null]);
  });
});
