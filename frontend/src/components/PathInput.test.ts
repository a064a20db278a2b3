// @vitest-environment jsdom
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { setTransport } from '../lib/api';
import { fakeTransport } from '../test/fakeTransport';
import PathInput from './PathInput.svelte';

afterEach(() => setTransport(null));

describe('PathInput', () => {
  it('opens the native dialog in the window, next to the typed path', async () => {
    const fake = fakeTransport({ 'System.PickPath': () => '/data/new.jsonl' });
    setTransport({ ...fake.t, kind: 'wails' });
    const chosen: string[] = [];
    render(PathInput, { id: 'p', value: '/data/old.jsonl', dataset: true, dialogTitle: 'Choose a dataset', onchoose: (p: string) => chosen.push(p) });
    expect(screen.queryByRole('button', { name: 'Upload…' })).toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: 'Browse…' }));
    await waitFor(() => expect(chosen).toEqual(['/data/new.jsonl']));
    expect(fake.calls[0].args[0]).toEqual({ kind: 'file', dataset: true, title: 'Choose a dataset', start: '/data' });
    expect((document.getElementById('p') as HTMLInputElement).value).toBe('/data/new.jsonl');
  });

  it('keeps the path when the dialog is cancelled, and shows a dialog error', async () => {
    let answer: () => string = () => '';
    const fake = fakeTransport({ 'System.PickPath': () => answer() });
    setTransport({ ...fake.t, kind: 'wails' });
    render(PathInput, { id: 'p', value: 'typed', pick: 'folder' });
    await fireEvent.click(screen.getByRole('button', { name: 'Browse…' }));
    await waitFor(() => expect(fake.calls).toHaveLength(1));
    expect((document.getElementById('p') as HTMLInputElement).value).toBe('typed');
    answer = () => {
      throw new Error('no display');
    };
    await fireEvent.click(screen.getByRole('button', { name: 'Browse…' }));
    expect((await screen.findByRole('alert')).textContent).toBe('no display');
  });

  it('uploads a dataset in the browser with a progress bar', async () => {
    setTransport(fakeTransport({}).t);
    let report: (done: number, total: number) => void = () => {};
    let finish: (path: string) => void = () => {};
    const upload = (_f: File, onProgress: (d: number, t: number) => void) =>
      new Promise<string>((resolve) => {
        report = onProgress;
        finish = resolve;
      });
    const chosen: string[] = [];
    render(PathInput, { id: 'p', value: '', dataset: true, upload, onchoose: (p: string) => chosen.push(p) });
    expect(screen.queryByRole('button', { name: 'Browse…' })).toBeNull();
    const file = new File(['{"a":1}\n'], 'chats.jsonl');
    await fireEvent.change(screen.getByLabelText('File to upload'), { target: { files: [file] } });
    report(4, 8);
    const bar = await screen.findByRole('progressbar', { name: 'Upload progress' });
    await waitFor(() => expect(bar.getAttribute('aria-valuenow')).toBe('50'));
    finish('/ws/datasets/chats.jsonl');
    await waitFor(() => expect(chosen).toEqual(['/ws/datasets/chats.jsonl']));
    expect(screen.queryByRole('progressbar')).toBeNull();
  });

  it('offers nothing extra for a model in the browser, and a recents dropdown', async () => {
    setTransport(fakeTransport({}).t);
    const chosen: string[] = [];
    render(PathInput, { id: 'p', value: '', pick: 'folder', recents: ['/m/a', 'org/b'], onchoose: (p: string) => chosen.push(p) });
    expect(screen.queryByRole('button')).toBeNull();
    await fireEvent.change(screen.getByLabelText('Recent'), { target: { value: 'org/b' } });
    expect(chosen).toEqual(['org/b']);
    expect((document.getElementById('p') as HTMLInputElement).value).toBe('org/b');
  });
});
