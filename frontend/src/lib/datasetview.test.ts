import { describe, expect, it } from 'vitest';
import { badRowsHeading, clampPage, fileLabel, pageCount, problemPlace, problemReason, readOptions, rowRange, statsWords } from './datasetview';
import { ConfigDefaults } from './generated/contract';

describe('read options', () => {
  it('are the run config defaults Go gives training', () => {
    const o = readOptions();
    expect(o).toEqual({ skip_bad_rows: ConfigDefaults.dataset.skip_bad_rows, max_bad_rows: ConfigDefaults.dataset.max_bad_rows, max_row_mb: ConfigDefaults.dataset.max_row_mb ?? 0 });
    // Training skips bad rows by default: the screen must too, or one bad row fails its statistics.
    expect(o.skip_bad_rows).toBe(true);
  });

  it('follow a given config', () => {
    const cfg = { dataset: { ...ConfigDefaults.dataset, skip_bad_rows: false, max_bad_rows: 7, max_row_mb: 3 } };
    expect(readOptions(cfg)).toEqual({ skip_bad_rows: false, max_bad_rows: 7, max_row_mb: 3 });
  });
});

describe('pager', () => {
  it('counts pages and keeps the page within them', () => {
    expect(pageCount(30112, 20)).toBe(1506);
    expect(pageCount(40, 20)).toBe(2);
    expect(pageCount(0, 20)).toBe(1);
    expect(clampPage(5000, 30112, 20)).toBe(1505);
    expect(clampPage(-3, 30112, 20)).toBe(0);
    expect(clampPage(Number.NaN, 30112, 20)).toBe(0);
    expect(clampPage(2.7, 100, 20)).toBe(2);
  });

  it('says which rows a page shows out of how many', () => {
    expect(rowRange(1, 20, 20, 30112)).toBe('rows 21–40 of 30,112');
    expect(rowRange(0, 5, 3, 3)).toBe('rows 1–3 of 3');
    expect(rowRange(9, 20, 0, 30)).toBe('no rows on this page (30 in all)');
    expect(rowRange(0, 20, 0, 0)).toBe('no usable rows');
  });
});

describe('bad rows', () => {
  const robot = {
    file: '/data/ft/train-robot.jsonl',
    row: 3,
    line: 3,
    field: 'conversations[1].from',
    kind: 'unknown role',
    message: 'train-robot.jsonl: line 3, field conversations[1].from: unknown role: "robot"; map it',
  };

  it('name the file within the dataset folder', () => {
    expect(fileLabel(robot.file, '/data/ft')).toBe('train-robot.jsonl');
    expect(fileLabel('/data/ft/data/train-0.parquet', '/data/ft/')).toBe('data/train-0.parquet');
    expect(fileLabel('/data/ft/x.jsonl', '/data/ft/x.jsonl')).toBe('x.jsonl');
    expect(fileLabel('C:\\d\\x.jsonl', 'org/name')).toBe('x.jsonl');
  });

  it('say where and why', () => {
    expect(problemPlace(robot)).toBe('line 3, conversations[1].from');
    expect(problemPlace({ row: 2, line: 5 })).toBe('line 5 (row 2)');
    expect(problemPlace({ row: 12 })).toBe('row 12');
    expect(problemReason(robot)).toBe('unknown role: "robot"; map it');
    expect(problemReason({ kind: '', message: 'odd' })).toBe('odd');
  });

  it('say how many are listed of how many', () => {
    expect(badRowsHeading(1, 1)).toBe('1 bad row');
    expect(badRowsHeading(2, 2)).toBe('2 bad rows');
    expect(badRowsHeading(100, 2345)).toBe('2,345 bad rows (the first 100 listed)');
    expect(badRowsHeading(0, 3)).toBe('3 bad rows');
  });
});

describe('statistics wording', () => {
  it('speaks of pairs for a preference dataset, and of examples otherwise', () => {
    expect(statsWords({ conversations: 10 })).toMatchObject({ rows: 'Conversations', histogram: 'Tokens per example', mixed: false });
    expect(statsWords({ conversations: 10, pairs: 0 }).rows).toBe('Conversations');
    const w = statsWords({ conversations: 10, pairs: 10 });
    expect(w).toMatchObject({ rows: 'Preference pairs', mixed: false });
    expect(w.tokens).toMatch(/both sides/);
    expect(w.length).toMatch(/longer side/i);
    expect(statsWords({ conversations: 10, pairs: 4 }).mixed).toBe(true);
  });
});
