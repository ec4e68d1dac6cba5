import { describe, expect, it } from 'vitest';
import { OutcomeHub } from '../../engine/outcomes.js';
import type { EventOutcome } from '../../engine/index.js';

const outcome = (eventId: string): EventOutcome => ({
  eventId,
  journeyId: 'J',
  outcome: 'applied',
  seq: 1,
  data: {},
  emitted: [],
  handledAt: new Date(0).toISOString(),
});

describe('outcome hub', () => {
  it('wakes a waiter when the outcome is published', async () => {
    const hub = new OutcomeHub();
    const waiting = hub.wait('E1', 5_000, () => Promise.resolve(null), 1_000);
    hub.publish(outcome('E1'));
    await expect(waiting).resolves.toMatchObject({ eventId: 'E1' });
    expect(hub.waiting).toBe(0);
  });

  it('answers a late waiter from recent outcomes, and falls back to polling the store', async () => {
    const hub = new OutcomeHub();
    hub.publish(outcome('E2'));
    await expect(hub.wait('E2', 10, () => Promise.resolve(null))).resolves.toMatchObject({ eventId: 'E2' });
    let polls = 0;
    const polled = await hub.wait('E3', 2_000, () => Promise.resolve(++polls >= 2 ? outcome('E3') : null), 10);
    expect(polled).toMatchObject({ eventId: 'E3' });
  });

  it('resolves null after the timeout and forgets the waiter', async () => {
    const hub = new OutcomeHub();
    await expect(hub.wait('E4', 20, () => Promise.resolve(null), 5)).resolves.toBeNull();
    expect(hub.waiting).toBe(0);
  });

  it('keeps a bounded number of recent outcomes', () => {
    const hub = new OutcomeHub({ maxCount: 3, maxBytes: 1_000_000 });
    for (let i = 0; i < 5; i++) hub.publish(outcome(`E${i}`));
    expect(hub.recentOutcome('E0')).toBeUndefined();
    expect(hub.recentOutcome('E4')).toBeDefined();
  });

  it('keeps recent outcomes within a byte budget: large journeys evict sooner, and one larger than the budget is not kept', () => {
    const hub = new OutcomeHub({ maxCount: 1_000, maxBytes: 10_000 });
    const large = (eventId: string): EventOutcome => ({ ...outcome(eventId), data: { owner: 'x'.repeat(3_000) } });
    for (let i = 0; i < 10; i++) hub.publish(large(`L${i}`));
    expect(hub.kept.bytes).toBeLessThanOrEqual(10_000);
    expect(hub.kept.count).toBe(3);
    expect(hub.recentOutcome('L9')).toBeDefined();
    expect(hub.recentOutcome('L6')).toBeUndefined();
    hub.publish({ ...outcome('HUGE'), data: { owner: 'x'.repeat(20_000) } });
    expect(hub.recentOutcome('HUGE')).toBeUndefined();
    expect(hub.recentOutcome('L9')).toBeDefined();
  });
});
