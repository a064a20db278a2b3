// What the Datasets screen shows about a dataset read as training reads
// it: the read options a run uses by default, the pager's "rows 21-40 of
// 30,112", and the bad rows with their place and reason.

import { formatInt } from './format';
import { ConfigDefaults, type RowProblem, type Stats } from './generated/contract';
import type { RunConfig } from './types';

/** The row options of a run config's dataset section, as DatasetRequest takes them. */
export interface ReadOptions {
  skip_bad_rows: boolean;
  max_bad_rows: number;
  max_row_mb: number;
}

/**
 * The options a run reads its data with (Go's runconfig.Default unless a
 * config is given), so the screen skips and counts the rows training
 * skips instead of failing on the first.
 */
export function readOptions(cfg: Pick<RunConfig, 'dataset'> = ConfigDefaults): ReadOptions {
  const d = cfg.dataset;
  return { skip_bad_rows: d.skip_bad_rows, max_bad_rows: d.max_bad_rows, max_row_mb: d.max_row_mb ?? 0 };
}

/** How many pages total rows make (at least one, the empty page). */
export function pageCount(total: number, pageSize: number): number {
  if (pageSize <= 0) return 1;
  return Math.max(1, Math.ceil(Math.max(0, total) / pageSize));
}

/** page (0-based) kept within the pages total rows make. */
export function clampPage(page: number, total: number, pageSize: number): number {
  if (!Number.isFinite(page)) return 0;
  return Math.min(Math.max(0, Math.floor(page)), pageCount(total, pageSize) - 1);
}

/** "rows 21–40 of 30,112" for a page of shown rows (page 0-based). */
export function rowRange(page: number, pageSize: number, shown: number, total: number): string {
  if (shown <= 0) return total > 0 ? `no rows on this page (${formatInt(total)} in all)` : 'no usable rows';
  const first = page * pageSize + 1;
  return `rows ${formatInt(first)}–${formatInt(first + shown - 1)} of ${formatInt(total)}`;
}

/**
 * A data file's name as the user knows it: relative to the dataset folder
 * when it lies inside it, else its base name.
 */
export function fileLabel(file: string, root: string): string {
  const r = root.replace(/[\\/]+$/, '');
  if (r && (file.startsWith(r + '/') || file.startsWith(r + '\\'))) return file.slice(r.length + 1);
  return file.split(/[\\/]/).pop() ?? file;
}

/** Where a bad row is: "line 37", "line 3 (row 2)", "row 12", with its field. */
export function problemPlace(p: Pick<RowProblem, 'row' | 'line' | 'field'>): string {
  let where = '';
  if (p.line && p.row && p.line !== p.row) where = `line ${formatInt(p.line)} (row ${formatInt(p.row)})`;
  else if (p.line) where = `line ${formatInt(p.line)}`;
  else if (p.row) where = `row ${formatInt(p.row)}`;
  if (p.field) where += (where ? ', ' : '') + p.field;
  return where;
}

/** The reason alone: the message after its place ("file: line 3, field x: ") is dropped. */
export function problemReason(p: Pick<RowProblem, 'kind' | 'message'>): string {
  const i = p.kind ? p.message.indexOf(p.kind) : -1;
  return i >= 0 ? p.message.slice(i) : p.message;
}

/** "2 bad rows" or "2,345 bad rows (the first 100 listed)". */
export function badRowsHeading(listed: number, total: number): string {
  const n = Math.max(listed, total);
  const head = `${formatInt(n)} ${n === 1 ? 'bad row' : 'bad rows'}`;
  return listed > 0 && listed < n ? `${head} (the first ${formatInt(listed)} listed)` : head;
}

/**
 * The statistics' labels, in pairs' words for a preference dataset: Go
 * counts a pair's tokens over both sides, and its length as the longer
 * side's (the one the maximum length has to hold).
 */
export function statsWords(s: Pick<Stats, 'pairs' | 'conversations'>): { rows: string; tokens: string; length: string; histogram: string; mixed: boolean } {
  const pairs = s.pairs ?? 0;
  if (pairs <= 0) return { rows: 'Conversations', tokens: 'Tokens (trained)', length: 'Length min / median / p95 / max', histogram: 'Tokens per example', mixed: false };
  return {
    rows: 'Preference pairs',
    tokens: 'Tokens of both sides (trained)',
    length: 'Longer side min / median / p95 / max',
    histogram: 'Tokens per pair (longer side)',
    // Pairs among other rows: training refuses the mix, so say so.
    mixed: pairs < s.conversations,
  };
}
