// @vitest-environment jsdom
import { fireEvent, render, screen, waitFor, within } from '@testing-library/svelte';
import { afterEach, describe, expect, it } from 'vitest';
import { setTransport } from '../../lib/api';
import { session } from '../../lib/session.svelte';
import { fakeTransport } from '../../test/fakeTransport';
import ModelsScreen from './ModelsScreen.svelte';

afterEach(() => {
  setTransport(null);
  session.model = '';
  session.dataset = '';
  localStorage.clear();
});

const info = {
  ref: 'google/gemma-3-270m-it', local_dir: '/cache/gemma', architecture: 'gemma3', params: 268_098_176, context_length: 32768,
  dtype: 'bfloat16', vocab_size: 262144, layers: 18, hidden: 640, heads: 4, kv_heads: 1, has_tokenizer: true, has_weights: false, family: 'gemma3',
};

const demoDir = '/ws/models/demo/gemma3-demo';
const choices = [
  { ref: demoDir, label: 'demo/gemma3-demo', source: 'workspace', dir: demoDir, params: 1_048_576, size_bytes: 4 * 2 ** 20, has_weights: true, architecture: 'gemma3', missing: false },
  { ref: '/gone', label: 'gone', source: 'recent', dir: '', params: 0, size_bytes: 0, has_weights: false, architecture: '', missing: true },
  { ref: 'org/cached', label: 'org/cached', source: 'cache', dir: '/c/org', params: 0, size_bytes: 0, has_weights: false, architecture: '', missing: false },
];

const catalogue = [
  { id: 'google/gemma-3-270m-it', title: 'Gemma 3 270M Instruct', family: 'gemma3', params: 268_098_176, context_length: 32768, download_bytes: 550e6,
    license: 'Gemma Terms of Use', license_url: 'https://ai.google.dev/gemma/terms', gated: true, gated_note: 'gated', note: '', page_url: 'https://huggingface.co/google/gemma-3-270m-it', downloaded: false },
  { id: 'Qwen/Qwen3-0.6B', title: 'Qwen 3 0.6B', family: 'qwen3', params: 751_632_384, context_length: 40960, download_bytes: 1.5e9,
    license: 'Apache 2.0', license_url: 'https://x', gated: false, gated_note: '', note: '', page_url: 'https://huggingface.co/Qwen/Qwen3-0.6B', downloaded: true },
];

const defaults = () => ({ model: { source: '' }, lora: { r: 8, alpha: 8 }, training: { batch_size: 2, max_seq_len: 2048, gradient_checkpointing: false, grad_accum: 1 } });

function lists(extra: Record<string, (...a: unknown[]) => unknown> = {}) {
  return {
    'Models.Choices': () => choices,
    'Models.Catalog': () => catalogue,
    'System.Recents': () => ({ models: [{ ref: demoDir, used: '2026-01-01T00:00:00Z' }], datasets: [] }),
    'Runs.Defaults': defaults,
    'Models.EstimateMemory': () => ({ base_weights: 1, lora: 1, lora_params: 1, activations: 1, logits: 1, overhead: 1, total: 2 ** 20, total_mb: 1, free_mb: 3072, fits: true }),
    ...extra,
  };
}

describe('models screen', () => {
  it('shows the model facts and a memory estimate that follows the settings', async () => {
    const fake = fakeTransport(
      lists({
        'Models.Inspect': () => info,
        'Models.EstimateMemory': (_ref, cfg) => {
          const c = cfg as { training: { batch_size: number } };
          const total = c.training.batch_size * 2 ** 30;
          return { base_weights: 1, lora: 1, lora_params: 1000, activations: 1, logits: 1, overhead: 1, total, total_mb: total / 2 ** 20, free_mb: 3072, fits: total < 3 * 2 ** 30 };
        },
        'Models.Download': () => '/cache/gemma',
      }),
    );
    setTransport(fake.t);
    session.model = 'placeholder'; // no fall-back to the recents in this test
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
    await waitFor(() => expect(fake.calls.filter((c) => c.name === 'Models.Inspect')).toHaveLength(3));
    expect(screen.getByRole('progressbar', { name: 'Download progress' }).getAttribute('aria-valuenow')).toBe('50');
  });

  it('lists the models grouped, and picking one sets the session model', async () => {
    const fake = fakeTransport(lists({ 'Models.Inspect': (ref) => ({ ...info, ref, local_dir: ref }) }));
    setTransport(fake.t);
    session.model = 'placeholder';
    render(ModelsScreen);
    const ws = await screen.findByRole('list', { name: 'In the workspace' });
    expect(within(ws).getByText('1M params · gemma3 · 4.0 MiB')).toBeTruthy();
    expect(screen.getByRole('list', { name: 'Hugging Face cache' })).toBeTruthy();
    const gone = within(screen.getByRole('list', { name: 'Used before' })).getByRole('button');
    expect((gone as HTMLButtonElement).disabled).toBe(true);

    await fireEvent.click(within(ws).getByRole('button'));
    await waitFor(() => expect(session.model).toBe(demoDir));
    expect(fake.calls.some((c) => c.name === 'Models.Inspect' && c.args[0] === demoDir)).toBe(true);
    expect((screen.getByLabelText('Base model') as HTMLInputElement).value).toBe(demoDir);
    expect(JSON.parse(localStorage.getItem('whetstone.session')!).model).toBe(demoDir);
  });

  it('starts a new tab from the workspace recents', async () => {
    const fake = fakeTransport(lists({ 'Models.Inspect': (ref) => ({ ...info, ref, local_dir: ref }) }));
    setTransport(fake.t);
    session.model = '';
    render(ModelsScreen);
    await waitFor(() => expect(session.model).toBe(demoDir));
    await waitFor(() => expect((screen.getByLabelText('Base model') as HTMLInputElement).value).toBe(demoDir));
    expect(fake.calls.some((c) => c.name === 'Models.Inspect' && c.args[0] === demoDir)).toBe(true);
  });

  it('shows the catalogue with gated notes, and downloads from it', async () => {
    const fake = fakeTransport(lists({ 'Models.Inspect': () => info, 'Models.Download': () => '/cache/gemma' }));
    setTransport(fake.t);
    session.model = 'placeholder';
    render(ModelsScreen);
    const rows = await screen.findAllByTestId('catalogue-row');
    expect(rows).toHaveLength(2);
    expect(screen.getByText(/accept the licence on the model's hub page/)).toBeTruthy();
    expect(within(rows[0]).getByText('gated')).toBeTruthy();
    expect(within(rows[0]).getByText('~550 MB')).toBeTruthy();
    expect(within(rows[0]).getByText('268M')).toBeTruthy();
    expect(within(rows[1]).queryByText('gated')).toBeNull();
    expect(within(rows[1]).getByRole('button', { name: 'Use Qwen/Qwen3-0.6B' })).toBeTruthy();

    await fireEvent.click(screen.getByRole('button', { name: 'Download google/gemma-3-270m-it' }));
    await waitFor(() => expect(session.model).toBe('google/gemma-3-270m-it'));
    expect(fake.calls.find((c) => c.name === 'Models.Download')?.args).toEqual(['google/gemma-3-270m-it']);
  });

  it('shows the fit check and applies its suggestion', async () => {
    const fake = fakeTransport(
      lists({
        'Models.Inspect': () => info,
        'Models.EstimateMemory': (_ref, cfg) => {
          const c = cfg as { training: { gradient_checkpointing: boolean; batch_size: number; grad_accum: number } };
          const fits = c.training.gradient_checkpointing;
          return {
            base_weights: 1, lora: 1, lora_params: 1, activations: 1, logits: 1, overhead: 1, total: (fits ? 7 : 27) * 2 ** 30, total_mb: 0, free_mb: 16384, fits,
            memory: 'RAM', note: fits ? '' : 'GPU memory is not checked',
            suggestion: fits ? undefined : { gradient_checkpointing: true, quantization: 'nf4', batch_size: 1, grad_accum: 2, max_seq_len: 2048, total_mb: 7000, text: 'turn on gradient checkpointing (estimated 7.7 GiB)' },
          };
        },
      }),
    );
    setTransport(fake.t);
    session.model = 'google/gemma-3-270m-it';
    render(ModelsScreen);
    expect((await screen.findByTestId('fit-suggestion')).textContent).toContain('turn on gradient checkpointing (estimated 7.7 GiB)');
    expect(screen.getByTestId('fit-verdict').textContent).toContain('(RAM)');
    expect(screen.getByTestId('fit-note').textContent).toBe('GPU memory is not checked');
    await fireEvent.click(screen.getByRole('button', { name: 'Apply' }));
    expect((screen.getByLabelText(/Gradient checkpointing/) as HTMLInputElement).checked).toBe(true);
    await waitFor(() => expect(screen.queryByTestId('fit-suggestion')).toBeNull());
    const last = fake.calls.filter((c) => c.name === 'Models.EstimateMemory').at(-1)!;
    expect((last.args[1] as { training: object }).training).toMatchObject({ gradient_checkpointing: true, batch_size: 1, grad_accum: 2 });
    expect((last.args[1] as { model: object }).model).toMatchObject({ quantization: 'nf4' });
    expect((screen.getByLabelText(/Base weights in memory/) as HTMLSelectElement).value).toBe('nf4');
  });
});
