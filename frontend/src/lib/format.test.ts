import { describe, expect, it } from 'vitest';
import { formatBytes, formatDuration, formatInt, formatNumber, formatParams, formatPercent, fraction, runLabel, shortRunId } from './format';

describe('format', () => {
  it('bytes', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(536_870_912)).toBe('512 MiB');
    expect(formatBytes(1.5 * 2 ** 30)).toBe('1.5 GiB');
    expect(formatBytes(undefined)).toBe('—');
  });
  it('params', () => {
    expect(formatParams(268_098_176)).toBe('268M');
    expect(formatParams(999_885_952)).toBe('1.0B');
    expect(formatParams(999_400_000)).toBe('999M');
    expect(formatParams(4_300_079_472)).toBe('4.3B');
    expect(formatParams(27_432_406_640)).toBe('27B');
    expect(formatParams(0)).toBe('—');
  });
  it('durations', () => {
    expect(formatDuration(45.4)).toBe('45s');
    expect(formatDuration(185)).toBe('3m 05s');
    expect(formatDuration(7620)).toBe('2h 07m');
    expect(formatDuration(-1)).toBe('—');
  });
  it('numbers', () => {
    expect(formatNumber(2.345678)).toBe('2.346');
    expect(formatNumber(0.0002)).toBe('2.00e-4');
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(NaN)).toBe('—');
    expect(formatInt(1234567.4)).toBe('1,234,567');
  });
  it('progress', () => {
    expect(formatPercent(30, 60)).toBe('50%');
    expect(formatPercent(1, 0)).toBe('—');
    expect(fraction(120, 60)).toBe(1);
    expect(fraction(undefined, 60)).toBe(0);
  });
});

describe('runLabel', () => {
  it('names a run with the end of its id so runs of one name stay apart', () => {
    expect(runLabel({ id: '20261206-214252-8d9afe', name: 'gemma-demo' })).toBe('gemma-demo · 8d9afe');
    expect(runLabel({ id: '20261206-214252-3f2a9c', name: 'gemma-demo' })).not.toBe(runLabel({ id: '20261206-214252-8d9afe', name: 'gemma-demo' }));
    expect(runLabel({ id: '20261206-214252-8d9afe', name: '  ' })).toBe('20261206-214252-8d9afe');
    expect(runLabel({ id: '20261206-214252-8d9afe' })).toBe('20261206-214252-8d9afe');
  });
  it('shortens ids of any shape', () => {
    expect(shortRunId('20261206-214252-8d9afe')).toBe('8d9afe');
    expect(shortRunId('abcdef0123456')).toBe('0123456');
    expect(shortRunId('abc')).toBe('abc');
    expect(shortRunId('abc-')).toBe('abc-');
  });
});
