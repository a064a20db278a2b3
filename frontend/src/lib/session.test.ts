// @vitest-environment jsdom
import { afterEach, describe, expect, it } from 'vitest';
import { session } from './session.svelte';

afterEach(() => {
  localStorage.clear();
  sessionStorage.clear();
  session.reload();
});

const recents = {
  models: [{ ref: '/ws/models/demo/gemma3-demo', used: '2026-01-02T00:00:00Z' }],
  datasets: [{ ref: '/ws/models/demo/demo-chat.jsonl', used: '2026-01-02T00:00:00Z' }],
};

describe('session', () => {
  it('keeps picks in localStorage, so a new tab starts from them', () => {
    session.model = 'google/gemma-3-270m-it';
    session.dataset = '/data/chats.jsonl';
    session.save();
    // A new tab: a fresh sessionStorage, the same localStorage.
    sessionStorage.clear();
    session.model = '';
    session.reload();
    expect(session.model).toBe('google/gemma-3-270m-it');
    expect(session.dataset).toBe('/data/chats.jsonl');
  });

  it('keeps the Duplicate draft to this tab', () => {
    session.draft = { model: { source: 'x' } } as never;
    session.save();
    session.reload();
    expect(session.draft).not.toBeNull();
    sessionStorage.clear();
    session.reload();
    expect(session.draft).toBeNull();
  });

  it('reads what an earlier version left in sessionStorage', () => {
    sessionStorage.setItem('whetstone.session', JSON.stringify({ model: '/old/model', dataset: '', format: '', mapping: {} }));
    session.reload();
    expect(session.model).toBe('/old/model');
  });

  it('ignores damaged storage', () => {
    localStorage.setItem('whetstone.session', '{not json');
    session.reload();
    expect(session.model).toBe('');
    localStorage.setItem('whetstone.session', JSON.stringify({ model: 42, mapping: 'x' }));
    session.reload();
    expect(session.model).toBe('');
    expect(session.mapping).toEqual({});
  });

  it('falls back to the workspace recents only where nothing is picked', async () => {
    await session.fillFromRecents(async () => recents);
    expect(session.model).toBe('/ws/models/demo/gemma3-demo');
    expect(session.dataset).toBe('/ws/models/demo/demo-chat.jsonl');
    expect(JSON.parse(localStorage.getItem('whetstone.session')!).model).toBe('/ws/models/demo/gemma3-demo');

    session.model = 'mine';
    await session.fillFromRecents(async () => recents);
    expect(session.model).toBe('mine');

    session.model = '';
    session.dataset = '';
    await session.fillFromRecents(async () => {
      throw new Error('offline');
    });
    expect(session.model).toBe('');
  });
});
