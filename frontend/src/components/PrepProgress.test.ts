// @vitest-environment jsdom
import { render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { setTransport } from '../lib/api';
import { fakeTransport } from '../test/fakeTransport';
import PrepProgress from './PrepProgress.svelte';

afterEach(() => setTransport(null));

describe('PrepProgress', () => {
  it('starts from the latest report, follows run.prep for its run, and hides at the first step', async () => {
    const fake = fakeTransport({ 'Runs.Prep': () => ({ id: 'r1', stage: 'reading', done: 0, total: 0, note: '' }) });
    setTransport(fake.t);
    render(PrepProgress, { runId: 'r1' });
    expect(await screen.findByText('Step 1 of 5: Reading the data')).toBeTruthy();

    fake.emit('run.prep', { id: 'other', stage: 'compiling', done: 0, total: 0, note: '' });
    fake.emit('run.prep', { id: 'r1', stage: 'tokenizing', done: 12000, total: 30000, note: '' });
    expect(await screen.findByText('12,000 of 30,000 rows')).toBeTruthy();
    expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('40');

    fake.emit('run.metrics', { id: 'r1', metrics: { step: 1 } });
    await waitFor(() => expect(screen.queryByRole('status')).toBeNull());
  });

  it('shows nothing for a run this process has not prepared', async () => {
    const fake = fakeTransport({ 'Runs.Prep': () => ({ id: 'r1', stage: '', done: 0, total: 0, note: '' }) });
    setTransport(fake.t);
    render(PrepProgress, { runId: 'r1' });
    await waitFor(() => expect(fake.calls.length).toBe(1));
    expect(screen.queryByRole('status')).toBeNull();
  });
});
