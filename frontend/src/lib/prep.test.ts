import { describe, expect, it } from 'vitest';
import { prepOrder, prepView } from './prep';

describe('prep', () => {
  it('says the stage and the rows tokenized of the total', () => {
    expect(prepView({ stage: 'tokenizing', done: 12000, total: 30000 })).toEqual({
      title: 'Step 2 of 5: Tokenizing',
      detail: '12,000 of 30,000 rows',
      done: 12000,
      total: 30000,
    });
    expect(prepView({ stage: 'tokenizing', done: 500, total: 0 })?.detail).toBe('500 rows');
    expect(prepView({ stage: 'compiling', done: 0, total: 0 })).toEqual({ title: 'Step 5 of 5: Compiling the training step', detail: '', done: 0, total: 0 });
  });
  it('shows nothing without a report', () => {
    expect(prepView(null)).toBeNull();
    expect(prepView({ stage: '' as never, done: 0, total: 0 })).toBeNull();
  });
  it('follows Go order', () => {
    expect(prepOrder).toEqual(['reading', 'tokenizing', 'batching', 'loading', 'compiling']);
  });
});
