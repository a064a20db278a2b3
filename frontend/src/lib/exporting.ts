// The Export form: formats, their quantizations, and the request it sends.

import type { ExportRequest, ExportResult } from './types';

export const EXPORT_FORMATS = [
  { id: 'gguf', title: 'GGUF (llama.cpp, Ollama)', note: 'Adapter merged into the base weights, one file.' },
  { id: 'merged', title: 'Merged safetensors (transformers)', note: 'A full Hugging Face model folder with the adapter merged.' },
  { id: 'peft', title: 'LoRA adapter (PEFT)', note: 'adapter_model.safetensors + adapter_config.json, loads with PEFT.' },
];

const QUANTS: Record<string, { id: string; title: string }[]> = {
  gguf: [
    { id: 'q8_0', title: 'Q8_0 (8-bit, near lossless)' },
    { id: 'f16', title: 'F16 (16-bit)' },
    { id: 'bf16', title: 'BF16' },
    { id: 'f32', title: 'F32 (full precision)' },
  ],
  merged: [
    { id: 'bf16', title: 'BF16' },
    { id: 'f16', title: 'F16' },
    { id: 'f32', title: 'F32' },
  ],
  peft: [],
};

export function quantsFor(format: string) {
  return QUANTS[format] ?? [];
}

export interface ExportForm {
  source: 'run' | 'paths';
  runId: string;
  model: string;
  adapter: string;
  format: string;
  quant: string;
  out: string;
}

export function exportRequest(f: ExportForm): { value: ExportRequest } | { error: string } {
  const base = { format: f.format, quant: quantsFor(f.format).length ? f.quant : '', ...(f.out.trim() ? { out: f.out.trim() } : {}) };
  if (f.source === 'run') {
    if (!f.runId) return { error: 'Choose a finished run to export.' };
    return { value: { run_id: f.runId, ...base } };
  }
  if (!f.model.trim()) return { error: 'Enter the base model (folder or hub id).' };
  if (!f.adapter.trim() && f.format === 'peft') return { error: 'Enter the adapter folder to export.' };
  return { value: { model: f.model.trim(), ...(f.adapter.trim() ? { adapter: f.adapter.trim() } : {}), ...base } };
}

const TITLES: Record<string, string> = {
  llamacpp: 'llama.cpp',
  ollama: 'Ollama',
  transformers: 'transformers / PEFT (Python)',
};

/** The result's commands in a stable order, skipping empty ones. */
export function commandList(c: ExportResult['commands'] | null | undefined): { id: string; title: string; text: string }[] {
  if (!c) return [];
  const order = ['llamacpp', 'ollama', 'transformers'];
  const keys = [...order.filter((k) => k in c), ...Object.keys(c).filter((k) => !order.includes(k)).sort()];
  return keys.filter((k) => c[k]).map((k) => ({ id: k, title: TITLES[k] ?? k, text: c[k] as string }));
}
