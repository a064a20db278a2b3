import { describe, expect, it } from 'vitest';
import { presetEntries } from './presets';
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
