// What a run's state allows, and how live events fold into what a run page
// shows. Kept here so the buttons and the tests agree.

import { ActiveStates, ResumableStates, type Damage } from './generated/contract';
import { runLabel, shortRunId } from './format';
import type { MetricRow, Run, RunConfig, RunState } from './types';

export interface Actions {
  cancel: boolean;
  pause: boolean;
  resume: boolean;
  delete: boolean;
}

/** Queued or training (runs.ActiveStates). */
export const ACTIVE: readonly RunState[] = ActiveStates;

export function isActive(state: RunState): boolean {
  return ACTIVE.includes(state);
}

/** runs.State.Resumable, from runs.ResumableStates. */
export function isResumable(state: RunState): boolean {
  return (ResumableStates as readonly RunState[]).includes(state);
}

/** Why a damaged run's files cannot be read and what can still be done (runs.Damage). */
export type RunDamage = Damage;

/** The damage of a run in state "damaged", else null. */
export function damageOf(run: { state: RunState; damage?: RunDamage | null } | null | undefined): RunDamage | null {
  return run?.state === 'damaged' ? (run.damage ?? null) : null;
}

/** A damaged run can be deleted, and resumed only when its damage allows (mirrors runs.Record.CanResume). */
export function actionsFor(state: RunState, damage?: RunDamage | null): Actions {
  if (state === 'damaged') {
    return { cancel: false, pause: false, resume: damage?.resumable === true, delete: true };
  }
  return {
    cancel: state === 'queued' || state === 'running' || state === 'paused',
    pause: state === 'running',
    resume: isResumable(state),
    delete: state !== 'running',
  };
}

/** Rows kept in memory per run page; older ones are thinned, not dropped. */
export const MAX_POINTS = 20000;

/** Appends a live metrics row unless it repeats a step already merged with the same fields. */
export function appendMetric(rows: MetricRow[], m: MetricRow): MetricRow[] {
  const next = rows.length >= MAX_POINTS ? thin(rows) : rows.slice();
  next.push(m);
  return next;
}

/** Halves the resolution of the older half, keeping the newest points exact. */
export function thin(rows: MetricRow[]): MetricRow[] {
  const half = Math.floor(rows.length / 2);
  const old = rows.slice(0, half).filter((r, i) => i % 2 === 0 || r.val_loss != null);
  return old.concat(rows.slice(half));
}

export const LOG_TAIL = 400;

export function appendLog(lines: string[], line: string): string[] {
  const next = lines.length >= LOG_TAIL ? lines.slice(lines.length - LOG_TAIL + 1) : lines.slice();
  next.push(line);
  return next;
}

/**
 * A live "run.log" event as train.log holds it: "<RFC 3339 stamp> <line>",
 * so a line reads the same before and after a reload. An event without a
 * stamp (an older server) is shown as it comes.
 */
export function logLine(ev: { line: string; time?: string }): string {
  return ev.time ? `${ev.time} ${ev.line}` : ev.line;
}

export function splitLog(log: string | string[] | null | undefined): string[] {
  if (!log) return [];
  const lines = Array.isArray(log) ? log : log.split('\n');
  const clean = lines.filter((l, i) => !(i === lines.length - 1 && l === ''));
  return clean.slice(-LOG_TAIL);
}

/** Progress of a run: from the newest metrics, else from the run record. */
export function progressOf(run: Run | null, last: MetricRow | undefined, cfgSteps = 0): { step: number; max: number } {
  const step = Math.max(last?.step ?? 0, run?.step ?? 0);
  const max = last?.total_steps || run?.total_steps || cfgSteps || 0;
  return { step, max };
}

/** Active runs on top, then newest first. */
export function sortRuns(runs: Run[]): Run[] {
  return [...runs].sort((a, b) => {
    const aa = isActive(a.state) ? 0 : 1;
    const bb = isActive(b.state) ? 0 : 1;
    if (aa !== bb) return aa - bb;
    return (b.created ?? b.id).localeCompare(a.created ?? a.id);
  });
}

/** What folding a state event into a shown record decided. */
export interface Folded<T> {
  /** The record to show. */
  record: T;
  /**
   * True when the shown state may be stale: the event skipped a version
   * (one was missed) or was not newer than what is shown (reordered). The
   * caller then asks the store (Runs.Get / Runs.List), which is the truth.
   */
  reconcile: boolean;
}

type Versioned = { version?: number };

/**
 * Folds a record that arrived (a "run.state" event, or an answer of
 * Runs.Get) into the one shown. Every write of a run's state.json has the
 * next version, so a newer record replaces the shown one, an older or equal
 * one is ignored, and a gap means an event was lost.
 */
export function foldRecord<T extends Versioned>(shown: T | null | undefined, incoming: T): Folded<T> {
  if (!shown || incoming.version === undefined) return { record: incoming, reconcile: false };
  const a = shown.version ?? 0;
  const b = incoming.version ?? 0;
  if (b > a) return { record: incoming, reconcile: b > a + 1 };
  return { record: shown, reconcile: b < a };
}

/**
 * Folds a state event into a list. Returns false when the list must be
 * reloaded: the run is new to it, or the event showed that one was missed.
 */
export function applyState(runs: Run[], ev: { id: string; record?: Run; state: RunState; error?: string }): boolean {
  const i = runs.findIndex((r) => r.id === ev.id);
  if (i < 0) {
    if (!ev.record) return false;
    runs.unshift(ev.record);
    return true;
  }
  if (!ev.record) {
    runs[i] = { ...runs[i], state: ev.state, error: ev.error };
    return true;
  }
  const f = foldRecord(runs[i], ev.record);
  runs[i] = f.record;
  return !f.reconcile;
}

/**
 * The runs a queued run waits for: the one training, then the queued runs
 * submitted before it (the queue takes the oldest first). Paused runs are
 * held back and wait for no one's turn.
 */
export function queuedAhead(run: Run, runs: Run[]): Run[] {
  const key = (r: Run) => `${r.created ?? ''}\u0000${r.id}`;
  const running = runs.filter((r) => r.id !== run.id && r.state === 'running');
  const queued = runs.filter((r) => r.id !== run.id && r.state === 'queued' && key(r) < key(run)).sort((a, b) => key(a).localeCompare(key(b)));
  return running.concat(queued);
}

/** What the run page shows instead of empty charts. */
export interface Placeholder {
  /** The run's state, or "preparing" for a running run before its first step. */
  kind: RunState | 'preparing';
  title: string;
  /** What happens next, or what the user can do. */
  detail: string;
}

/**
 * What the chart area says for a run without metrics, by state; null when
 * there are metrics to chart. Only a run that is about to produce steps
 * (preparing) says that the charts come: a queued, failed, cancelled or
 * paused run says why it has none and what can be done.
 */
export function chartPlaceholder(run: Run, hasRows: boolean, ahead: Run[] = []): Placeholder | null {
  if (hasRows) return null;
  const ckpt = run.last_checkpoint > 0 ? run.last_checkpoint : 0;
  const edit = 'Duplicate opens its settings in the New run form to change them.';
  switch (run.state) {
    case 'queued': {
      if (ahead.length === 0) return { kind: 'queued', title: 'Queued', detail: 'It starts when the device is free.' };
      const more = ahead.length > 1 ? ` and ${ahead.length - 1} more` : '';
      const them = ahead.length > 1 ? 'they finish' : 'it finishes';
      return { kind: 'queued', title: `Queued behind ${runLabel(ahead[0])}${more}`, detail: `It starts when ${them}; Cancel takes it out of the queue.` };
    }
    case 'running':
      return {
        kind: 'preparing',
        title: 'Preparing the data and the model',
        detail: 'The charts start with the first training step; the log below says what is being done.',
      };
    case 'failed':
      // The header shows the error itself; this says what to do about it.
      return {
        kind: 'failed',
        title: 'Failed before its first step',
        detail: `${run.error ? 'The error above says what went wrong. ' : ''}${edit} Resume retries it as it is${ckpt ? ` from the checkpoint at step ${ckpt}` : ''}.`,
      };
    case 'cancelled':
      return { kind: 'cancelled', title: 'Cancelled before its first step', detail: `Resume starts it again; ${edit.charAt(0).toLowerCase()}${edit.slice(1)}` };
    case 'paused':
      return { kind: 'paused', title: 'Paused before its first step', detail: 'Resume queues it again.' };
    case 'interrupted':
      return {
        kind: 'interrupted',
        title: 'Interrupted before its first step',
        detail: 'The trainer stopped without finishing (the app was closed or the process ended). Resume starts it again.',
      };
    case 'completed':
      return { kind: 'completed', title: 'Completed with no metrics recorded', detail: 'Its metrics.jsonl is empty or missing; the log below has what was recorded.' };
    case 'damaged':
      return { kind: 'damaged', title: 'No metrics can be shown', detail: "The run's files cannot be read: see above for what can still be done." };
  }
  return null;
}

/**
 * The New run form's starting point for Duplicate: a copy of the run's
 * config under a fresh name ("<name> copy"), to edit before starting.
 * A plain copy, so editing the draft never changes the shown run.
 */
export function duplicateDraft(run: { id: string; name?: string }, cfg: RunConfig): RunConfig {
  const copy = JSON.parse(JSON.stringify(cfg)) as RunConfig;
  const base = cfg.name?.trim() || run.name?.trim() || shortRunId(run.id);
  copy.name = `${base} copy`;
  return copy;
}

/**
 * Where Resume continues: the newest checkpoint (RunDetail.checkpoints,
 * newest first, or the record's last_checkpoint where a state event brought
 * a record newer than the list), or step 0 without one.
 */
export function resumeFrom(run: Run, checkpoints?: number[] | null): string {
  const newest = Math.max(checkpoints?.[0] ?? 0, run.last_checkpoint ?? 0);
  if (!newest || newest <= 0) return 'Resume starts again from step 0: no checkpoint was saved.';
  const again = newest < run.step ? ` (steps ${newest + 1}–${run.step} are trained again)` : '';
  return `Resume continues from the checkpoint at step ${newest}${again}.`;
}

/**
 * A line above the charts of a run that stopped with metrics: where it
 * stopped and where Resume continues. Null for a run that is queued,
 * training, completed or damaged (the header says what a damage allows).
 */
export function stateNote(run: Run, checkpoints?: number[] | null): string | null {
  const at = `at step ${run.step}`;
  switch (run.state) {
    case 'paused':
      return `Paused ${at}. ${resumeFrom(run, checkpoints)}`;
    case 'interrupted':
      return `Interrupted ${at}: the trainer stopped without finishing. ${resumeFrom(run, checkpoints)}`;
    case 'failed':
      return `Failed ${at}. ${resumeFrom(run, checkpoints)}`;
    case 'cancelled':
      return `Cancelled ${at}. ${resumeFrom(run, checkpoints)}`;
    default:
      return null;
  }
}
