import { describe, expect, it } from 'vitest';
import type { ModelChoice, Recents } from './generated/contract';
import { choiceDetail, dialogStart, formatDecimalBytes, groupChoices, recentRefs, startingPick } from './picker';

function choice(over: Partial<ModelChoice>): ModelChoice {
  return { ref: '/m', label: 'm', source: 'cache', dir: '/m', params: 0, size_bytes: 0, has_weights: true, architecture: '', missing: false, ...over };
}

const recents: Recents = {
  models: [
    { ref: '/models/mine', used: '2026-01-02T00:00:00Z' },
    { ref: 'org/name', used: '2026-01-01T00:00:00Z' },
  ],
  datasets: [{ ref: '/data/chats.jsonl', used: '2026-01-01T00:00:00Z' }],
};

describe('groupChoices', () => {
  it('keeps the order Go gives, groups and titles', () => {
    const g = groupChoices([
      choice({ ref: 'demo', source: 'workspace' }),
      choice({ ref: 'a', source: 'recent' }),
      choice({ ref: 'b', source: 'recent' }),
      choice({ ref: 'c', source: 'cache' }),
    ]);
    expect(g.map((x) => x.title)).toEqual(['In the workspace', 'Used before', 'Hugging Face cache']);
    expect(g[1].items.map((x) => x.ref)).toEqual(['a', 'b']);
    expect(groupChoices([])).toEqual([]);
  });
});

describe('choiceDetail', () => {
  it('says what is cheap to know, and what is wrong', () => {
    expect(choiceDetail(choice({ params: 1_048_576, architecture: 'gemma3', size_bytes: 4 * 2 ** 20 }))).toBe('1M params · gemma3 · 4.0 MiB');
    expect(choiceDetail(choice({ has_weights: false, params: 268_000_000 }))).toBe('268M params · config only: download to train');
    expect(choiceDetail(choice({ missing: true, dir: '' }))).toBe('folder no longer exists');
    expect(choiceDetail(choice({ dir: '' }))).toBe('hub id, not in the cache');
  });
});

describe('recents', () => {
  it('lists refs most recent first and falls back to them', () => {
    expect(recentRefs(recents, 'models')).toEqual(['/models/mine', 'org/name']);
    expect(recentRefs(null, 'datasets')).toEqual([]);
    expect(startingPick('', recents, 'models')).toBe('/models/mine');
    expect(startingPick('picked/here', recents, 'models')).toBe('picked/here');
    expect(startingPick('', { models: [], datasets: [] }, 'datasets')).toBe('');
  });
});

describe('dialogStart', () => {
  it('opens next to an absolute path, elsewhere the OS chooses', () => {
    expect(dialogStart('/data/sets/chats.jsonl', 'file')).toBe('/data/sets');
    expect(dialogStart('/models/gemma/', 'folder')).toBe('/models');
    expect(dialogStart('/x.jsonl', 'file')).toBe('/');
    expect(dialogStart('C:\\data\\chats.jsonl', 'file')).toBe('C:\\data');
    expect(dialogStart('google/gemma-3-1b-it', 'folder')).toBe('');
    expect(dialogStart('', 'file')).toBe('');
  });
});

describe('catalogue', () => {
  it('writes sizes as the hub does', () => {
    expect(formatDecimalBytes(2e9)).toBe('2.0 GB');
    expect(formatDecimalBytes(550e6)).toBe('550 MB');
    expect(formatDecimalBytes(0)).toBe('—');
  });
});
