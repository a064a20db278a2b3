// @vitest-environment jsdom
import { render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setTransport } from '../../lib/api';
import { fakeTransport } from '../../test/fakeTransport';
import RunPage from './RunPage.svelte';
import { session } from '../../lib/session.svelte';

vi.mock('../../components/Chart.svelte', async () => await import('../../test/ChartStub.svelte'));

const record = { id: 'r1', name: 'demo', state: 'running', model: 'm', dataset: 'd.jsonl', created: '2026-11-24T10:00:00Z', step: 1, total_steps: 10 };
const config = { training: { max_steps: 10 } };

afterEach(() => setTransport(null));

describe('run page', () => {
  it('shows stored metrics, then follows live metrics, state and log events', async () => {
    // What the store holds: a stopped run's page asks it again.
    let stored: Record<string, unknown> = record;
    const fake = fakeTransport({
      'Runs.Get': () => ({ record: stored, config, has_adapter: false, checkpoints: stored.state === 'paused' ? [5] : [] }),
      'Runs.Metrics': () => [{ step: 1, loss: 3.0, lr: 1e-4, grad_norm: 1, tokens_per_s: 100, total_steps: 10 }],
      'Runs.Log': (_id, n) => {
        expect(n).toBe(400);
        return ['2026-11-24T10:00:01Z started'];
      },
    });
    setTransport(fake.t);
    render(RunPage, { id: 'r1', navigate: () => {} });
    await screen.findByText('3');
    expect(screen.getByRole('progressbar', { name: 'Training progress' }).getAttribute('aria-valuenow')).toBe('10');
    expect(screen.getByLabelText('Run log').textContent).toBe('2026-11-24T10:00:01Z started');

    // Another run's events are ignored; this run's are applied.
    fake.emit('run.metrics', { id: 'other', metrics: { step: 9, loss: 0.1 } });
    fake.emit('run.metrics', { id: 'r1', metrics: { step: 5, loss: 2.5, total_steps: 10, eta_s: 65 } });
    fake.emit('run.log', { id: 'r1', line: 'step 5', time: '2026-11-24T10:00:05Z' });
    await screen.findByText('2.5');
    expect(screen.getByText('1m 05s')).toBeTruthy();
    expect(screen.getByRole('progressbar', { name: 'Training progress' }).getAttribute('aria-valuenow')).toBe('50');
    expect(screen.getByLabelText('Run log').textContent).toBe('2026-11-24T10:00:01Z started\n2026-11-24T10:00:05Z step 5');
    const loss = screen.getAllByTestId('chart').find((c) => c.dataset.title === 'Loss')!;
    expect(JSON.parse(loss.textContent!)[0]).toEqual([1, 5]);

    // Pause is offered while running, Resume once paused.
    expect((screen.getByRole('button', { name: 'Pause' }) as HTMLButtonElement).disabled).toBe(false);
    expect((screen.getByRole('button', { name: 'Resume' }) as HTMLButtonElement).disabled).toBe(true);
    stored = { ...record, state: 'paused', step: 5 };
    fake.emit('run.state', { id: 'r1', state: 'paused', record: stored });
    await waitFor(() => expect(screen.getByTestId('run-state').textContent).toBe('paused'));
    expect((screen.getByRole('button', { name: 'Resume' }) as HTMLButtonElement).disabled).toBe(false);
    expect((screen.getByRole('button', { name: 'Pause' }) as HTMLButtonElement).disabled).toBe(true);
    // The charts stay, with where the run stopped and where Resume continues.
    await waitFor(() => expect(screen.getByTestId('state-note').textContent).toBe('Paused at step 5. Resume continues from the checkpoint at step 5.'));
    expect(screen.getAllByTestId('chart').length).toBeGreaterThan(0);
  });

  it('shows a damaged run with its reason, and offers only the actions its damage allows', async () => {
    const damaged = {
      id: 'r2',
      state: 'damaged',
      model: 'm',
      dataset: 'd.jsonl',
      created: '2026-11-24T10:00:00Z',
      step: 40,
      total_steps: 60,
      last_checkpoint: 40,
      damage: {
        files: ['state.json', 'metrics.jsonl'],
        reason: 'state.json is empty; metrics.jsonl cannot be read (permission denied)',
        resumable: true,
        resume_step: 40,
        advice: 'resume it to continue from its checkpoint at step 40, or delete it',
      },
    };
    const fake = fakeTransport({
      'Runs.Get': () => ({ record: damaged, config, has_adapter: false }),
      'Runs.Metrics': () => {
        throw new Error('read metrics of run r2: permission denied');
      },
      'Runs.Log': () => [],
      'Runs.Resume': () => null,
    });
    setTransport(fake.t);
    render(RunPage, { id: 'r2', navigate: () => {} });
    const box = await screen.findByTestId('run-damage');
    expect(box.textContent).toContain('state.json is empty; metrics.jsonl cannot be read');
    expect(box.textContent).toContain('Resume it to continue from its checkpoint at step 40, or delete it.');
    expect(screen.getByTestId('run-state').textContent).toBe('damaged');
    const button = (name: string) => screen.getByRole('button', { name }) as HTMLButtonElement;
    expect(button('Resume').disabled).toBe(false);
    expect(button('Delete').disabled).toBe(false);
    expect(button('Pause').disabled).toBe(true);
    expect(button('Cancel').disabled).toBe(true);
    button('Resume').click();
    await waitFor(() => expect(fake.calls.find((c) => c.name === 'Runs.Resume')?.args).toEqual(['r2']));

    // Resume goes away when the damage does not allow it.
    fake.emit('run.state', {
      id: 'r2',
      state: 'damaged',
      record: { ...damaged, damage: { ...damaged.damage, files: ['config.yaml'], resumable: false, advice: 'delete it' } },
    });
    await waitFor(() => expect(button('Resume').disabled).toBe(true));
    expect(button('Delete').disabled).toBe(false);
  });

  it('calls the service for an action and shows its error', async () => {
    const fake = fakeTransport({
      'Runs.Get': () => ({ record, config, has_adapter: false }),
      'Runs.Metrics': () => [],
      'Runs.Log': () => [],
      'Runs.Pause': () => {
        throw new Error('run r1 is not running');
      },
    });
    setTransport(fake.t);
    render(RunPage, { id: 'r1', navigate: () => {} });
    (await screen.findByRole('button', { name: 'Pause' })).click();
    expect((await screen.findByRole('alert')).textContent).toBe('run r1 is not running');
    expect(fake.calls.find((c) => c.name === 'Runs.Pause')?.args).toEqual(['r1']);
  });

  it('never lets an older snapshot hide a newer state, and asks the store after a missed event', async () => {
    let answer!: (v: unknown) => void;
    let gets = 0;
    const queued = { ...record, state: 'queued', step: 0, version: 1 };
    const fake = fakeTransport({
      'Runs.Get': () => {
        gets++;
        if (gets === 1) return new Promise((r) => (answer = r));
        return { record: { ...record, state: 'paused', step: 9, version: 8 }, config, has_adapter: false };
      },
      'Runs.Metrics': () => [],
      'Runs.Log': () => [],
    });
    setTransport(fake.t);
    render(RunPage, { id: 'r1', navigate: () => {} });
    // The run starts while the page's first Runs.Get is on its way.
    await waitFor(() => expect(gets).toBe(1));
    fake.emit('run.state', { id: 'r1', state: 'running', record: { ...record, state: 'running', version: 3 } });
    answer({ record: queued, config, has_adapter: false });
    await waitFor(() => expect(screen.getByTestId('run-state').textContent).toBe('running'));
    expect((screen.getByRole('button', { name: 'Pause' }) as HTMLButtonElement).disabled).toBe(false);

    // Versions 4 to 6 were lost: the page asks the store, which has moved
    // on to paused; a late, older event does not bring "running" back.
    fake.emit('run.state', { id: 'r1', state: 'running', record: { ...record, state: 'running', step: 8, version: 7 } });
    await waitFor(() => expect(screen.getByTestId('run-state').textContent).toBe('paused'));
    fake.emit('run.state', { id: 'r1', state: 'running', record: { ...record, state: 'running', version: 5 } });
    expect(screen.getByTestId('run-state').textContent).toBe('paused');
    expect((screen.getByRole('button', { name: 'Resume' }) as HTMLButtonElement).disabled).toBe(false);
  });

  it('says why a failed run has no charts and what to do, instead of waiting for a step', async () => {
    const failed = { ...record, state: 'failed', step: 0, error: 'open /data/x.jsonl: no such file or directory' };
    const fake = fakeTransport({
      'Runs.Get': () => ({ record: failed, config, has_adapter: false }),
      'Runs.Metrics': () => [],
      'Runs.Log': () => [],
    });
    setTransport(fake.t);
    render(RunPage, { id: 'r1', navigate: () => {} });
    const box = await screen.findByTestId('chart-placeholder');
    expect(box.textContent).toContain('Failed before its first step');
    expect(screen.getByRole('alert').textContent).toBe('open /data/x.jsonl: no such file or directory');
    expect(box.textContent).toContain('The error above says what went wrong.');
    expect(box.textContent).toContain('Duplicate opens its settings in the New run form');
    expect(document.body.textContent).not.toMatch(/Waiting for the first step/);
    expect(screen.queryAllByTestId('chart')).toHaveLength(0);
  });

  it('names the run a queued run waits for, and shows charts once steps arrive', async () => {
    const queued = { ...record, id: '20261206-100000-aaaaaa', state: 'queued', step: 0, created: '2026-12-06T10:00:00Z', version: 1 };
    const ahead = { ...record, id: '20261206-090000-8d9afe', name: 'gemma-demo', state: 'running', created: '2026-12-06T09:00:00Z' };
    const fake = fakeTransport({
      'Runs.Get': () => ({ record: queued, config, has_adapter: false }),
      'Runs.Metrics': () => [],
      'Runs.Log': () => [],
      'Runs.List': () => [ahead, queued],
    });
    setTransport(fake.t);
    render(RunPage, { id: queued.id, navigate: () => {} });
    await waitFor(() => expect(screen.getByTestId('chart-placeholder').textContent).toContain('Queued behind gemma-demo · 8d9afe'));

    fake.emit('run.state', { id: queued.id, state: 'running', record: { ...queued, state: 'running', version: 2 } });
    await waitFor(() => expect(screen.getByTestId('chart-placeholder').textContent).toContain('Preparing the data and the model'));
    fake.emit('run.log', { id: queued.id, line: 'data: 150 training and 8 validation examples', time: '2026-12-06T10:00:03Z' });
    await waitFor(() => expect(screen.getByTestId('preparing-log').textContent).toBe('2026-12-06T10:00:03Z data: 150 training and 8 validation examples'));
    fake.emit('run.metrics', { id: queued.id, metrics: { step: 1, loss: 2.5, lr: 2e-4 } });
    await waitFor(() => expect(screen.queryByTestId('chart-placeholder')).toBeNull());
    expect(screen.getAllByTestId('chart').map((c) => c.dataset.title)).toContain('Learning rate');
  });

  it('opens a copy of the run in the New run form instead of queueing one', async () => {
    const full = { name: 'demo', training: { max_steps: 10, lr: 2e-4 } };
    const fake = fakeTransport({
      'Runs.Get': () => ({ record: { ...record, state: 'completed' }, config: full, has_adapter: true }),
      'Runs.Metrics': () => [],
      'Runs.Log': () => [],
    });
    setTransport(fake.t);
    const navigate = vi.fn();
    render(RunPage, { id: 'r1', navigate });
    (await screen.findByRole('button', { name: 'Duplicate' })).click();
    await waitFor(() => expect(navigate).toHaveBeenCalledWith({ screen: 'new' }));
    expect(session.draft).toEqual({ name: 'demo copy', training: { max_steps: 10, lr: 2e-4 } });
    expect(fake.calls.some((c) => c.name === 'Runs.Duplicate')).toBe(false);
    session.draft = null;
  });

  it('offers no Duplicate for a run whose config cannot be read', async () => {
    const fake = fakeTransport({
      'Runs.Get': () => ({ record: { ...record, state: 'damaged' }, config: {}, config_error: 'config.yaml is empty', has_adapter: false }),
      'Runs.Metrics': () => [],
      'Runs.Log': () => [],
    });
    setTransport(fake.t);
    render(RunPage, { id: 'r1', navigate: () => {} });
    const dup = (await screen.findByRole('button', { name: 'Duplicate' })) as HTMLButtonElement;
    expect(dup.disabled).toBe(true);
    expect(dup.title).toContain('config.yaml is empty');
  });

  it("charts a DPO run's rewards live and shows the latest margin and accuracy", async () => {
    const extra = (c: number, r: number, acc: number) => ({ 'rewards/chosen': c, 'rewards/rejected': r, 'rewards/margins': c - r, 'rewards/accuracies': acc });
    const fake = fakeTransport({
      'Runs.Get': () => ({ record, config: { training: { method: 'dpo', max_steps: 10 } }, has_adapter: false, checkpoints: [] }),
      'Runs.Metrics': () => [{ step: 1, loss: 0.69, extra: extra(0.01, -0.01, 0.5) }],
      'Runs.Log': () => [],
    });
    setTransport(fake.t);
    render(RunPage, { id: 'r1', navigate: () => {} });
    await waitFor(() => expect(screen.getByTestId('reward-margin').textContent).toBe('0.02'));
    expect(screen.getByTestId('reward-accuracy').textContent).toBe('50%');
    expect(screen.getByTestId('run-method').textContent).toBe('DPO');
    const titles = () => screen.getAllByTestId('chart').map((c) => c.dataset.title);
    expect(titles()).toEqual(expect.arrayContaining(['Loss', 'Rewards: chosen vs rejected', 'Reward margin', 'Reward accuracy']));
    expect(titles()).not.toContain('NLL of chosen');

    // The same SSE as the loss brings the next step's figures.
    fake.emit('run.metrics', { id: 'r1', metrics: { step: 2, loss: 0.5, extra: extra(0.2, -0.3, 1) } });
    await waitFor(() => expect(screen.getByTestId('reward-accuracy').textContent).toBe('100%'));
    expect(screen.getByTestId('reward-margin').textContent).toBe('0.5');
    const rewards = screen.getAllByTestId('chart').find((c) => c.dataset.title === 'Rewards: chosen vs rejected')!;
    const cols = JSON.parse(rewards.textContent!);
    expect(cols[0]).toEqual([1, 2]);
    expect(cols).toHaveLength(3);
  });

  it('shows an SFT run without reward figures or charts', async () => {
    const fake = fakeTransport({
      'Runs.Get': () => ({ record, config, has_adapter: false, checkpoints: [] }),
      'Runs.Metrics': () => [{ step: 1, loss: 3.0 }],
      'Runs.Log': () => [],
    });
    setTransport(fake.t);
    render(RunPage, { id: 'r1', navigate: () => {} });
    await screen.findByText('3');
    expect(screen.queryByTestId('reward-margin')).toBeNull();
    expect(screen.queryByTestId('run-method')).toBeNull();
    expect(screen.getAllByTestId('chart').map((c) => c.dataset.title)).toEqual(['Loss', 'Gradient norm', 'Learning rate', 'Tokens per second', 'Memory (RSS)']);
  });
});
