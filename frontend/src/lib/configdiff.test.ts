import { describe, expect, it } from 'vitest';
import { configDiff, showValue } from './configdiff';
import type { RunConfig } from './types';

const base = {
  name: 'a',
  model: { source: '/models/gemma' },
  lora: { r: 16, alpha: 32, targets: ['q_proj', 'v_proj'] },
  dataset: { path: '/data/chat.jsonl', mapping: { from: 'role' } },
  training: { learning_rate: 2e-4, max_steps: 60, gradient_checkpointing: false },
  checkpoint: { every: 20 },
  seed: 1,
} as unknown as RunConfig;

const clone = (c: RunConfig) => JSON.parse(JSON.stringify(c)) as RunConfig;

describe('configDiff', () => {
  it('lists only the settings that differ, labelled as the form labels them', () => {
    const b = clone(base);
    b.name = 'b';
    b.training.learning_rate = 1e-4;
    b.lora.targets = ['q_proj'];
    b.training.gradient_checkpointing = true;
    b.dataset.mapping = { from: 'speaker' };
    const d = configDiff(base, b);
    expect(d.map((x) => x.path)).toEqual(['dataset.mapping', 'lora.targets', 'training.gradient_checkpointing', 'training.learning_rate']);
    const lr = d.find((x) => x.path === 'training.learning_rate')!;
    expect(lr).toMatchObject({ label: 'Learning rate', a: '0.0002', b: '0.0001' });
    expect(lr.help).toBeTruthy();
    expect(d.find((x) => x.path === 'lora.targets')).toMatchObject({ a: 'q_proj, v_proj', b: 'q_proj' });
    expect(d.find((x) => x.path === 'training.gradient_checkpointing')).toMatchObject({ a: 'no', b: 'yes' });
    // A path the form does not show is labelled by its path.
    expect(d.find((x) => x.path === 'dataset.mapping')).toMatchObject({ label: 'dataset.mapping', a: 'from=role', b: 'from=speaker' });
  });

  it('finds nothing between equal configs, and treats unset and empty alike', () => {
    expect(configDiff(base, clone(base))).toEqual([]);
    const b = clone(base);
    (b as unknown as { output: string }).output = '';
    expect(configDiff(base, b)).toEqual([]);
    expect(configDiff(base, null)).toEqual([]);
  });

  it('shows values as table cells', () => {
    expect(showValue(undefined)).toBe('—');
    expect(showValue([])).toBe('—');
    expect(showValue({ b: 1, a: 'x' })).toBe('a=x, b=1');
    expect(showValue(0)).toBe('0');
  });
});
