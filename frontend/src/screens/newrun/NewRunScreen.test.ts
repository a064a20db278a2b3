// @vitest-environment jsdom
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setTransport } from '../../lib/api';
import { ConfigDefaults } from '../../lib/generated/contract';
import type { PresetInfo, RunConfig } from '../../lib/types';
import { session } from '../../lib/session.svelte';
import { fakeTransport } from '../../test/fakeTransport';
import NewRunScreen from './NewRunScreen.svelte';

// Go's own defaults (runconfig.Default, in the generated contract).
const defaults = ConfigDefaults;
const owns = ['lora.r', 'lora.alpha', 'training.learning_rate', 'training.batch_size', 'training.grad_accum'];
const presetOf = (family: string, title: string, r: number): PresetInfo => ({
  family,
  title,
  owns,
  config: { ...defaults, lora: { ...defaults.lora, r, alpha: r } },
});
const presets = [presetOf('gemma3', 'Gemma 3', 8), presetOf('llama3', 'Llama 3.x', 16)];

/** Mimics Runs.Check for the fields the tests touch. */
function check(cfg: RunConfig) {
  const errors = [];
  const warnings = [];
  if (!cfg.model.source) errors.push({ field: 'model.source', message: 'is required' });
  if (cfg.lora.r < 1) errors.push({ field: 'lora.r', message: `must be between 1 and 1024, got ${cfg.lora.r}` });
  if (!cfg.dataset.path) errors.push({ field: 'dataset.path', message: 'is required' });
  if (cfg.training.max_steps > 1000) warnings.push({ field: 'training.max_steps', message: 'about 53,333 passes over the 150 training examples' });
  const fits = cfg.training.gradient_checkpointing;
  return {
    errors,
    warnings,
    steps: { steps: cfg.training.max_steps, from_epochs: false, examples: 150, epochs: 3.2, exact: true },
    family: 'gemma3',
    fit: {
      ...{ base_weights: 0, lora: 0, lora_params: 0, activations: 0, logits: 0, overhead: 0, total: 0 },
      total_mb: fits ? 7900 : 28000,
      free_mb: 12288,
      fits,
      memory: 'RAM',
      suggestion: fits
        ? undefined
        : { gradient_checkpointing: true, batch_size: 2, grad_accum: 4, max_seq_len: 2048, total_mb: 7900, text: 'turn on gradient checkpointing (estimated 7.7 GiB of the 12.0 GiB available)' },
    },
  };
}

function transport(extra: Record<string, (...a: unknown[]) => unknown> = {}) {
  return fakeTransport({
    'Runs.Presets': () => presets,
    'Runs.Defaults': () => defaults,
    'Runs.Check': (cfg) => check(cfg as RunConfig),
    'Runs.Render': (cfg) => ({ yaml: `lora:\n  r: ${(cfg as RunConfig).lora.r}\n`, cli: 'whetstone train --rank 8' }),
    'Runs.Start': (cfg) => ({ id: 'run-1', state: 'queued', model: (cfg as RunConfig).model.source }),
    ...extra,
  });
}

afterEach(() => {
  setTransport(null);
  session.model = '';
  session.dataset = '';
  session.draft = null;
});

describe('new run screen', () => {
  it('pre-fills from the session, shows Go checks next to fields and starts a valid run', { timeout: 20000 }, async () => {
    session.model = 'google/gemma-3-270m-it';
    session.dataset = 'data/train.jsonl';
    const fake = transport();
    setTransport(fake.t);
    const onstarted = vi.fn();
    render(NewRunScreen, { onstarted });

    const model = (await screen.findByLabelText('Base model')) as HTMLInputElement;
    expect(model.value).toBe('google/gemma-3-270m-it');
    expect((screen.getByLabelText('Dataset') as HTMLInputElement).value).toBe('data/train.jsonl');

    const rank = screen.getByLabelText('Rank r') as HTMLInputElement;
    await fireEvent.change(rank, { target: { value: '0' } });
    const msg = await screen.findByText('must be between 1 and 1024, got 0');
    expect(msg.id).toBe('f-lora-r-error');
    expect(rank.getAttribute('aria-invalid')).toBe('true');
    const start = screen.getByRole('button', { name: 'Start training' }) as HTMLButtonElement;
    expect(start.disabled).toBe(true);
    await screen.findByText(/r: 0/);

    // Text that is not a number is refused before Go sees it.
    const lr = screen.getByLabelText('Learning rate') as HTMLInputElement;
    await fireEvent.change(lr, { target: { value: 'fast' } });
    expect(await screen.findByText(/must be a number/, { selector: '#f-training-learning_rate-error' })).toBeTruthy();
    await fireEvent.change(lr, { target: { value: '1e-4' } });
    await fireEvent.change(rank, { target: { value: '16' } });
    await waitFor(() => expect(start.disabled).toBe(false));

    // A warning sits next to its field and leaves Start enabled.
    const steps = screen.getByLabelText('Max steps') as HTMLInputElement;
    await fireEvent.change(steps, { target: { value: '10000000' } });
    const warn = await screen.findByText('about 53,333 passes over the 150 training examples', { selector: '#f-training-max_steps-warning' });
    expect(warn).toBeTruthy();
    expect(start.disabled).toBe(false);
    await fireEvent.change(steps, { target: { value: '60' } });

    // The fit check, with its suggestion applied in one click.
    await screen.findByText(/needs about 27.3 GiB, more than the 12.0 GiB of RAM available/);
    (await screen.findByRole('button', { name: 'Apply these settings' })).click();
    const ckpt = screen.getByLabelText('Gradient checkpointing') as HTMLSelectElement;
    await waitFor(() => expect(ckpt.value).toBe('true'));
    await screen.findByText(/fits in the 12.0 GiB of RAM available/);

    start.click();
    await waitFor(() => expect(onstarted).toHaveBeenCalledWith('run-1'));
    const sent = fake.calls.find((c) => c.name === 'Runs.Start')!.args[0] as RunConfig;
    expect(sent.lora.r).toBe(16);
    expect(sent.training.learning_rate).toBe(1e-4);
    expect(sent.model.source).toBe('google/gemma-3-270m-it');
    expect(sent.training.gradient_checkpointing).toBe(true);
  });

  it('lists every error by its field and keeps Start disabled', async () => {
    setTransport(
      transport({
        'Runs.Check': (cfg) => {
          const c = check(cfg as RunConfig);
          c.warnings.push({ field: 'training.warmup_steps', message: '5 warmup steps with 3 steps in all' });
          return c;
        },
      }).t,
    );
    render(NewRunScreen, { onstarted: vi.fn() });
    const list = await screen.findByRole('list', { name: 'Problems' });
    expect(list.textContent).toContain('model.source: is required');
    expect(list.textContent).toContain('dataset.path: is required');
    expect((screen.getByRole('button', { name: 'Start training' }) as HTMLButtonElement).disabled).toBe(true);
    // A warning in the collapsed Advanced section opens it.
    const warmup = document.getElementById('f-training-warmup_steps-warning')!;
    expect(warmup.textContent).toBe('5 warmup steps with 3 steps in all');
    await waitFor(() => expect(warmup.closest('details')!.open).toBe(true));
  });

  it('switching preset keeps the name and steps, and asks before replacing an edit', { timeout: 20000 }, async () => {
    session.model = 'm';
    const fake = transport();
    setTransport(fake.t);
    render(NewRunScreen, { onstarted: vi.fn() });
    const name = (await screen.findByLabelText('Run name')) as HTMLInputElement;
    await fireEvent.input(name, { target: { value: 'my run' } });
    await fireEvent.change(screen.getByLabelText('Max steps'), { target: { value: '250' } });

    // No owned field edited: the preset applies at once.
    await fireEvent.click(screen.getByLabelText(/Llama 3.x/));
    await waitFor(() => expect((screen.getByLabelText('Rank r') as HTMLInputElement).value).toBe('16'));
    expect(name.value).toBe('my run');
    expect((screen.getByLabelText('Max steps') as HTMLInputElement).value).toBe('250');

    // An edited rank: the page asks, and "Keep my values" keeps it.
    await fireEvent.change(screen.getByLabelText('Rank r'), { target: { value: '4' } });
    await fireEvent.click(screen.getByLabelText(/Gemma 3/));
    const dialog = await screen.findByRole('alertdialog');
    expect(dialog.textContent).toContain('lora.r');
    expect((screen.getByLabelText('Rank r') as HTMLInputElement).value).toBe('4');
    await fireEvent.click(screen.getByRole('button', { name: 'Keep my values' }));
    await waitFor(() => expect(screen.queryByRole('alertdialog')).toBeNull());
    expect((screen.getByLabelText('Rank r') as HTMLInputElement).value).toBe('4');
    expect((screen.getByLabelText('Alpha') as HTMLInputElement).value).toBe('8');
    expect(name.value).toBe('my run');

    // Asked again, "Use the preset's values" replaces it.
    await fireEvent.click(screen.getByLabelText(/Llama 3.x/));
    await fireEvent.click(await screen.findByRole('button', { name: "Use the preset's values" }));
    await waitFor(() => expect((screen.getByLabelText('Rank r') as HTMLInputElement).value).toBe('16'));
  });

  it('opens a Duplicate draft for editing, saying where it came from', async () => {
    session.draft = { ...defaults, name: 'gemma-chat copy', model: { source: 'm' }, training: { ...defaults.training, max_steps: 123 } };
    setTransport(transport().t);
    render(NewRunScreen, { onstarted: vi.fn() });
    expect(await screen.findByText(/Duplicated from gemma-chat/)).toBeTruthy();
    expect(((await screen.findByLabelText('Run name')) as HTMLInputElement).value).toBe('gemma-chat copy');
    expect((screen.getByLabelText('Max steps') as HTMLInputElement).value).toBe('123');
    expect(session.draft).toBeNull();
  });

  it('fills the form from a pasted config, parsed by Go', async () => {
    const fake = transport({
      'Runs.ParseConfig': (text) => ({
        config: { ...defaults, name: 'from-yaml', training: { ...defaults.training, max_steps: 77 } },
        errors: [],
        text,
      }),
    });
    setTransport(fake.t);
    render(NewRunScreen, { onstarted: vi.fn() });
    await screen.findByLabelText('Run name');
    await fireEvent.input(screen.getByLabelText('or paste it here'), { target: { value: 'name: from-yaml\n' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Fill the form' }));
    await waitFor(() => expect((screen.getByLabelText('Run name') as HTMLInputElement).value).toBe('from-yaml'));
    expect((screen.getByLabelText('Max steps') as HTMLInputElement).value).toBe('77');
    expect(screen.getByText('Imported from pasted text.')).toBeTruthy();
    expect(fake.calls.find((c) => c.name === 'Runs.ParseConfig')!.args[0]).toBe('name: from-yaml\n');
  });

  it('asks only what the chosen method uses, and says when the data is not what it trains on', { timeout: 20000 }, async () => {
    session.model = 'm';
    session.dataset = 'chat.jsonl';
    const fake = transport({
      'Runs.Check': (cfg) => {
        const c = check(cfg as RunConfig);
        const m = (cfg as RunConfig).training.method;
        if (m === 'dpo' || m === 'orpo') c.errors.push({ field: 'training.method', message: `${m} trains on preference pairs, but chat.jsonl reads as sharegpt rows` });
        return c;
      },
    });
    setTransport(fake.t);
    render(NewRunScreen, { onstarted: vi.fn() });
    const sft = (await screen.findByRole('radio', { name: 'SFT', description: /learns to write the answers/ })) as HTMLInputElement;
    expect(sft.checked).toBe(true);
    expect(screen.getByLabelText('Train on responses only')).toBeTruthy();
    expect(screen.queryByLabelText('DPO beta')).toBeNull();
    expect(screen.queryByLabelText('ORPO lambda')).toBeNull();

    await fireEvent.click(screen.getByRole('radio', { name: 'DPO' }));
    expect(await screen.findByLabelText('DPO beta')).toBeTruthy();
    expect(screen.getByLabelText('DPO label smoothing')).toBeTruthy();
    expect(screen.queryByLabelText('ORPO lambda')).toBeNull();
    expect((await screen.findByTestId('method-error')).textContent).toBe('dpo trains on preference pairs, but chat.jsonl reads as sharegpt rows');
    expect(screen.getByTestId('method-note').textContent).toMatch(/preference dataset/);

    await fireEvent.click(screen.getByRole('radio', { name: 'ORPO' }));
    expect(await screen.findByLabelText('ORPO lambda')).toBeTruthy();
    expect(screen.queryByLabelText('DPO beta')).toBeNull();

    // Continued pretraining: packed text, every token trained; neither is asked.
    await fireEvent.click(screen.getByRole('radio', { name: 'Continued pretraining' }));
    await waitFor(() => expect(screen.queryByTestId('method-error')).toBeNull());
    expect(screen.getByTestId('method-note').textContent).toMatch(/packed.*every token/);
    expect(screen.queryByLabelText('Train on responses only')).toBeNull();
    expect(screen.queryByLabelText('Packing')).toBeNull();
    await waitFor(() => expect(fake.calls.filter((c) => c.name === 'Runs.Check').some((c) => (c.args[0] as RunConfig).training.method === 'cpt')).toBe(true));
  });
});
