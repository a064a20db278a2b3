import { describe, expect, it } from 'vitest';
import { applyFit, duplicatedFrom, errorsByField, fieldSpec, fitLine, fromInput, getPath, groups, groupsFor, METHODS, methodOf, NOT_ON_FORM, setPath, shownFor, stepsLine, summary, toInput, withSession } from './configform';
import { ConfigDefaults, ConfigSchema, DatasetFormats, LoraTargets, Schedulers, TruncationModes } from './generated/contract';
import type { ConfigPath, RunConfig } from './types';

const spec = (path: string) => groups.flatMap((g) => g.fields).find((f) => f.path === path)!;

const base = ConfigDefaults;

describe('config form', () => {
  it('shows every config path Go has, once, but those it leaves out on purpose', () => {
    const paths = groups.flatMap((g) => g.fields.map((f) => f.path));
    expect(new Set(paths).size).toBe(paths.length); // no duplicates
    const all = Object.keys(ConfigSchema) as ConfigPath[];
    expect(all.filter((p) => !paths.includes(p) && !NOT_ON_FORM.includes(p))).toEqual([]);
    expect(NOT_ON_FORM.filter((p) => paths.includes(p))).toEqual([]);
  });

  it("reads kinds, choices, bounds, defaults and help from Go's schema", () => {
    expect(spec('lora.r')).toMatchObject({ kind: 'int', min: 1, max: 1024, default: 8 });
    expect(spec('training.max_seq_len')).toMatchObject({ kind: 'int', min: 8, max: 1048576 });
    expect(spec('training.learning_rate')).toMatchObject({ kind: 'float', min: 0, max: 1, step: 1e-5, default: 2e-4 });
    expect(spec('dataset.format')).toMatchObject({ kind: 'select', options: ['', ...DatasetFormats], default: '' });
    expect(spec('training.scheduler').options).toEqual(Schedulers);
    expect(spec('lora.targets')).toMatchObject({ kind: 'list', options: LoraTargets });
    expect(spec('training.gradient_checkpointing').kind).toBe('bool');
    // model.quantization is Go's enumeration, a select defaulting to none.
    expect(spec('model.quantization').kind).toBe('select');
    expect(spec('model.quantization').options).toEqual(['none', 'nf4', 'int8']);
    expect(spec('model.quantization').default).toBe('none');
    expect(spec('name').kind).toBe('text');
    expect(spec('training.gradient_checkpointing').help).toMatch(/activation memory/);
    expect(spec('dataset.skip_bad_rows')).toMatchObject({ kind: 'bool', default: true });
    expect(spec('dataset.max_bad_rows')).toMatchObject({ kind: 'int', min: 0, default: 1000 });
    expect(spec('dataset.truncation')).toMatchObject({ kind: 'select', options: TruncationModes, default: 'truncate' });
    expect(() => fieldSpec('dataset.mapping', 'Mapping')).toThrow(/map/);
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
    // The mapping is edited on the Datasets screen: its errors show above the form, with their key.
    expect(errorsByField([{ field: 'dataset.mapping.turns', message: 'unknown key' }])['']).toBe('dataset.mapping.turns: unknown key');
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

describe('fields by training method', () => {
  const shown = (method: string) => groupsFor(method).flatMap((g) => g.fields.map((f) => f.path));

  it("offers Go's methods, with SFT for a config that names none", () => {
    expect(METHODS).toEqual(ConfigSchema['training.method'].enum);
    expect(METHODS[0]).toBe('sft');
    expect(methodOf(ConfigDefaults)).toBe('sft');
    expect(methodOf({ training: { method: '' } })).toBe('sft');
    expect(methodOf({ training: { method: 'dpo' } })).toBe('dpo');
    expect(methodOf(null)).toBe('sft');
  });

  it("shows a field only for the methods Go's schema says it matters to", () => {
    for (const method of METHODS) {
      const paths = shown(method);
      for (const g of groups) {
        for (const f of g.fields) {
          const methods = ConfigSchema[f.path].methods;
          expect(paths.includes(f.path), `${f.path} for ${method}`).toBe(!methods || methods.includes(method));
        }
      }
    }
  });

  it('asks DPO for beta and smoothing, ORPO for lambda, and neither of SFT', () => {
    expect(shown('sft')).not.toContain('training.dpo_beta');
    expect(shown('sft')).not.toContain('training.orpo_lambda');
    expect(shown('sft')).toContain('training.train_on_responses_only');
    expect(shown('dpo')).toEqual(expect.arrayContaining(['training.method', 'training.dpo_beta', 'training.dpo_label_smoothing']));
    expect(shown('dpo')).not.toContain('training.orpo_lambda');
    expect(shown('orpo')).toContain('training.orpo_lambda');
    expect(shown('orpo')).not.toContain('training.dpo_beta');
    // Continued pretraining trains every token, packed: neither is asked.
    expect(shown('cpt')).not.toContain('training.train_on_responses_only');
    expect(shown('cpt')).not.toContain('training.packing');
    // The method itself and the common settings show for every method.
    for (const m of METHODS) expect(shown(m)).toEqual(expect.arrayContaining(['training.method', 'training.learning_rate', 'lora.r']));
    expect(shownFor({}, 'dpo')).toBe(true);
    expect(shownFor({ methods: ['orpo'] }, 'dpo')).toBe(false);
  });

  it('keeps the method near the top', () => {
    expect(groupsFor('dpo').findIndex((g) => g.fields.some((f) => f.path === 'training.method'))).toBe(1);
  });

  it("moves a hidden field's message above the form, with its path", () => {
    const errs = [{ field: 'training.packing', message: 'packing needs ...' }];
    expect(errorsByField(errs, 'sft')['training.packing']).toBe('packing needs ...');
    expect(errorsByField(errs, 'cpt')).toEqual({ '': 'training.packing: packing needs ...' });
    expect(errorsByField([{ field: 'training.method', message: 'not preference data' }], 'dpo')['training.method']).toBe('not preference data');
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

describe('check display', () => {
  const cfg = () => JSON.parse(JSON.stringify(ConfigDefaults)) as RunConfig;

  it('says the steps, computed for an epochs-only run', () => {
    const c = cfg();
    expect(stepsLine(null, c)).toBe('60 steps');
    expect(stepsLine({ steps: 60, from_epochs: false, examples: 150, epochs: 3.2, exact: true }, c)).toBe('60 steps (about 3.2 epoch(s) over 150 training examples)');
    c.training.max_steps = 0;
    c.training.epochs = 2;
    expect(stepsLine({ steps: 0, from_epochs: true, examples: 0, epochs: 0, exact: true }, c)).toBe('2 epoch(s): the steps are counted once the data can be read');
    expect(stepsLine({ steps: 36, from_epochs: true, examples: 142, epochs: 2, exact: true }, c)).toBe('36 steps (2 epoch(s) over 142 training examples)');
    expect(stepsLine({ steps: 36, from_epochs: true, examples: 142, epochs: 2, exact: false }, c)).toBe('at most 36 steps (2 epoch(s) over 142 training examples)');
    expect(stepsLine({ steps: 10_000_000, from_epochs: false, examples: 150, epochs: 533333.3, exact: true }, c)).toBe(
      '10,000,000 steps (about 533,333 epoch(s) over 150 training examples)',
    );
  });

  it('applies a fit suggestion', () => {
    const out = applyFit(cfg(), { gradient_checkpointing: true, batch_size: 1, grad_accum: 8, max_seq_len: 1024, total_mb: 6000, text: '' });
    expect(out.training.gradient_checkpointing).toBe(true);
    expect(out.training.batch_size * out.training.grad_accum).toBe(8);
    expect(out.training.max_seq_len).toBe(1024);
    expect(out.training.learning_rate).toBe(ConfigDefaults.training.learning_rate);
    expect(out.model.quantization).toBe(ConfigDefaults.model.quantization);
    expect(applyFit(cfg(), { gradient_checkpointing: true, quantization: 'nf4', batch_size: 2, grad_accum: 4, max_seq_len: 2048, total_mb: 5000, text: '' }).model.quantization).toBe('nf4');
  });

  it('says whether the run fits', () => {
    const est = { base_weights: 0, lora: 0, lora_params: 0, modules: 0, module_params: 0, activations: 0, logits: 0, overhead: 0, total: 0, total_mb: 28000, free_mb: 12288, fits: false, memory: 'RAM' };
    expect(fitLine(est)).toEqual({ ok: false, text: 'needs about 27.3 GiB, more than the 12.0 GiB of RAM available' });
    expect(fitLine({ ...est, total_mb: 7900, fits: true })?.ok).toBe(true);
    expect(fitLine({ ...est, free_mb: 0 })?.text).toBe('needs about 27.3 GiB; free memory unknown on this machine');
    expect(fitLine(null)).toBeNull();
  });

  it('names the run a Duplicate draft came from', () => {
    expect(duplicatedFrom({ ...cfg(), name: 'gemma-chat copy' })).toBe('gemma-chat');
    expect(duplicatedFrom({ ...cfg(), name: 'mine' })).toBeNull();
  });
});

describe('path fields', () => {
  it('are fields of the form, each with what Browse… opens', async () => {
    const { groups, pathFields } = await import('./configform');
    const onForm = new Set(groups.flatMap((g) => g.fields.map((f) => f.path)));
    for (const [path, pick] of Object.entries(pathFields)) {
      expect(onForm.has(path as never), path).toBe(true);
      expect(['file', 'folder']).toContain(pick!.kind);
    }
    expect(pathFields['dataset.path']).toMatchObject({ kind: 'file', dataset: true });
  });
});
