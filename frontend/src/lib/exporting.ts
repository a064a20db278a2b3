// The Export form: formats, their quantizations, and the request it sends.
// Which formats and quantizations exist, in which order and which need an
// adapter is Go's (export.Formats, export.Quants, export.AdapterFormats, in the
// generated contract); only their titles are written here.

import { ExportAdapterFormats, ExportFormats, ExportQuants } from './generated/contract';
import type { ExportFormat, ExportRequest, ExportResult } from './types';

type Quant = (typeof ExportQuants)[ExportFormat][number];

const FORMAT_TITLES: Record<ExportFormat, { title: string; note: string }> = {
  gguf: { title: 'GGUF (llama.cpp, Ollama)', note: 'Adapter merged into the base weights, one file.' },
  'gguf-lora': {
    title: 'LoRA adapter as GGUF (llama.cpp --lora)',
    note: 'The adapter alone, applied at load time to a GGUF of the base model (llama.cpp --lora, Ollama ADAPTER).',
  },
  merged: { title: 'Merged safetensors (transformers)', note: 'A full Hugging Face model folder with the adapter merged.' },
  peft: { title: 'LoRA adapter (PEFT)', note: 'adapter_model.safetensors + adapter_config.json, loads with PEFT.' },
};

const QUANT_TITLES: Record<Quant, string> = {
  q8_0: 'Q8_0 (8-bit, near lossless)',
  q4_k: 'Q4_K (4-bit, smallest)',
  f16: 'F16 (16-bit)',
  bf16: 'BF16 (16-bit)',
  f32: 'F32 (full precision)',
};

export const EXPORT_FORMATS = ExportFormats.map((id) => ({ id, ...FORMAT_TITLES[id] }));

function isFormat(format: string): format is ExportFormat {
  return (ExportFormats as readonly string[]).includes(format);
}

/** The quantizations a format takes, Go's default first. */
export function quantsFor(format: string): { id: Quant; title: string }[] {
  if (!isFormat(format)) return [];
  return ExportQuants[format].map((id: Quant) => ({ id, title: QUANT_TITLES[id] }));
}

/** Whether a format writes the adapter alone, so needs one. */
export function needsAdapter(format: string): boolean {
  return (ExportAdapterFormats as readonly string[]).includes(format);
}

export interface ExportForm {
  source: 'run' | 'paths';
  runId: string;
  model: string;
  adapter: string;
  format: string;
  quant: string;
  out: string;
  /** Replace an earlier export in the output folder (never a folder Whetstone did not write). */
  overwrite?: boolean;
  /** Model name in GGUF metadata and file names (the CLI's --name); empty: Go's default, the output folder's name. */
  name?: string;
}

export function exportRequest(f: ExportForm): { value: ExportRequest } | { error: string } {
  const base = {
    format: f.format,
    quant: quantsFor(f.format).length ? f.quant : '',
    ...(f.out.trim() ? { out: f.out.trim() } : {}),
    ...(f.overwrite ? { overwrite: true } : {}),
    ...(f.name?.trim() ? { name: f.name.trim() } : {}),
  };
  if (f.source === 'run') {
    if (!f.runId) return { error: 'Choose a finished run to export.' };
    return { value: { run_id: f.runId, ...base } };
  }
  if (!f.model.trim()) return { error: 'Enter the base model (folder or hub id).' };
  if (!f.adapter.trim() && needsAdapter(f.format)) return { error: 'Enter the adapter folder to export.' };
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

/**
 * Whether an export failed because its folder holds an earlier export that
 * the overwrite checkbox would let it replace. Go's refusal (safefile's
 * ErrExists: "… already holds an earlier export: allow overwriting it …")
 * is worded for every client; the screen points at its own checkbox.
 */
export function needsOverwrite(error: unknown, overwrite: boolean | undefined): boolean {
  if (overwrite) return false;
  const message = error instanceof Error ? error.message : String(error ?? '');
  return /already holds an earlier export/.test(message);
}

/** Links that download an export from `whetstone serve` (GET /api/v1/exports/{id}/download). */
export interface ExportDownloads {
  /** The whole folder as a zip. */
  zip: string;
  /** Each file as is (a GGUF is already compressed: no zip around it), by its path in the result. */
  files: Record<string, string>;
}

/**
 * Download links for an export written to its default folder: the REST API
 * serves the folders directly in the workspace's exports folder by their
 * name (the export's id), which a folder the user chose elsewhere is not.
 */
export function exportDownloads(result: ExportResult, defaultFolder: boolean, base = ''): ExportDownloads | null {
  if (!defaultFolder) return null;
  const dir = result.out_dir.replace(/[\\/]+$/, '');
  const id = dir.split(/[\\/]/).pop() ?? '';
  if (!id) return null;
  const url = `${base}/api/v1/exports/${encodeURIComponent(id)}/download`;
  const files: Record<string, string> = {};
  for (const f of result.files) {
    if (!f.path.startsWith(dir) || !/^[\\/]/.test(f.path.slice(dir.length))) continue;
    const rel = f.path.slice(dir.length + 1).replaceAll('\\', '/');
    files[f.path] = `${url}?file=${encodeURIComponent(rel)}`;
  }
  return { zip: url, files };
}
