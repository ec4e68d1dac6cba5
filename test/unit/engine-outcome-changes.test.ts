import { describe, expect, it } from 'vitest';
import type { JsonObject } from '../../dsl/index.js';
import { applyChanges, diffData, toStoredOutcome } from '../../engine/outcome-changes.js';

describe('what an event changed', () => {
  const cases: Array<[string, JsonObject | null, JsonObject | null]> = [
    ['a new journey', null, { owner: 'ann', balance: 0 }],
    ['a changed field', { owner: 'ann', balance: 0 }, { owner: 'ann', balance: 10 }],
    ['an added and a removed field', { a: 1, gone: true }, { a: 1, added: 'x' }],
    ['a nested object', { limits: { daily: 1, monthly: 9 }, n: 1 }, { limits: { daily: 2, monthly: 9 }, n: 1 }],
    ['arrays replaced whole', { ids: [1, 2] }, { ids: [1, 2, 3] }],
    ['keys that need escaping', { 'a/b': 1, 'c~d': 2 }, { 'a/b': 3, 'c~d': 2 }],
    ['null values kept', { v: 1 }, { v: null }],
    ['nothing changed', { v: 1 }, { v: 1 }],
  ];

  it.each(cases)('%s: applying the changes to the data before gives the data after', (_name, before, after) => {
    expect(applyChanges(before, diffData(before, after))).toEqual(after);
  });

  it('stores only what changed, not the data', () => {
    const before = { owner: 'o'.repeat(60_000), balance: 0 };
    const stored = toStoredOutcome(
      { eventId: 'E', journeyId: 'J', outcome: 'applied', seq: 2, data: { ...before, balance: 5 }, emitted: [], handledAt: new Date(0).toISOString() },
      before,
    );
    expect(stored).not.toHaveProperty('data');
    expect(stored.changes).toEqual([{ op: 'replace', path: '/balance', value: 5 }]);
    expect(JSON.stringify(stored).length).toBeLessThan(300);
  });

  it('a rejected event changed nothing', () => {
    const stored = toStoredOutcome(
      { eventId: 'E', journeyId: 'J', outcome: 'rejected', seq: 2, data: { v: 1 }, emitted: [], handledAt: new Date(0).toISOString() },
      { v: 1 },
    );
    expect(stored.changes).toEqual([]);
  });
});
