import { describe, expect, it } from 'vitest';
import { commandList, EXPORT_FORMATS, exportDownloads, exportRequest, needsAdapter, needsOverwrite, quantsFor, type ExportForm } from './exporting';

const form: ExportForm = { source: 'run', runId: 'r1', model: '', adapter: '', format: 'gguf', quant: 'q8_0', out: '' };

describe('export form', () => {
  it('builds a run export request', () => {
    expect(exportRequest(form)).toEqual({ value: { run_id: 'r1', format: 'gguf', quant: 'q8_0' } });
    expect(exportRequest({ ...form, out: ' /tmp/x ' })).toEqual({ value: { run_id: 'r1', format: 'gguf', quant: 'q8_0', out: '/tmp/x' } });
    expect(exportRequest({ ...form, overwrite: true })).toEqual({ value: { run_id: 'r1', format: 'gguf', quant: 'q8_0', overwrite: true } });
    expect(exportRequest({ ...form, format: 'peft' })).toEqual({ value: { run_id: 'r1', format: 'peft', quant: '' } });
    expect(exportRequest({ ...form, name: ' my-model ' })).toEqual({ value: { run_id: 'r1', format: 'gguf', quant: 'q8_0', name: 'my-model' } });
    expect(exportRequest({ ...form, name: '  ' })).toEqual({ value: { run_id: 'r1', format: 'gguf', quant: 'q8_0' } });
  });
  it('points an "earlier export" refusal at the overwrite checkbox', () => {
    const exists = new Error('output folder "/ws/exports/tuned-8d9afe-gguf-q8_0" already holds an earlier export: allow overwriting it, or choose a new folder');
    expect(needsOverwrite(exists, false)).toBe(true);
    expect(needsOverwrite(exists, true)).toBe(false);
    const theirs = new Error('output folder "/home/me" already holds files that Whetstone did not write (it has no .whetstone-output file), so it is never replaced: choose a new folder');
    expect(needsOverwrite(theirs, false)).toBe(false);
    expect(needsOverwrite(null, false)).toBe(false);
  });
  it('requires what each source needs', () => {
    expect(exportRequest({ ...form, runId: '' })).toEqual({ error: 'Choose a finished run to export.' });
    expect('error' in exportRequest({ ...form, source: 'paths', model: '' })).toBe(true);
    expect('error' in exportRequest({ ...form, source: 'paths', model: 'm', format: 'peft' })).toBe(true);
    expect('error' in exportRequest({ ...form, source: 'paths', model: 'm', format: 'gguf-lora' })).toBe(true);
    // A base model alone converts to GGUF without an adapter.
    expect(exportRequest({ ...form, source: 'paths', model: 'm' })).toEqual({ value: { model: 'm', format: 'gguf', quant: 'q8_0' } });
    expect(exportRequest({ ...form, source: 'paths', model: 'm', adapter: 'a' })).toEqual({
      value: { model: 'm', adapter: 'a', format: 'gguf', quant: 'q8_0' },
    });
  });
  it('lists quantizations and commands', () => {
    expect(EXPORT_FORMATS.map((f) => f.id)).toEqual(['gguf', 'gguf-lora', 'merged', 'peft']);
    expect(EXPORT_FORMATS.every((f) => f.title && f.note)).toBe(true);
    expect(quantsFor('gguf').map((q) => q.id)).toEqual(['f16', 'q8_0', 'q4_k', 'bf16', 'f32']);
    expect(quantsFor('gguf').find((q) => q.id === 'q4_k')?.title).toMatch(/4-bit/);
    expect(quantsFor('gguf-lora')[0].id).toBe('f32');
    expect(quantsFor('merged').map((q) => q.id)).toEqual(['bf16', 'f16', 'f32']);
    expect(quantsFor('peft')).toEqual([]);
    expect(quantsFor('nope')).toEqual([]);
    expect(['gguf', 'gguf-lora', 'merged', 'peft'].filter(needsAdapter)).toEqual(['gguf-lora', 'peft']);
    expect(commandList({ ollama: 'ollama create x', llamacpp: 'llama-cli -m x.gguf', extra: 'y', transformers: '' }).map((c) => c.id)).toEqual([
      'llamacpp',
      'ollama',
      'extra',
    ]);
  });
});

describe('export downloads', () => {
  const result = {
    out_dir: '/ws/exports/tuned-8d9afe-gguf-q8_0',
    files: [
      { path: '/ws/exports/tuned-8d9afe-gguf-q8_0/tuned-8d9afe-q8_0.gguf', size: 10 },
      { path: '/ws/exports/tuned-8d9afe-gguf-q8_0/sub dir/Modelfile', size: 1 },
      { path: '/elsewhere/x', size: 1 },
    ],
    commands: {},
  };
  it('link the folder as a zip and each file by its path in the folder', () => {
    expect(exportDownloads(result, true)).toEqual({
      zip: '/api/v1/exports/tuned-8d9afe-gguf-q8_0/download',
      files: {
        '/ws/exports/tuned-8d9afe-gguf-q8_0/tuned-8d9afe-q8_0.gguf': '/api/v1/exports/tuned-8d9afe-gguf-q8_0/download?file=tuned-8d9afe-q8_0.gguf',
        '/ws/exports/tuned-8d9afe-gguf-q8_0/sub dir/Modelfile': '/api/v1/exports/tuned-8d9afe-gguf-q8_0/download?file=sub%20dir%2FModelfile',
      },
    });
  });
  it('read Windows paths', () => {
    const win = { out_dir: 'C:\\ws\\exports\\a b', files: [{ path: 'C:\\ws\\exports\\a b\\m.gguf', size: 1 }], commands: {} };
    expect(exportDownloads(win, true)).toEqual({ zip: '/api/v1/exports/a%20b/download', files: { 'C:\\ws\\exports\\a b\\m.gguf': '/api/v1/exports/a%20b/download?file=m.gguf' } });
  });
  it('are not offered for a folder the user chose', () => {
    expect(exportDownloads(result, false)).toBeNull();
  });
});
