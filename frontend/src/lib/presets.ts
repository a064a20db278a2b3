// The preset picker's entries. Values come from Go (Runs.Presets), so the
// form and `whetstone train` share one source; the note summarises each.

import { getPath, setPath } from './configform';
import { Families, PresetTitles } from './generated/contract';
import type { PresetInfo, RunConfig } from './types';

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

/**
 * The config paths a preset sets when chosen: Go's list (runconfig's
 * PresetFields, sent with each preset as `owns`). The rest of the form —
 * name, model, data, steps — stays the user's.
 */
export function ownedPaths(p: PresetInfo): string[] {
  return p.owns ?? [];
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** One owned field the user changed, which choosing a preset would replace. */
export interface PresetConflict {
  path: string;
  mine: unknown;
  preset: unknown;
}

/**
 * The owned fields whose value in cfg is the user's own and differs from
 * the preset's: changed since the last preset was applied (baseline), or,
 * with no baseline (a duplicated or imported config), every owned field
 * that differs. Choosing the preset asks before replacing these.
 */
export function presetConflicts(cfg: RunConfig, baseline: RunConfig | null, p: PresetInfo): PresetConflict[] {
  const out: PresetConflict[] = [];
  for (const path of ownedPaths(p)) {
    const mine = getPath(cfg, path);
    const theirs = getPath(p.config, path);
    if (same(mine, theirs)) continue;
    if (baseline && same(mine, getPath(baseline, path))) continue;
    out.push({ path, mine, preset: theirs });
  }
  return out;
}

/**
 * cfg with the preset's owned fields applied, except those in keep (the
 * user's edits they chose to keep). Nothing else changes.
 */
export function applyPreset(cfg: RunConfig, p: PresetInfo, keep: readonly string[] = []): RunConfig {
  let out = cfg;
  for (const path of ownedPaths(p)) {
    // A copy, so later edits of the form never reach the preset's lists.
    if (!keep.includes(path)) out = setPath(out, path, JSON.parse(JSON.stringify(getPath(p.config, path) ?? null)));
  }
  return out;
}

/** A value as the preset confirm shows it. */
export function showValue(v: unknown): string {
  if (Array.isArray(v)) return v.join(', ');
  if (typeof v === 'number' && v !== 0 && Math.abs(v) < 1e-3) return v.toExponential(0);
  return String(v);
}
