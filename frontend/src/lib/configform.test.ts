import { describe, expect, it } from 'vitest';
import { errorsByField, fromInput, getPath, groups, setPath, summary, toInput, withSession } from './configform';
import type { RunConfig } from './types';

const spec = (path: string) => groups.flatMap((g) => g.fields).find((f) => f.path === path)!;

const base = {
  model: { source: '' },
  lora: { r: 8, alpha: 8, dropout: 0, targets: ['q_proj'], rslora: false },
  dataset: { path: '', val_fraction: 0.05 },
  training: { batch_size: 2, grad_accum: 4, max_steps: 60, learning_rate: 2e-4 },
  checkpoint: { every: 20, keep: 3 },
  seed: 3407,
} as unknown as RunConfig;

describe('config form', () => {
  it('every field path exists in the default config shape or is optional', () => {
    const optional = new Set(['name', 'dataset.format', 'dataset.val_path', 'dataset.max_rows', 'dataset.max_row_mb', 'output']);
    const paths = groups.flatMap((g) => g.fields.map((f) => f.path));
    expect(new Set(paths).size).toBe(paths.length); // no duplicates
    for (const p of paths) {
      if (optional.has(p)) continue;
      expect(p.split('.')[0], p).toMatch(/^(model|lora|dataset|training|checkpoint|seed)$/);
    }
  });

  it('sets nested paths without mutating the original', () => {
    const next = setPath(base, 'training.learning_rate', 1e-4);
    expect(getPath(next, 'training.learning_rate')).toBe(1e-4);
    expect(getPath(base, 'training.learning_rate')).toBe(2e-4);
    expect(getPath(setPath(base, 'dataset.mapping.from', 'role'), 'dataset.mapping')).toEqual({ from: 'role' });
  });

  it('parses typed inputs and rejects non-numbers', () => {
    expect(fromInput(spec('lora.r'), '16')).toEqual({ value: 16 });
    expect(fromInput(spec('lora.r'), '1.5')).toEqual({ error: 'must be a whole number' });
    expect(fromInput(spec('training.learning_rate'), '2e-4')).toEqual({ value: 2e-4 });
    expect('error' in fromInput(spec('training.learning_rate'), 'fast')).toBe(true);
    expect(fromInput(spec('lora.targets'), 'q_proj, v_proj  o_proj')).toEqual({ value: ['q_proj', 'v_proj', 'o_proj'] });
    expect(toInput(spec('lora.targets'), ['q_proj', 'v_proj'])).toBe('q_proj, v_proj');
  });

  it('puts Go validation messages next to their fields', () => {
    const byField = errorsByField([
      { field: 'lora.r', message: 'must be between 1 and 1024, got 0' },
      { field: 'lora.targets[1]', message: 'unknown target "foo"' },
      { field: 'dataset.split', message: 'bad split' },
    ]);
    expect(byField['lora.r']).toBe('must be between 1 and 1024, got 0');
    expect(byField['lora.targets']).toBe('unknown target "foo"');
    expect(byField['']).toBe('dataset.split: bad split');
    expect(errorsByField(null)).toEqual({});
  });

  it('summarises the effective batch and carries session choices', () => {
    expect(summary(base)).toEqual({ effectiveBatch: 8, sequences: 480 });
    const cfg = withSession(base, { model: 'm', dataset: 'd.jsonl', format: 'sharegpt', mapping: { conversations: 'dialog' } });
    expect(cfg.model.source).toBe('m');
    expect(cfg.dataset.path).toBe('d.jsonl');
    expect(cfg.dataset.format).toBe('sharegpt');
    expect(cfg.dataset.mapping).toEqual({ conversations: 'dialog' });
  });
});

describe('setPath on reactive state', () => {
  it('copies a Proxy-wrapped config (what Svelte $state hands out)', () => {
    const proxied = new Proxy(structuredClone(base), {});
    const next = setPath(proxied, 'lora.r', 32);
    expect(next.lora.r).toBe(32);
    expect(proxied.lora.r).toBe(8);
  });
});
