// The settings that differ between two runs' configs, for Compare. Which
// settings exist is Go's: every path of runconfig.Schema (ConfigSchema in
// the generated contract); labels are the New run form's where it shows the
// field, else the path itself.

import { ConfigSchema } from './generated/contract';
import { getPath, groups } from './configform';
import type { ConfigPath, RunConfig } from './types';

export interface ConfigDiff {
  path: ConfigPath;
  label: string;
  /** The field's doc comment, for a tooltip. */
  help?: string;
  a: string;
  b: string;
}

const labels = new Map<string, string>(groups.flatMap((g) => g.fields.map((f) => [f.path, f.label] as const)));

/** A config value as a table cell: lists joined, maps as key=value, empty as "—". */
export function showValue(v: unknown): string {
  if (v == null || v === '') return '—';
  if (Array.isArray(v)) return v.length ? v.map(showValue).join(', ') : '—';
  if (typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).sort(([x], [y]) => x.localeCompare(y));
    return entries.length ? entries.map(([k, x]) => `${k}=${showValue(x)}`).join(', ') : '—';
  }
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  return String(v);
}

/** Equal as settings: an absent value, null, "" and an empty list or map all mean "not set". */
function same(x: unknown, y: unknown): boolean {
  return showValue(x) === showValue(y);
}

/**
 * The settings whose values differ between a and b, in the schema's order
 * (grouped by section: checkpoint, dataset, lora, model, training...).
 * The run name is left out: two runs are compared because they differ in
 * settings, and their names head the table's columns.
 */
export function configDiff(a: RunConfig | null | undefined, b: RunConfig | null | undefined): ConfigDiff[] {
  if (!a || !b) return [];
  const out: ConfigDiff[] = [];
  for (const path of Object.keys(ConfigSchema) as ConfigPath[]) {
    if (path === 'name') continue;
    const x = getPath(a, path);
    const y = getPath(b, path);
    if (same(x, y)) continue;
    const help = ConfigSchema[path].help;
    out.push({ path, label: labels.get(path) ?? path, ...(help ? { help } : {}), a: showValue(x), b: showValue(y) });
  }
  return out;
}
