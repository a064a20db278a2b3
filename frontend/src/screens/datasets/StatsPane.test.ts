// @vitest-environment jsdom
import { render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { setTransport } from '../../lib/api';
import { readOptions } from '../../lib/datasetview';
import { fakeTransport } from '../../test/fakeTransport';
import StatsPane from './StatsPane.svelte';

afterEach(() => setTransport(null));

const stats = (extra: Record<string, unknown>) => ({
  path: 'pairs.jsonl',
  rows: 12,
  conversations: 12,
  skipped: 0,
  tokenized: true,
  kept: 12,
  tokens: 2400,
  trainable_tokens: 600,
  min_len: 40,
  median_len: 100,
  p95_len: 180,
  max_len_seen: 200,
  mean_len: 101,
  max_len: 2048,
  truncated: 0,
  over_max_len: 0,
  turns: [],
  roles: {},
  lengths: [{ lo: 0, hi: 256, count: 12 }],
  ...extra,
});

function show(s: Record<string, unknown>) {
  setTransport(fakeTransport({ 'Datasets.Stats': () => s }).t);
  render(StatsPane, { path: 'pairs.jsonl', model: 'm', mapping: {}, read: readOptions() });
}

describe('statistics', () => {
  it('counts a preference dataset in pairs, both sides of each', async () => {
    show(stats({ pairs: 12 }));
    expect((await screen.findByTestId('pairs')).textContent).toBe('12');
    expect(screen.getByText('Preference pairs')).toBeTruthy();
    expect(screen.getByText('Tokens of both sides (trained)')).toBeTruthy();
    expect(screen.getByText('Longer side min / median / p95 / max')).toBeTruthy();
    expect(screen.queryByTestId('conversations')).toBeNull();
    expect(screen.queryByTestId('mixed-pairs')).toBeNull();
  });

  it('says when pairs are mixed with other rows', async () => {
    show(stats({ pairs: 5 }));
    expect((await screen.findByTestId('mixed-pairs')).textContent).toContain('5 of 12 rows are preference pairs');
    expect(screen.getByTestId('conversations').textContent).toBe('12');
  });

  it('counts other datasets in conversations, as before', async () => {
    show(stats({}));
    expect((await screen.findByTestId('conversations')).textContent).toBe('12');
    expect(screen.queryByText('Preference pairs')).toBeNull();
    expect(screen.getByText('Tokens (trained)')).toBeTruthy();
  });
});
