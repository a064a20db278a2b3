import { describe, expect, it } from 'vitest';
import { commandList, exportRequest, quantsFor, type ExportForm } from './exporting';

const form: ExportForm = { source: 'run', runId: 'r1', model: '', adapter: '', format: 'gguf', quant: 'q8_0', out: '' };

describe('export form', () => {
  it('builds a run export request', () => {
    expect(exportRequest(form)).toEqual({ value: { run_id: 'r1', format: 'gguf', quant: 'q8_0' } });
    expect(exportRequest({ ...form, out: ' /tmp/x ' })).toEqual({ value: { run_id: 'r1', format: 'gguf', quant: 'q8_0', out: '/tmp/x' } });
    expect(exportRequest({ ...form, format: 'peft' })).toEqual({ value: { run_id: 'r1', format: 'peft', quant: '' } });
  });
  it('requires what each source needs', () => {
    expect(exportRequest({ ...form, runId: '' })).toEqual({ error: 'Choose a finished run to export.' });
    expect('error' in exportRequest({ ...form, source: 'paths', model: '' })).toBe(true);
    expect('error' in exportRequest({ ...form, source: 'paths', model: 'm', format: 'peft' })).toBe(true);
    // A base model alone converts to GGUF without an adapter.
    expect(exportRequest({ ...form, source: 'paths', model: 'm' })).toEqual({ value: { model: 'm', format: 'gguf', quant: 'q8_0' } });
    expect(exportRequest({ ...form, source: 'paths', model: 'm', adapter: 'a' })).toEqual({
      value: { model: 'm', adapter: 'a', format: 'gguf', quant: 'q8_0' },
    });
  });
  it('lists quantizations and commands', () => {
    expect(quantsFor('gguf').map((q) => q.id)).toContain('q8_0');
    expect(quantsFor('nope')).toEqual([]);
    expect(commandList({ ollama: 'ollama create x', llamacpp: 'llama-cli -m x.gguf', extra: 'y', transformers: '' }).map((c) => c.id)).toEqual([
      'llamacpp',
      'ollama',
      'extra',
    ]);
  });
});
