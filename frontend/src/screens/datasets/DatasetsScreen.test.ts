// @vitest-environment jsdom
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
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
  session.format = '';
});

describe('datasets screen', () => {
  it('detects, previews with the model, and sends only the edited mapping', async () => {
    const fake = fakeTransport({
      'Datasets.Inspect': (req) => ({ path: (req as { path: string }).path, files: ['d.jsonl'], detection }),
      'Datasets.Preview': (req) => ({
        page: (req as { page: number }).page,
        page_size: 5,
        has_more: true,
        total: 12,
        skipped: 0,
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
    expect(first).toMatchObject({ path: 'd.jsonl', model: 'm', page: 0, train_on: 'responses', mapping: {}, skip_bad_rows: true });
    expect(screen.getByTestId('row-range').textContent).toBe('rows 1–1 of 12');
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

  it('reads a folder as training does: every file, bad rows listed, unknown roles mapped into the run config', async () => {
    const dir = '/data/ft';
    const files = [`${dir}/train-00000-of-00001.parquet`, `${dir}/train-line37.jsonl`, `${dir}/train-robot.jsonl`];
    const bad = [
      { file: files[1], row: 37, line: 37, kind: 'invalid JSON', message: 'train-line37.jsonl: line 37: invalid JSON: cut off' },
      { file: files[2], row: 3, line: 3, field: 'conversations[1].from', kind: 'unknown role', message: 'train-robot.jsonl: line 3, field conversations[1].from: unknown role: "robot"' },
    ];
    const fake = fakeTransport({
      'Datasets.Inspect': () => ({ path: dir, files, detection: { ...detection, roles: { human: 'user', gpt: 'assistant' } } }),
      'Datasets.Preview': (req) => {
        const r = req as { page: number; page_size: number };
        const first = r.page * r.page_size;
        const rows = Array.from({ length: Math.max(0, Math.min(r.page_size, 203 - first)) }, (_, i) => ({ row: first + i + 1, text: 't', trainable: 0, messages: [] }));
        return { page: r.page, page_size: r.page_size, rows, has_more: first + rows.length < 203, total: 203, skipped: 2, detection };
      },
      'Datasets.Stats': (req) => {
        const robot = (req as { mapping: { roles?: Record<string, string> } }).mapping.roles?.robot;
        return {
          path: dir, files, rows: 205, conversations: robot ? 204 : 203, skipped: robot ? 1 : 2, tokenized: false, kept: 0, lengths: [],
          bad_rows: robot ? bad.slice(0, 1) : bad, unknown_roles: robot ? undefined : { robot: 1 }, max_bad_rows: 1000,
        };
      },
    });
    setTransport(fake.t);
    render(DatasetsScreen);
    await fireEvent.input(screen.getByLabelText('Dataset'), { target: { value: dir } });
    await fireEvent.click(screen.getByRole('button', { name: 'Inspect' }));
    expect((await screen.findByTestId('files-read')).textContent).toContain('3 files read');
    expect(fake.calls.find((c) => c.name === 'Datasets.Inspect')!.args[0]).toMatchObject({ path: dir, skip_bad_rows: true, max_bad_rows: 1000 });

    // Preview: every file, with the total, and paging to the last page.
    await waitFor(() => expect(screen.getByTestId('row-range').textContent).toBe('rows 1–5 of 203'));
    await fireEvent.click(screen.getByRole('button', { name: 'Last page' }));
    await waitFor(() => expect(screen.getByTestId('row-range').textContent).toBe('rows 201–203 of 203'));
    const pv = fake.calls.filter((c) => c.name === 'Datasets.Preview').at(-1)!.args[0] as Record<string, unknown>;
    expect(pv).toMatchObject({ path: dir, page: 40, skip_bad_rows: true });

    // Statistics: a bad row is listed with its file and line, not an error for the whole tab.
    await fireEvent.click(screen.getByRole('tab', { name: 'Statistics' }));
    expect((await screen.findByTestId('rows')).textContent).toBe('205');
    expect(screen.getByTestId('skipped').textContent).toBe('2');
    expect(screen.getByTestId('files').textContent).toBe('3');
    expect(screen.getByRole('heading', { name: '2 bad rows' })).toBeTruthy();
    const table = within(screen.getByRole('table'));
    expect(table.getByText('train-robot.jsonl')).toBeTruthy();
    expect(table.getByText('line 3, conversations[1].from')).toBeTruthy();
    expect(table.getByText('unknown role: "robot"')).toBeTruthy();
    expect(screen.queryByRole('alert')).toBeNull();
    expect(fake.calls.find((c) => c.name === 'Datasets.Stats')!.args[0]).toMatchObject({ path: dir, skip_bad_rows: true, max_bad_rows: 1000 });

    // The unknown role found in every file is offered; mapping it goes to the request and the run config.
    const robot = await screen.findByLabelText('Role for robot');
    expect(screen.getByLabelText('Role for human')).toBeTruthy();
    await fireEvent.change(robot, { target: { value: 'assistant' } });
    await waitFor(() => expect(screen.getByTestId('skipped').textContent).toBe('1'));
    const st = fake.calls.filter((c) => c.name === 'Datasets.Stats').at(-1)!.args[0] as Record<string, unknown>;
    expect(st.mapping).toEqual({ roles: { robot: 'assistant' } });
    expect(session.mapping).toEqual({ 'roles.robot': 'assistant' });
    // Still offered, now mapped, though no longer unknown.
    expect((screen.getByLabelText('Role for robot') as HTMLSelectElement).value).toBe('assistant');
  });

  it('keeps the mapping made for the dataset when the user comes back, and adds role names by hand', async () => {
    const fake = fakeTransport({
      'Datasets.Inspect': (req) => ({ path: (req as { path: string }).path, files: ['d.jsonl'], detection: { ...detection, roles: { human: 'user', gpt: 'assistant' } } }),
      'Datasets.Preview': () => ({ page: 0, page_size: 5, has_more: false, total: 0, skipped: 0, rows: [] }),
    });
    setTransport(fake.t);
    session.dataset = 'd.jsonl';
    session.mapping = { 'roles.robot': 'assistant', content_key: 'text' };
    render(DatasetsScreen);
    expect(((await screen.findByLabelText('Role for robot')) as HTMLSelectElement).value).toBe('assistant');
    expect((screen.getByLabelText('Content key in each turn') as HTMLInputElement).value).toBe('text');
    await waitFor(() => {
      const last = fake.calls.filter((c) => c.name === 'Datasets.Preview').at(-1)!.args[0] as Record<string, unknown>;
      expect(last.mapping).toEqual({ content_key: 'text', roles: { robot: 'assistant' } });
    });
    expect(session.mapping).toEqual({ content_key: 'text', 'roles.robot': 'assistant' });

    await fireEvent.input(screen.getByLabelText('Another role name'), { target: { value: 'Person' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Add' }));
    const person = (await screen.findByLabelText('Role for person')) as HTMLSelectElement;
    expect(person.value).toBe('assistant');
    await fireEvent.change(person, { target: { value: 'user' } });
    expect(session.mapping).toEqual({ content_key: 'text', 'roles.robot': 'assistant', 'roles.person': 'user' });
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
