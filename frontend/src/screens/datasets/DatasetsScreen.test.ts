// @vitest-environment jsdom
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { setTransport } from '../../lib/api';
import { session } from '../../lib/session.svelte';
import { fakeTransport } from '../../test/fakeTransport';
import DatasetsScreen from './DatasetsScreen.svelte';

const detection = {
  mapping: { format: 'sharegpt', conversation_column: 'conversations', role_key: 'from', content_key: 'value' },
  confidence: 1,
  reason: 'column "conversations" holds lists of {from, value} turns',
};

afterEach(() => {
  setTransport(null);
  session.dataset = '';
  session.model = '';
  session.mapping = {};
});

describe('datasets screen', () => {
  it('detects, previews with the model, and sends only the edited mapping', async () => {
    const fake = fakeTransport({
      'Datasets.Inspect': (req) => ({ path: (req as { path: string }).path, files: ['d.jsonl'], detection }),
      'Datasets.Preview': (req) => ({
        page: (req as { page: number }).page,
        page_size: 5,
        has_more: true,
        rows: [{ row: 1, text: 'Q A', tokens: [{ id: 1, start: 0, end: 1, text: 'Q', trainable: false }, { id: 2, start: 1, end: 3, text: ' A', trainable: true }], trainable: 1 }],
      }),
      'Datasets.Stats': () => ({ rows: 1, conversations: 1, skipped: 0, tokenized: true, kept: 1, lengths: [] }),
    });
    setTransport(fake.t);
    render(DatasetsScreen);
    await fireEvent.input(screen.getByLabelText('Dataset'), { target: { value: 'd.jsonl' } });
    await fireEvent.input(screen.getByLabelText(/Model \(for the chat template/), { target: { value: 'm' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Inspect' }));

    expect((await screen.findByTestId('format')).textContent).toBe('sharegpt');
    expect(screen.getByText(/holds lists of/)).toBeTruthy();
    await waitFor(() => expect(document.querySelector('[data-testid=rendered] .trained')?.textContent).toBe(' A'));
    const first = fake.calls.find((c) => c.name === 'Datasets.Preview')!.args[0] as Record<string, unknown>;
    expect(first).toMatchObject({ path: 'd.jsonl', model: 'm', page: 0, train_on: 'responses', mapping: {} });
    expect(session.dataset).toBe('d.jsonl');

    await fireEvent.change(screen.getByLabelText('Turns column'), { target: { value: 'dialog' } });
    await waitFor(() => {
      const last = fake.calls.filter((c) => c.name === 'Datasets.Preview').at(-1)!.args[0] as Record<string, unknown>;
      expect(last.mapping).toEqual({ conversation_column: 'dialog' });
    });
    expect(session.mapping).toEqual({ conversation_column: 'dialog' });

    await fireEvent.click(screen.getByRole('button', { name: /Next/ }));
    await waitFor(() => {
      const last = fake.calls.filter((c) => c.name === 'Datasets.Preview').at(-1)!.args[0] as Record<string, unknown>;
      expect(last.page).toBe(1);
    });
  });

  it('shows why a dataset cannot be read', async () => {
    const fake = fakeTransport({
      'Datasets.Inspect': () => {
        throw new Error('bad.jsonl: row 3: invalid JSON');
      },
    });
    setTransport(fake.t);
    render(DatasetsScreen);
    await fireEvent.input(screen.getByLabelText('Dataset'), { target: { value: 'bad.jsonl' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Inspect' }));
    expect((await screen.findByRole('alert')).textContent).toBe('bad.jsonl: row 3: invalid JSON');
  });
});
