import { describe, expect, it } from 'vitest';
import { fitVerdict, memoryRows } from './memory';

const est = { base_weights: 100, lora: 20, lora_params: 5, modules: 0, module_params: 0, activations: 30, logits: 10, overhead: 40, total: 200, total_mb: 0.0002, free_mb: 0, fits: true };

describe('memory estimate', () => {
  it('lists the byte parts without the parameter count', () => {
    const rows = memoryRows(est);
    expect(rows.map((r) => r.bytes)).toEqual([100, 20, 30, 10, 40]);
    expect(rows.reduce((a, r) => a + r.bytes, 0)).toBe(est.total);
    // Whole trained modules (embeddings, LM head) are listed when a run has them.
    const withModules = memoryRows({ ...est, modules: 50, module_params: 10, total: 250 });
    expect(withModules.map((r) => r.bytes)).toEqual([100, 20, 50, 30, 10, 40]);
    expect(withModules[2].label).toMatch(/modules_to_save/);
  });
  it('says whether it fits', () => {
    expect(fitVerdict(est).ok).toBe(true);
    expect(fitVerdict({ ...est, free_mb: 2048, fits: false })).toEqual({
      ok: false,
      text: 'more than the 2.0 GiB available: lower the batch size or sequence length',
    });
    expect(fitVerdict({ ...est, free_mb: 8192, fits: true }).text).toBe('fits in the 8.0 GiB available');
    // Go's note or suggestion gives the advice, never a contradicting one.
    expect(fitVerdict({ ...est, free_mb: 2048, fits: false, note: 'no setting fits in 2 GiB' }).text).toBe('more than the 2.0 GiB available');
    const suggestion = { gradient_checkpointing: true, batch_size: 2, grad_accum: 4, max_seq_len: 2048, total_mb: 1500, text: 'turn on gradient checkpointing' };
    expect(fitVerdict({ ...est, free_mb: 2048, fits: false, suggestion }).text).toBe('more than the 2.0 GiB available');
  });
});
