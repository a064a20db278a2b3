import { describe, expect, it } from 'vitest';
import { actionsFor, applyState, appendLog, logLine, foldRecord, appendMetric, damageOf, LOG_TAIL, MAX_POINTS, progressOf, sortRuns, splitLog, thin } from './runstate';
import type { Run } from './types';

describe('run state', () => {
  it('offers only the actions a state allows', () => {
    expect(actionsFor('running')).toEqual({ cancel: true, pause: true, resume: false, delete: false });
    expect(actionsFor('paused')).toEqual({ cancel: true, pause: false, resume: true, delete: true });
    expect(actionsFor('completed')).toEqual({ cancel: false, pause: false, resume: false, delete: true });
    expect(actionsFor('interrupted').resume).toBe(true);
    expect(actionsFor('failed')).toEqual({ cancel: false, pause: false, resume: true, delete: true });
    expect(actionsFor('queued').cancel).toBe(true);
  });

  it('lets a damaged run be deleted, and resumed only when its damage allows', () => {
    const damage = { files: ['state.json'], reason: 'state.json is empty', resumable: true, resume_step: 40, advice: 'resume it' };
    expect(actionsFor('damaged', damage)).toEqual({ cancel: false, pause: false, resume: true, delete: true });
    expect(actionsFor('damaged', { ...damage, files: ['config.yaml'], resumable: false })).toEqual({
      cancel: false,
      pause: false,
      resume: false,
      delete: true,
    });
    expect(actionsFor('damaged').resume).toBe(false);
    expect(damageOf({ state: 'damaged', damage })).toBe(damage);
    expect(damageOf({ state: 'paused', damage })).toBeNull();
    expect(damageOf({ state: 'damaged' })).toBeNull();
  });

  it('bounds memory for long runs without losing validation points', () => {
    const rows = Array.from({ length: 8 }, (_, i) => ({ step: i, loss: 1, ...(i === 1 ? { val_loss: 2 } : {}) }));
    const t = thin(rows);
    expect(t.map((r) => r.step)).toEqual([0, 1, 2, 4, 5, 6, 7]);
    let many = Array.from({ length: MAX_POINTS }, (_, i) => ({ step: i }));
    many = appendMetric(many, { step: MAX_POINTS });
    expect(many.length).toBeLessThan(MAX_POINTS);
    expect(many[many.length - 1].step).toBe(MAX_POINTS);
  });

  it('keeps a bounded log tail', () => {
    let lines: string[] = [];
    for (let i = 0; i < LOG_TAIL + 10; i++) lines = appendLog(lines, `l${i}`);
    expect(lines).toHaveLength(LOG_TAIL);
    expect(lines[lines.length - 1]).toBe(`l${LOG_TAIL + 9}`);
    expect(splitLog('a\nb\n')).toEqual(['a', 'b']);
    expect(splitLog(['x'])).toEqual(['x']);
    expect(splitLog(null)).toEqual([]);
  });

  it('stamps a live log line as train.log does', () => {
    expect(logLine({ line: 'step 5', time: '2026-12-06T22:16:40Z' })).toBe('2026-12-06T22:16:40Z step 5');
    expect(logLine({ line: 'step 5' })).toBe('step 5');
  });

  it('computes progress and sorts active runs first', () => {
    const run = { id: 'a', state: 'running', step: 10, total_steps: 60 } as Run;
    expect(progressOf(run, { step: 12 })).toEqual({ step: 12, max: 60 });
    expect(progressOf(run, { step: 12, total_steps: 80 })).toEqual({ step: 12, max: 80 });
    expect(progressOf({ ...run, total_steps: 0 }, undefined, 30)).toEqual({ step: 10, max: 30 });
    const runs = [
      { id: 'r1', state: 'completed', created: '2026-11-24T10:00:00Z' },
      { id: 'r2', state: 'completed', created: '2026-11-24T11:00:00Z' },
      { id: 'r3', state: 'running', created: '2026-11-24T09:00:00Z' },
    ] as Run[];
    expect(sortRuns(runs).map((r) => r.id)).toEqual(['r3', 'r2', 'r1']);
  });

  it('folds state events into the list', () => {
    const runs = [{ id: 'a', state: 'queued' }] as Run[];
    expect(applyState(runs, { id: 'a', state: 'running' })).toBe(true);
    expect(runs[0].state).toBe('running');
    expect(applyState(runs, { id: 'b', state: 'queued' })).toBe(false);
    expect(applyState(runs, { id: 'b', state: 'queued', record: { id: 'b', state: 'queued' } as Run })).toBe(true);
    expect(runs.map((r) => r.id)).toEqual(['b', 'a']);
  });
});

describe('foldRecord', () => {
  it('keeps the newest version and asks for the store on a gap or a stale record', () => {
    const v = (version: number, state = 'running'): { id: string; state: string; version?: number } => ({ id: 'a', state, version });
    expect(foldRecord(null, v(3))).toEqual({ record: v(3), reconcile: false });
    expect(foldRecord(v(3), v(4, 'paused'))).toEqual({ record: v(4, 'paused'), reconcile: false });
    expect(foldRecord(v(3), v(6, 'paused'))).toEqual({ record: v(6, 'paused'), reconcile: true });
    expect(foldRecord(v(5, 'paused'), v(4, 'queued'))).toEqual({ record: v(5, 'paused'), reconcile: true });
    expect(foldRecord(v(5), v(5))).toEqual({ record: v(5), reconcile: false });
    // A record without a version (an older server) is taken as it comes.
    expect(foldRecord(v(5), { id: 'a', state: 'paused' })).toEqual({ record: { id: 'a', state: 'paused' }, reconcile: false });
  });

  it('reloads the list when an event skips a version', () => {
    const runs = [{ id: 'a', state: 'running', version: 2 }] as unknown as Parameters<typeof applyState>[0];
    expect(applyState(runs, { id: 'a', state: 'paused', record: { id: 'a', state: 'paused', version: 3 } as never })).toBe(true);
    expect(runs[0].state).toBe('paused');
    expect(applyState(runs, { id: 'a', state: 'running', record: { id: 'a', state: 'running', version: 2 } as never })).toBe(false);
    expect(runs[0].state).toBe('paused');
  });
});
