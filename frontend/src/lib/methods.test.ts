import { describe, expect, it } from 'vitest';
import { METHODS } from './configform';
import { infoOf, methodInfo, methodNote } from './methods';

describe('training methods', () => {
  it("explains every method Go has, and no other", () => {
    expect(Object.keys(methodInfo).sort()).toEqual([...METHODS].sort());
    for (const m of METHODS) expect(infoOf(m).line, m).not.toBe('');
  });

  it('says which train on preference pairs', () => {
    expect(METHODS.filter((m) => infoOf(m).pairs)).toEqual(['dpo', 'orpo']);
  });

  it('notes that continued pretraining packs text and trains every token', () => {
    expect(methodNote('cpt')).toMatch(/packed/);
    expect(methodNote('cpt')).toMatch(/every token/);
    expect(methodNote('dpo')).toMatch(/preference dataset/);
    expect(methodNote('sft')).toBe('');
  });

  it('shows a method a newer Go adds under its own name', () => {
    expect(infoOf('kto')).toMatchObject({ title: 'kto', pairs: false });
  });
});
