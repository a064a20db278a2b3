// The New run form, described as data: which config fields it shows, in which
// group, with which input kind, and how a text box maps back to a typed
// value. Validation itself comes from Go (Runs.Validate, field-named by the
// same dotted paths), so the form and `whetstone train` agree on what is valid.

import type { FieldError, RunConfig } from './types';

export type FieldKind = 'text' | 'int' | 'float' | 'bool' | 'select' | 'list';

export interface FieldSpec {
  path: string;
  label: string;
  kind: FieldKind;
  help?: string;
  options?: string[];
  step?: number;
  min?: number;
}

export interface FieldGroup {
  id: string;
  title: string;
  advanced: boolean;
  fields: FieldSpec[];
}

export const LORA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];

export const groups: FieldGroup[] = [
  {
    id: 'basics',
    title: 'Model and data',
    advanced: false,
    fields: [
      { path: 'name', label: 'Run name', kind: 'text', help: 'A label for the runs list; optional.' },
      { path: 'model.source', label: 'Base model', kind: 'text', help: 'Local model folder or hub id, e.g. google/gemma-3-270m-it.' },
      { path: 'dataset.path', label: 'Dataset', kind: 'text', help: 'A .jsonl/.json/.parquet/.csv file, folder or hub id.' },
      { path: 'dataset.format', label: 'Format', kind: 'select', options: ['', 'sharegpt', 'openai', 'alpaca', 'text'], help: 'Empty detects it.' },
    ],
  },
  {
    id: 'training',
    title: 'Training',
    advanced: false,
    fields: [
      { path: 'training.learning_rate', label: 'Learning rate', kind: 'float', step: 1e-5, min: 0 },
      { path: 'training.max_steps', label: 'Max steps', kind: 'int', min: 0, help: '0 trains for the epochs below.' },
      { path: 'training.epochs', label: 'Epochs', kind: 'float', step: 0.1, min: 0 },
      { path: 'training.batch_size', label: 'Batch size', kind: 'int', min: 1 },
      { path: 'training.grad_accum', label: 'Gradient accumulation', kind: 'int', min: 1 },
      { path: 'training.max_seq_len', label: 'Max sequence length', kind: 'int', min: 16 },
      { path: 'training.train_on_responses_only', label: 'Train on responses only', kind: 'bool', help: 'Mask prompts out of the loss.' },
      {
        path: 'training.gradient_checkpointing',
        label: 'Gradient checkpointing',
        kind: 'bool',
        help: 'Recompute layer activations in the backward pass: far less memory, about a quarter slower.',
      },
    ],
  },
  {
    id: 'lora',
    title: 'LoRA',
    advanced: false,
    fields: [
      { path: 'lora.r', label: 'Rank r', kind: 'int', min: 1 },
      { path: 'lora.alpha', label: 'Alpha', kind: 'float', min: 0 },
      { path: 'lora.dropout', label: 'Dropout', kind: 'float', step: 0.01, min: 0 },
      { path: 'lora.targets', label: 'Target modules', kind: 'list', options: LORA_TARGETS },
      { path: 'lora.rslora', label: 'Rank-stabilised LoRA', kind: 'bool' },
    ],
  },
  {
    id: 'optimizer',
    title: 'Optimizer and schedule',
    advanced: true,
    fields: [
      { path: 'training.optimizer', label: 'Optimizer', kind: 'select', options: ['adamw'] },
      { path: 'training.weight_decay', label: 'Weight decay', kind: 'float', step: 0.001, min: 0 },
      { path: 'training.beta1', label: 'Beta 1', kind: 'float', step: 0.001 },
      { path: 'training.beta2', label: 'Beta 2', kind: 'float', step: 0.001 },
      { path: 'training.epsilon', label: 'Epsilon', kind: 'float' },
      { path: 'training.scheduler', label: 'LR schedule', kind: 'select', options: ['linear', 'cosine', 'constant'] },
      { path: 'training.warmup_steps', label: 'Warmup steps', kind: 'int', min: 0 },
      { path: 'training.max_grad_norm', label: 'Max grad norm', kind: 'float', step: 0.1, min: 0, help: '0 disables clipping.' },
      { path: 'training.packing', label: 'Packing', kind: 'bool', help: 'Concatenate short examples.' },
      { path: 'seed', label: 'Seed', kind: 'int' },
    ],
  },
  {
    id: 'eval',
    title: 'Validation and checkpoints',
    advanced: true,
    fields: [
      { path: 'dataset.val_fraction', label: 'Validation fraction', kind: 'float', step: 0.01, min: 0 },
      { path: 'dataset.val_path', label: 'Validation file', kind: 'text', help: 'Overrides the fraction.' },
      { path: 'dataset.max_rows', label: 'Max rows', kind: 'int', min: 0, help: '0 reads all rows.' },
      { path: 'dataset.max_row_mb', label: 'Largest row (MB)', kind: 'int', min: 0, help: 'A bigger row is skipped and counted; 0 means 16 MB.' },
      { path: 'training.eval_every', label: 'Evaluate every (steps)', kind: 'int', min: 0 },
      { path: 'training.eval_batches', label: 'Eval batches', kind: 'int', min: 0 },
      { path: 'checkpoint.every', label: 'Checkpoint every (steps)', kind: 'int', min: 0 },
      { path: 'checkpoint.keep', label: 'Keep checkpoints', kind: 'int', min: 0 },
      { path: 'output', label: 'Copy adapter to', kind: 'text', help: 'Optional folder.' },
    ],
  },
];

export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const k of path.split('.')) {
    if (cur == null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/** Returns a copy of obj with path set to value (objects created as needed). */
export function setPath<T>(obj: T, path: string, value: unknown): T {
  const keys = path.split('.');
  // A JSON copy, not structuredClone: obj is often a Svelte $state proxy,
  // which structuredClone refuses. Configs are plain JSON data anyway.
  const root = JSON.parse(JSON.stringify(obj ?? {})) as Record<string, unknown>;
  let cur = root;
  for (const k of keys.slice(0, -1)) {
    if (cur[k] == null || typeof cur[k] !== 'object') cur[k] = {};
    cur = cur[k] as Record<string, unknown>;
  }
  cur[keys[keys.length - 1]] = value;
  return root as T;
}

/** What an input box shows for a config value. */
export function toInput(spec: FieldSpec, value: unknown): string {
  if (value == null) return '';
  if (spec.kind === 'list') return Array.isArray(value) ? value.join(', ') : String(value);
  return String(value);
}

/**
 * Parses an input box back to a typed value. Returns {error} for text that is
 * not a number, so the form can say so before Go ever sees it.
 */
export function fromInput(spec: FieldSpec, text: string): { value: unknown } | { error: string } {
  const t = text.trim();
  switch (spec.kind) {
    case 'int': {
      if (t === '') return { value: 0 };
      if (!/^-?\d+$/.test(t)) return { error: 'must be a whole number' };
      return { value: parseInt(t, 10) };
    }
    case 'float': {
      if (t === '') return { value: 0 };
      const v = Number(t);
      if (!Number.isFinite(v)) return { error: 'must be a number (e.g. 2e-4 or 0.0002)' };
      return { value: v };
    }
    case 'bool':
      return { value: t === 'true' };
    case 'list':
      return {
        value: t
          .split(/[\s,]+/)
          .map((s) => s.trim())
          .filter(Boolean),
      };
    default:
      return { value: text };
  }
}

/** Field errors by path; errors on a path not shown on the form go to "". */
export function errorsByField(errors: FieldError[] | null | undefined): Record<string, string> {
  const shown = new Set(groups.flatMap((g) => g.fields.map((f) => f.path)));
  const out: Record<string, string> = {};
  for (const e of errors ?? []) {
    let key = e.field;
    if (!shown.has(key)) {
      // "lora.targets[2]" belongs to "lora.targets"; anything else is general.
      const base = key.replace(/\[\d+\]$/, '');
      key = shown.has(base) ? base : '';
    }
    const msg = key === e.field || key !== '' ? e.message : `${e.field}: ${e.message}`;
    out[key] = out[key] ? `${out[key]}; ${msg}` : msg;
  }
  return out;
}

/** Effective batch size and the number of sequences the run will see. */
export function summary(cfg: RunConfig): { effectiveBatch: number; sequences: number | null } {
  const eff = Math.max(1, cfg.training.batch_size) * Math.max(1, cfg.training.grad_accum);
  return { effectiveBatch: eff, sequences: cfg.training.max_steps > 0 ? eff * cfg.training.max_steps : null };
}

/** Carries the session's choices (model, dataset) into a preset config. */
export function withSession(cfg: RunConfig, s: { model: string; dataset: string; format: string; mapping: Record<string, string> }): RunConfig {
  let out = cfg;
  if (s.model) out = setPath(out, 'model.source', s.model);
  if (s.dataset) out = setPath(out, 'dataset.path', s.dataset);
  if (s.format) out = setPath(out, 'dataset.format', s.format);
  if (s.mapping && Object.keys(s.mapping).length) out = setPath(out, 'dataset.mapping', { ...s.mapping });
  return out;
}
