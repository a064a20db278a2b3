// @vitest-environment jsdom
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { setTransport } from '../../lib/api';
import { fakeTransport } from '../../test/fakeTransport';
import ExportScreen from './ExportScreen.svelte';

afterEach(() => setTransport(null));

describe('export screen', () => {
  it('exports a finished run and lists the files and commands', async () => {
    let finish: (v: unknown) => void = () => {};
    const fake = fakeTransport({
      'Runs.List': () => [
        { id: 'r0', state: 'failed', model: 'm', dataset: 'd', created: '', step: 1, total_steps: 2 },
        { id: 'r1', name: 'tuned', state: 'completed', model: 'm', dataset: 'd', created: '', step: 2, total_steps: 2 },
      ],
      'Export.Start': () => new Promise((res) => (finish = res)),
    });
    setTransport(fake.t);
    render(ExportScreen, { runId: 'r1' });
    const run = (await screen.findByLabelText('Run')) as HTMLSelectElement;
    await waitFor(() => expect(run.value).toBe('r1'));
    // Only finished runs can be exported.
    expect([...run.options].map((o) => o.value)).toEqual(['r1']);
    // Formats and quantizations are Go's (export.Formats, export.Quants).
    const format = screen.getByLabelText('Format') as HTMLSelectElement;
    expect([...format.options].map((o) => o.value)).toEqual(['gguf', 'gguf-lora', 'merged', 'peft']);
    const quant = () => [...(screen.getByLabelText('Quantization') as HTMLSelectElement).options].map((o) => o.value);
    expect(quant()).toEqual(['f16', 'q8_0', 'q4_k', 'bf16', 'f32']);
    expect((screen.getByLabelText('Quantization') as HTMLSelectElement).value).toBe('q8_0');
    await fireEvent.change(format, { target: { value: 'gguf-lora' } });
    await waitFor(() => expect(quant()).toEqual(['f32', 'f16', 'bf16', 'q8_0', 'q4_k']));
    await fireEvent.change(format, { target: { value: 'gguf' } });
    await fireEvent.change(screen.getByLabelText('Quantization'), { target: { value: 'f16' } });
    // Replacing an earlier export is asked for explicitly.
    await fireEvent.click(screen.getByLabelText('Replace an earlier export in this folder'));
    await fireEvent.click(screen.getByRole('button', { name: 'Export' }));
    await waitFor(() => expect(fake.calls.find((c) => c.name === 'Export.Start')?.args[0]).toEqual({ run_id: 'r1', format: 'gguf', quant: 'f16', overwrite: true }));

    fake.emit('export.progress', { stage: 'writing', done: 3, total: 4, tensor: 'blk.0.attn_q.weight' });
    await screen.findByText('writing: blk.0.attn_q.weight');
    expect(screen.getByRole('progressbar', { name: 'Export progress' }).getAttribute('aria-valuenow')).toBe('75');

    finish({ out_dir: '/x', files: [{ path: '/x/tuned-f16.gguf', size: 2048 }, { path: '/x/Modelfile', size: 100 }], commands: { ollama: 'ollama create tuned -f Modelfile', llamacpp: 'llama-cli -m /x/tuned-f16.gguf' } });
    const files = await screen.findAllByTestId('export-file');
    expect(files.map((f) => f.textContent)).toEqual(['/x/tuned-f16.gguf', '/x/Modelfile']);
    expect(screen.getByText('2.0 KiB')).toBeTruthy();
    expect(screen.getByText('llama-cli -m /x/tuned-f16.gguf')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Copy Ollama' })).toBeTruthy();
  });

  it('labels runs with their short id, sends a model name and points an earlier export at the overwrite checkbox', async () => {
    const fake = fakeTransport({
      'Runs.List': () => [
        { id: '20261206-100000-aaaaaa', name: 'tuned', state: 'completed', model: 'm', dataset: 'd', created: '', step: 2, total_steps: 2 },
        { id: '20261206-110000-bbbbbb', name: 'tuned', state: 'completed', model: 'm', dataset: 'd', created: '', step: 2, total_steps: 2 },
      ],
      'Export.Start': () => {
        throw new Error('output folder "/ws/exports/tuned-bbbbbb-gguf-q4_k" already holds an earlier export: allow overwriting it, or choose a new folder');
      },
    });
    setTransport(fake.t);
    render(ExportScreen, { runId: '20261206-110000-bbbbbb' });
    const run = (await screen.findByLabelText('Run')) as HTMLSelectElement;
    await waitFor(() => expect([...run.options].map((o) => o.textContent)).toEqual(['tuned · aaaaaa', 'tuned · bbbbbb']));
    await fireEvent.change(screen.getByLabelText('Quantization'), { target: { value: 'q4_k' } });
    await fireEvent.input(screen.getByLabelText('Model name'), { target: { value: 'my-tuned' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Export' }));
    await waitFor(() =>
      expect(fake.calls.find((c) => c.name === 'Export.Start')?.args[0]).toEqual({ run_id: '20261206-110000-bbbbbb', format: 'gguf', quant: 'q4_k', name: 'my-tuned' }),
    );
    const hint = await screen.findByRole('status');
    expect(hint.textContent).toMatch(/tick “Replace an earlier export in this folder”/);
    const box = screen.getByLabelText('Replace an earlier export in this folder') as HTMLInputElement;
    expect(box.getAttribute('aria-describedby')).toBe(hint.id);
    await fireEvent.click(box);
    expect(screen.queryByRole('status')).toBeNull();
  });

  it('offers a finished export for download in the browser', async () => {
    const fake = fakeTransport({
      'Runs.List': () => [{ id: '20261206-110000-bbbbbb', name: 'tuned', state: 'completed', model: 'm', dataset: 'd', created: '', step: 2, total_steps: 2 }],
      'Export.Start': () => ({
        out_dir: '/ws/exports/tuned-bbbbbb-gguf-q8_0',
        files: [{ path: '/ws/exports/tuned-bbbbbb-gguf-q8_0/tuned-bbbbbb-q8_0.gguf', size: 4096 }],
        commands: {},
      }),
    });
    setTransport(fake.t); // an http transport, as under `whetstone serve`
    render(ExportScreen, {});
    await waitFor(() => expect((screen.getByLabelText('Run') as HTMLSelectElement).value).toBe('20261206-110000-bbbbbb'));
    await fireEvent.click(screen.getByRole('button', { name: 'Export' }));
    const zip = await screen.findByRole('link', { name: 'Download all (zip)' });
    expect(zip.getAttribute('href')).toBe('/api/v1/exports/tuned-bbbbbb-gguf-q8_0/download');
    expect(zip.hasAttribute('download')).toBe(true);
    expect(screen.getByRole('link', { name: 'Download tuned-bbbbbb-q8_0.gguf' }).getAttribute('href')).toBe(
      '/api/v1/exports/tuned-bbbbbb-gguf-q8_0/download?file=tuned-bbbbbb-q8_0.gguf',
    );

    // A folder of the user's choosing is not one the server hands out.
    await fireEvent.input(screen.getByLabelText('Output folder'), { target: { value: '/data/mine' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Export' }));
    await waitFor(() => expect(screen.queryByRole('link', { name: 'Download all (zip)' })).toBeNull());
    expect(screen.getByText(/leave Output folder empty/)).toBeTruthy();
  });
});
