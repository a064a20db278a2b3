import type { MemoryEstimate } from './types';

const parts: [keyof MemoryEstimate, string][] = [
  ['base_weights', 'Frozen base weights'],
  ['lora', 'LoRA adapters, gradients, AdamW state'],
  ['modules', 'Trained whole modules (lora.modules_to_save), gradients, AdamW state'],
  ['activations', 'Activations'],
  ['logits', 'Logits'],
  ['overhead', 'Runtime overhead'],
];

/** Parts listed only when a run has them (most train no whole module). */
const onlyWhenUsed = new Set<keyof MemoryEstimate>(['modules']);

/** The parts of a memory estimate, in bytes, in a stable order. */
export function memoryRows(e: MemoryEstimate): { label: string; bytes: number }[] {
  const out: { label: string; bytes: number }[] = [];
  for (const [k, label] of parts) {
    const v = e[k];
    if (onlyWhenUsed.has(k) && !v) continue;
    if (typeof v === 'number' && Number.isFinite(v)) out.push({ label, bytes: v });
  }
  return out;
}

/** A one-line verdict: does it fit in this machine's free memory? */
// The verdict leaves the advice to Go's suggestion (settings that fit) or
// note (why none does) when the estimate has one, so the two never disagree.
export function fitVerdict(e: MemoryEstimate): { ok: boolean; text: string } {
  if (!e.free_mb) return { ok: true, text: 'free memory unknown on this machine' };
  const free = e.free_mb / 1024;
  return e.fits
    ? { ok: true, text: `fits in the ${free.toFixed(1)} GiB available` }
    : { ok: false, text: `more than the ${free.toFixed(1)} GiB available` + (e.suggestion ? '' : e.note ? '' : ': lower the batch size or sequence length') };
}
