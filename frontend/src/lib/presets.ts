// The preset picker's entries. Values come from Go (Runs.Presets), so the
// form and `whetstone train` share one source; the note summarises each.

import { Families, PresetTitles } from './generated/contract';
import type { PresetInfo } from './types';

/** The families Go knows, for when Runs.Presets has not answered. */
const FALLBACK = Families.map((family) => ({ family, title: PresetTitles[family] }));

export interface PresetEntry {
  family: string;
  title: string;
  note: string;
}

export function presetNote(p: PresetInfo): string {
  const c = p.config;
  const steps = c.training.max_steps > 0 ? `${c.training.max_steps} steps` : `${c.training.epochs} epoch(s)`;
  return `r=${c.lora.r}, lr ${c.training.learning_rate.toExponential(0).replace('e-', 'e-')}, ${steps}`;
}

/** Gemma 3 (the Unsloth notebook defaults) first, then alphabetical. */
export function presetEntries(presets: PresetInfo[]): PresetEntry[] {
  if (!presets.length) return FALLBACK.map((p) => ({ ...p, note: '' }));
  return [...presets]
    .sort((a, b) => (a.family === 'gemma3' ? -1 : b.family === 'gemma3' ? 1 : a.family.localeCompare(b.family)))
    .map((p) => ({ family: p.family, title: p.title, note: presetNote(p) }));
}
