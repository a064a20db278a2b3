import { describe, expect, it } from 'vitest';
import { applyPreset, presetConflicts, presetEntries, showValue } from './presets';
import { ConfigDefaults } from './generated/contract';
import type { PresetInfo } from './types';

const preset = (family: string, title: string, r: number) =>
  ({ family, title, config: { lora: { r }, training: { learning_rate: 2e-4, max_steps: 60, epochs: 1 } } }) as unknown as PresetInfo;

describe('presets', () => {
  it('puts Gemma 3 first and summarises each', () => {
    const e = presetEntries([preset('llama3', 'Llama 3.x', 16), preset('gemma3', 'Gemma 3', 8), preset('qwen3', 'Qwen 3', 32)]);
    expect(e.map((x) => x.family)).toEqual(['gemma3', 'llama3', 'qwen3']);
    expect(e[0].note).toBe('r=8, lr 2e-4, 60 steps');
  });
  it('falls back to the known families before Go answers', () => {
    expect(presetEntries([]).map((x) => x.family)).toEqual(['gemma3', 'llama3', 'qwen3']);
    expect(presetEntries([]).map((x) => x.title)).toEqual(['Gemma 3', 'Llama 3.x', 'Qwen 3']);
  });
});

// Go's lists (runconfig.PresetFields) as Runs.Presets sends them.
const owns = ['lora.r', 'lora.alpha', 'training.learning_rate', 'training.batch_size', 'lora.targets'];
const withOwns = (family: string, r: number, lr = 2e-4) =>
  ({
    family,
    title: family,
    owns,
    config: { ...ConfigDefaults, lora: { ...ConfigDefaults.lora, r, alpha: r }, training: { ...ConfigDefaults.training, learning_rate: lr } },
  }) as PresetInfo;

describe('preset ownership', () => {
  const user = () => ({
    ...ConfigDefaults,
    name: 'my run',
    model: { source: 'google/gemma-3-1b-it' },
    training: { ...ConfigDefaults.training, max_steps: 500 },
  });

  it('applies only the fields the preset owns', () => {
    const out = applyPreset(user(), withOwns('qwen3', 32));
    expect(out.lora.r).toBe(32);
    expect(out.lora.alpha).toBe(32);
    expect(out.name).toBe('my run');
    expect(out.model.source).toBe('google/gemma-3-1b-it');
    expect(out.training.max_steps).toBe(500);
    expect(out.training.learning_rate).toBe(2e-4);
  });

  it('keeps the fields the user chose to keep, and copies lists', () => {
    const p = withOwns('qwen3', 32);
    const out = applyPreset({ ...user(), lora: { ...user().lora, r: 4 } }, p, ['lora.r']);
    expect(out.lora.r).toBe(4);
    expect(out.lora.alpha).toBe(32);
    out.lora.targets.push('x');
    expect(p.config.lora.targets).not.toContain('x');
  });

  it('asks only about owned fields the user edited since the last preset', () => {
    const gemma = withOwns('gemma3', 8);
    const baseline = applyPreset(user(), gemma);
    // Untouched: switching asks nothing.
    expect(presetConflicts(baseline, baseline, withOwns('llama3', 16))).toEqual([]);
    // An edited learning rate and an edited name: only the owned one counts.
    const edited = { ...baseline, name: 'renamed', training: { ...baseline.training, learning_rate: 1e-4 } };
    expect(presetConflicts(edited, baseline, withOwns('llama3', 16))).toEqual([{ path: 'training.learning_rate', mine: 1e-4, preset: 2e-4 }]);
    // An edit equal to the new preset's value replaces nothing.
    expect(presetConflicts(edited, baseline, withOwns('llama3', 16, 1e-4))).toEqual([]);
    // A duplicated or imported config (no baseline): every owned value that differs is the user's.
    expect(presetConflicts(baseline, null, withOwns('llama3', 16)).map((c) => c.path)).toEqual(['lora.r', 'lora.alpha']);
  });

  it('shows values readably', () => {
    expect(showValue(2e-4)).toBe('2e-4');
    expect(showValue(['q_proj', 'v_proj'])).toBe('q_proj, v_proj');
    expect(showValue(16)).toBe('16');
  });
});
