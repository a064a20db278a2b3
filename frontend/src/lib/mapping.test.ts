import { describe, expect, it } from 'vitest';
import { applyOverride, asFormat, FORMATS, fromConfigMapping, hasRoles, knownColumns, mappingFields, mappingOverride, ROLES, roleChoices, toConfigMapping, withRole } from './mapping';
import type { DatasetMapping } from './types';

describe('mapping', () => {
  it('lists the fields each format uses', () => {
    expect(mappingFields('sharegpt').map((f) => f.key)).toEqual(['conversation_column', 'role_key', 'content_key']);
    expect(mappingFields('alpaca').filter((f) => !f.optional).map((f) => f.key)).toEqual(['instruction_column', 'output_column']);
    expect(mappingFields('text').map((f) => f.key)).toEqual(['text_column']);
    expect(mappingFields('preference').filter((f) => !f.optional).map((f) => f.key)).toEqual(['chosen_column', 'rejected_column']);
    expect(mappingFields('preference').map((f) => f.key)).toContain('prompt_column');
    expect(mappingFields('nope')).toEqual([]);
  });

  it('offers the formats Go reads', () => {
    expect(FORMATS).toEqual(['sharegpt', 'openai', 'alpaca', 'text', 'preference']);
    for (const f of FORMATS) expect(mappingFields(f), f).not.toEqual([]);
    expect(asFormat('openai')).toBe('openai');
    expect(asFormat('chatml')).toBeUndefined();
  });

  it('sends only what the user changed', () => {
    const detected: DatasetMapping = { format: 'sharegpt', conversation_column: 'conversations', role_key: 'from', content_key: 'value' };
    expect(mappingOverride(detected, { ...detected })).toEqual({});
    expect(mappingOverride(detected, { ...detected, conversation_column: 'dialog' })).toEqual({ conversation_column: 'dialog' });
    expect(mappingOverride(detected, { format: 'text', text_column: 'body' })).toEqual({ format: 'text', text_column: 'body' });
    expect(mappingOverride({ format: 'preference', chosen_column: 'chosen', rejected_column: 'rejected' }, { format: 'preference', prompt_column: 'question', chosen_column: 'chosen', rejected_column: 'rejected' })).toEqual({ prompt_column: 'question' });
    // Roles mean nothing to a text dataset.
    expect(toConfigMapping({ format: 'text', text_column: 'body', roles: { a: 'b' } })).toEqual({ format: 'text', text_column: 'body' });
  });
});

describe('role mapping', () => {
  const detected: DatasetMapping = { format: 'sharegpt', conversation_column: 'conversations', role_key: 'from', content_key: 'value' };

  it('offers the roles Go maps to', () => {
    expect(ROLES).toEqual(['user', 'assistant', 'system']);
    expect(hasRoles('sharegpt')).toBe(true);
    expect(hasRoles('openai')).toBe(true);
    expect(hasRoles('alpaca')).toBe(false);
  });

  it('goes to the request and, as roles.<name>, to the run config', () => {
    const edited = withRole(detected, 'Robot', 'assistant');
    expect(edited.roles).toEqual({ robot: 'assistant' });
    const o = mappingOverride(detected, edited);
    expect(o).toEqual({ roles: { robot: 'assistant' } });
    expect(toConfigMapping(o)).toEqual({ 'roles.robot': 'assistant' });
    expect(toConfigMapping({ ...o, conversation_column: 'dialog' })).toEqual({ conversation_column: 'dialog', 'roles.robot': 'assistant' });
    expect(mappingOverride(detected, withRole(edited, 'robot', ''))).toEqual({});
    // A format without roles drops them.
    expect(mappingOverride(detected, { ...edited, format: 'alpaca' })).toEqual({ format: 'alpaca' });
  });

  it('offers the roles found in the data, unknown and unmapped first', () => {
    const choices = roleChoices({ human: 'user', gpt: 'assistant', robot: '' }, { robot: 3, person: 1 }, { person: 'user' });
    expect(choices.map((c) => c.name)).toEqual(['robot', 'gpt', 'human', 'person']);
    expect(choices[0]).toEqual({ name: 'robot', standard: '', mapped: '', badRows: 3 });
    expect(choices.find((c) => c.name === 'person')).toEqual({ name: 'person', standard: '', mapped: 'user', badRows: 1 });
    expect(roleChoices(undefined, undefined, undefined)).toEqual([]);
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

describe('a saved mapping', () => {
  const detected: DatasetMapping = { format: 'sharegpt', conversation_column: 'conversations', role_key: 'from', content_key: 'value' };

  it('reads back what toConfigMapping wrote', () => {
    const o = { conversation_column: 'dialog', roles: { robot: 'assistant' } };
    expect(fromConfigMapping(toConfigMapping(o))).toEqual(o);
    expect(fromConfigMapping({ format: 'text', text_column: 'body' })).toEqual({ format: 'text', text_column: 'body' });
    expect(fromConfigMapping({ text_column: 'body' }, 'text')).toEqual({ format: 'text', text_column: 'body' });
    // A run config may hold keys the editor does not show (standard names): they stay in the config, not the editor.
    expect(fromConfigMapping({ conversations: 'dialog', 'roles.Bot': 'user', format: 'nope' })).toEqual({ roles: { bot: 'user' } });
  });

  it('applies over what was detected', () => {
    const m = applyOverride(detected, { roles: { robot: 'assistant' } });
    expect(m).toEqual({ ...detected, roles: { robot: 'assistant' } });
    expect(mappingOverride(detected, m)).toEqual({ roles: { robot: 'assistant' } });
    expect(applyOverride(detected, { format: 'text', text_column: 'body' })).toEqual({ format: 'text', text_column: 'body', roles: {} });
  });
});
