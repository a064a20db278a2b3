// @vitest-environment jsdom
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { setTransport } from '../../lib/api';
import { session } from '../../lib/session.svelte';
import { fakeTransport } from '../../test/fakeTransport';
import ModelsScreen from './ModelsScreen.svelte';

afterEach(() => {
  setTransport(null);
  session.model = '';
});

const info = {
  ref: 'google/gemma-3-270m-it', local_dir: '/cache/gemma', architecture: 'gemma3', params: 268_098_176, context_length: 32768,
  dtype: 'bfloat16', vocab_size: 262144, layers: 18, hidden: 640, heads: 4, kv_heads: 1, has_tokenizer: true, has_weights: false, family: 'gemma3',
};

describe('models screen', () => {
  it('shows the model facts and a memory estimate that follows the settings', async () => {
    const fake = fakeTransport({
      'Models.Inspect': () => info,
      'Runs.Defaults': () => ({ model: { source: '' }, lora: { r: 8, alpha: 8 }, training: { batch_size: 2, max_seq_len: 2048 } }),
      'Models.EstimateMemory': (_ref, cfg) => {
        const c = cfg as { training: { batch_size: number } };
        const total = c.training.batch_size * 2 ** 30;
        return { base_weights: 1, lora: 1, lora_params: 1000, activations: 1, logits: 1, overhead: 1, total, total_mb: total / 2 ** 20, free_mb: 3072, fits: total < 3 * 2 ** 30 };
      },
      'Models.Download': () => '/cache/gemma',
    });
    setTransport(fake.t);
    render(ModelsScreen);
    await fireEvent.input(screen.getByLabelText('Base model'), { target: { value: 'google/gemma-3-270m-it' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Inspect' }));
    expect((await screen.findByTestId('params')).textContent).toBe('268M');
    expect(screen.getByText('32,768 tokens')).toBeTruthy();
    expect(screen.getByTestId('weights').textContent).toBe('weights not downloaded');
    expect(session.model).toBe('google/gemma-3-270m-it');

    await waitFor(() => expect(screen.getByTestId('mem-total').textContent).toBe('2.0 GiB'));
    expect(screen.getByText('fits in the 3.0 GiB available')).toBeTruthy();
    await fireEvent.input(screen.getByLabelText('Batch size'), { target: { value: '4' } });
    await waitFor(() => expect(screen.getByTestId('mem-total').textContent).toBe('4.0 GiB'));
    expect(screen.getByText(/more than the 3.0 GiB available/)).toBeTruthy();

    // Download, then re-inspect: progress events show while it runs.
    await fireEvent.click(screen.getByRole('button', { name: 'Download' }));
    fake.emit('hub.progress', { repo: 'google/gemma-3-270m-it', file: 'model.safetensors', files_done: 1, files_total: 3, bytes_done: 50, bytes_total: 100 });
    await waitFor(() => expect(fake.calls.filter((c) => c.name === 'Models.Inspect')).toHaveLength(2));
    expect(screen.getByRole('progressbar', { name: 'Download progress' }).getAttribute('aria-valuenow')).toBe('50');
  });
});
