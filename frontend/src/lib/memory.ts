import type { MemoryEstimate } from './types';

const parts: [keyof MemoryEstimate, string][] = [
  ['weights_bytes', 'Frozen weights'],
  ['adapter_bytes', 'LoRA adapters'],
  ['gradients_bytes', 'Gradients'],
  ['optimizer_bytes', 'Optimizer state'],
  ['activations_bytes', 'Activations'],
];

/** The parts of a memory estimate that the service filled in, in a stable order. */
export function memoryRows(e: MemoryEstimate): { label: string; bytes: number }[] {
  const out: { label: string; bytes: number }[] = [];
  for (const [k, label] of parts) {
    const v = e[k];
    if (typeof v === 'number' && Number.isFinite(v)) out.push({ label, bytes: v });
  }
  return out;
}
