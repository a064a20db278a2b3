// @vitest-environment jsdom
import { fireEvent, render, screen, waitFor } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setTransport } from '../../lib/api';
import { ConfigDefaults } from '../../lib/generated/contract';
import type { RunConfig } from '../../lib/types';
import { session } from '../../lib/session.svelte';
import { fakeTransport } from '../../test/fakeTransport';
import NewRunScreen from './NewRunScreen.svelte';

// Go's own defaults (runconfig.Default, in the generated contract).
const defaults = ConfigDefaults;

/** Mimics runconfig.Validate for the two fields the test touches. */
function validate(cfg: RunConfig) {
  const errs = [];
  if (!cfg.model.source) errs.push({ field: 'model.source', message: 'is required' });
  if (cfg.lora.r < 1) errs.push({ field: 'lora.r', message: `must be between 1 and 1024, got ${cfg.lora.r}` });
  return errs;
}

afterEach(() => {
  setTransport(null);
  session.model = '';
  session.dataset = '';
});

describe('new run screen', () => {
  it('pre-fills from the session, shows Go validation next to fields and starts a valid run', { timeout: 20000 }, async () => {
    session.model = 'google/gemma-3-270m-it';
    session.dataset = 'data/train.jsonl';
    const fake = fakeTransport({
      'Runs.Presets': () => [{ family: 'gemma3', title: 'Gemma 3', config: defaults }],
      'Runs.Defaults': () => defaults,
      'Runs.Validate': (cfg) => validate(cfg as RunConfig),
      'Runs.Render': (cfg) => ({ yaml: `lora:\n  r: ${(cfg as RunConfig).lora.r}\n`, cli: 'whetstone train --rank 8' }),
      'Runs.Start': (cfg) => ({ id: 'run-1', state: 'queued', model: (cfg as RunConfig).model.source }),
    });
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
    expect(await screen.findByText(/must be a number/)).toBeTruthy();
    await fireEvent.change(lr, { target: { value: '1e-4' } });
    await fireEvent.change(rank, { target: { value: '16' } });
    await waitFor(() => expect(start.disabled).toBe(false));

    const ckpt = screen.getByLabelText('Gradient checkpointing') as HTMLSelectElement;
    expect(ckpt.value).toBe('false');
    await fireEvent.change(ckpt, { target: { value: 'true' } });

    start.click();
    await waitFor(() => expect(onstarted).toHaveBeenCalledWith('run-1'));
    const sent = fake.calls.find((c) => c.name === 'Runs.Start')!.args[0] as RunConfig;
    expect(sent.lora.r).toBe(16);
    expect(sent.training.learning_rate).toBe(1e-4);
    expect(sent.model.source).toBe('google/gemma-3-270m-it');
    expect(sent.training.gradient_checkpointing).toBe(true);
  });
});
