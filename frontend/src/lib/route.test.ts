import { describe, expect, it } from 'vitest';
import { formatRoute, parseRoute } from './route';

describe('routes', () => {
  it('parses screens, ids and comparisons', () => {
    expect(parseRoute('')).toEqual({ screen: 'models' });
    expect(parseRoute('#/nonsense')).toEqual({ screen: 'models' });
    expect(parseRoute('#/runs')).toEqual({ screen: 'runs' });
    expect(parseRoute('#/runs/2026-11-24_abc')).toEqual({ screen: 'runs', id: '2026-11-24_abc' });
    expect(parseRoute('#/runs/compare/a/b')).toEqual({ screen: 'runs', compare: true, id: 'a', other: 'b' });
  });

  it('round-trips ids with odd characters', () => {
    for (const r of [
      { screen: 'export' as const, id: 'run 1/x' },
      { screen: 'runs' as const, compare: true, id: 'a b', other: 'c' },
      { screen: 'settings' as const },
    ]) {
      expect(parseRoute(formatRoute(r))).toEqual(r);
    }
  });
});
