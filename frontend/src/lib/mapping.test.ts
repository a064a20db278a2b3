import { describe, expect, it } from 'vitest';
import { asFormat, FORMATS, knownColumns, mappingFields, mappingOverride, toConfigMapping } from './mapping';
import type { DatasetMapping } from './types';

describe('mapping', () => {
  it('lists the fields each format uses', () => {
    expect(mappingFields('sharegpt').map((f) => f.key)).toEqual(['conversation_column', 'role_key', 'content_key']);
    expect(mappingFields('alpaca').filter((f) => !f.optional).map((f) => f.key)).toEqual(['instruction_column', 'output_column']);
    expect(mappingFields('text').map((f) => f.key)).toEqual(['text_column']);
    expect(mappingFields('nope')).toEqual([]);
  });

  it('offers the formats Go reads', () => {
    expect(FORMATS).toEqual(['sharegpt', 'openai', 'alpaca', 'text']);
    expect(asFormat('openai')).toBe('openai');
    expect(asFormat('chatml')).toBeUndefined();
  });

  it('sends only what the user changed', () => {
    const detected: DatasetMapping = { format: 'sharegpt', conversation_column: 'conversations', role_key: 'from', content_key: 'value' };
    expect(mappingOverride(detected, { ...detected })).toEqual({});
    expect(mappingOverride(detected, { ...detected, conversation_column: 'dialog' })).toEqual({ conversation_column: 'dialog' });
    expect(mappingOverride(detected, { format: 'text', text_column: 'body' })).toEqual({ format: 'text', text_column: 'body' });
    expect(toConfigMapping({ format: 'text', text_column: 'body', roles: { a: 'b' } })).toEqual({ format: 'text', text_column: 'body' });
  });
});

describe('known columns', () => {
  it('prefers reported columns, else collects those detection used', () => {
    const detection: { mapping: DatasetMapping; alternatives: { mapping: DatasetMapping }[] } = {
      mapping: { format: 'sharegpt', conversation_column: 'conversations', role_key: 'from' },
      alternatives: [{ mapping: { format: 'text', text_column: 'text' } }],
    };
    expect(knownColumns({ detection })).toEqual(['conversations', 'text']);
    expect(knownColumns({ columns: ['a', 'b'], detection })).toEqual(['a', 'b']);
  });
});
