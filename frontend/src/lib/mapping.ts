// Which mapping fields a dataset format uses, for the column mapping editor.

import { DatasetFormats, DatasetRoles } from './generated/contract';
import type { DatasetFormat, DatasetMapping } from './types';

export interface MappingField {
  key: keyof DatasetMapping;
  label: string;
  /** A column of the file (select) or a key inside each turn (text). */
  source: 'column' | 'key';
  optional?: boolean;
}

/** The dataset formats, as Go's dataset package lists them. */
export const FORMATS: readonly DatasetFormat[] = DatasetFormats;

/** f as a dataset format, or undefined when Go knows no such format. */
export function asFormat(f: string): DatasetFormat | undefined {
  return FORMATS.find((x) => x === f);
}

export function mappingFields(format: string): MappingField[] {
  switch (format) {
    case 'sharegpt':
    case 'openai':
      return [
        { key: 'conversation_column', label: 'Turns column', source: 'column' },
        { key: 'role_key', label: 'Role key in each turn', source: 'key' },
        { key: 'content_key', label: 'Content key in each turn', source: 'key' },
      ];
    case 'alpaca':
      return [
        { key: 'instruction_column', label: 'Instruction column', source: 'column' },
        { key: 'input_column', label: 'Input column', source: 'column', optional: true },
        { key: 'output_column', label: 'Output column', source: 'column' },
        { key: 'system_column', label: 'System column', source: 'column', optional: true },
      ];
    case 'text':
      return [{ key: 'text_column', label: 'Text column', source: 'column' }];
    case 'preference':
      // Whole chosen and rejected conversations need no prompt column:
      // their shared leading turns are the prompt.
      return [
        { key: 'prompt_column', label: 'Prompt column', source: 'column', optional: true },
        { key: 'chosen_column', label: 'Chosen answer column', source: 'column' },
        { key: 'rejected_column', label: 'Rejected answer column', source: 'column' },
        { key: 'system_column', label: 'System column', source: 'column', optional: true },
        { key: 'role_key', label: 'Role key in each turn', source: 'key', optional: true },
        { key: 'content_key', label: 'Content key in each turn', source: 'key', optional: true },
      ];
  }
  return [];
}

/** The override to send: only fields that differ from what was detected. */
export function mappingOverride(detected: DatasetMapping, edited: DatasetMapping): Partial<DatasetMapping> {
  const out: Partial<DatasetMapping> = {};
  if (edited.format && edited.format !== detected.format) out.format = edited.format;
  for (const f of mappingFields(edited.format)) {
    const v = edited[f.key];
    if (typeof v === 'string' && v !== '' && v !== detected[f.key]) (out as Record<string, string>)[f.key] = v;
  }
  if (hasRoles(edited.format)) {
    const roles: Record<string, string> = {};
    for (const [name, role] of Object.entries(edited.roles ?? {})) {
      if (role && role !== detected.roles?.[name]) roles[name] = role;
    }
    if (Object.keys(roles).length) out.roles = roles;
  }
  return out;
}

/**
 * Flattens a mapping override into the run config's string map
 * (dataset.mapping): columns under their own names, each role mapping as
 * roles.<name>, the key Go's dataset.ParseMappingKeys reads.
 */
export function toConfigMapping(m: Partial<DatasetMapping>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m)) if (typeof v === 'string' && v) out[k] = v;
  if (m.format === undefined || hasRoles(m.format)) {
    for (const [name, role] of Object.entries(m.roles ?? {})) if (name && role) out[`roles.${name}`] = role;
  }
  return out;
}

/**
 * The override a run config's string map (dataset.mapping) holds, as
 * toConfigMapping wrote it: what the Datasets screen restores when the
 * user comes back to the same dataset. format is dataset.format; keys the
 * editor does not show are left out.
 */
export function fromConfigMapping(cfg: Record<string, string>, format = ''): Partial<DatasetMapping> {
  const own = new Set<string>(FORMATS.flatMap((f) => mappingFields(f).map((x) => x.key)));
  const out: Partial<DatasetMapping> = {};
  for (const [k, v] of Object.entries(cfg)) {
    if (!v) continue;
    if (k.startsWith('roles.')) out.roles = { ...out.roles, [k.slice('roles.'.length).toLowerCase()]: v };
    else if (k === 'format') out.format = asFormat(v) ?? out.format;
    else if (own.has(k)) (out as Record<string, string>)[k] = v;
  }
  if (!out.format && asFormat(format)) out.format = asFormat(format);
  return out;
}

/** detected with a saved override applied, as the editor holds it. */
export function applyOverride(detected: DatasetMapping, o: Partial<DatasetMapping>): DatasetMapping {
  const base: DatasetMapping = o.format && o.format !== detected.format ? { format: o.format } : { ...detected };
  return { ...base, ...o, format: o.format ?? detected.format, roles: { ...base.roles, ...o.roles } };
}

/** The standard roles a dataset's role name can be mapped to, as Go lists them. */
export const ROLES: readonly string[] = DatasetRoles;

/** Whether a format's turns carry role names (a role mapping applies). */
export function hasRoles(format: string | undefined): boolean {
  return format === 'sharegpt' || format === 'openai';
}

/** One role name of the dataset, as the role mapping editor shows it. */
export interface RoleChoice {
  /** The dataset's name for it, lower-cased as Go compares it. */
  name: string;
  /** The standard role it has without a mapping; '' when unknown. */
  standard: string;
  /** The role the user mapped it to; '' for none. */
  mapped: string;
  /** Bad rows it caused, over every file (from the statistics). */
  badRows: number;
}

/**
 * The role names to offer: those the sampled rows use (with the role each
 * has by default), the unknown ones the statistics found in every file,
 * and those already mapped. Unknown names that are not mapped yet come
 * first, then by name.
 */
export function roleChoices(
  sample: Record<string, string> | undefined,
  unknown: Record<string, number> | undefined,
  mapped: Record<string, string> | undefined,
): RoleChoice[] {
  const by = new Map<string, RoleChoice>();
  const get = (name: string) => {
    const key = name.trim().toLowerCase();
    let c = by.get(key);
    if (!c) by.set(key, (c = { name: key, standard: '', mapped: '', badRows: 0 }));
    return c;
  };
  for (const [name, role] of Object.entries(sample ?? {})) get(name).standard = role;
  for (const [name, n] of Object.entries(unknown ?? {})) get(name).badRows += n;
  for (const [name, role] of Object.entries(mapped ?? {})) get(name).mapped = role;
  const open = (c: RoleChoice) => (c.standard === '' && c.mapped === '' ? 0 : 1);
  return [...by.values()].filter((c) => c.name !== '').sort((a, b) => open(a) - open(b) || a.name.localeCompare(b.name));
}

/** edited with the dataset's role name mapped to role ('' removes the mapping). */
export function withRole(edited: DatasetMapping, name: string, role: string): DatasetMapping {
  const key = name.trim().toLowerCase();
  const roles = { ...(edited.roles ?? {}) };
  if (role) roles[key] = role;
  else delete roles[key];
  return { ...edited, roles };
}

/** Column names to suggest: those reported, else those detection used. */
export function knownColumns(info: { columns?: string[]; detection: { mapping: DatasetMapping; alternatives?: { mapping: DatasetMapping }[] } }): string[] {
  if (info.columns?.length) return info.columns;
  const cols = new Set<string>();
  for (const m of [info.detection.mapping, ...(info.detection.alternatives ?? []).map((a) => a.mapping)]) {
    for (const k of ['conversation_column', 'instruction_column', 'input_column', 'output_column', 'system_column', 'text_column'] as const) {
      if (m[k]) cols.add(m[k] as string);
    }
  }
  return [...cols].sort();
}
