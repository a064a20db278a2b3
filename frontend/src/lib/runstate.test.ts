import { describe, expect, it } from 'vitest';
import { actionsFor, applyState, appendLog, chartPlaceholder, duplicateDraft, resumeFrom, stateNote, logLine, queuedAhead, foldRecord, appendMetric, damageOf, LOG_TAIL, MAX_POINTS, progressOf, sortRuns, splitLog, thin } from './runstate';
import type { Run, RunConfig } from './types';

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

describe('chart placeholders', () => {
  const base = { id: '20261206-100000-aaaaaa', name: 'demo', model: 'm', dataset: 'd', created: '2026-12-06T10:00:00Z', step: 0, total_steps: 10, last_checkpoint: 0, version: 1 };
  const run = (over: Partial<Run>) => ({ ...base, ...over }) as Run;

  it('shows charts, not a placeholder, once there are metrics', () => {
    for (const state of ['queued', 'running', 'paused', 'failed', 'completed'] as const) {
      expect(chartPlaceholder(run({ state }), true)).toBeNull();
    }
  });

  it('says what each state without metrics means, and never promises steps that will not come', () => {
    const states = ['queued', 'running', 'paused', 'completed', 'failed', 'cancelled', 'interrupted', 'damaged'] as const;
    for (const state of states) {
      const p = chartPlaceholder(run({ state }), false)!;
      expect(p, state).not.toBeNull();
      expect(p.title).not.toMatch(/waiting for the first step/i);
    }
    expect(chartPlaceholder(run({ state: 'running' }), false)!.kind).toBe('preparing');
    expect(chartPlaceholder(run({ state: 'queued' }), false)!.title).toBe('Queued');
    expect(chartPlaceholder(run({ state: 'paused' }), false)!.detail).toContain('Resume');
    expect(chartPlaceholder(run({ state: 'completed' }), false)!.title).toBe('Completed with no metrics recorded');
  });

  it('tells a failed run what to do about its error', () => {
    const p = chartPlaceholder(run({ state: 'failed', error: 'open /data/x.jsonl: no such file or directory' }), false)!;
    expect(p.detail).toBe(
      'The error above says what went wrong. Duplicate opens its settings in the New run form to change them. Resume retries it as it is.',
    );
    expect(chartPlaceholder(run({ state: 'failed', last_checkpoint: 20 }), false)!.detail).toContain('from the checkpoint at step 20');
  });

  it('names the run a queued run waits for', () => {
    const me = run({ state: 'queued', created: '2026-12-06T10:00:00Z' });
    const runs = [
      run({ id: '20261206-090000-bbbbbb', name: 'first', state: 'running', created: '2026-12-06T09:00:00Z' }),
      run({ id: '20261206-093000-cccccc', name: 'second', state: 'queued', created: '2026-12-06T09:30:00Z' }),
      run({ id: '20261206-110000-dddddd', name: 'later', state: 'queued', created: '2026-12-06T11:00:00Z' }),
      run({ id: '20261206-080000-eeeeee', name: 'held', state: 'paused', created: '2026-12-06T08:00:00Z' }),
      me,
    ];
    const ahead = queuedAhead(me, runs);
    expect(ahead.map((r) => r.name)).toEqual(['first', 'second']);
    expect(chartPlaceholder(me, false, ahead)!.title).toBe('Queued behind first · bbbbbb and 1 more');
    expect(chartPlaceholder(me, false, ahead)!.detail).toContain('when they finish');
    expect(chartPlaceholder(me, false, ahead.slice(1))!.title).toBe('Queued behind second · cccccc');
    expect(chartPlaceholder(me, false, ahead.slice(1))!.detail).toContain('when it finishes');
  });
});

describe('duplicateDraft', () => {
  it('copies the config under a fresh name without sharing it', () => {
    const cfg = { name: 'gemma-demo', model: { path: '/m' }, training: { max_steps: 30, lr: 2e-4 } } as unknown as RunConfig;
    const d = duplicateDraft({ id: '20261206-100000-8d9afe', name: 'gemma-demo' }, cfg);
    expect(d.name).toBe('gemma-demo copy');
    expect(d.training).toEqual(cfg.training);
    d.training.max_steps = 99;
    expect(cfg.training.max_steps).toBe(30);
    expect(cfg.name).toBe('gemma-demo');
    expect(duplicateDraft({ id: '20261206-100000-8d9afe' }, { ...cfg, name: '' }).name).toBe('8d9afe copy');
  });
});

describe('stateNote', () => {
  const r = (over: Partial<Run>) => ({ id: 'a', model: 'm', dataset: 'd', created: '', step: 37, total_steps: 60, last_checkpoint: 20, version: 1, state: 'paused', ...over }) as Run;
  it('says where a stopped run stopped and where Resume continues', () => {
    expect(stateNote(r({ state: 'paused', step: 40, last_checkpoint: 40 }))).toBe('Paused at step 40. Resume continues from the checkpoint at step 40.');
    expect(stateNote(r({ state: 'interrupted' }), [20, 10])).toBe(
      'Interrupted at step 37: the trainer stopped without finishing. Resume continues from the checkpoint at step 20 (steps 21–37 are trained again).',
    );
    expect(stateNote(r({ state: 'failed', last_checkpoint: 0 }), [])).toBe('Failed at step 37. Resume starts again from step 0: no checkpoint was saved.');
    expect(stateNote(r({ state: 'cancelled' }))).toContain('Cancelled at step 37.');
    for (const state of ['queued', 'running', 'completed', 'damaged'] as const) expect(stateNote(r({ state }))).toBeNull();
  });
  it('takes the newest of the checkpoints listed and the record', () => {
    expect(resumeFrom(r({ last_checkpoint: 0 }), [20])).toContain('step 20');
    expect(resumeFrom(r({ last_checkpoint: 30 }), [20])).toContain('step 30');
  });
});
