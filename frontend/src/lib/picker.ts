// What the pickers show: the Models screen's list of the models this
// machine has, the catalogue's sizes, and the recents a path field offers.
// The lists come from Go (Models.Choices, Models.Catalog, System.Recents);
// this only groups and words them.

import type { ModelChoice, ModelSource, PickKind, Recents } from './generated/contract';
import { formatBytes, formatParams } from './format';

/** The picker's group titles: one for each of Go's ModelSource values (the type checks that none is missing). */
const groupTitles: Record<ModelSource, string> = {
  workspace: 'In the workspace',
  recent: 'Used before',
  cache: 'Hugging Face cache',
};

export interface ChoiceGroup {
  source: ModelSource;
  title: string;
  items: ModelChoice[];
}

/**
 * Groups the choices by source, keeping Go's order (workspace, recent,
 * cache) and the order within each group.
 */
export function groupChoices(choices: readonly ModelChoice[]): ChoiceGroup[] {
  const out: ChoiceGroup[] = [];
  for (const c of choices) {
    let g = out.find((x) => x.source === c.source);
    if (!g) {
      g = { source: c.source, title: groupTitles[c.source] ?? c.source, items: [] };
      out.push(g);
    }
    g.items.push(c);
  }
  return out;
}

/** One line of what is known about a choice: "1M params · 4.2 MiB", or why it cannot be used as it is. */
export function choiceDetail(c: ModelChoice): string {
  if (c.missing) return 'folder no longer exists';
  const parts: string[] = [];
  if (c.params > 0) parts.push(`${formatParams(c.params)} params`);
  if (c.architecture) parts.push(c.architecture);
  if (c.size_bytes > 0) parts.push(formatBytes(c.size_bytes));
  if (c.dir && !c.has_weights) parts.push('config only: download to train');
  if (!c.dir) parts.push('hub id, not in the cache');
  return parts.join(' · ');
}

/** The refs of a kind of recents, most recent first, without duplicates. */
export function recentRefs(recents: Recents | null | undefined, kind: 'models' | 'datasets'): string[] {
  return [...new Set((recents?.[kind] ?? []).map((r) => r.ref).filter(Boolean))];
}

/**
 * The value a screen starts from: what this browser picked last, else the
 * workspace's most recent one (a new tab, another browser, the CLI).
 */
export function startingPick(saved: string, recents: Recents | null | undefined, kind: 'models' | 'datasets'): string {
  return saved || recentRefs(recents, kind)[0] || '';
}

/**
 * The folder a file dialog opens in: the folder of an absolute path already
 * typed, '' (the OS's choice) otherwise.
 */
export function dialogStart(value: string, kind: PickKind): string {
  const v = value.trim();
  const abs = v.startsWith('/') || /^[A-Za-z]:[\\/]/.test(v);
  if (!abs) return '';
  const sep = v.includes('\\') && !v.includes('/') ? '\\' : '/';
  const trimmed = v.length > 1 ? v.replace(/[\\/]+$/, '') : v;
  if (kind === 'folder') {
    // A model folder's parent holds its siblings, the likelier next pick.
    const i = trimmed.lastIndexOf(sep);
    return i > 0 ? trimmed.slice(0, i) : trimmed;
  }
  const i = trimmed.lastIndexOf(sep);
  return i > 0 ? trimmed.slice(0, i) : sep;
}

/** Sizes as the hub writes them (decimal): 550 MB, 2.0 GB. */
export function formatDecimalBytes(n: number): string {
  if (!Number.isFinite(n) || n <= 0) return '—';
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${Math.round(n / 1e6)} MB`;
  return `${Math.max(1, Math.round(n / 1e3))} kB`;
}
