import { describe, expect, it } from 'vitest';
import { safeLanguage } from './localeguard';

describe('safeLanguage', () => {
  it('keeps a valid tag', () => {
    expect(safeLanguage('de-DE')).toBeNull();
  });
  it('replaces the POSIX "C" locale and empty values', () => {
    expect(safeLanguage('C')).toBe('en-US');
    expect(safeLanguage('')).toBe('en-US');
    expect(safeLanguage(undefined)).toBe('en-US');
  });
});
