import { describe, expect, it } from 'vitest';
import { CorrectedClock, SimulatedClock } from '../../common/index.js';

describe('the corrected clock (the database clock as a node sees it)', () => {
  it('is the local clock until a sample, then the reference, from the sample with the shortest round trip', () => {
    const local = new SimulatedClock(Date.UTC(2026, 11, 7, 12));
    const clock = new CorrectedClock(local);
    expect(clock.synced).toBe(false);
    expect(clock.nowMs()).toBe(local.nowMs());
    const sixDaysMs = 6 * 86_400_000;
    const sentMs = local.nowMs();
    // The reference is six days behind; the slow sample's midpoint would be 200 ms off.
    clock.observe([
      { referenceMs: sentMs - sixDaysMs + 600, roundTripMs: 800, sentMs },
      { referenceMs: sentMs - sixDaysMs + 2.4, roundTripMs: 4, sentMs },
    ]);
    expect(clock.synced).toBe(true);
    expect(clock.skewMs).toBe(sixDaysMs);
    expect(clock.nowMs()).toBe(local.nowMs() - sixDaysMs);
    // Whole milliseconds, as journeys store now() in integer fields.
    expect(Number.isInteger(clock.nowMs())).toBe(true);
    local.advance(1_000);
    expect(clock.nowMs()).toBe(sentMs - sixDaysMs + 1_000);
    expect(clock.monotonicMs()).toBe(local.monotonicMs());
  });

  it('keeps the last measurement when given no sample', () => {
    const clock = new CorrectedClock(new SimulatedClock(10_000));
    clock.observe([{ referenceMs: 5_000, roundTripMs: 0, sentMs: 10_000 }]);
    clock.observe([]);
    expect(clock.skewMs).toBe(5_000);
  });
});
