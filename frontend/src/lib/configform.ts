// The New run form, described as data: which config fields it shows, in which
// group, in which order and under which label. Everything else about a field
// (its kind, choices, bounds, default and help) is Go's: runconfig.Schema, in
// the generated contract. Validation itself comes from Go too (Runs.Validate,
// field-named by the same dotted paths), so the form and `whetstone train`
// agree on what is valid.

import { ConfigSchema, type FitSuggestion, type MemoryEstimate, type PickKind, type StepPlan } from './generated/contract';
import type { ConfigPath, FieldError, RunConfig } from './types';

export type FieldKind = 'text' | 'int' | 'float' | 'bool' | 'select' | 'list';

export interface FieldSpec {
  path: ConfigPath;
  label: string;
  kind: FieldKind;
  help?: string;
  /** The choices of a select ('' first where Go allows empty: detect) or a list. */
  options?: readonly string[];
  min?: number;
  max?: number;
  step?: number;
  default?: unknown;
  /** The training methods the field matters to (Go's Field.methods); absent: every method. */
  methods?: readonly string[];
}

export interface FieldGroup {
  id: string;
  title: string;
  advanced: boolean;
  fields: FieldSpec[];
}

/** The input a config kind gets (maps are edited on the Datasets screen). */
const inputKind: Record<string, FieldKind> = {
  int: 'int',
  float: 'float',
  bool: 'bool',
  string: 'text',
  enum: 'select',
  list: 'list',
};

/** The form's entry for a config path: its label here, the rest from Go's schema. */
export function fieldSpec(path: ConfigPath, label: string): FieldSpec {
  const f = ConfigSchema[path];
  const kind = inputKind[f.kind];
  if (!kind) throw new Error(`config field ${path} is a ${f.kind}, which the form cannot show`);
  const spec: FieldSpec = { path, label, kind, default: f.default };
  if (f.help) spec.help = f.help;
  if (f.enum) spec.options = f.kind === 'enum' && f.empty ? ['', ...f.enum] : f.enum;
  if (f.min != null) spec.min = f.min;
  if (f.max != null) spec.max = f.max;
  if (f.step) spec.step = f.step;
  if (f.methods?.length) spec.methods = f.methods;
  return spec;
}

const layout: { id: string; title: string; advanced: boolean; fields: [ConfigPath, string][] }[] = [
  {
    id: 'basics',
    title: 'Model and data',
    advanced: false,
    fields: [
      ['name', 'Run name'],
      ['model.source', 'Base model'],
      ['dataset.path', 'Dataset'],
      ['dataset.format', 'Format'],
    ],
  },
  {
    // Near the top: the method decides what data the run needs and which
    // of the fields below matter.
    id: 'method',
    title: 'Training method',
    advanced: false,
    fields: [
      ['training.method', 'Method'],
      ['training.dpo_beta', 'DPO beta'],
      ['training.dpo_label_smoothing', 'DPO label smoothing'],
      ['training.orpo_lambda', 'ORPO lambda'],
    ],
  },
  {
    id: 'training',
    title: 'Training',
    advanced: false,
    fields: [
      ['training.learning_rate', 'Learning rate'],
      ['training.max_steps', 'Max steps'],
      ['training.epochs', 'Epochs'],
      ['training.batch_size', 'Batch size'],
      ['training.grad_accum', 'Gradient accumulation'],
      ['training.max_seq_len', 'Max sequence length'],
      ['training.train_on_responses_only', 'Train on responses only'],
      ['training.gradient_checkpointing', 'Gradient checkpointing'],
      ['model.quantization', 'Base weights in memory (QLoRA)'],
      ['model.storage', 'Base weights stored as'],
    ],
  },
  {
    id: 'lora',
    title: 'LoRA',
    advanced: false,
    fields: [
      ['lora.r', 'Rank r'],
      ['lora.alpha', 'Alpha'],
      ['lora.dropout', 'Dropout'],
      ['lora.targets', 'Target modules'],
      ['lora.rslora', 'Rank-stabilised LoRA'],
      ['lora.modules_to_save', 'Also train whole modules'],
      ['training.embedding_learning_rate', 'Their learning rate'],
    ],
  },
  {
    id: 'optimizer',
    title: 'Optimizer and schedule',
    advanced: true,
    fields: [
      ['training.optimizer', 'Optimizer'],
      ['training.weight_decay', 'Weight decay'],
      ['training.beta1', 'Beta 1'],
      ['training.beta2', 'Beta 2'],
      ['training.epsilon', 'Epsilon'],
      ['training.scheduler', 'LR schedule'],
      ['training.warmup_steps', 'Warmup steps'],
      ['training.max_grad_norm', 'Max grad norm'],
      ['training.packing', 'Packing'],
      ['seed', 'Seed'],
    ],
  },
  {
    id: 'eval',
    title: 'Validation and checkpoints',
    advanced: true,
    fields: [
      ['dataset.val_fraction', 'Validation fraction'],
      ['dataset.val_path', 'Validation file'],
      ['dataset.max_rows', 'Max rows'],
      ['dataset.max_row_mb', 'Largest row (MB)'],
      ['dataset.skip_bad_rows', 'Skip unreadable rows'],
      ['dataset.max_bad_rows', 'Most rows to skip'],
      ['dataset.truncation', 'Examples over max length'],
      ['training.eval_every', 'Evaluate every (steps)'],
      ['training.eval_batches', 'Eval batches'],
      ['checkpoint.every', 'Checkpoint every (steps)'],
      ['checkpoint.keep', 'Keep checkpoints'],
      ['output', 'Copy adapter to'],
    ],
  },
];

/**
 * Config paths the form leaves out on purpose: the column mapping comes from
 * the Datasets screen (its errors, on dataset.mapping.<key>, show above the
 * form), and the revision and split are rare enough for the YAML file or
 * `--set`.
 */
export const NOT_ON_FORM: readonly ConfigPath[] = ['model.revision', 'dataset.mapping', 'dataset.split'];

/**
 * The fields that name a file or folder on this machine, and what the
 * window's Browse… opens for each (the OS's dialog; a browser has none).
 */
export const pathFields: Partial<Record<ConfigPath, { kind: PickKind; dataset: boolean; title: string }>> = {
  'model.source': { kind: 'folder', dataset: false, title: 'Choose a model folder' },
  'dataset.path': { kind: 'file', dataset: true, title: 'Choose a dataset file' },
  'dataset.val_path': { kind: 'file', dataset: true, title: 'Choose a validation file' },
  output: { kind: 'folder', dataset: false, title: 'Choose where to copy the adapter' },
};

export const groups: FieldGroup[] = layout.map((g) => ({ ...g, fields: g.fields.map(([path, label]) => fieldSpec(path, label)) }));

/** The training methods, as Go's schema lists them (sft first, its default). */
export const METHODS: readonly string[] = ConfigSchema['training.method'].enum ?? [];

/** A config's training method; a config written before methods existed is SFT, as Go reads it. */
export function methodOf(cfg: { training?: { method?: string } } | null | undefined): string {
  return cfg?.training?.method || String(ConfigSchema['training.method'].default);
}

/** Whether the form shows a field for a method: Go's Field.methods lists those it matters to. */
export function shownFor(spec: Pick<FieldSpec, 'methods'>, method: string): boolean {
  return !spec.methods || spec.methods.includes(method);
}

/** The form's groups for a method: fields that do not matter to it left out, and groups left empty with them. */
export function groupsFor(method: string): FieldGroup[] {
  return groups.map((g) => ({ ...g, fields: g.fields.filter((f) => shownFor(f, method)) })).filter((g) => g.fields.length > 0);
}

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

/**
 * Field errors by path; errors on a path not shown on the form go to "".
 * Given a method, a field hidden for it counts as not shown, so its
 * message is still seen, above the form.
 */
export function errorsByField(errors: FieldError[] | null | undefined, method?: string): Record<string, string> {
  const shown = new Set<string>((method ? groupsFor(method) : groups).flatMap((g) => g.fields.map((f) => f.path)));
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

/** The run's length as the Start panel says it (Runs.Check's steps). */
export function stepsLine(s: StepPlan | null | undefined, cfg: RunConfig): string {
  const t = cfg.training;
  if (!s || s.steps <= 0) {
    return t.max_steps > 0 ? `${t.max_steps.toLocaleString('en-US')} steps` : `${t.epochs} epoch(s): the steps are counted once the data can be read`;
  }
  const steps = `${s.exact ? '' : 'at most '}${s.steps.toLocaleString('en-US')} steps`;
  const over = s.examples > 0 ? ` over ${s.examples.toLocaleString('en-US')} training examples` : '';
  if (s.from_epochs) return `${steps} (${s.epochs} epoch(s)${over})`;
  if (s.examples > 0) return `${steps} (about ${formatEpochs(s.epochs)} epoch(s)${over})`;
  return steps;
}

function formatEpochs(e: number): string {
  if (e >= 100) return Math.round(e).toLocaleString('en-US');
  return e >= 10 ? e.toFixed(0) : e.toFixed(1);
}

/** cfg with a fit suggestion's settings applied (Runs.Check's fit). */
export function applyFit(cfg: RunConfig, s: FitSuggestion): RunConfig {
  let out = setPath(cfg, 'training.gradient_checkpointing', s.gradient_checkpointing);
  out = setPath(out, 'training.batch_size', s.batch_size);
  out = setPath(out, 'training.grad_accum', s.grad_accum);
  if (s.quantization) out = setPath(out, 'model.quantization', s.quantization);
  return setPath(out, 'training.max_seq_len', s.max_seq_len);
}

/** The fit check in one line: how much the run needs of what this machine has. */
export function fitLine(f: MemoryEstimate | null | undefined): { ok: boolean; text: string } | null {
  if (!f) return null;
  const need = `${(f.total_mb / 1024).toFixed(1)} GiB`;
  if (!f.free_mb) return { ok: true, text: `needs about ${need}; free memory unknown on this machine` };
  const have = `${(f.free_mb / 1024).toFixed(1)} GiB of ${f.memory || 'memory'} available`;
  return f.fits ? { ok: true, text: `needs about ${need}, fits in the ${have}` } : { ok: false, text: `needs about ${need}, more than the ${have}` };
}

/**
 * The run a Duplicate draft came from, by the name RunPage gave it
 * ("<name> copy"); null for a draft named otherwise.
 */
export function duplicatedFrom(cfg: RunConfig): string | null {
  const m = /^(.*) copy$/.exec(cfg.name?.trim() ?? '');
  return m ? m[1] : null;
}
