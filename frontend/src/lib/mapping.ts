// Which mapping fields a dataset format uses, for the column mapping editor.

import { DatasetFormats } from './generated/contract';
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
  return out;
}

/** Flattens a mapping override into the run config's string map. */
export function toConfigMapping(m: Partial<DatasetMapping>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m)) if (typeof v === 'string' && v) out[k] = v;
  return out;
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
